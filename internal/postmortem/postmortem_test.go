package postmortem

import (
	"testing"
	"time"

	"blameful.dev/blameful/internal/errs"
)

var now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func TestPublishRules(t *testing.T) {
	tests := []struct {
		name  string
		ready Readiness
		rule  string
	}{
		{"no party", Readiness{FollowUps: 1, Resolved: true}, "A1"},
		{"two parties", Readiness{Parties: 2, FollowUps: 1, Resolved: true}, "A1"},
		{"no follow-up", Readiness{Parties: 1, Resolved: true}, "F1"},
		{"unresolved", Readiness{Parties: 1, FollowUps: 1}, ""},
		{"ready", Readiness{Parties: 1, FollowUps: 1, Resolved: true}, "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Postmortem{Incident: "INC-2026-0001", State: InReview}
			err := p.Transition(Published, tt.ready, now)
			if tt.rule == "-" {
				if err != nil || p.State != Published || p.PublishedAt != now {
					t.Fatalf("publish: %v, state %s", err, p.State)
				}
				return
			}
			e, ok := errs.As(err)
			if !ok || e.Kind != errs.Conflict || e.Rule != tt.rule {
				t.Fatalf("want a conflict naming %q, got %v", tt.rule, err)
			}
			if p.State != InReview {
				t.Fatal("a refused publish must not change the state")
			}
		})
	}
}

func TestMoves(t *testing.T) {
	p := Postmortem{Incident: "INC-2026-0001", State: Draft}
	if err := p.Transition(Published, Readiness{Parties: 1, FollowUps: 1, Resolved: true}, now); errs.KindOf(err) != errs.Conflict {
		t.Fatalf("draft -> published must go through review: %v", err)
	}
	for _, to := range []State{InReview, Draft, InReview} {
		if err := p.Transition(to, Readiness{}, now); err != nil {
			t.Fatalf("-> %s: %v", to, err)
		}
	}
}

func TestDueAt(t *testing.T) {
	fri := time.Date(2026, 11, 20, 16, 0, 0, 0, time.UTC) // a Friday
	if got, want := DueAt(fri, 5), time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("5 business days after Friday = %s, want the next Friday %s", got, want)
	}
	if !DueAt(time.Time{}, 5).IsZero() {
		t.Fatal("unresolved incidents have no due date")
	}
}
