package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/integrity"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestAccountabilityPages: the follow-ups board, a leader's ledger (public
// and private parts), the fairness report (leaders, HR, admins), integrity
// flags with their review (I7, refused in place for a member), and the
// audit log's standing.
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
		check("the audit log", w, w.Body.String(), 200, "The chain holds", "accountable rows are as it recorded")
	})
}
