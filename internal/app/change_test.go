package app_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/accountability"
	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/audit"
	"blameful.dev/blameful/internal/blame"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/rule"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// a6Case is a freeze, a change by Bob made some time before the clock, and
// an incident on the change's entity linked to it: which party the engine
// suggests, by which rule.
type a6Case struct {
	name     string
	scope    []string // nil: everything
	entity   string
	changeAt time.Duration // before the clock
	approver string
	// since is how long before the clock the freeze began; zero is 3 days.
	since time.Duration
	rule  blame.Rule
	party string
}

// TestA6ChangeInsideAFreeze: a linked change made inside a freeze that
// covered its entity, without an approved exception, names the person who
// made it (A6 over A2), with the change and the freeze as evidence, and
// accepting that makes the policy violation major. Outside the window, out
// of scope, or with an exception, the owner stays the party.
func TestA6ChangeInsideAFreeze(t *testing.T) {
	cases := []a6Case{
		{name: "inside a freeze of a team above the owner", scope: []string{"group:product"}, entity: "component:checkout-api",
			changeAt: 2 * time.Hour, rule: blame.A6, party: "user:default/bob"},
		{name: "inside a freeze of everything", entity: "component:checkout-api", changeAt: 2 * time.Hour, rule: blame.A6, party: "user:default/bob"},
		{name: "inside a freeze listing the entity", scope: []string{"component:checkout-api"}, entity: "component:checkout-api",
			changeAt: 2 * time.Hour, rule: blame.A6, party: "user:default/bob"},
		{name: "before the window", scope: []string{"group:product"}, entity: "component:checkout-api",
			changeAt: 5 * 24 * time.Hour, rule: blame.A2, party: "group:default/payments"},
		{name: "entity not in scope", scope: []string{"group:platform", "resource:orders-db"}, entity: "component:checkout-api",
			changeAt: 2 * time.Hour, rule: blame.A2, party: "group:default/payments"},
		{name: "approved exception", scope: []string{"group:product"}, entity: "component:checkout-api",
			changeAt: 2 * time.Hour, approver: "user:pay-lead", rule: blame.A2, party: "group:default/payments"},
		// The checkout team took component:search over on 2026-10-21: a
		// freeze of checkout did not cover a change made before then.
		{name: "a team covers what it owned at the change's time", scope: []string{"group:checkout"}, entity: "component:search",
			changeAt: 40 * 24 * time.Hour, since: 60 * 24 * time.Hour, rule: blame.A2, party: "group:default/checkout"},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		leader := apptest.Person("vp", org.RoleLeader)
		for _, c := range cases {
			now := a.Now()
			since := c.since
			if since == 0 {
				since = 3 * 24 * time.Hour
			}
			in := app.FreezeInput{Start: now.Add(-since), End: now.Add(24 * time.Hour), Reason: "quarter end", Everything: c.scope == nil}
			for _, s := range c.scope {
				in.Scope = append(in.Scope, org.MustRef(s))
			}
			fz, err := a.CreateFreeze(ctx, leader, in)
			if err != nil {
				t.Fatalf("%s: freeze: %v", c.name, err)
			}
			ch, err := a.RecordChange(ctx, apptest.Admin(), app.ChangeInput{Entity: org.MustRef(c.entity), Ref: "v42",
				Actor: org.MustRef("user:bob"), At: now.Add(-c.changeAt), Source: "ci", ExceptionApprovedBy: refOrZero(c.approver)})
			if err != nil {
				t.Fatalf("%s: change: %v", c.name, err)
			}
			inc := declare(t, a, c.entity)
			linked, err := a.LinkChange(ctx, apptest.Person("ada"), inc.ID, ch.ID)
			if err != nil || !linked {
				t.Fatalf("%s: link: %v %v", c.name, linked, err)
			}
			if again, err := a.LinkChange(ctx, apptest.Person("ada"), inc.ID, ch.ID); err != nil || again {
				t.Fatalf("%s: linking again: %v %v", c.name, again, err)
			}
			v, err := a.Attribution(ctx, apptest.Person("ada"), inc.ID)
			if err != nil {
				t.Fatal(err)
			}
			s := v.Suggestion
			if s.Rule != c.rule || string(s.Party) != c.party {
				t.Errorf("%s: suggested %s by %s, want %s by %s; %+v", c.name, s.Party, s.Rule, c.party, c.rule, s.Explanation)
			}
			if c.rule != blame.A6 {
				if s.PolicyViolation {
					t.Errorf("%s: a policy violation without A6", c.name)
				}
				a, _ = apptest.New(t, storetest.Open(t, db.Engine())) // a fresh org, no freeze
				continue
			}
			var kinds []string
			for _, e := range s.Evidence {
				kinds = append(kinds, e.Kind)
				if e.Kind == "freeze" && !strings.Contains(e.Detail, fz.ID) || e.Kind == "change" && !strings.Contains(e.Detail, ch.ID) {
					t.Errorf("%s: evidence %+v does not name the change and the freeze", c.name, e)
				}
			}
			if !slices.Equal(kinds, []string{"change", "freeze"}) {
				t.Errorf("%s: evidence %v", c.name, kinds)
			}
			if s.Explanation[0].Rule != blame.A6 || !s.Explanation[0].Applied {
				t.Errorf("%s: A6 does not come first in the explanation: %+v", c.name, s.Explanation)
			}
			// Accepting the suggestion makes the policy violation major.
			if _, err := a.DecideAttribution(ctx, apptest.Person("pay-lead", org.RoleLeader), inc.ID, s.Party, ""); err != nil {
				t.Fatalf("%s: decide: %v", c.name, err)
			}
			as, err := a.Assessment(ctx, apptest.Admin(), inc.ID)
			if err != nil {
				t.Fatal(err)
			}
			if as.Judgement.PolicyViolation != accountability.MajorViolation {
				t.Errorf("%s: policy_violation %s, want major", c.name, as.Judgement.PolicyViolation)
			}
			a, _ = apptest.New(t, storetest.Open(t, db.Engine()))
		}
	})
}

