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

// TestChartsOnPages: the dashboard and the follow-ups board draw the
// follow-up burn-down, a team page its incidents per week with the teams
// right under it, and the weekly review those of the teams its week's
// decisions name; each chart with its title, description and data table.
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
			{"the dashboard", s.pageHome, "/", nil, append(chart, `id="trend"`, `href="/followups#burndown"`)},
			{"the board", s.pageFollowUps, "/followups", nil, append(chart, `id="burndown"`, "Every follow-up, at this moment of each of the last 12 weeks")},
			{"the review", s.pageReview, "/reviews/2026-W47", map[string]string{"week": "2026-W47"}, append(chart, `id="team-trends"`,
				"The teams decided accountable, week by week", "<th scope=\"row\">payments</th>", "<th scope=\"col\">2026-W40</th>")},
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

// TestBoardByLeader: a leader sees the follow-ups owned anywhere in the
// organisation they lead, and its burn-down; anyone may ask for any
// leader's with ?leader=, without script; asking for someone who leads no
// team, or for a team, is refused in place with the rest of the board.
func TestBoardByLeader(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		s := New(a, slog.New(slog.DiscardHandler), "test")
		ctx, ada := context.Background(), apptest.Person("ada")
		in, err := a.DeclareIncident(ctx, ada, app.IncidentInput{Title: "Late page", Severity: incident.SEV1,
			StartedAt: a.Now().Add(-3 * time.Hour), Entities: []incident.FailedEntity{{Ref: org.MustRef("component:checkout-api"), Origin: true}}})
		if err != nil {
			t.Fatal(err)
		}
		for owner, title := range map[string]string{"user:ada": "Page the right team", "group:checkout": "Retry the cart", "user:dee": "Resize the pool"} {
			if _, err := a.CreateFollowUp(ctx, ada, app.FollowUpInput{Incident: in.ID, Title: title, Owner: org.MustRef(owner)}); err != nil {
				t.Fatal(err)
			}
		}
		// section is the page's part about an organisation.
		section := func(body string) string {
			_, after, ok := strings.Cut(body, `id="organisation"`)
			if !ok {
				return ""
			}
			before, _, _ := strings.Cut(after, "Overdue, everywhere")
			return before
		}
		vp := apptest.Person("vp", org.RoleLeader)
		w := pageCall(t, s, s.pageFollowUps, vp, "GET", "/followups", nil, nil)
		org := section(w.Body.String())
		if w.Code != http.StatusOK || !strings.Contains(org, "In user:vp's organisation") || !strings.Contains(org, "Page the right team") ||
			!strings.Contains(org, "Retry the cart") || strings.Contains(org, "Resize the pool") {
			t.Errorf("the vp's board: %d, organisation part:\n%s", w.Code, org)
		}
		if !strings.Contains(w.Body.String(), "The follow-ups owned in user:vp's organisation, at this moment") {
			t.Error("the vp's burn-down does not say it is of their organisation")
		}

		w = pageCall(t, s, s.pageFollowUps, ada, "GET", "/followups?leader=plat-lead", nil, nil)
		org = section(w.Body.String())
		if w.Code != http.StatusOK || !strings.Contains(org, "Resize the pool") || strings.Contains(org, "Page the right team") ||
			!strings.Contains(w.Body.String(), `name="leader" value="plat-lead"`) {
			t.Errorf("plat-lead's organisation as ada: %d\n%s", w.Code, org)
		}
		w = pageCall(t, s, s.pageFollowUps, ada, "GET", "/followups", nil, nil)
		if section(w.Body.String()) != "" || !strings.Contains(w.Body.String(), "Every follow-up, at this moment") {
			t.Error("a member who leads nothing is shown an organisation unasked")
		}

		for url, want := range map[string]string{
			"/followups?leader=dee":            `id="leader-error">user:default/dee leads no team</p>`,
			"/followups?leader=group:payments": "group:default/payments is not a person",
			"/followups?leader=%3Cscript%3E":   "&lt;script&gt;",
		} {
			w := pageCall(t, s, s.pageFollowUps, ada, "GET", url, nil, nil)
			body := w.Body.String()
			if w.Code != http.StatusUnprocessableEntity || !strings.Contains(body, `role="alert" id="leader-error"`) ||
				!strings.Contains(body, want) || !strings.Contains(body, "Page the right team") || section(body) != "" {
				t.Errorf("%s: %d, want 422 naming %q in place:\n%s", url, w.Code, want, body)
			}
		}
	})
}
