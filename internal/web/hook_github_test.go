package web_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/importer"
	"blameful.dev/blameful/internal/ingest"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
	"blameful.dev/blameful/internal/web"
)

const hookSecret = "a webhook secret only the test knows"

// githubServer serves blameful with GitHub's webhook configured, over an
// org whose catalog knows GitHub's sample repository.
func githubServer(t *testing.T, db *store.DB) (*app.App, *httptest.Server) {
	t.Helper()
	a, _ := apptest.New(t, db)
	b, err := os.ReadFile(filepath.Join("..", "app", "apptest", "org.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(b), "people:\n", "people:\n  - {id: octo, name: Octo Cat, handle: Codertocat}\n", 1)
	text = strings.Replace(text, "entities:\n", "entities:\n  - {id: component:hello, owner: payments, code: [github.com/Codertocat/Hello-World]}\n", 1)
	batch, err := importer.ParseOrg("org.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Import(context.Background(), apptest.Admin(), batch); err != nil {
		t.Fatal(err)
	}
	s := web.New(a, slog.New(slog.DiscardHandler), "test", web.WithGitHubSecret(hookSecret))
	s.MarkReady()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return a, srv
}

func githubPayload(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "ingest", "testdata", "github", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// deliver posts body as GitHub would, signed with secret unless signature
// is given ("-" sends none).
func deliver(t *testing.T, url, event, delivery string, body []byte, signature string) (int, map[string]any) {
	t.Helper()
	status, _, out := deliverFull(t, url, event, delivery, body, signature)
	return status, out
}

func deliverFull(t *testing.T, url, event, delivery string, body []byte, signature string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/hooks/github", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "GitHub-Hookshot/test")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", delivery)
	switch signature {
	case "":
		req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(ingest.SignGitHub([]byte(hookSecret), body)))
	case "-":
	default:
		req.Header.Set("X-Hub-Signature-256", signature)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("answer %d is not JSON: %s", res.StatusCode, raw)
	}
	return res.StatusCode, res.Header, out
}

func changesOfHello(t *testing.T, a *app.App) int {
	t.Helper()
	list, err := a.Changes(context.Background(), apptest.Admin(), app.ChangeFilter{Entity: "component:default/hello"})
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// TestGitHubHookSamples replays each of GitHub's sample payloads through
// POST /hooks/github: every one is accepted, and only the successful
// deployment status records a change, once however often it comes.
func TestGitHubHookSamples(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, srv := githubServer(t, db)
		samples := []struct {
			file, event string
			recorded    bool
		}{
			{"deployment_status.created.json", "deployment_status", true},
			{"deployment.created.json", "deployment", false},
			{"workflow_run.completed.json", "workflow_run", false},
			{"workflow_run.requested.json", "workflow_run", false},
			{"issues.opened.json", "issues", false},
			{"issues.closed.json", "issues", false}, // no follow-up was exported as that issue
			{"issues.reopened.json", "issues", false},
		}
		for _, sm := range samples {
			status, out := deliver(t, srv.URL, sm.event, "first-"+sm.file, githubPayload(t, sm.file), "")
			if status != http.StatusAccepted || out["recorded"] != sm.recorded {
				t.Errorf("%s: %d %v", sm.file, status, out)
			}
			status, out = deliver(t, srv.URL, sm.event, "first-"+sm.file, githubPayload(t, sm.file), "")
			if status != http.StatusAccepted || out["recorded"] != false {
				t.Errorf("%s replayed: %d %v", sm.file, status, out)
			}
		}
		if n := changesOfHello(t, a); n != 1 {
			t.Errorf("%d changes, want 1", n)
		}
		status, out := deliver(t, srv.URL, "ping", "ping-1", []byte(`{"zen":"Speak like a human.","hook_id":1}`), "")
		if status != http.StatusAccepted || !strings.Contains(out["reason"].(string), "pong") {
			t.Errorf("ping: %d %v", status, out)
		}
		deliver(t, srv.URL, "ping", "ping-2", []byte(`{}`), "sha256=00")
		// Every delivery is counted, as the alert hooks' are.
		_, secret, err := a.CreateToken(context.Background(), apptest.Admin(), app.NewToken{Name: "metrics", Roles: []org.Role{org.RoleAdmin}})
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		metrics, _ := io.ReadAll(res.Body)
		res.Body.Close()
		for _, want := range []string{`blameful_ingest_deliveries_total{outcome="accepted",source="github"} 15`,
			`blameful_ingest_deliveries_total{outcome="refused",source="github"} 1`} {
			if !strings.Contains(string(metrics), want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})
}

func TestGitHubHookRefuses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, srv := githubServer(t, db)
		body := githubPayload(t, "deployment_status.created.json")
		code := func(out map[string]any) string {
			e, _ := out["error"].(map[string]any)
			s, _ := e["code"].(string)
			m, _ := e["message"].(string)
			return s + ": " + m
		}
		wrong := "sha256=" + hex.EncodeToString(ingest.SignGitHub([]byte("another secret"), body))
		for name, sig := range map[string]string{"missing": "-", "another secret": wrong, "malformed": "sha256=xyz"} {
			if status, out := deliver(t, srv.URL, "deployment_status", "sig-"+name, body, sig); status != http.StatusUnauthorized {
				t.Errorf("signature %s: %d %v", name, status, out)
			}
		}
		big := append([]byte(`{"zen":"`), bytes.Repeat([]byte("a"), 1<<20)...)
		if status, out := deliver(t, srv.URL, "ping", "big", append(big, '"', '}'), ""); status != http.StatusRequestEntityTooLarge {
			t.Errorf("a body over 1 MiB: %d %v", status, out)
		}
		status, out := deliver(t, srv.URL, "deployment_status", "bad-json", []byte(`{"deployment_status": {`), "")
		if status != http.StatusBadRequest || !strings.Contains(code(out), "malformed JSON") {
			t.Errorf("bad JSON: %d %v", status, out)
		}
		status, out = deliver(t, srv.URL, "deployment_status", "no-status", []byte(`{"repository":{"full_name":"a/b"}}`), "")
		if status != http.StatusBadRequest || !strings.Contains(code(out), "deployment_status is missing") {
			t.Errorf("no status: %d %v", status, out)
		}
		if n := changesOfHello(t, a); n != 0 {
			t.Errorf("%d changes after refused deliveries, want 0", n)
		}

		// A server without a secret has no GitHub webhook.
		plain := web.New(a, slog.New(slog.DiscardHandler), "test")
		plain.MarkReady()
		srv2 := httptest.NewServer(plain)
		defer srv2.Close()
		status, out = deliver(t, srv2.URL, "deployment_status", "unconfigured", body, "")
		if status != http.StatusNotFound || !strings.Contains(code(out), "--github-secret") {
			t.Errorf("without a secret: %d %v", status, out)
		}
	})
}

