package web_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
	"blameful.dev/blameful/internal/web"
)

// pdSecret signs the PagerDuty deliveries of these tests.
const pdSecret = "test-pagerduty-secret"

// hookHarness is a server with PagerDuty set up and an ingest token.
type hookHarness struct {
	*harness
	ingest string
}

func newHookHarness(t *testing.T, db *store.DB) *hookHarness {
	t.Helper()
	a, clock := apptest.New(t, db)
	s := web.New(a, slog.New(slog.DiscardHandler), "test", web.WithPagerDutySecrets([]string{"old-secret", pdSecret}))
	s.MarkReady()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	ctx := context.Background()
	_, admin, err := a.CreateToken(ctx, apptest.Admin(), app.NewToken{Name: "tour", Roles: []org.Role{org.RoleAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	_, ingest, err := a.CreateToken(ctx, apptest.Admin(), app.NewToken{Name: "alertmanager", Roles: []org.Role{org.RoleIngest}})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, app: a, clock: clock, db: db, srv: srv, token: admin, router: openAPIRouter(t, srv.URL)}
	return &hookHarness{harness: h, ingest: ingest}
}

// sampleBody reads a payload from internal/ingest/testdata: the real samples, and ours (*.ours.json).
func sampleBody(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "ingest", "testdata", name))
	if err != nil {
		t.Fatalf("sample %s: %v", name, err)
	}
	return b
}

