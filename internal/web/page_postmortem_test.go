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
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// pageCall runs a page handler as actor, as the page adapter would after
// reading the session.
func pageCall(t *testing.T, s *Server, h pageHandler, actor org.Actor, method, target string, form url.Values, path map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	var r *http.Request
	if form != nil {
		r = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	for k, v := range path {
		r.SetPathValue(k, v)
	}
	w := httptest.NewRecorder()
	if err := h(w, r, actor); err != nil {
		s.pageError(w, r, actor, err)
	}
	return w
}

// TestPostmortemEditor walks the editor as a reviewer would: the engine's
// reasoning is shown, publishing without a party is refused in place
// naming A1, an override needs a justification (A8), a follow-up is added,
// and stored HTML renders inert.
func TestPostmortemEditor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		s := New(a, slog.New(slog.DiscardHandler), "test")
		ctx := context.Background()
		ada, vp := apptest.Person("ada"), apptest.Person("vp", org.RoleLeader)
		in, err := a.DeclareIncident(ctx, ada, app.IncidentInput{Title: `Checkout <script>alert(1)</script>`, Severity: incident.SEV2,
			StartedAt: a.Now().Add(-time.Hour), Entities: []incident.FailedEntity{{Ref: org.MustRef("component:checkout-api"), Origin: true}}})
		if err != nil {
			t.Fatal(err)
		}
		id := string(in.ID)
		path := map[string]string{"id": id}
		resolved := incident.StatusResolved
		if _, err := a.UpdateIncident(ctx, ada, in.ID, app.IncidentPatch{Status: &resolved}); err != nil {
			t.Fatal(err)
		}

		page := pageCall(t, s, s.pagePostmortem, ada, "GET", "/incidents/"+id+"/postmortem", nil, path)
		body := page.Body.String()
		for _, want := range []string{"The engine suggests", "payments", ">A2<", "Every rule the engine considered", "A6", "A4"} {
			if !strings.Contains(body, want) {
				t.Errorf("the editor lacks %q", want)
			}
		}
		if strings.Contains(body, "<script>alert") {
			t.Error("a stored <script> came through")
		}

		// Markdown in a section renders, a script in it does not.
		w := pageCall(t, s, s.postPostmortem, ada, "POST", "/incidents/"+id+"/postmortem", url.Values{"mechanism": {"**Pool** exhausted <script>x()</script>"}}, path)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("saving the document: %d %s", w.Code, w.Body)
		}
		body = pageCall(t, s, s.pagePostmortem, ada, "GET", "/", nil, path).Body.String()
		if !strings.Contains(body, "<strong>Pool</strong>") || strings.Contains(body, "<script>x()") {
			t.Error("the mechanism is not rendered as sanitized Markdown")
		}

		// To review, then publish with no party: refused in place, naming A1.
		if w := pageCall(t, s, s.postTransition, ada, "POST", "/", url.Values{"to": {"in_review"}}, path); w.Code != http.StatusSeeOther {
			t.Fatalf("submitting for review: %d", w.Code)
		}
		w = pageCall(t, s, s.postTransition, vp, "POST", "/", url.Values{"to": {"published"}}, path)
		if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), `role="alert"`) || !strings.Contains(w.Body.String(), ">A1<") {
			t.Fatalf("publishing with no party: %d, want 409 with the A1 refusal in place", w.Code)
		}

		// An override without a justification: refused in place (A8), the
		// typed party kept.
		w = pageCall(t, s, s.postAttribution, vp, "POST", "/", url.Values{"party": {"group:checkout"}}, path)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), ">A8<") || !strings.Contains(w.Body.String(), `value="group:checkout"`) {
			t.Fatalf("an override with no justification: %d", w.Code)
		}
		w = pageCall(t, s, s.postAttribution, vp, "POST", "/", url.Values{"party": {"group:checkout"}, "justification": {"Checkout ran the migration."}}, path)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("an override with a justification: %d %s", w.Code, w.Body)
		}
		w = pageCall(t, s, s.postFollowUp, ada, "POST", "/", url.Values{"title": {"Alert on pool exhaustion"}, "owner": {"group:checkout"}}, path)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("adding a follow-up: %d %s", w.Code, w.Body)
		}
		if w := pageCall(t, s, s.postTransition, vp, "POST", "/", url.Values{"to": {"published"}}, path); w.Code != http.StatusSeeOther {
			t.Fatalf("publishing: %d %s", w.Code, w.Body)
		}
		body = pageCall(t, s, s.pagePostmortem, ada, "GET", "/", nil, path).Body.String()
		if !strings.Contains(body, "overriding the suggestion") || !strings.Contains(body, "Alert on pool exhaustion") || !strings.Contains(body, "state-published") {
			t.Error("the published postmortem does not show its decision, follow-up and state")
		}
		if w := pageCall(t, s, s.pageIncident, ada, "GET", "/", nil, path); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Timeline") {
			t.Errorf("the incident page: %d", w.Code)
		}
	})
}