// TestGitHubHookReplayedInParallel sends the same delivery three times at
// once: exactly one change.
func TestGitHubHookReplayedInParallel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, srv := githubServer(t, db)
		body := githubPayload(t, "deployment_status.created.json")
		var wg sync.WaitGroup
		var mu sync.Mutex
		recorded := 0
		for range 3 {
			wg.Go(func() {
				status, out := deliver(t, srv.URL, "deployment_status", "72d3162e-cc78-11e3-81ab-4c9367dc0958", body, "")
				mu.Lock()
				defer mu.Unlock()
				if status != http.StatusAccepted {
					t.Errorf("%d %v", status, out)
				}
				if out["recorded"] == true {
					recorded++
				}
			})
		}
		wg.Wait()
		if n := changesOfHello(t, a); n != 1 || recorded != 1 {
			t.Errorf("%d changes, %d answers say recorded; want 1 and 1", n, recorded)
		}
	})
}

// TestFollowUpExportAPI exports a follow-up through the API: 202 and
// pending, a second time 409, a bad repository 422, and GET tells where it
// stands.
func TestFollowUpExportAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		in := h.declare("Checkout slow", "SEV3", "component:checkout-api", time.Hour)
		res := h.do(call{method: "POST", path: "/api/v1/followups", body: map[string]any{"incident": in, "title": "Cap the pool", "owner": "group:payments"}})
		if res.status != http.StatusCreated {
			t.Fatalf("create follow-up: %d %s", res.status, res.body)
		}
		id := res.json(t)["id"].(string)
		path := "/api/v1/followups/" + id + "/export"
		if res := h.do(call{method: "GET", path: path}); res.status != 200 || res.json(t)["state"] != "none" || res.json(t)["may_export"] != true {
			t.Errorf("before: %d %s", res.status, res.body)
		}
		if res := h.do(call{method: "POST", path: path, body: map[string]any{"tracker": "github", "repo": "not a repo"}, invalid: true}); res.status != 422 {
			t.Errorf("a bad repository: %d %s", res.status, res.body)
		}
		res = h.do(call{method: "POST", path: path, body: map[string]any{"tracker": "github", "repo": "acme/checkout", "labels": []string{"postmortem"}}})
		if res.status != http.StatusAccepted || res.json(t)["state"] != "pending" || res.json(t)["delivery"] != "waiting" {
			t.Errorf("export: %d %s", res.status, res.body)
		}
		if res := h.do(call{method: "POST", path: path, body: map[string]any{"tracker": "github", "repo": "acme/checkout"}}); res.status != http.StatusConflict {
			t.Errorf("again: %d %s", res.status, res.body)
		}
		if res := h.do(call{method: "GET", path: path}); res.status != 200 || res.json(t)["repo"] != "acme/checkout" {
			t.Errorf("after: %d %s", res.status, res.body)
		}
		if res := h.do(call{method: "GET", path: "/api/v1/followups/FU-2026-9999/export"}); res.status != http.StatusNotFound {
			t.Errorf("an unknown follow-up: %d %s", res.status, res.body)
		}
	})
}

