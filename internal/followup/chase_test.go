package followup

import (
	"testing"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
)

// F4: one step per day, in order, from three days before the due date to
// long overdue; nothing for a closed follow-up.
func TestChaseSteps(t *testing.T) {
	p := DefaultChasePolicy()
	due := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	f := FollowUp{ID: "FU-2026-0001", Status: Open, Due: due}
	at := func(days int) time.Time { return due.AddDate(0, 0, days).Add(9 * time.Hour) }
	cases := []struct {
		day  int
		want NoticeKind
	}{
		{-10, ""}, {-4, ""}, {-3, ReminderBefore}, {-1, ReminderBefore}, {0, ReminderDue},
		{1, Escalation}, {13, Escalation}, {14, EscalationUp}, {200, EscalationUp},
	}
	for _, c := range cases {
		got, ok := p.StepAt(&f, at(c.day))
		if got != c.want || ok != (c.want != "") {
			t.Errorf("day %+d: step %q (%v), want %q", c.day, got, ok, c.want)
		}
	}
	f.Status = Done
	if k, ok := p.StepAt(&f, at(1)); ok {
		t.Errorf("a done follow-up is not chased, got %s", k)
	}
	// The windows of one day never overlap.
	ws := p.Windows(at(0))
	for i := 1; i < len(ws); i++ {
		if !ws[i].To.Before(ws[i-1].From) {
			t.Errorf("%s overlaps %s", ws[i].Kind, ws[i-1].Kind)
		}
	}
}

// F3: a wont_do needs a reason, one request at a time, and a refusal needs
// a reason too; only a leader above the owner decides.
func ruleOf(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Rule
	}
	return ""
}

func TestWontDoRequest(t *testing.T) {
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	owner, lead, boss, other := org.Ref("user:default/ada"), org.Ref("user:default/lead"), org.Ref("user:default/boss"), org.Ref("user:default/eve")
	f := FollowUp{ID: "FU-2026-0001", Status: Open, Owner: owner}
	if _, err := NewRequest(&f, false, " ", owner, lead, now); ruleOf(err) != "F3" || errs.KindOf(err) != errs.Invalid {
		t.Fatalf("no reason: %v", err)
	}
	if _, err := NewRequest(&f, true, "obsolete", owner, lead, now); errs.KindOf(err) != errs.Conflict {
		t.Fatalf("pending already: %v", err)
	}
	r, err := NewRequest(&f, false, "obsolete", owner, lead, now)
	if err != nil || r.Outcome != Pending || r.Approver != lead {
		t.Fatalf("request: %+v %v", r, err)
	}
	above := []org.Ref{lead, boss}
	for who, ok := range map[org.Ref]bool{owner: false, other: false, lead: true, boss: true} {
		if err := MayDecide(who, owner, above, false); (err == nil) != ok {
			t.Errorf("%s may decide: %v", who, err)
		} else if err != nil && ruleOf(err) != "F3" {
			t.Errorf("%s: error without F3: %v", who, err)
		}
	}
	if err := MayDecide(other, owner, nil, true); err != nil {
		t.Errorf("HR decides when nobody is above: %v", err)
	}
	if err := r.Decide(false, lead, "", now); errs.KindOf(err) != errs.Invalid {
		t.Fatalf("refusal without a reason: %v", err)
	}
	if err := r.Decide(true, lead, "", now); err != nil || r.Outcome != Approved {
		t.Fatalf("approve: %v %s", err, r.Outcome)
	}
	if err := r.Decide(false, lead, "changed my mind", now); errs.KindOf(err) != errs.Conflict {
		t.Fatalf("deciding twice: %v", err)
	}
}