func refOrZero(s string) org.Ref {
	if s == "" {
		return ""
	}
	return org.MustRef(s)
}

// TestChangeAndFreezeRefusals: bad changes and freezes are refused naming
// the field (and A6 for an exception nobody with authority approved);
// members may record changes but not freezes; what was written checks
// clean against the audit log.
func TestChangeAndFreezeRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		now := a.Now()
		good := app.ChangeInput{Entity: org.MustRef("component:checkout-api"), Ref: "v1", Actor: org.MustRef("user:bob"), At: now.Add(-time.Hour)}
		for _, c := range []struct {
			name       string
			edit       func(*app.ChangeInput)
			field, why string
		}{
			{"an approver outside the owner's line", func(in *app.ChangeInput) { in.ExceptionApprovedBy = org.MustRef("user:plat-lead") }, "exception_approved_by", rule.A6},
			{"an approver who leads nobody", func(in *app.ChangeInput) { in.ExceptionApprovedBy = org.MustRef("user:cy") }, "exception_approved_by", rule.A6},
			{"one's own exception", func(in *app.ChangeInput) { in.ExceptionApprovedBy = org.MustRef("user:bob") }, "exception_approved_by", rule.A6},
			{"an unknown entity", func(in *app.ChangeInput) { in.Entity = org.MustRef("component:nowhere") }, "entity", ""},
			{"a team as actor", func(in *app.ChangeInput) { in.Actor = org.MustRef("group:payments") }, "actor", ""},
			{"an unknown actor", func(in *app.ChangeInput) { in.Actor = org.MustRef("user:nobody") }, "actor", ""},
			{"no ref", func(in *app.ChangeInput) { in.Ref = " " }, "ref", ""},
			{"the future", func(in *app.ChangeInput) { in.At = now.Add(time.Hour) }, "at", ""},
		} {
			in := good
			c.edit(&in)
			_, err := a.RecordChange(ctx, apptest.Admin(), in)
			e, ok := errs.As(err)
			if !ok || e.Kind != errs.Invalid || e.Fields[c.field] == "" || e.Rule != c.why {
				t.Errorf("%s: got %v", c.name, err)
			}
		}
		// The owner's leader and those above may approve.
		for _, approver := range []string{"user:pay-lead", "user:vp", "user:cto"} {
			in := good
			in.ExceptionApprovedBy = org.MustRef(approver)
			if _, err := a.RecordChange(ctx, apptest.Person("bob"), in); err != nil {
				t.Errorf("approved by %s: %v", approver, err)
			}
		}
		fz := app.FreezeInput{Start: now, End: now.Add(time.Hour), Everything: true, Reason: "launch"}
		if _, err := a.CreateFreeze(ctx, apptest.Person("bob"), fz); errs.KindOf(err) != errs.Forbidden {
			t.Errorf("a member created a freeze: %v", err)
		}
		for _, c := range []struct {
			name, field string
			edit        func(*app.FreezeInput)
		}{
			{"end before start", "end", func(in *app.FreezeInput) { in.End = in.Start.Add(-time.Minute) }},
			{"no reason", "reason", func(in *app.FreezeInput) { in.Reason = "" }},
			{"no scope", "scope", func(in *app.FreezeInput) { in.Everything = false }},
			{"an unknown team", "scope", func(in *app.FreezeInput) {
				in.Everything, in.Scope = false, []org.Ref{org.MustRef("group:nowhere")}
			}},
			{"a person in scope", "scope", func(in *app.FreezeInput) {
				in.Everything, in.Scope = false, []org.Ref{org.MustRef("user:bob")}
			}},
		} {
			in := fz
			c.edit(&in)
			_, err := a.CreateFreeze(ctx, apptest.Admin(), in)
			if e, ok := errs.As(err); !ok || e.Fields[c.field] == "" {
				t.Errorf("%s: got %v", c.name, err)
			}
		}
		if _, err := a.CreateFreeze(ctx, apptest.Admin(), fz); err != nil {
			t.Fatal(err)
		}
		if list, err := a.Freezes(ctx, apptest.Person("bob"), now.Add(30*time.Minute)); err != nil || len(list) != 1 {
			t.Errorf("freezes in force: %v %v", list, err)
		}
		if list, err := a.Freezes(ctx, apptest.Person("bob"), now.Add(2*time.Hour)); err != nil || len(list) != 0 {
			t.Errorf("freezes after the window: %v %v", list, err)
		}
		list, err := a.Changes(ctx, apptest.Person("bob"), app.ChangeFilter{Entity: org.MustRef("component:checkout-api"), Since: now.Add(-2 * time.Hour)})
		if err != nil || len(list) != 3 {
			t.Errorf("changes: %d %v", len(list), err)
		}
		if n, findings := checkRows(t, db); n == 0 || len(findings) != 0 {
			t.Errorf("rows against the log: %d units, %v", n, findings)
		}
	})
}

// checkRows holds every accountable row to the audit log.
func checkRows(t *testing.T, db *store.DB) (int64, []string) {
	t.Helper()
	var out []string
	n, err := db.CheckRows(ctx, func(f audit.RowFinding) error {
		out = append(out, string(f.Problem)+" "+f.Table+" "+f.Key)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n, out
}