// TestGitHubHookUnavailable: while SQLite's write lock is held elsewhere,
// a delivery is answered 503 with Retry-After and nothing is kept, so
// GitHub's redelivery records it once the database is back.
func TestGitHubHookUnavailable(t *testing.T) {
	dsn := storetest.DSN(t, store.SQLite)
	db, err := store.Open(t.Context(), dsn, store.BusyTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	a, srv := githubServer(t, db)
	body := githubPayload(t, "deployment_status.created.json")
	release := holdWriteLock(t, dsn)
	status, header, out := deliverFull(t, srv.URL, "deployment_status", "during-the-lock", body, "")
	if status != http.StatusServiceUnavailable || header.Get("Retry-After") == "" {
		t.Errorf("while locked: %d, Retry-After %q, %v", status, header.Get("Retry-After"), out)
	}
	release()
	if status, out := deliver(t, srv.URL, "deployment_status", "during-the-lock", body, ""); status != http.StatusAccepted || out["recorded"] != true {
		t.Errorf("redelivered: %d %v", status, out)
	}
	if n := changesOfHello(t, a); n != 1 {
		t.Errorf("%d changes, want 1", n)
	}
}

// exports are follow-ups of the payments team for the no-oracle matrix:
// one never exported, one whose export waits for its issue, one done.
func (f *fixture) exports() map[string]string {
	ctx := context.Background()
	out := map[string]string{}
	for _, state := range []string{"open", "pending", "done"} {
		fu, err := f.h.app.CreateFollowUp(ctx, ada, app.FollowUpInput{Incident: f.incident(), Title: "Add an alert", Owner: "group:default/payments"})
		f.must(err)
		switch state {
		case "pending":
			_, err = f.h.app.ExportFollowUp(ctx, ada, fu.ID, app.ExportInput{Tracker: "github", Repo: "acme/shop"})
		case "done":
			done := followup.Done
			_, err = f.h.app.UpdateFollowUp(ctx, ada, fu.ID, app.FollowUpPatch{Status: &done})
		}
		f.must(err)
		out[state] = string(fu.ID)
	}
	return out
}

// TestChangeWithoutActorAPI: a change GitHub reported for a login no
// person has lists with a null actor, as the OpenAPI document says.
func TestChangeWithoutActorAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		b, err := os.ReadFile(filepath.Join("..", "app", "apptest", "org.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Replace(string(b), "entities:\n", "entities:\n  - {id: component:hello, owner: payments, code: [github.com/Codertocat/Hello-World]}\n", 1)
		batch, err := importer.ParseOrg("org.yaml", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.app.Import(context.Background(), apptest.Admin(), batch); err != nil {
			t.Fatal(err)
		}
		if out, err := h.app.ReceiveGitHub(context.Background(), "deployment_status", "d-1", githubPayload(t, "deployment_status.created.json")); err != nil || !out.Recorded {
			t.Fatalf("deployment: %+v %v", out, err)
		}
		res := h.do(call{method: "GET", path: "/api/v1/changes?entity=component:hello"})
		items, _ := res.json(t)["items"].([]any)
		if res.status != http.StatusOK || len(items) != 1 {
			t.Fatalf("changes: %d %s", res.status, res.body)
		}
		if c, _ := items[0].(map[string]any); c["actor"] != nil || c["source"] != "github" {
			t.Errorf("change %v: want a null actor and source github", c)
		}
	})
}