// deliver posts a body to a hook as the sender would.
func (h *hookHarness) deliver(path string, body []byte, header map[string]string) response {
	h.t.Helper()
	req, err := http.NewRequest("POST", h.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if !strings.HasSuffix(path, "/pagerduty") {
		req.Header.Set("Authorization", "Bearer "+h.ingest)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// deliverThrice posts the same delivery three times at once, as a sender
// retrying over a slow link would: every copy is accepted.
func (h *hookHarness) deliverThrice(path string, body []byte, header map[string]string) {
	h.t.Helper()
	var wg sync.WaitGroup
	out := make([]response, 3)
	for i := range out {
		wg.Go(func() { out[i] = h.deliver(path, body, header) })
	}
	wg.Wait()
	for _, r := range out {
		if r.status != http.StatusAccepted {
			h.t.Fatalf("%s: status %d, want 202: %s", path, r.status, r.body)
		}
	}
}

func pdSign(body []byte) map[string]string {
	mac := hmac.New(sha256.New, []byte(pdSecret))
	mac.Write(body)
	return map[string]string{"X-PagerDuty-Signature": "v1=" + hex.EncodeToString(mac.Sum(nil))}
}

// incidentsFrom lists the incidents of a source through the API.
func (h *hookHarness) incidentsFrom(source string) []map[string]any {
	h.t.Helper()
	v := h.do(call{method: "GET", path: "/api/v1/incidents?source=" + source}).want(h.t, http.StatusOK).json(h.t)
	items, _ := v["items"].([]any)
	out := make([]map[string]any, len(items))
	for i, it := range items {
		out[i], _ = it.(map[string]any)
	}
	return out
}

// alertEntries counts an incident's timeline entries of kind alert.
func (h *hookHarness) alertEntries(id string) int {
	h.t.Helper()
	tl, err := h.app.Timeline(context.Background(), apptest.Admin(), incident.ID(id), false)
	if err != nil {
		h.t.Fatal(err)
	}
	n := 0
	for _, e := range tl.Entries {
		if e.Kind == incident.EntryAlert {
			n++
		}
	}
	return n
}

// TestAlertHooksReplaySamples replays each source's real sample payloads
// through its hook, each delivery three times in parallel: one incident
// per group, one timeline entry per alert event, and the incident
// mitigated when its whole group resolved.
func TestAlertHooksReplaySamples(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHookHarness(t, db)
		cases := []struct {
			source, path string
			files        []string
			header       func([]byte) map[string]string
			incidents    int
			entries      int
			status       string
		}{
			// The real Alertmanager v0.34.2: two firing, one resolved of
			// the two, then the other (the group resolved).
			{"alertmanager", "/hooks/alertmanager", []string{"alertmanager/am-v0.34.2-1-firing.json",
				"alertmanager/am-v0.34.2-2-partly-resolved.json", "alertmanager/am-v0.34.2-3-all-resolved.json"}, nil, 1, 4, "mitigated"},
			{"grafana", "/hooks/grafana", []string{"grafana/webhook-firing.json", "grafana/webhook-resolved.json"}, nil, 1, 2, "mitigated"},
			{"opsgenie", "/hooks/opsgenie", []string{"opsgenie/create.json", "opsgenie/close.ours.json"}, nil, 1, 2, "mitigated"},
			// Three events of three different PagerDuty incidents.
			{"pagerduty", "/hooks/pagerduty", []string{"pagerduty/v3-incident.triggered.json", "pagerduty/v3-incident.acknowledged.json",
				"pagerduty/v3-incident.resolved.json", "pagerduty/v3-incident.priority_updated.signed-body.json"}, pdSign, 4, 4, ""},
			{"generic", "/hooks/generic", []string{"generic-firing.ours.json"}, nil, 1, 1, "open"},
		}
		for _, c := range cases {
			for _, f := range c.files {
				body := sampleBody(t, f)
				var hdr map[string]string
				if c.header != nil {
					hdr = c.header(body)
				}
				h.deliverThrice(c.path, body, hdr)
			}
			got := h.incidentsFrom(c.source)
			if len(got) != c.incidents {
				t.Fatalf("%s: %d incidents, want %d", c.source, len(got), c.incidents)
			}
			entries := 0
			for _, inc := range got {
				entries += h.alertEntries(inc["id"].(string))
				if c.status != "" && inc["status"] != c.status {
					t.Errorf("%s: %s is %v, want %s", c.source, inc["id"], inc["status"], c.status)
				}
			}
			if entries != c.entries {
				t.Errorf("%s: %d alert entries, want %d", c.source, entries, c.entries)
			}
		}
		// The Alertmanager sample names service=checkout, which the test
		// catalog does not have: an ownership gap, for A4's leader.
		am := h.incidentsFrom("alertmanager")[0]
		if am["severity"] != "SEV1" || am["summary"] != "" {
			t.Errorf("alertmanager incident: %v", am)
		}
		tl, err := h.app.Timeline(context.Background(), apptest.Admin(), incident.ID(am["id"].(string)), false)
		if err != nil || len(tl.Entries) == 0 || tl.Entries[0].Kind != incident.EntryObservation ||
			!strings.Contains(tl.Entries[0].Text, "name no catalog entity (service=checkout): an ownership gap. The alerts say team payments.") {
			t.Errorf("the first entry says what the labels named: %+v %v", tl.Entries, err)
		}
		// Its alerts, through the API, with the group's key.
		alerts := h.do(call{method: "GET", path: "/api/v1/incidents/" + am["id"].(string) + "/alerts"}).want(t, http.StatusOK).json(t)
		keys, _ := alerts["external_keys"].([]any)
		if alerts["resolved"] != float64(2) || alerts["firing"] != float64(0) || alerts["events"] != float64(4) || len(keys) != 1 ||
			!strings.HasPrefix(keys[0].(map[string]any)["key"].(string), "{}:{alertname=") {
			t.Errorf("alerts of %s: %v", am["id"], alerts)
		}
		one := h.do(call{method: "GET", path: "/api/v1/incidents/" + am["id"].(string)}).want(t, http.StatusOK).json(t)
		if ek, _ := one["external_keys"].([]any); len(ek) != 1 {
			t.Errorf("external keys of %s: %v", am["id"], one["external_keys"])
		}
		// The resolved PagerDuty incident opened mitigated.
		for _, inc := range h.incidentsFrom("pagerduty") {
			if strings.Contains(inc["title"].(string), "Test Incident 1") && inc["status"] != "mitigated" {
				t.Errorf("resolved PagerDuty incident is %v", inc["status"])
			}
		}
		if v, err := h.app.VerifyAudit(context.Background(), apptest.Admin()); err != nil || !v.OK {
			t.Fatalf("audit chain after ingest: %+v %v", v, err)
		}
	})
}

// TestAlertHookEntityAndLateDeclaration: labels naming a catalog entity
// make it the failed entity; a severe alert that started long before it
// arrived raises I1.
func TestAlertHookEntityAndLateDeclaration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHookHarness(t, db)
		start := apptest.Start.Add(-2 * time.Hour).Format(time.RFC3339)
		body := fmt.Sprintf(`{"group": "api-errors", "title": "API errors", "labels": {"service": "checkout-api", "severity": "critical"},
			"alerts": [{"fingerprint": "f1", "starts_at": %q, "summary": "5xx above 5%%"}]}`, start)
		r := h.deliver("/hooks/generic", []byte(body), nil)
		r.want(t, http.StatusAccepted)
		id := r.json(t)["incident"].(string)
		inc := h.do(call{method: "GET", path: "/api/v1/incidents/" + id}).want(t, http.StatusOK).json(t)
		ents, _ := inc["entities"].([]any)
		if len(ents) != 1 || ents[0].(map[string]any)["ref"] != "component:default/checkout-api" {
			t.Errorf("entities %v", inc["entities"])
		}
		flags := h.do(call{method: "GET", path: "/api/v1/integrity-flags?incident=" + id}).want(t, http.StatusOK)
		if !strings.Contains(string(flags.body), `"I1"`) {
			t.Errorf("no I1 flag for an alert two hours before the declaration: %s", flags.body)
		}
	})
}

