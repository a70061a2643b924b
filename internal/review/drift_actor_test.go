package review

import (
	"testing"
	"time"

	"blameful.dev/blameful/internal/freeze"
	"blameful.dev/blameful/internal/org"
)

// TestDeployDriftIgnoresChangesWithoutActor: GitHub records a deploy by a
// login no person has as a change without an actor; it is not a deploy
// from outside the owning team.
func TestDeployDriftIgnoresChangesWithoutActor(t *testing.T) {
	at := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	facts := DriftFacts{At: at, Days: 90,
		Entities: []DriftEntity{{Ref: "component:default/api", CodePaths: []string{"github.com/acme/shop"}, Owners: []org.Ref{"group:default/payments"}}},
		Changes:  []freeze.Change{{Entity: "component:default/api", Ref: "f95f852", At: at.AddDate(0, 0, -3), Source: "github"}},
		Edges: []org.Edge{{Relation: org.OwnedBy, Subject: "component:default/api", Object: "group:default/payments",
			From: at.AddDate(-1, 0, 0)}},
	}
	for _, f := range Drift(facts) {
		if f.Kind == DeploysFromOutside {
			t.Errorf("a change without an actor counted as a deploy from outside: %+v", f)
		}
	}
}
