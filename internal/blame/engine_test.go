package blame

import (
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
)

var (
	start = time.Date(2026, 3, 3, 14, 0, 0, 0, time.UTC)
	r     = org.MustRef
)

// world is a small org:
//
//	eng (cto)
//	├── product (vp)
//	│   ├── payments (pay-lead; ada, bob)
//	│   └── checkout (co-lead; cy)
//	│   └── ghosts   (no members: defunct)
//	└── platform (plat-lead; dee)
func world() *org.Chart {
	teams := []org.Team{{Ref: r("group:eng")}, {Ref: r("group:product")}, {Ref: r("group:payments")},
		{Ref: r("group:checkout")}, {Ref: r("group:ghosts")}, {Ref: r("group:platform")}}
	people := []org.Person{{Ref: r("user:cto")}, {Ref: r("user:vp")}, {Ref: r("user:pay-lead")}, {Ref: r("user:ada")},
		{Ref: r("user:bob")}, {Ref: r("user:co-lead")}, {Ref: r("user:cy")}, {Ref: r("user:plat-lead")}, {Ref: r("user:dee")},
		{Ref: r("user:gone"), Left: start.AddDate(0, -1, 0)}}
	var edges []org.Edge
	team := func(t, parent, leader string, members ...string) {
		if parent != "" {
			edges = append(edges, org.Edge{Relation: org.ChildOf, Subject: r(t), Object: r(parent)})
		}
		if leader != "" {
			edges = append(edges, org.Edge{Relation: org.Leads, Subject: r(leader), Object: r(t)})
		}
		for _, m := range members {
			edges = append(edges, org.Edge{Relation: org.MemberOf, Subject: r(m), Object: r(t)})
		}
	}
	team("group:eng", "", "user:cto", "user:cto")
	team("group:product", "group:eng", "user:vp", "user:vp")
	team("group:payments", "group:product", "user:pay-lead", "user:pay-lead", "user:ada", "user:bob")
	team("group:checkout", "group:product", "user:co-lead", "user:co-lead", "user:cy")
	team("group:ghosts", "group:product", "user:vp")
	team("group:platform", "group:eng", "user:plat-lead", "user:plat-lead", "user:dee")
	return org.NewChart(start, teams, people, edges, []org.Ref{r("group:eng")})
}

// ent builds an entity as of start with the given owners (since the
// beginning unless "@days" follows: owner for that many days).
func ent(ref string, owners ...string) catalog.EntityAt {
	rf := r(ref)
	e := catalog.EntityAt{Entity: catalog.Entity{Ref: rf, Kind: catalog.Kind(rf.Kind())}, Exists: true}
	for _, o := range owners {
		name, days, _ := strings.Cut(o, "@")
		c := catalog.Claim{Owner: r(name)}
		if days != "" {
			n := 0
			for _, ch := range days {
				n = n*10 + int(ch-'0')
			}
			c.Since = start.AddDate(0, 0, -n)
		}
		e.Owners = append(e.Owners, c)
	}
	return e
}

func facts(failed []incident.FailedEntity, ents ...catalog.EntityAt) Facts {
	m := make(map[org.Ref]catalog.EntityAt)
	for _, e := range ents {
		m[e.Ref] = e
	}
	return Facts{Incident: "INC-2026-0001", Severity: incident.SEV2, StartedAt: start, Failed: failed, Entities: m, Chart: world()}
}

func origin(ref string) []incident.FailedEntity {
	return []incident.FailedEntity{{Ref: r(ref), Origin: true}}
}

func inSystem(e catalog.EntityAt, sys string) catalog.EntityAt { e.System = r(sys); return e }

func dependsOn(e catalog.EntityAt, deps ...string) catalog.EntityAt {
	for _, d := range deps {
		e.DependsOn = append(e.DependsOn, r(d))
	}
	return e
}

