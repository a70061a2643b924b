package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestOrgPages: the team tree, a team, a person, the catalog with its
// ownership gaps, and an entity's ownership history; full references work
// in page URLs without escaping the slash.
func TestOrgPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		s := New(a, slog.New(slog.DiscardHandler), "test")
		ada := apptest.Person("ada")
		mux := s.mux()
		pages := []struct {
			url  string
			h    pageHandler
			ref  string
			want []string
		}{
			{"/teams", s.pageTeams, "", []string{"Engineering", "led by", "Payments", `href="/teams/group:default/payments"`}},
			{"/teams/group:default/payments", s.pageTeam, "group:default/payments", []string{"pay-lead", "ada", "checkout-api", "member of"}},
			{"/teams/payments", s.pageTeam, "payments", []string{"Payments"}},
			{"/people/user:default/ada", s.pagePerson, "user:default/ada", []string{"Ada Lovelace", "payments"}},
			{"/entities", s.pageEntities, "", []string{"Nobody&#39;s job", "orphan", "several claim it", "checkout-api"}},
			{"/entities?owners=none", s.pageEntities, "", []string{`aria-current="page">Nobody&#39;s job`, "component:default/orphan", "nobody's job (A4)"}},
			{"/entities?owners=several", s.pageEntities, "", []string{"component:default/cart", "several claim it"}},
			{"/entities?q=CHECKOUT&kind=component", s.pageEntities, "", []string{"checkout-api", `value="CHECKOUT"`}},
			{"/entities/component:default/checkout-api", s.pageEntity, "component:default/checkout-api", []string{"payments", "since", "owned by"}},
			{"/entities/component:orphan", s.pageEntity, "component:orphan", []string{"nobody: an incident here is ambiguous ownership"}},
		}
		for _, p := range pages {
			r := httptest.NewRequest("GET", p.url, nil)
			if _, pattern := mux.Handler(r); pattern == "" || pattern == "/api/" {
				t.Errorf("%s is not routed to a page", p.url)
			}
			w := pageCall(t, s, p.h, ada, "GET", p.url, nil, map[string]string{"ref": p.ref})
			if w.Code != http.StatusOK {
				t.Errorf("%s: %d\n%s", p.url, w.Code, w.Body)
				continue
			}
			for _, want := range p.want {
				if !strings.Contains(w.Body.String(), want) {
					t.Errorf("%s lacks %q", p.url, want)
				}
			}
		}
		// The filters keep out what does not match.
		for url, absent := range map[string]string{
			"/entities?owners=none":                "component:default/checkout-api",
			"/entities?owners=several":             "component:default/orphan",
			"/entities?q=CHECKOUT&kind=component":  "component:default/orphan",
			"/entities?cursor=component:default/x": "component:default/checkout-api",
		} {
			w := pageCall(t, s, s.pageEntities, ada, "GET", url, nil, nil)
			if w.Code != http.StatusOK || strings.Contains(w.Body.String(), `href="/entities/`+absent+`"`) {
				t.Errorf("%s: %d, and lists %s: %v", url, w.Code, absent, strings.Contains(w.Body.String(), absent))
			}
		}
		for _, url := range []string{"/entities?owners=some", "/entities?kind=galaxy", "/entities?cursor=%20"} {
			if w := pageCall(t, s, s.pageEntities, ada, "GET", url, nil, nil); w.Code != http.StatusUnprocessableEntity && w.Code != http.StatusBadRequest {
				t.Errorf("%s: %d, want a refusal", url, w.Code)
			}
		}
		if w := pageCall(t, s, s.pagePerson, ada, "GET", "/people/user:nobody", nil, map[string]string{"ref": "user:nobody"}); w.Code != http.StatusNotFound {
			t.Errorf("an unknown person: %d, want 404", w.Code)
		}
	})
}
