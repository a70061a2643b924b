package bench

import (
	"context"
	"flag"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/demo"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/review"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
	"blameful.dev/blameful/internal/web"
)

// BenchmarkPages renders each main page on the demo data, signed in as a
// leader (Tomás Rivera, who sees the most), through the whole server: the
// session cookie, the app's reads, the template. The bar (issue 7): under
// 50 ms a page on the demo. The floor of each page is the app reads it
// makes, alone: what is left is rendering and HTTP.
func BenchmarkPages(b *testing.B) {
	for _, engine := range storetest.Engines(b) {
		b.Run(string(engine), func(b *testing.B) { benchPages(b, storetest.Open(b, engine)) })
	}
}

func benchPages(b *testing.B, db *store.DB) {
	ctx := context.Background()
	a := app.New(db)
	if _, err := demo.Load(ctx, a, nil); err != nil {
		b.Fatal(err)
	}
	leader := org.Actor{Ref: org.MustRef("user:tomas.rivera"), Roles: []org.Role{org.RoleMember, org.RoleLeader}}
	runPages(b, a, leader, review.WeekOf(a.Now()).Add(-1))
}

// BenchmarkPagesLarge renders the same pages over a large data set: the
// shared one -size names (PRODUCT.md §9's with "large"), else one
// generated for the run (-review.incidents, 100k by default, on the
// -org.* organisation). It signs in as the leader of the root team, who
// sees the most: every leader's page covers their whole subtree. The bar
// (issue 7): under 200 ms a page.
func BenchmarkPagesLarge(b *testing.B) {
	w := worldFor(flagOrg())
	spec := historySpec{Incidents: *reviewIncidents, FollowUps: *reviewFollowUps, Timeline: *reviewTimeline, Weeks: *reviewWeeks, Seed: 9}
	for _, engine := range storetest.Engines(b) {
		b.Run(string(engine), func(b *testing.B) {
			ctx := context.Background()
			var db *store.DB
			if *benchSize != "" {
				// The shared set -size names: the leader's account and
				// session are all this writes to it.
				db, _ = openSet(b, largeSet(b, engine))
			} else {
				var raw *rawDB
				_, db, raw = freshDB(b, engine)
				if err := writeOrg(ctx, raw, w); err != nil {
					b.Fatal(err)
				}
				c, err := writeHistory(ctx, raw, w, spec, nil)
				if err != nil {
					b.Fatal(err)
				}
				if engine == store.Postgres {
					// As autovacuum would soon after the load, and as the
					// large sets are: without the visibility map,
					// PostgreSQL reads the table's rows where a covering
					// index would do.
					if _, err := raw.ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
						b.Fatal(err)
					}
				}
				b.Logf("generated %+v with %d people, %d teams, %d entities", c, len(w.people), len(w.teams), len(w.ents))
			}
			root := org.Actor{Ref: personRef(*pagesLeader), Roles: []org.Role{org.RoleMember, org.RoleLeader}}
			// The board as asked for other leaders' organisations: one of
			// the root's six reports (about a sixth of everyone), and the
			// leader of a team with no team under it.
			boards := []benchPage{
				{name: "followups/vp", path: "/followups?leader=" + url.QueryEscape(string(personRef(1)))},
				{name: "followups/team-lead", path: "/followups?leader=" + url.QueryEscape(string(personRef(len(w.teams)-1)))},
			}
			runPages(b, app.New(db, fixedClock()), root, reviewWeek, boards...)
		})
	}
}

// benchPage is a page to render, and its floor: the app's reads behind
// it, or nil.
type benchPage struct {
	name, path string
	floor      func() error
}

// pagesLeader is the person BenchmarkPagesLarge signs in as: person i
// leads team i, whose parent is team (i-1)/6, so 0 is the root leader, who
// sees the most, and 1999 (of the default 2,000 teams) leads a team with
// no team under it.
var pagesLeader = flag.Int("pages.leader", 0, "the person BenchmarkPagesLarge signs in as (0: the root leader)")

