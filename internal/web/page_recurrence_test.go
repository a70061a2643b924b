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
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestRecurrencePages: the incident and postmortem pages list the earlier
// incident as a possible recurrence with its score, reasons and buttons;
// confirming from the postmortem page returns there and both incidents'
// pages show the confirmed link and its missed follow-up; a refused
// decision shows in place naming F6 and writes nothing; titles stay inert.
func TestRecurrencePages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		s := New(a, slog.New(slog.DiscardHandler), "test")
		ctx := context.Background()
		ada := apptest.Person("ada")
		declare := func(title string, ago time.Duration) incident.Incident {
			in, err := a.DeclareIncident(ctx, ada, app.IncidentInput{Title: title, Severity: incident.SEV2, StartedAt: a.Now().Add(-ago),
				Entities: []incident.FailedEntity{{Ref: org.MustRef("component:checkout-api"), Origin: true}}})
			if err != nil {
				t.Fatal(err)
			}
			return in
		}
		earlier := declare(`Pool exhausted <script>alert(1)</script>`, 10*24*time.Hour)
		clock.Set(earlier.StartedAt.Add(24 * time.Hour))
		fu, err := a.CreateFollowUp(ctx, ada, app.FollowUpInput{Incident: earlier.ID, Title: "Size the pool", Owner: org.MustRef("user:bob")})
		if err != nil {
			t.Fatal(err)
		}
		clock.Set(apptest.Start)
		later := declare("Pool exhausted again", time.Hour)
		path := map[string]string{"id": string(later.ID)}

		for _, h := range []pageHandler{s.pageIncident, s.pagePostmortem} {
			body := pageCall(t, s, h, ada, "GET", "/", nil, path).Body.String()
			for _, want := range []string{"Possible recurrences", `href="/incidents/` + string(earlier.ID) + `"`, "origin of both",
				`name="decision" value="confirm"`, `name="decision" value="dismiss"`} {
				if !strings.Contains(body, want) {
					t.Errorf("the page lacks %q", want)
				}
			}
			if strings.Contains(body, "<script>alert(1)") {
				t.Error("a title was not escaped")
			}
		}

		// Refused in place: the incident is not a recurrence of itself.
		w := pageCall(t, s, s.postRecurrence, ada, "POST", "/", url.Values{"earlier": {string(later.ID)}, "decision": {"confirm"}}, path)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `id="recurrence-error"`) || !strings.Contains(w.Body.String(), "F6") {
			t.Fatalf("refusal: %d", w.Code)
		}
		if links, _ := a.Recurrences(ctx, ada, later.ID); len(links.Links) != 0 {
			t.Fatal("a refused decision was written")
		}

		w = pageCall(t, s, s.postRecurrence, ada, "POST", "/", url.Values{"earlier": {string(earlier.ID)}, "decision": {"confirm"},
			"back": {"postmortem"}}, path)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/incidents/"+string(later.ID)+"/postmortem#recurrences" {
			t.Fatalf("confirm: %d %s", w.Code, w.Header().Get("Location"))
		}
		for id, want := range map[incident.ID]string{later.ID: "Recurs <a", earlier.ID: "Recurred as <a"} {
			body := pageCall(t, s, s.pageIncident, ada, "GET", "/", nil, map[string]string{"id": string(id)}).Body.String()
			if !strings.Contains(body, want) || !strings.Contains(body, string(fu.ID)) || !strings.Contains(body, "bob") {
				t.Errorf("%s: the page does not show the confirmed link and its missed follow-up", id)
			}
		}
		// Confirmed: the candidate offers Dismiss, no longer Confirm.
		body := pageCall(t, s, s.pageIncident, ada, "GET", "/", nil, path).Body.String()
		if strings.Contains(body, "Confirm "+string(later.ID)+" recurs "+string(earlier.ID)) || !strings.Contains(body, "Dismiss "+string(earlier.ID)) {
			t.Error("a confirmed candidate should offer Dismiss only")
		}
		// Bob's leader's ledger lists the missed follow-up (F7, J6).
		if body := pageCall(t, s, s.pageLedger, ada, "GET", "/", nil, map[string]string{"ref": "user:default/pay-lead"}).Body.String(); !strings.Contains(body, "/followups/"+string(fu.ID)) {
			t.Error("the leader's ledger does not list the missed follow-up")
		}
		// The postmortem's suggestion names the owner of the missed follow-up (A7).
		if body := pageCall(t, s, s.pagePostmortem, ada, "GET", "/", nil, path).Body.String(); !strings.Contains(body, `<span class="rule">A7</span>`) {
			t.Error("the editor does not show A7")
		}
	})
}
