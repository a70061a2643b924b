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
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestFollowUpPage walks F3 and F4 through the pages: the owner asks to
// drop her follow-up and sees it wait for her leader; a peer sees no
// decision form and is refused in place if he posts one; the leader finds
// it on the board, refusing without a reason is refused in place naming
// F3, refusing with one keeps it open; asked again, the leader approves;
// the reminders the jobs sent are listed.
func TestFollowUpPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		s := New(a, slog.New(slog.DiscardHandler), "test")
		ctx := context.Background()
		ada, bob, lead := apptest.Person("ada"), apptest.Person("bob"), apptest.Person("pay-lead", org.RoleLeader)
		in, err := a.DeclareIncident(ctx, ada, app.IncidentInput{Title: "Checkout slow", Severity: incident.SEV3,
			StartedAt: a.Now().Add(-time.Hour), Entities: []incident.FailedEntity{{Ref: org.MustRef("component:checkout-api"), Origin: true}}})
		if err != nil {
			t.Fatal(err)
		}
		f, err := a.CreateFollowUp(ctx, ada, app.FollowUpInput{Incident: in.ID, Title: "Cache the <b>tax</b> table", Owner: ada.Ref,
			Due: followup.Day(clock.Now()).AddDate(0, 0, 2)})
		if err != nil {
			t.Fatal(err)
		}
		path := map[string]string{"id": string(f.ID)}
		page := func(who org.Actor) string {
			t.Helper()
			w := pageCall(t, s, s.pageFollowUp, who, "GET", "/followups/"+string(f.ID), nil, path)
			if w.Code != http.StatusOK {
				t.Fatalf("follow-up page: %d", w.Code)
			}
			return w.Body.String()
		}
		if _, err := a.RunJobs(ctx, app.Jobs{NoDigest: true}); err != nil {
			t.Fatal(err)
		}
		body := page(ada)
		for _, want := range []string{"Cache the &lt;b&gt;tax&lt;/b&gt; table", "reminder before the due date", "Ask to drop it", "pay-lead"} {
			if !strings.Contains(body, want) {
				t.Errorf("the owner's page lacks %q", want)
			}
		}
		w := pageCall(t, s, s.postFollowUpPageStatus, ada, "POST", "/followups/"+string(f.ID)+"/status", url.Values{"status": {"wont_do"}}, path)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `role="alert"`) || !strings.Contains(w.Body.String(), "F3") {
			t.Fatalf("wont_do without a reason: %d", w.Code)
		}
		w = pageCall(t, s, s.postFollowUpPageStatus, ada, "POST", "/followups/"+string(f.ID)+"/status",
			url.Values{"status": {"wont_do"}, "reason": {"the tax service goes away"}}, path)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("wont_do: %d %s", w.Code, w.Body.String())
		}
		if body := page(ada); !strings.Contains(body, "wont_do waits for user:pay-lead") || strings.Contains(body, "Approve: drop it") {
			t.Fatalf("the owner should see it waiting, without the decision form:\n%s", body)
		}
		if strings.Contains(page(bob), "Approve: drop it") {
			t.Fatal("a peer is offered the decision")
		}
		w = pageCall(t, s, s.postFollowUpApproval, bob, "POST", "/followups/"+string(f.ID)+"/approval", url.Values{"decision": {"approve"}}, path)
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "F3") {
			t.Fatalf("a peer approving: %d", w.Code)
		}
		board := pageCall(t, s, s.pageFollowUps, lead, "GET", "/followups", nil, nil).Body.String()
		if !strings.Contains(board, "Waiting for your approval") || !strings.Contains(board, "the tax service goes away") {
			t.Fatal("the leader's board does not show the request")
		}
		if strings.Contains(pageCall(t, s, s.pageFollowUps, ada, "GET", "/followups", nil, nil).Body.String(), "Waiting for your approval") {
			t.Fatal("the owner is asked to approve")
		}
		w = pageCall(t, s, s.postFollowUpApproval, lead, "POST", "/followups/"+string(f.ID)+"/approval", url.Values{"decision": {"refuse"}}, path)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "F3") {
			t.Fatalf("refusing without a reason: %d", w.Code)
		}
		w = pageCall(t, s, s.postFollowUpApproval, lead, "POST", "/followups/"+string(f.ID)+"/approval",
			url.Values{"decision": {"refuse"}, "reason": {"not before Q2"}}, path)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("refuse: %d", w.Code)
		}
		if body := page(lead); !strings.Contains(body, "refused") || !strings.Contains(body, "not before Q2") {
			t.Fatal("the refusal is not in the history")
		}
		pageCall(t, s, s.postFollowUpPageStatus, ada, "POST", "/followups/"+string(f.ID)+"/status",
			url.Values{"status": {"wont_do"}, "reason": {"the tax service is gone"}}, path)
		w = pageCall(t, s, s.postFollowUpApproval, lead, "POST", "/followups/"+string(f.ID)+"/approval", url.Values{"decision": {"approve"}}, path)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("approve: %d", w.Code)
		}
		got, _ := a.FollowUp(ctx, ada, f.ID)
		if got.Status != followup.WontDo {
			t.Fatalf("status %s after approval", got.Status)
		}
		if !strings.Contains(page(ada), "Reopen") {
			t.Fatal("a closed follow-up offers reopening")
		}
	})
}
