package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/importer"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/notify"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestFollowUpPageExport walks the export to GitHub on the follow-up page:
// a member of the owning team sees the form and someone of another team
// does not; a bad repository is refused in place; once asked for, the
// page shows the export pending, then failing with GitHub's answer (to
// those who may export), then the link.
func TestFollowUpPageExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		s := New(a, slog.New(slog.DiscardHandler), "test")
		ctx := context.Background()
		ada, cy := apptest.Person("ada"), apptest.Person("cy")
		in, err := a.DeclareIncident(ctx, ada, app.IncidentInput{Title: "Checkout slow", Severity: incident.SEV3,
			StartedAt: a.Now().Add(-time.Hour), Entities: []incident.FailedEntity{{Ref: org.MustRef("component:checkout-api"), Origin: true}}})
		if err != nil {
			t.Fatal(err)
		}
		f, err := a.CreateFollowUp(ctx, ada, app.FollowUpInput{Incident: in.ID, Title: "Cap the pool", Owner: "group:default/payments"})
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
		if body := page(ada); !strings.Contains(body, "Export to GitHub") {
			t.Error("a member of the owning team sees no export form")
		}
		if body := page(cy); strings.Contains(body, "Export to GitHub") {
			t.Error("someone of another team sees the export form")
		}
		w := pageCall(t, s, s.postFollowUpExport, ada, "POST", "/followups/"+string(f.ID)+"/export", url.Values{"repo": {"acme checkout"}}, path)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "is not a GitHub repository") {
			t.Errorf("a bad repository: %d", w.Code)
		}
		w = pageCall(t, s, s.postFollowUpExport, ada, "POST", "/followups/"+string(f.ID)+"/export", url.Values{"repo": {"acme/checkout"}}, path)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("export: %d %s", w.Code, w.Body)
		}
		if body := page(ada); !strings.Contains(body, "export to acme/checkout pending") || strings.Contains(body, "Export to GitHub") {
			t.Errorf("after the export the page shows no pending export, or the form again")
		}

		var fail atomic.Bool
		fail.Store(true)
		gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if fail.Load() {
				http.Error(w, `{"message":"Server Error"}`, http.StatusBadGateway)
				return
			}
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"number": 7, "html_url": "https://github.com/acme/checkout/issues/7"}`)
		}))
		defer gh.Close()
		sender := &notify.Sender{GitHubToken: "t", GitHubAPI: gh.URL, AllowPrivate: true}
		if _, err := a.DeliverOutbox(ctx, sender, clock.Now()); err != nil {
			t.Fatal(err)
		}
		if body := page(ada); !strings.Contains(body, "retrying") || !strings.Contains(body, "502 Bad Gateway") {
			t.Errorf("a failing export: the page shows no retry or no error")
		}
		if body := page(cy); !strings.Contains(body, "retrying") || strings.Contains(body, "502 Bad Gateway") {
			t.Errorf("someone who may not export sees GitHub's answer, or no retry")
		}
		fail.Store(false)
		clock.Advance(time.Hour)
		if _, err := a.DeliverOutbox(ctx, sender, clock.Now()); err != nil {
			t.Fatal(err)
		}
		body := page(cy)
		if !strings.Contains(body, `href="https://github.com/acme/checkout/issues/7"`) || !strings.Contains(body, "acme/checkout#7") {
			t.Errorf("the exported issue's link is missing")
		}
	})
}

// TestChangesPageUnknownDeployer: a change GitHub reported for a login no
// person has shows its actor as unknown, not as an empty link.
func TestChangesPageUnknownDeployer(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	a, _ := apptest.New(t, db)
	s := New(a, slog.New(slog.DiscardHandler), "test")
	ctx := context.Background()
	b, err := os.ReadFile(filepath.Join("..", "app", "apptest", "org.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(b), "entities:\n", "entities:\n  - {id: component:hello, owner: payments, code: [github.com/Codertocat/Hello-World]}\n", 1)
	batch, err := importer.ParseOrg("org.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Import(ctx, apptest.Admin(), batch); err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(filepath.Join("..", "ingest", "testdata", "github", "deployment_status.created.json"))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := a.ReceiveGitHub(ctx, "deployment_status", "d-1", body); err != nil || !out.Recorded {
		t.Fatalf("deployment: %+v %v", out, err)
	}
	w := pageCall(t, s, s.pageChanges, apptest.Person("ada"), "GET", "/changes", nil, nil)
	page := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(page, ">unknown</span>") || strings.Contains(page, `href="/people/"`) {
		t.Errorf("changes page: %d, unknown actor shown %v, empty link %v", w.Code, strings.Contains(page, ">unknown</span>"), strings.Contains(page, `href="/people/"`))
	}
}