// TestTimelineAndFollowUpForms: an entry added from the incident page, a
// refused one shown again in place; a follow-up marked won't do needs its
// reason (F3), then done.
func TestTimelineAndFollowUpForms(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		s := New(a, slog.New(slog.DiscardHandler), "test")
		ctx := context.Background()
		ada := apptest.Person("ada")
		in, err := a.DeclareIncident(ctx, ada, app.IncidentInput{Title: "Queue backlog", Severity: incident.SEV3,
			StartedAt: a.Now().Add(-time.Hour), Entities: []incident.FailedEntity{{Ref: org.MustRef("component:checkout-api"), Origin: true}}})
		if err != nil {
			t.Fatal(err)
		}
		path := map[string]string{"id": string(in.ID)}
		when := a.Now().Add(-30 * time.Minute).Format("2006-01-02T15:04")
		if w := pageCall(t, s, s.postEntry, ada, "POST", "/", url.Values{"occurred_at": {when}, "kind": {"action"}, "text": {"Drained the queue by hand"}}, path); w.Code != http.StatusSeeOther {
			t.Fatalf("adding an entry: %d %s", w.Code, w.Body)
		}
		w := pageCall(t, s, s.postEntry, ada, "POST", "/", url.Values{"occurred_at": {when}, "kind": {"action"}, "text": {"  "}}, path)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `role="alert"`) {
			t.Fatalf("an empty entry: %d, want 422 with the refusal in place", w.Code)
		}
		if body := pageCall(t, s, s.pageIncident, ada, "GET", "/", nil, path).Body.String(); !strings.Contains(body, "Drained the queue by hand") {
			t.Error("the entry is not on the timeline")
		}
		fu, err := a.CreateFollowUp(ctx, ada, app.FollowUpInput{Incident: in.ID, Title: "Alert on queue depth", Owner: org.MustRef("group:payments")})
		if err != nil {
			t.Fatal(err)
		}
		fpath := map[string]string{"id": string(in.ID), "followup": string(fu.ID)}
		w = pageCall(t, s, s.postFollowUpStatus, ada, "POST", "/", url.Values{"status": {"wont_do"}}, fpath)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), ">F3<") {
			t.Fatalf("won't do without a reason: %d, want 422 naming F3", w.Code)
		}
		if w := pageCall(t, s, s.postFollowUpStatus, ada, "POST", "/", url.Values{"status": {"done"}}, fpath); w.Code != http.StatusSeeOther {
			t.Fatalf("marking it done: %d %s", w.Code, w.Body)
		}
		if f, err := a.FollowUp(ctx, ada, fu.ID); err != nil || f.Status != "done" {
			t.Fatalf("the follow-up: %+v %v", f, err)
		}
	})
}

// TestDeclareForm: an incident declared from the page, a refusal shown
// again with what was typed.
func TestDeclareForm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		s := New(a, slog.New(slog.DiscardHandler), "test")
		ada := apptest.Person("ada")
		started := a.Now().Add(-time.Hour).Format("2006-01-02T15:04")
		w := pageCall(t, s, s.postDeclare, ada, "POST", "/incidents", url.Values{"title": {"Cart empties itself"}, "severity": {"SEV2"},
			"started_at": {started}, "origin": {"component:nope"}}, nil)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `value="Cart empties itself"`) {
			t.Fatalf("an unknown entity: %d, want 422 with the form kept", w.Code)
		}
		w = pageCall(t, s, s.postDeclare, ada, "POST", "/incidents", url.Values{"title": {"Cart empties itself"}, "severity": {"SEV2"},
			"started_at": {started}, "origin": {"component:checkout-api"}, "others": {"provider:stripe"}}, nil)
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/incidents/INC-") {
			t.Fatalf("declaring: %d %s", w.Code, w.Header().Get("Location"))
		}
	})
}
