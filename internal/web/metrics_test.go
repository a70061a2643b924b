package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
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

// TestMetrics: /metrics needs a token like the API; it counts requests by
// route pattern and status, reports the jobs' runs, and counts open
// incidents by severity, overdue follow-ups and the outbox when scraped.
func TestMetrics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, clock := apptest.New(t, db)
		s := web.New(a, slog.New(slog.DiscardHandler), "test")
		s.MarkReady()
		srv := httptest.NewServer(s)
		defer srv.Close()
		_, token, err := a.CreateToken(ctx, apptest.Admin(), app.NewToken{Name: "prometheus", User: org.MustRef("user:dee")})
		if err != nil {
			t.Fatal(err)
		}
		scrape := func(token string) (int, string) {
			t.Helper()
			req, _ := http.NewRequest("GET", srv.URL+"/metrics", nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		if code, _ := scrape(""); code != http.StatusUnauthorized {
			t.Fatalf("a scrape without a token: %d", code)
		}
		in, err := a.DeclareIncident(ctx, apptest.Admin(), app.IncidentInput{Title: "Checkout slow", Severity: incident.SEV3,
			StartedAt: clock.Now().Add(-time.Hour), Entities: []incident.FailedEntity{{Ref: org.MustRef("component:checkout-api"), Origin: true}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.CreateFollowUp(ctx, apptest.Admin(), app.FollowUpInput{Incident: in.ID, Title: "Cache the tax table",
			Owner: org.MustRef("user:ada"), Due: clock.Now()}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(3 * 24 * time.Hour)
		if res, err := http.Get(srv.URL + "/healthz"); err == nil {
			res.Body.Close()
		}
		rep, err := a.RunJobs(ctx, app.Jobs{NoDigest: true})
		s.ObserveJobs(rep, err)
		code, body := scrape(token)
		if code != http.StatusOK {
			t.Fatalf("scrape: %d\n%s", code, body)
		}
		for _, want := range []string{
			`blameful_http_requests_total{code="200",method="GET",route="GET /healthz"} 1`,
			`blameful_http_requests_total{code="401",method="GET",route="GET /metrics"} 1`,
			`blameful_incidents_open{severity="SEV3"} 1`,
			`blameful_incidents_open{severity="SEV1"} 0`,
			`blameful_followups_overdue 1`,
			`blameful_outbox_deliveries{state="undispatched"} 1`,
			`blameful_jobs_runs_total{outcome="ok"} 1`,
			`blameful_followup_notices_total{kind="escalation"} 1`,
			`blameful_gauges_up 1`,
			`blameful_http_request_duration_seconds_bucket{method="GET",route="GET /healthz",le="+Inf"} 1`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the scrape lacks %s", want)
			}
		}
	})
}