func TestSuggest(t *testing.T) {
	tests := []struct {
		name      string
		facts     Facts
		party     string
		rule      Rule
		inherited bool
		reason    string // a fragment of the applied step's reason
	}{
		{
			name:  "owner of the origin (A2)",
			facts: facts(origin("component:checkout-api"), ent("component:checkout-api", "group:payments")),
			party: "group:default/payments", rule: A2, reason: "owned the origin",
		},
		{
			name:  "person owner (A2)",
			facts: facts(origin("component:billing-cron"), ent("component:billing-cron", "user:ada")),
			party: "user:default/ada", rule: A2,
		},
		{
			name:  "provider names the team that owns the relationship (A3)",
			facts: facts(origin("provider:stripe"), ent("provider:stripe", "group:payments")),
			party: "group:default/payments", rule: A3, reason: "third-party provider",
		},
		{
			name:  "no owner, system owned by a team (A4 to the system team's leader)",
			facts: facts(origin("component:orphan"), inSystem(ent("component:orphan"), "system:shop"), ent("system:shop", "group:checkout")),
			party: "user:default/co-lead", rule: A4, reason: "owned the system system:default/shop",
		},
		{
			name:  "no owner and no system: the root's leader (A4)",
			facts: facts(origin("component:orphan"), ent("component:orphan")),
			party: "user:default/cto", rule: A4, reason: "the root team",
		},
		{
			name:  "two claimed owners: leader of their lowest common team (A4)",
			facts: facts(origin("component:cart"), ent("component:cart", "group:payments", "group:checkout")),
			party: "user:default/vp", rule: A4, reason: "2 claimed owners",
		},
		{
			name:  "two claimed owners in different branches go to the root (A4)",
			facts: facts(origin("component:cart"), ent("component:cart", "group:payments", "group:platform")),
			party: "user:default/cto", rule: A4,
		},
		{
			name:  "owner team with no members no longer existed: go up (A4)",
			facts: facts(origin("component:legacy"), ent("component:legacy", "group:ghosts")),
			party: "user:default/vp", rule: A4, reason: "no members",
		},
		{
			name:  "owner who had left the org (A4 to their old team's cover, else root)",
			facts: facts(origin("component:script"), ent("component:script", "user:gone")),
			party: "user:default/cto", rule: A4, reason: "had left the org",
		},
		{
			name:  "owner team unknown to the org (A4)",
			facts: facts(origin("component:x"), ent("component:x", "group:vanished")),
			party: "user:default/cto", rule: A4, reason: "did not exist",
		},
		{
			name:  "entity not in the catalog (A4)",
			facts: facts(origin("component:ghost")),
			party: "user:default/cto", rule: A4, reason: "not in the catalog",
		},
		{
			name: "different owners, no origin, no dependency (A4 to their lowest common team)",
			facts: facts([]incident.FailedEntity{{Ref: r("component:a")}, {Ref: r("component:b")}},
				ent("component:a", "group:payments"), ent("component:b", "group:checkout")),
			party: "user:default/vp", rule: A4, reason: "does not single one out",
		},
		{
			name: "different owners, no origin, but the others depend on one (A2)",
			facts: facts([]incident.FailedEntity{{Ref: r("component:web")}, {Ref: r("component:api")}, {Ref: r("resource:db")}},
				dependsOn(ent("component:web", "group:checkout"), "component:api"),
				dependsOn(ent("component:api", "group:payments"), "resource:db"),
				ent("resource:db", "group:platform")),
			party: "group:default/platform", rule: A2, reason: "the other failed entities depend on it",
		},
		{
			name: "several failed entities with one common owner (A2)",
			facts: facts([]incident.FailedEntity{{Ref: r("component:a")}, {Ref: r("component:b")}},
				ent("component:a", "group:payments"), ent("component:b", "group:payments")),
			party: "group:default/payments", rule: A2, reason: "every failed entity was owned by",
		},
		{
			name:  "no failed entity at all (A4 to the root)",
			facts: facts(nil),
			party: "user:default/cto", rule: A4, reason: "no failed entity",
		},
		{
			name:  "recently inherited keeps the party and adds the factor (A5)",
			facts: facts(origin("component:checkout-api"), ent("component:checkout-api", "group:payments@30")),
			party: "group:default/payments", rule: A2, inherited: true,
		},
		{
			name:  "inherited long ago is not mitigating (A5 does not fire)",
			facts: facts(origin("component:checkout-api"), ent("component:checkout-api", "group:payments@200")),
			party: "group:default/payments", rule: A2,
		},
		{
			name: "change inside a freeze names the person who made it (A6 over A2)",
			facts: func() Facts {
				f := facts(origin("component:checkout-api"), ent("component:checkout-api", "group:payments"))
				f.Changes = []Change{{ID: "chg-1", Entity: r("component:checkout-api"), Actor: r("user:bob"), At: start.Add(-time.Hour), Version: "v42"}}
				f.Freezes = []Freeze{{ID: "fz-1", Start: start.AddDate(0, 0, -2), End: start.AddDate(0, 0, 2), Teams: []org.Ref{r("group:product")}, Reason: "quarter end"}}
				return f
			}(),
			party: "user:default/bob", rule: A6, reason: "inside freeze fz-1",
		},
		{
			name: "change with an approved exception is not a violation (A6 does not fire)",
			facts: func() Facts {
				f := facts(origin("component:checkout-api"), ent("component:checkout-api", "group:payments"))
				f.Changes = []Change{{ID: "chg-1", Entity: r("component:checkout-api"), Actor: r("user:bob"), At: start.Add(-time.Hour), ExceptionApproved: true}}
				f.Freezes = []Freeze{{ID: "fz-1", Start: start.AddDate(0, 0, -2), End: start.AddDate(0, 0, 2), Everything: true}}
				return f
			}(),
			party: "group:default/payments", rule: A2,
		},
		{
			name: "recurrence with an open follow-up names its owner (A7 over A2)",
			facts: func() Facts {
				f := facts(origin("component:checkout-api"), ent("component:checkout-api", "group:payments"))
				f.Missed = []MissedFollowUp{{FollowUp: "FU-2026-0003", Owner: r("user:ada"), Earlier: "INC-2026-0001", Due: start.AddDate(0, 0, -3)}}
				return f
			}(),
			party: "user:default/ada", rule: A7, reason: "still open",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Suggest(tt.facts)
			if string(s.Party) != tt.party || s.Rule != tt.rule {
				t.Fatalf("Suggest = %s by %s, want %s by %s\n%s", s.Party, s.Rule, tt.party, tt.rule, explain(s))
			}
			if s.RecentlyInherited != tt.inherited {
				t.Errorf("RecentlyInherited = %v, want %v\n%s", s.RecentlyInherited, tt.inherited, explain(s))
			}
			applied := step(s, tt.rule)
			if !applied.Applied || !strings.Contains(applied.Reason, tt.reason) {
				t.Errorf("step %s = %+v, want applied with reason containing %q", tt.rule, applied, tt.reason)
			}
			if len(s.Evidence) == 0 {
				t.Errorf("no evidence for %s", s.Rule)
			}
			for _, want := range []Rule{A6, A7, A3, A2, A4, A5, A9, A1} {
				if step(s, want).Rule == "" {
					t.Errorf("explanation lacks %s:\n%s", want, explain(s))
				}
			}
			if (tt.rule == A4 && len(tt.facts.Failed) > 0) != (len(s.Clarify) > 0) {
				t.Errorf("Clarify = %v for rule %s", s.Clarify, tt.rule)
			}
		})
	}
}

