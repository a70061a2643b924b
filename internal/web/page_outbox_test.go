package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestOutboxPage: an administrator sees the deliveries with state, tries
// and last error, filters them, and retries a dead one with the form,
// which the next pass delivers; the Outbox link is in the navigation for
// administrators only, and everyone else is refused the page and the
// form, as is a cross-site form.
func TestOutboxPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		addAccount(t, h.app, "dee@example.com", "user:dee", password, org.RoleAdmin)
		addAccount(t, h.app, "ada@example.com", "user:ada", password)
		queue(t, db, "0190ffff-0000-7000-8000-000000000001", "followup.reminder")
		queue(t, db, "0190ffff-0000-7000-8000-000000000002", "integrity.confirmed")
		recv := newOutboxReceiver(t, 503)
		if rep, err := h.app.DeliverOutbox(ctx, recv.sender(1), h.clock.Now()); err != nil || rep.Dead != 2 {
			t.Fatalf("pass: %+v, %v", rep, err)
		}
		list, err := h.app.Deliveries(ctx, apptest.Admin(), app.DeliveryFilter{Kind: "followup.reminder"})
		if err != nil || len(list) != 1 {
			t.Fatalf("deliveries %+v, %v", list, err)
		}
		id := list[0].ID

		ada := newBrowser(t, h.srv)
		ada.logIn("ada@example.com", password)
		if p := ada.get("/"); strings.Contains(p.body, `href="/outbox"`) {
			t.Error("a member's navigation links the outbox")
		}
		if p := ada.get("/outbox"); p.status != http.StatusForbidden || strings.Contains(p.body, "followup.reminder") {
			t.Errorf("a member's outbox page: %d", p.status)
		}
		if p := ada.post("/outbox/"+id+"/retry", url.Values{}); p.status != http.StatusForbidden {
			t.Errorf("a member's retry: %d", p.status)
		}

		dee := newBrowser(t, h.srv)
		dee.logIn("dee@example.com", password)
		page := dee.get("/outbox").want(t, http.StatusOK, "")
		for _, want := range []string{`href="/outbox" aria-current="page"`, "followup.reminder", "integrity.confirmed", `class="state-dead">dead`,
			"503 Service Unavailable", `action="/outbox/` + id + `/retry"`} {
			if !strings.Contains(page.body, want) {
				t.Errorf("the outbox page lacks %q:\n%s", want, page.body)
			}
		}
		page = dee.get("/outbox?kind=integrity.confirmed").want(t, http.StatusOK, "")
		if strings.Contains(page.body, "followup.reminder</code>") {
			t.Error("the kind filter shows other kinds")
		}
		page = dee.get("/outbox?state=delivered").want(t, http.StatusOK, "")
		if !strings.Contains(page.body, "No deliveries match") {
			t.Error("the state filter shows deliveries that are not delivered")
		}
		if p := dee.send("POST", "/outbox/"+id+"/retry", url.Values{}, "cross-site"); p.status != http.StatusForbidden {
			t.Errorf("a cross-site retry: %d", p.status)
		}
		dee.post("/outbox/"+id+"/retry", url.Values{}).want(t, http.StatusSeeOther, "/outbox")
		recv.status.Store(200)
		if rep, err := h.app.DeliverOutbox(ctx, recv.sender(1), h.clock.Now()); err != nil || rep.Delivered != 1 {
			t.Errorf("after the retry: %+v, %v", rep, err)
		}
		page = dee.get("/outbox?state=delivered").want(t, http.StatusOK, "")
		if !strings.Contains(page.body, "followup.reminder") || strings.Contains(page.body, `action="/outbox/`+id+`/retry"`) {
			t.Errorf("the delivered list:\n%s", page.body)
		}
		if p := dee.post("/outbox/"+id+"/retry", url.Values{}); p.status != http.StatusConflict {
			t.Errorf("retrying a delivered one: %d", p.status)
		}
	})
}