// TestAlertHookRefusals: each refusal changes nothing.
func TestAlertHookRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHookHarness(t, db)
		before := h.auditHead()
		am := sampleBody(t, "alertmanager/am-v0.31.1-1-firing.json")
		for _, c := range []struct {
			name, path string
			body       []byte
			header     map[string]string
			status     int
		}{
			{"bad json", "/hooks/alertmanager", []byte(`{"version": "4", "alerts": [`), nil, 400},
			{"no alerts", "/hooks/alertmanager", []byte(`{"version":"4","groupKey":"g","status":"firing","alerts":[]}`), nil, 400},
			{"empty", "/hooks/grafana", nil, nil, 400},
			{"too large", "/hooks/alertmanager", bytes.Repeat([]byte(" "), 9<<20), nil, 413},
			{"no token", "/hooks/alertmanager", am, map[string]string{"Authorization": ""}, 401},
			{"bad token", "/hooks/opsgenie", am, map[string]string{"Authorization": "Bearer bf_nope"}, 401},
			{"bad signature", "/hooks/pagerduty", sampleBody(t, "pagerduty/v3-incident.triggered.json"),
				map[string]string{"X-PagerDuty-Signature": "v1=00"}, 401},
			{"no signature", "/hooks/pagerduty", sampleBody(t, "pagerduty/v3-incident.triggered.json"), nil, 401},
		} {
			r := h.deliver(c.path, c.body, c.header)
			if r.status != c.status {
				t.Errorf("%s: status %d, want %d: %s", c.name, r.status, c.status, r.body)
			}
		}
		if after := h.auditHead(); after != before {
			t.Errorf("refused deliveries wrote: audit head %d -> %d", before, after)
		}
		// An ingest token can deliver and nothing else.
		tok := h.ingest
		r := h.do(call{method: "GET", path: "/api/v1/incidents", token: &tok})
		if r.status != http.StatusForbidden {
			t.Errorf("ingest token reading incidents: %d, want 403", r.status)
		}
		if r := h.do(call{method: "GET", path: "/metrics", token: &tok}); r.status != http.StatusForbidden {
			t.Errorf("ingest token scraping: %d, want 403", r.status)
		}
	})
}

