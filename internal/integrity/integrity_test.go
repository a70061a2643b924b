package integrity

import (
	"testing"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
)

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func inc(sev incident.Severity, declaredAfter time.Duration) *incident.Incident {
	return &incident.Incident{ID: "INC-2026-0001", Severity: sev, StartedAt: t0, DeclaredAt: t0.Add(declaredAfter), CreatedBy: org.MustRef("user:ada")}
}

func TestLateDeclaration(t *testing.T) {
	p := DefaultPolicy()
	alert := []incident.Entry{{Kind: incident.EntryAlert, OccurredAt: t0.Add(time.Minute), Text: "5xx"}}
	if f, ok := LateDeclaration(inc(incident.SEV2, 45*time.Minute), alert, p, t0); !ok || f.Suspect != "user:default/ada" || f.Key != "I1:INC-2026-0001" {
		t.Fatalf("SEV2 declared 44 min after an alert: %+v %v", f, ok)
	}
	if _, ok := LateDeclaration(inc(incident.SEV2, 20*time.Minute), alert, p, t0); ok {
		t.Fatal("within 30 minutes is not late")
	}
	if _, ok := LateDeclaration(inc(incident.SEV3, 3*time.Hour), alert, p, t0); ok {
		t.Fatal("SEV3 is not covered by default")
	}
	if _, ok := LateDeclaration(inc(incident.SEV1, 3*time.Hour), nil, p, t0); ok {
		t.Fatal("no signal, no flag")
	}
	late := inc(incident.SEV1, 3*time.Hour)
	late.DetectedAt = t0.Add(5 * time.Minute)
	if _, ok := LateDeclaration(late, nil, p, t0); !ok {
		t.Fatal("detection is a signal too")
	}
}

func TestRewriteDowngradeDisclosureMissing(t *testing.T) {
	review := t0.Add(24 * time.Hour)
	rev := incident.Revision{Entry: "e1", Revision: 0, Action: "delete", Text: "we ignored the alert", ChangedBy: org.MustRef("user:bob"), ChangedAt: review.Add(time.Hour)}
	if f, ok := Rewrite("INC-2026-0001", rev, review, t0); !ok || f.Suspect != "user:default/bob" {
		t.Fatalf("deleted under review: %+v %v", f, ok)
	}
	rev.ChangedAt = review.Add(-time.Hour)
	if _, ok := Rewrite("INC-2026-0001", rev, review, t0); ok {
		t.Fatal("an edit before review is fine")
	}
	if _, ok := Rewrite("INC-2026-0001", rev, time.Time{}, t0); ok {
		t.Fatal("no review yet")
	}

	before, after := inc(incident.SEV1, 0), inc(incident.SEV3, 0)
	before.ResolvedAt = t0.Add(time.Hour)
	if _, ok := Downgrade(before, after, org.MustRef("user:bob"), t0); !ok {
		t.Fatal("lowered after resolution")
	}
	if _, ok := Downgrade(after, before, org.MustRef("user:bob"), t0); ok {
		t.Fatal("raising severity is fine")
	}
	before.ResolvedAt = time.Time{}
	if _, ok := Downgrade(before, after, org.MustRef("user:bob"), t0); ok {
		t.Fatal("lowering during the incident is fine")
	}

	in := inc(incident.SEV2, 0)
	in.ResolvedAt = t0.Add(2 * time.Hour)
	decided := t0.Add(48 * time.Hour)
	e := incident.Entry{ID: "e2", OccurredAt: t0.Add(30 * time.Minute), RecordedAt: decided.Add(time.Hour), Author: org.MustRef("user:cy"), Text: "I restarted it by hand"}
	if f, ok := LateDisclosure(in, e, decided, t0); !ok || f.Suspect != "user:default/cy" {
		t.Fatal("disclosed after the decision")
	}
	e.RecordedAt = decided.Add(-time.Hour)
	if _, ok := LateDisclosure(in, e, decided, t0); ok {
		t.Fatal("recorded before the decision")
	}
	e.RecordedAt, e.OccurredAt = decided.Add(time.Hour), t0.Add(5*time.Hour)
	if _, ok := LateDisclosure(in, e, decided, t0); ok {
		t.Fatal("about something after the incident")
	}

	if _, ok := MissingPostmortem(in, t0, true, t0); !ok {
		t.Fatal("overdue postmortem")
	}
	if _, ok := MissingPostmortem(in, t0, false, t0); ok {
		t.Fatal("not overdue")
	}
}

func TestReview(t *testing.T) {
	f := Flag{ID: "f1", Rule: I2, Suspect: org.MustRef("user:bob"), State: Open}
	if err := f.Review(true, "", "x", org.MustRef("user:hr"), t0); errs.KindOf(err) != errs.Invalid {
		t.Fatalf("confirming without a subject: %v", err)
	}
	if err := f.Review(false, "", " ", org.MustRef("user:hr"), t0); errs.KindOf(err) != errs.Invalid {
		t.Fatalf("dismissing without a reason: %v", err)
	}
	if err := f.Review(false, "", "mine", org.MustRef("user:bob"), t0); errs.KindOf(err) != errs.Forbidden {
		t.Fatalf("reviewing a flag about yourself: %v", err)
	}
	if err := f.Review(true, org.MustRef("user:bob"), "Deleted the alert to hide the delay.", org.MustRef("user:hr"), t0); err != nil || f.State != Confirmed || f.Subject != "user:default/bob" {
		t.Fatalf("confirm: %v %+v", err, f)
	}
	if err := f.Review(false, "", "again", org.MustRef("user:hr"), t0); errs.KindOf(err) != errs.Conflict {
		t.Fatalf("reviewing twice: %v", err)
	}
}
