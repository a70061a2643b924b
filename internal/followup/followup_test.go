package followup

import (
	"testing"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
)

func TestDefaultDue(t *testing.T) {
	created := time.Date(2026, 11, 20, 15, 4, 5, 0, time.UTC)
	p := DefaultDuePolicy()
	for sev, days := range map[incident.Severity]int{incident.SEV1: 14, incident.SEV2: 30, incident.SEV3: 60, incident.SEV4: 90} {
		want := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC).AddDate(0, 0, days)
		if got := p.DefaultDue(sev, created); !got.Equal(want) {
			t.Errorf("%s: due %s, want %s", sev, got, want)
		}
	}
}

func TestOverdue(t *testing.T) {
	f := FollowUp{Status: Open, Due: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)}
	if f.IsOverdue(time.Date(2026, 11, 20, 23, 0, 0, 0, time.UTC)) {
		t.Fatal("not overdue on its due date")
	}
	if !f.IsOverdue(time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)) || f.DaysOverdue(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)) != 5 {
		t.Fatal("overdue from the day after")
	}
	f.Status = Done
	if f.IsOverdue(time.Date(2026, 12, 25, 0, 0, 0, 0, time.UTC)) {
		t.Fatal("done is never overdue")
	}
}

func TestValidate(t *testing.T) {
	f := FollowUp{Title: "Add a circuit breaker", Owner: org.MustRef("group:payments"), Due: time.Now(), Priority: P2, Status: Open}
	if err := f.Validate(time.Now()); err != nil {
		t.Fatal(err)
	}
	f.Owner = org.MustRef("component:checkout")
	if e, _ := errs.As(f.Validate(time.Now())); e == nil || e.Fields["owner"] == "" {
		t.Fatalf("an entity cannot own a follow-up: %v", e)
	}
	f.Owner = org.MustRef("user:ada")
	if err := f.SetStatus(WontDo, " ", time.Now()); errs.KindOf(err) != errs.Invalid {
		t.Fatalf("wont_do without a reason: %v", err)
	}
}
