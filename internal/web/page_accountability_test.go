package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/audit"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/integrity"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestAccountabilityPages: the follow-ups board, a leader's ledger (public
// and private parts), the fairness report (leaders, HR, admins), integrity
// flags with their review (I7, refused in place for a member), and the
// audit log's standing as last verified.
func TestAccountabilityPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		s := New(a, slog.New(slog.DiscardHandler), "test")
		ctx := context.Background()
		ada, dee, vp := apptest.Person("ada"), apptest.Person("dee"), apptest.Person("vp", org.RoleLeader)
		in, err := a.DeclareIncident(ctx, ada, app.IncidentInput{Title: "Late page", Severity: incident.SEV1,
			StartedAt: a.Now().Add(-3 * time.Hour), DetectedAt: a.Now().Add(-2 * time.Hour),
			Entities: []incident.FailedEntity{{Ref: org.MustRef("component:orphan"), Origin: true}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.CreateFollowUp(ctx, ada, app.FollowUpInput{Incident: in.ID, Title: "Page the right team", Owner: org.MustRef("user:ada")}); err != nil {
			t.Fatal(err)
		}
		check := func(name string, w interface {
			Result() *http.Response
		}, body string, status int, want ...string) {
			t.Helper()
			if got := w.Result().StatusCode; got != status {
				t.Errorf("%s: %d, want %d", name, got, status)
			}
			for _, s := range want {
				if !strings.Contains(body, s) {
					t.Errorf("%s lacks %q", name, s)
				}
			}
		}
		w := pageCall(t, s, s.pageFollowUps, ada, "GET", "/followups", nil, nil)
		check("the board", w, w.Body.String(), 200, "Page the right team", "Mine")
		w = pageCall(t, s, s.pageLedger, dee, "GET", "/", nil, map[string]string{"ref": "user:default/co-lead"})
		check("co-lead's ledger as a member", w, w.Body.String(), 200, "Ambiguous ownership", "Private to")
		w = pageCall(t, s, s.pageLedger, vp, "GET", "/", nil, map[string]string{"ref": "co-lead"})
		check("co-lead's ledger as her leader", w, w.Body.String(), 200, "No decisions in the window")
		w = pageCall(t, s, s.pageFairness, dee, "GET", "/fairness", nil, nil)
		check("the fairness report as a member", w, w.Body.String(), 403)
		w = pageCall(t, s, s.pageFlags, dee, "GET", "/integrity", nil, nil)
		check("open flags", w, w.Body.String(), 200, "I1", string(in.ID))
		flags, err := a.IntegrityFlags(ctx, apptest.Admin(), in.ID, integrity.Open)
		if err != nil || len(flags) != 1 {
			t.Fatalf("flags: %v %d", err, len(flags))
		}
		review := url.Values{"outcome": {"dismiss"}, "reason": {"a quiet night"}}
		w = pageCall(t, s, s.postFlagReview, dee, "POST", "/", review, map[string]string{"id": flags[0].ID})
		check("a member reviewing", w, w.Body.String(), 403, `role="alert"`, "I7")
		w = pageCall(t, s, s.postFlagReview, apptest.Admin(), "POST", "/", review, map[string]string{"id": flags[0].ID})
		check("an admin dismissing", w, w.Body.String(), 303)
		w = pageCall(t, s, s.pageAudit, dee, "GET", "/audit", nil, nil)
		check("the audit log before any verification", w, w.Body.String(), 200, "has not been verified yet", `action="/audit/verify"`)
		w = pageCall(t, s, s.postAuditVerify, dee, "POST", "/audit/verify", url.Values{}, nil)
		check("verifying now", w, w.Body.String(), 303)
		w = pageCall(t, s, s.pageAudit, dee, "GET", "/audit", nil, nil)
		check("the audit log", w, w.Body.String(), 200, "The chain held", "accountable rows were as it recorded", "asked by <a")
	})
}

// TestAuditPageShowsWhatBroke: a recorded verification that failed shows
// the break with its reason, or the rows that are not as recorded with the
// count beyond those listed. Row keys come from whoever wrote the rows
// behind the product's back, so they render inert.
func TestAuditPageShowsWhatBroke(t *testing.T) {
	a, _ := apptest.New(t, storetest.Open(t, store.SQLite))
	s := New(a, slog.New(slog.DiscardHandler), "test")
	show := func(o audit.Outcome) string {
		t.Helper()
		run := &audit.Run{At: a.Now(), Took: 1500 * time.Millisecond, By: "system:default/audit-verify", Outcome: o}
		data := auditPage{AuditStatus: app.AuditStatus{Last: run, Head: audit.Head{Seq: o.Head.Seq + 2}}}
		w := httptest.NewRecorder()
		if err := s.render(w, http.StatusOK, "audit", view{Title: "Audit log", Data: data}); err != nil {
			t.Fatal(err)
		}
		return w.Body.String()
	}
	contains := func(name, body string, want ...string) {
		t.Helper()
		for _, s := range want {
			if !strings.Contains(body, s) {
				t.Errorf("%s lacks %q:\n%s", name, s, body)
			}
		}
	}
	body := show(audit.Outcome{Events: 41, Head: audit.Head{Seq: 41}, Break: &audit.Break{Seq: 42, Reason: "its content does not match its hash"}})
	contains("a break", body, `role="alert"`, "The chain breaks at event 42: its content does not match its hash.",
		"none: a broken chain vouches for no row", "on the schedule", "1.5 s", "Written since</dt><dd>2 events")
	if strings.Contains(body, "Verify now") {
		t.Error("the button is shown to someone CanVerify did not admit")
	}

	body = show(audit.Outcome{Events: 50, Head: audit.Head{Seq: 50}, RowsChecked: true, Units: 90, RowFindingCount: 3,
		RowFindings: []audit.RowFinding{{Table: "incidents", Key: `<script>alert(1)</script>`, Problem: audit.RowUnrecorded}}})
	contains("changed rows", body, "3 rows were not what the chain recorded", "Written since</dt><dd>2 events,", "<td>incidents</td>",
		"&lt;script&gt;alert(1)&lt;/script&gt;", "<td>unrecorded</td>", "… and 2 more")
	if strings.Contains(body, "<script>alert") {
		t.Error("a row key renders as markup")
	}
}
