package bench

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

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
	const password = "a bench password of some length"
	if _, _, err := a.CreateAccount(ctx, org.System("bench"), app.NewAccount{Email: "tomas@bench.example", Person: leader.Ref, Password: password}); err != nil {
		b.Fatal(err)
	}
	session, err := a.LogIn(ctx, "tomas@bench.example", password)
	if err != nil {
		b.Fatal(err)
	}
	srv := web.New(a, slog.New(slog.DiscardHandler), "bench")
	srv.MarkReady()
	recent, err := a.Incidents(ctx, leader, incident.Filter{Limit: 1})
	if err != nil || len(recent) == 0 {
		b.Fatalf("no incident: %v", err)
	}
	id := recent[0].ID
	last := review.WeekOf(a.Now()).Add(-1)
	pages := []struct {
		name, path string
		floor      func() error
	}{
		{"dashboard", "/", func() error {
			if _, err := a.WeeklyReview(ctx, leader, review.WeekOf(a.Now())); err != nil {
				return err
			}
			_, err := a.Work(ctx, leader)
			return err
		}},
		{"review", "/reviews/" + last.String(), func() error { _, err := a.WeeklyReview(ctx, leader, last); return err }},
		{"incidents", "/incidents", func() error { _, err := a.Incidents(ctx, leader, incident.Filter{Limit: 50}); return err }},
		{"incident", "/incidents/" + string(id), func() error {
			if _, err := a.Incident(ctx, leader, id); err != nil {
				return err
			}
			_, err := a.Timeline(ctx, leader, id, true)
			return err
		}},
		{"postmortem", "/incidents/" + string(id) + "/postmortem", func() error {
			if _, err := a.Postmortem(ctx, leader, id); err != nil {
				return err
			}
			_, err := a.Attribution(ctx, leader, id)
			return err
		}},
		{"teams", "/teams", func() error { _, err := a.Teams(ctx, leader, a.Now()); return err }},
		{"ledger", "/leaders/user:default/tomas.rivera", func() error { _, err := a.Ledger(ctx, leader, leader.Ref); return err }},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest("GET", p.path, nil)
				req.AddCookie(&http.Cookie{Name: "blameful_session", Value: session.Token})
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", p.path, rec.Code, rec.Body.String()[:min(300, rec.Body.Len())])
				}
			}
		})
		b.Run(p.name+"/floor", func(b *testing.B) {
			for b.Loop() {
				if err := p.floor(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