// TestAlertHookDatabaseLocked: while the database cannot take writes the
// hook answers 503 with Retry-After, never a 4xx that a sender would
// drop; the same delivery, retried once the database is back, arrives.
func TestAlertHookDatabaseLocked(t *testing.T) {
	dsn := storetest.DSN(t, store.SQLite)
	db, err := store.Open(t.Context(), dsn, store.BusyTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	h := newHookHarness(t, db)
	body := sampleBody(t, "alertmanager/am-v0.34.2-1-firing.json")
	release := holdWriteLock(t, dsn)
	r := h.deliver("/hooks/alertmanager", body, nil)
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
		t.Fatalf("during the lock: %d Retry-After %q: %s", r.status, r.header.Get("Retry-After"), r.body)
	}
	release()
	h.deliver("/hooks/alertmanager", body, nil).want(t, http.StatusAccepted)
	if got := h.incidentsFrom("alertmanager"); len(got) != 1 || h.alertEntries(got[0]["id"].(string)) != 2 {
		t.Fatalf("after the lock: %v", got)
	}
}

// auditHead is the audit chain's length.
func (h *hookHarness) auditHead() int64 {
	h.t.Helper()
	var seq int64
	err := h.db.View(context.Background(), func(tx *store.Tx) error {
		head, err := tx.AuditHead()
		seq = head.Seq
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return seq
}

// TestAlertPages: the incident an alert group opened shows its source,
// its group and its alerts with their labels and states; an admin's
// integrations page shows each source's hook and its deliveries, and a
// member is refused it.
func TestAlertPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHookHarness(t, db)
		h.deliver("/hooks/alertmanager", sampleBody(t, "alertmanager/am-v0.34.2-1-firing.json"), nil).want(t, http.StatusAccepted)
		r := h.deliver("/hooks/alertmanager", sampleBody(t, "alertmanager/am-v0.34.2-2-partly-resolved.json"), nil).want(t, http.StatusAccepted)
		id := r.json(t)["incident"].(string)
		h.deliver("/hooks/alertmanager", []byte(`{"version": "4"}`), nil).want(t, http.StatusBadRequest)
		// /metrics counts the deliveries by source and outcome.
		m := string(h.do(call{method: "GET", path: "/metrics"}).want(t, http.StatusOK).body)
		for _, want := range []string{`blameful_ingest_deliveries_total{outcome="accepted",source="alertmanager"} 2`,
			`blameful_ingest_deliveries_total{outcome="invalid",source="alertmanager"} 1`,
			`blameful_ingest_alerts_total{outcome="recorded",source="alertmanager"} 3`,
			`blameful_ingest_alerts_total{outcome="repeated",source="alertmanager"} 1`} {
			if !strings.Contains(m, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		addAccount(t, h.app, "dee@example.com", "user:dee", password, org.RoleAdmin)
		addAccount(t, h.app, "ada@example.com", "user:ada", password)

		ada := newBrowser(t, h.srv)
		ada.logIn("ada@example.com", password)
		page := ada.get("/incidents/"+id).want(t, http.StatusOK, "")
		for _, want := range []string{"source alertmanager", `id="alerts-h">Alerts`, "1 firing, 1 resolved", "CheckoutHighErrorRate",
			"instance=checkout-7d9f:8080", `{}:{alertname=&#34;CheckoutHighErrorRate&#34;, service=&#34;checkout&#34;}`, "FIRING CheckoutHighErrorRate"} {
			if !strings.Contains(page.body, want) {
				t.Errorf("the incident page lacks %q", want)
			}
		}
		if p := ada.get("/integrations"); p.status != http.StatusForbidden {
			t.Errorf("a member's integrations page: %d", p.status)
		}
		dee := newBrowser(t, h.srv)
		dee.logIn("dee@example.com", password)
		page = dee.get("/integrations").want(t, http.StatusOK, "")
		for _, want := range []string{`href="/integrations" aria-current="page"`, "/hooks/alertmanager", "2 accepted (3 new alert events), <strong>1 refused</strong>",
			"Bad Request: status is &#34;&#34;", "X-PagerDuty-Signature"} {
			if !strings.Contains(page.body, want) {
				t.Errorf("the integrations page lacks %q:\n%s", want, page.body)
			}
		}
	})
}
