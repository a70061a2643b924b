package incident

import (
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
)

var now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func valid() Incident {
	return Incident{
		ID: "INC-2026-0001", Title: "Checkout errors", Severity: SEV2, Status: StatusOpen,
		StartedAt: now.Add(-2 * time.Hour), DeclaredAt: now.Add(-time.Hour),
		Entities: []FailedEntity{{Ref: org.MustRef("component:checkout"), Origin: true}},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Incident)
		field  string
	}{
		{"valid", func(*Incident) {}, ""},
		{"no title", func(in *Incident) { in.Title = "  " }, "title"},
		{"unknown severity", func(in *Incident) { in.Severity = "SEV5" }, "severity"},
		{"no start", func(in *Incident) { in.StartedAt = time.Time{} }, "started_at"},
		{"start in the future", func(in *Incident) { in.StartedAt = now.Add(time.Hour); in.DeclaredAt = time.Time{} }, "started_at"},
		{"declared before started", func(in *Incident) { in.DeclaredAt = in.StartedAt.Add(-time.Minute) }, "declared_at"},
		{"detected after declared", func(in *Incident) { in.DetectedAt = in.DeclaredAt.Add(time.Minute) }, "declared_at"},
		{"two origins", func(in *Incident) {
			in.Entities = append(in.Entities, FailedEntity{Ref: org.MustRef("component:cart"), Origin: true})
		}, "entities"},
		{"same entity twice", func(in *Incident) { in.Entities = append(in.Entities, in.Entities[0]) }, "entities[1]"},
		{"resolved without resolved_at", func(in *Incident) { in.Status = StatusResolved }, "resolved_at"},
		{"open with a resolved_at", func(in *Incident) { in.ResolvedAt = now }, "status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := valid()
			tt.change(&in)
			err := in.Validate(now)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			e, ok := errs.As(err)
			if !ok || e.Kind != errs.Invalid || e.Fields[tt.field] == "" {
				t.Fatalf("want an Invalid error naming %s, got %v", tt.field, err)
			}
		})
	}
}

func TestTransition(t *testing.T) {
	in := valid()
	if err := in.Transition(StatusMitigated, now.Add(-30*time.Minute), now); err != nil {
		t.Fatal(err)
	}
	if err := in.Transition(StatusOpen, now, now); errs.KindOf(err) != errs.Conflict {
		t.Fatalf("moving back must be a conflict, got %v", err)
	}
	before := in
	if err := in.Transition(StatusResolved, now.Add(-3*time.Hour), now); errs.KindOf(err) != errs.Invalid {
		t.Fatalf("resolving before mitigation must be invalid, got %v", err)
	}
	if in.Status != before.Status || !in.ResolvedAt.IsZero() {
		t.Fatal("a refused transition must leave the incident unchanged")
	}
	if err := in.Transition(StatusResolved, now, now); err != nil || in.ResolvedAt != now {
		t.Fatalf("resolve: %v", err)
	}

	direct := valid()
	if err := direct.Transition(StatusResolved, now, now); err != nil || direct.MitigatedAt != now {
		t.Fatalf("open -> resolved must record mitigation too: %v, %v", err, direct.MitigatedAt)
	}
}

func TestTimelineKeepsHistory(t *testing.T) {
	e := Entry{ID: "e1", Kind: EntryObservation, Text: "errors rising", OccurredAt: now.Add(-time.Hour)}
	rev, err := e.Edit(EntryObservation, "errors rising on checkout", e.OccurredAt, org.MustRef("user:ada"), now)
	if err != nil || rev.Text != "errors rising" || rev.Action != "edit" || e.Revision != 1 {
		t.Fatalf("edit: %+v %v", rev, err)
	}
	rev, err = e.Delete(org.MustRef("user:ada"), now)
	if err != nil || rev.Text != "errors rising on checkout" || !e.Deleted || e.Revision != 2 {
		t.Fatalf("delete: %+v %v", rev, err)
	}
	if _, err := e.Edit(EntryAction, "x", now, "", now); errs.KindOf(err) != errs.Conflict {
		t.Fatalf("editing a deleted entry: %v", err)
	}
}

func TestParseID(t *testing.T) {
	if id, err := ParseID("inc-2026-0042"); err != nil || id != "INC-2026-0042" {
		t.Fatalf("ParseID = %q, %v", id, err)
	}
	for _, bad := range []string{"INC-26-0001", "2026-0001", "INC-2026-12", "INC-2026-00x1"} {
		if _, err := ParseID(bad); err == nil || !strings.Contains(err.Error(), "incident ID") {
			t.Errorf("ParseID(%q) = %v", bad, err)
		}
	}
	if FormatID(2026, 7) != "INC-2026-0007" || FormatID(2026, 12345) != "INC-2026-12345" {
		t.Fatal("FormatID")
	}
}
