package web

import (
	"context"
	"log/slog"
	"net/http"
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

// TestChartsOnPages: the dashboard draws the follow-up burn-down, and a
// team page its incidents per week with the teams right under it; each
// chart with its title, description and data table.
func TestChartsOnPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		s := New(a, slog.New(slog.DiscardHandler), "test")
		ctx, admin, ada := context.Background(), apptest.Admin(), apptest.Person("ada")
		in, err := a.DeclareIncident(ctx, admin, app.IncidentInput{Title: "Refunds paid twice", Severity: incident.SEV2,
			StartedAt: a.Now().Add(-time.Hour), Entities: []incident.FailedEntity{{Ref: org.MustRef("component:checkout-api"), Origin: true}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.DecideAttribution(ctx, admin, in.ID, org.MustRef("group:payments"), ""); err != nil {
			t.Fatal(err)
		}
		if _, err := a.CreateFollowUp(ctx, ada, app.FollowUpInput{Incident: in.ID, Title: "Make refunds idempotent", Owner: org.MustRef("group:payments")}); err != nil {
			t.Fatal(err)
		}
		chart := []string{`role="img"`, "<title", "<desc", `class="chart-table"`}
		for _, p := range []struct {
			name string
			h    pageHandler
			url  string
			path map[string]string
			want []string
		}{
			{"the dashboard", s.pageHome, "/", nil, append(chart, `id="burndown"`, "Open and overdue follow-ups",
				"and 1 at the end")},
			{"a team", s.pageTeam, "/teams/group:product", map[string]string{"ref": "group:product"}, append(chart, `id="team-trend"`,
				"Incidents per week by team", "<th scope=\"row\">payments</th>", "<th scope=\"row\">checkout</th>", "<th scope=\"row\">product</th>")},
		} {
			w := pageCall(t, s, p.h, ada, "GET", p.url, nil, p.path)
			if w.Code != http.StatusOK {
				t.Errorf("%s: %d\n%s", p.name, w.Code, w.Body)
				continue
			}
			for _, want := range p.want {
				if !strings.Contains(w.Body.String(), want) {
					t.Errorf("%s lacks %q", p.name, want)
				}
			}
		}
	})
}