func TestSuggestIsDeterministic(t *testing.T) {
	f := facts([]incident.FailedEntity{{Ref: r("component:a")}, {Ref: r("component:b")}, {Ref: r("component:c")}},
		ent("component:a", "group:payments"), ent("component:b", "group:checkout"), ent("component:c", "group:platform"))
	first := explain(Suggest(f))
	for range 20 {
		if got := explain(Suggest(f)); got != first {
			t.Fatalf("explanation changed between runs:\n%s\nvs\n%s", first, got)
		}
	}
}

func TestA6OutsideFreezeDoesNotFire(t *testing.T) {
	f := facts(origin("component:checkout-api"), ent("component:checkout-api", "group:payments"))
	f.Changes = []Change{{ID: "chg-1", Entity: r("component:checkout-api"), Actor: r("user:bob"), At: start.AddDate(0, 0, -5)}}
	f.Freezes = []Freeze{{ID: "fz-1", Start: start.AddDate(0, 0, -2), End: start.AddDate(0, 0, 2), Everything: true}}
	s := Suggest(f)
	if s.Rule != A2 || s.PolicyViolation {
		t.Fatalf("got %s (policy %v), want A2 without violation", s.Rule, s.PolicyViolation)
	}
	// A freeze scoped to another team does not cover the entity either.
	f.Changes[0].At = start.Add(-time.Hour)
	f.Freezes[0].Everything = false
	f.Freezes[0].Teams = []org.Ref{r("group:platform")}
	if s := Suggest(f); s.Rule != A2 {
		t.Fatalf("freeze on another team: got %s, want A2", s.Rule)
	}
}

func step(s Suggestion, id Rule) Step {
	for _, st := range s.Explanation {
		if st.Rule == id {
			return st
		}
	}
	return Step{}
}

func explain(s Suggestion) string {
	var b strings.Builder
	for _, st := range s.Explanation {
		b.WriteString(string(st.Rule))
		if st.Applied {
			b.WriteString(" applied")
		} else if st.Fired {
			b.WriteString(" fired")
		}
		b.WriteString(": " + st.Reason + "\n")
	}
	return b.String()
}