// runPages benchmarks each main page as leader, and then the extra ones,
// through the whole server with a session cookie, beside its floor: the
// app reads the page makes, alone, so that what is left is rendering and
// HTTP.
func runPages(b *testing.B, a *app.App, leader org.Actor, week review.Week, extra ...benchPage) {
	ctx := context.Background()
	// As serve does, read the server's copy of the org first.
	if err := a.LoadOrg(ctx); err != nil {
		b.Fatal(err)
	}
	const password = "a bench password of some length"
	// A shared set keeps the account of an earlier run.
	email := strings.ReplaceAll(leader.Ref.Name(), "/", ".") + "@bench.example"
	session, err := a.LogIn(ctx, email, password)
	if err != nil {
		if _, _, err := a.CreateAccount(ctx, org.System("bench"), app.NewAccount{Email: email, Person: leader.Ref, Password: password}); err != nil {
			b.Fatal(err)
		}
		if session, err = a.LogIn(ctx, email, password); err != nil {
			b.Fatal(err)
		}
	}
	srv := web.New(a, slog.New(slog.DiscardHandler), "bench")
	srv.MarkReady()
	recent, err := a.Incidents(ctx, leader, incident.Filter{Limit: 1})
	if err != nil || len(recent) == 0 {
		b.Fatalf("no incident: %v", err)
	}
	id := recent[0].ID
	teams, err := a.Teams(ctx, leader, a.Now())
	if err != nil || len(teams) == 0 {
		b.Fatalf("no team: %v", err)
	}
	team := teams[0].Ref
	pages := []benchPage{
		{"dashboard", "/", func() error {
			if _, err := a.WeeklyReview(ctx, leader, review.WeekOf(a.Now())); err != nil {
				return err
			}
			_, err := a.Work(ctx, leader)
			return err
		}},
		{"review", "/reviews/" + week.String(), func() error { _, err := a.WeeklyReview(ctx, leader, week); return err }},
		{"incidents", "/incidents", func() error { _, err := a.Incidents(ctx, leader, incident.Filter{Limit: 50}); return err }},
		{"incident", "/incidents/" + string(id), func() error { return incidentReads(ctx, a, leader, id) }},
		{"postmortem", "/incidents/" + string(id) + "/postmortem", func() error {
			if _, err := a.Postmortem(ctx, leader, id); err != nil {
				return err
			}
			_, err := a.Attribution(ctx, leader, id)
			return err
		}},
		{"followups", "/followups", nil},
		{"teams", "/teams", func() error { _, err := a.Teams(ctx, leader, a.Now()); return err }},
		{"team", "/teams/" + string(team), nil},
		{"entities", "/entities", nil},
		{"ledger", "/leaders/" + string(leader.Ref), func() error { _, err := a.Ledger(ctx, leader, leader.Ref); return err }},
		{"fairness", "/fairness", nil},
		{"integrity", "/integrity", nil},
		{"audit", "/audit", nil},
	}
	pages = append(pages, extra...)
	// One round first, so that no page pays for a cold cache (the
	// generator's writes leave SQLite's and PostgreSQL's caches cold).
	for _, p := range pages {
		req := httptest.NewRequest("GET", p.path, nil)
		req.AddCookie(&http.Cookie{Name: "blameful_session", Value: session.Token})
		srv.ServeHTTP(httptest.NewRecorder(), req)
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			size := 0
			for b.Loop() {
				req := httptest.NewRequest("GET", p.path, nil)
				req.AddCookie(&http.Cookie{Name: "blameful_session", Value: session.Token})
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", p.path, rec.Code, rec.Body.String()[:min(300, rec.Body.Len())])
				}
				size = rec.Body.Len()
			}
			b.ReportMetric(float64(size)/1024, "page-KB")
		})
		if p.floor == nil {
			continue
		}
		b.Run(p.name+"/floor", func(b *testing.B) {
			for b.Loop() {
				if err := p.floor(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// incidentReads are the app's reads the incident page makes, each once:
// the incident, its timeline, its linked changes and postmortem, the
// changes to each of its entities in the week before it started, its
// alerts, and its recurrence candidates and links.
func incidentReads(ctx context.Context, a *app.App, actor org.Actor, id incident.ID) error {
	inc, err := a.Incident(ctx, actor, id)
	if err != nil {
		return err
	}
	if _, err := a.Timeline(ctx, actor, id, true); err != nil {
		return err
	}
	if _, err := a.IncidentChangeViews(ctx, actor, id); err != nil {
		return err
	}
	if _, err := a.Postmortem(ctx, actor, id); err != nil {
		return err
	}
	for _, e := range inc.Entities {
		f := app.ChangeFilter{Entity: e.Ref, Since: inc.StartedAt.Add(-7 * 24 * time.Hour), Limit: 50}
		if _, err := a.ChangeViews(ctx, actor, f); err != nil {
			return err
		}
	}
	if _, err := a.IncidentAlertView(ctx, actor, id); err != nil {
		return err
	}
	if _, err := a.RecurrenceCandidates(ctx, actor, id); err != nil {
		return err
	}
	_, err = a.Recurrences(ctx, actor, id)
	return err
}
