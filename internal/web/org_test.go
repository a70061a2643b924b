package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

const orgV1 = `version: 1
people:
  - {id: zed, name: Zed}
  - {id: yan, name: Yan}
teams:
  - {id: storage, name: Storage, parent: platform, leader: zed}
  - {id: queues, name: Queues, parent: platform, leader: yan}
entities:
  - {id: resource:blob-store, owner: storage}
`

func TestImportKeepsHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		yaml := func(body string) call {
			return call{method: "POST", path: "/api/v1/import/org", body: body, contentType: "application/yaml"}
		}
		first := h.do(yaml(orgV1)).want(t, http.StatusOK).json(t)
		if first["opened"].(float64) == 0 || first["people"].(map[string]any)["created"].(float64) != 2 {
			t.Fatalf("first import: %v", first)
		}
		again := h.do(yaml(orgV1)).want(t, http.StatusOK).json(t)
		if again["opened"].(float64)+again["closed"].(float64)+again["corrected"].(float64) != 0 ||
			again["people"].(map[string]any)["unchanged"].(float64) != 2 {
			t.Fatalf("re-import must change nothing: %v", again)
		}

		handover := h.clock.Now().Add(24 * time.Hour)
		h.clock.Set(handover)
		moved := h.do(yaml(strings.Replace(orgV1, "owner: storage", "owner: queues", 1))).want(t, http.StatusOK).json(t)
		if moved["opened"].(float64) != 1 || moved["closed"].(float64) != 1 {
			t.Fatalf("changed owner: %v", moved)
		}
		before := h.clock.Now().Add(-time.Hour).Format(time.RFC3339)
		old := h.do(call{method: "GET", path: "/api/v1/entities/resource:blob-store?at=" + before}).want(t, http.StatusOK).json(t)
		owners := old["owners"].([]any)
		if len(owners) != 1 || owners[0].(map[string]any)["owner"] != "group:default/storage" || owners[0].(map[string]any)["since"] != nil {
			t.Fatalf("owner before the handover: %v (the first import's owner holds from the beginning)", owners)
		}
		now := h.do(call{method: "GET", path: "/api/v1/entities/resource:blob-store"}).want(t, http.StatusOK).json(t)
		owners = now["owners"].([]any)
		if len(owners) != 1 || owners[0].(map[string]any)["owner"] != "group:default/queues" || owners[0].(map[string]any)["since"] != handover.Format(time.RFC3339) {
			t.Fatalf("owner after the handover: %v", owners)
		}
		if hist := now["history"].([]any); len(hist) != 2 {
			t.Fatalf("ownership history: %v", hist)
		}
		// The new owner is recently inherited for incidents since.
		h.clock.Advance(7 * 24 * time.Hour)
		id := h.declare("Blob store slow", "SEV3", "resource:blob-store", time.Hour)
		if party, _, s := h.suggestion(id); party != "group:default/queues" || s["factors"].(map[string]any)["recently_inherited"] != true {
			t.Fatalf("after the handover: %s %v", party, s["factors"])
		}

		team := h.do(call{method: "GET", path: "/api/v1/teams/group:storage"}).want(t, http.StatusOK).json(t)
		if team["leader"] != "user:default/zed" || team["parent"] != "group:default/platform" {
			t.Fatalf("team: %v", team)
		}
		teams := h.do(call{method: "GET", path: "/api/v1/teams"}).want(t, http.StatusOK).json(t)["items"].([]any)
		if len(teams) != 8 {
			t.Fatalf("%d teams", len(teams))
		}
		person := h.do(call{method: "GET", path: "/api/v1/people/user:zed"}).want(t, http.StatusOK).json(t)
		if len(person["leads"].([]any)) != 1 {
			t.Fatalf("person: %v", person)
		}
		h.do(call{method: "GET", path: "/api/v1/people"}).want(t, http.StatusOK)
		h.do(call{method: "GET", path: "/api/v1/entities?kind=provider"}).want(t, http.StatusOK)
		h.do(call{method: "GET", path: "/api/v1/people/user:nobody", invalid: true}).want(t, http.StatusNotFound)

		bad := h.do(call{method: "POST", path: "/api/v1/import/org", body: "version: 1\nteams:\n  - {id: x, leeder: zed}\n", contentType: "application/yaml", invalid: true})
		if bad.status != http.StatusUnprocessableEntity && bad.status != http.StatusBadRequest || !strings.Contains(string(bad.body), "leeder") {
			t.Fatalf("bad org file: %d %s", bad.status, bad.body)
		}
	})
}

func TestImportBackstageSamples(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		var body strings.Builder
		err := filepath.Walk("../importer/testdata/backstage", func(path string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() || !strings.HasSuffix(path, ".yaml") {
				return err
			}
			b, err := os.ReadFile(path)
			body.WriteString("---\n")
			body.Write(b)
			body.WriteString("\n")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		res := h.do(call{method: "POST", path: "/api/v1/import/backstage", body: body.String(), contentType: "application/yaml"}).want(t, http.StatusOK).json(t)
		if res["teams"].(map[string]any)["created"].(float64) != 8 || res["people"].(map[string]any)["created"].(float64) != 17 {
			t.Fatalf("backstage import: %v", res)
		}
		warnings, _ := res["warnings"].([]any)
		joined := ""
		for _, w := range warnings {
			joined += w.(string) + "\n"
		}
		if !strings.Contains(joined, "domain:default/playback") {
			t.Errorf("the dangling domain reference is not reported: %s", joined)
		}
		again := h.do(call{method: "POST", path: "/api/v1/import/backstage", body: body.String(), contentType: "application/yaml"}).want(t, http.StatusOK).json(t)
		if again["opened"].(float64) != 0 || again["closed"].(float64) != 0 {
			t.Fatalf("re-import changed history: %v", again)
		}
		e := h.do(call{method: "GET", path: "/api/v1/entities/component:artist-lookup"}).want(t, http.StatusOK).json(t)
		if e["system"] != "system:default/artist-engagement-portal" || e["depends_on"].([]any)[0] != "resource:default/artists-db" {
			t.Fatalf("artist-lookup: %v", e)
		}
	})
}

func TestTimelineKeepsEditsAndDeletions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		id := h.declare("Checkout errors", "SEV2", "component:checkout-api", time.Hour)
		base := "/api/v1/incidents/" + id + "/timeline"
		at := h.clock.Now().Add(-50 * time.Minute).Format(time.RFC3339)
		e := h.do(call{method: "POST", path: base, body: map[string]any{"occurred_at": at, "kind": "alert", "text": "5xx above 5%"}}).want(t, http.StatusCreated).json(t)
		entry := base + "/" + e["id"].(string)
		h.do(call{method: "PATCH", path: entry, body: map[string]any{"text": "5xx above 2%"}}).want(t, http.StatusOK)
		h.do(call{method: "DELETE", path: entry}).want(t, http.StatusNoContent)
		visible := h.do(call{method: "GET", path: base}).want(t, http.StatusOK).json(t)
		if len(visible["items"].([]any)) != 0 {
			t.Fatalf("deleted entry still listed: %v", visible)
		}
		full := h.do(call{method: "GET", path: base + "?history=true"}).want(t, http.StatusOK).json(t)
		revs := full["revisions"].([]any)
		if len(full["items"].([]any)) != 1 || len(revs) != 2 || revs[0].(map[string]any)["text"] != "5xx above 5%" {
			t.Fatalf("history: %v", full)
		}
		h.do(call{method: "PATCH", path: entry, body: map[string]any{"text": "again"}, invalid: true}).want(t, http.StatusConflict)
	})
}

func TestRolesAreChecked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		_, member, err := h.app.CreateToken(ctx, adminActor(), app.NewToken{User: org.MustRef("user:ada")})
		if err != nil {
			t.Fatal(err)
		}
		_, lead, err := h.app.CreateToken(ctx, adminActor(), app.NewToken{User: org.MustRef("user:pay-lead")})
		if err != nil {
			t.Fatal(err)
		}
		me := h.do(call{method: "GET", path: "/api/v1/me", token: &lead}).want(t, http.StatusOK).json(t)
		if roles := me["roles"].([]any); len(roles) != 2 || roles[1] != "leader" {
			t.Fatalf("a team's leader gets the leader role: %v", me)
		}
		id := h.declare("Checkout errors", "SEV2", "component:checkout-api", time.Hour)
		// A member may add to the timeline, but neither import nor decide.
		h.do(call{method: "POST", path: "/api/v1/incidents/" + id + "/timeline", token: &member,
			body: map[string]any{"occurred_at": h.clock.Now().Format(time.RFC3339), "text": "looking"}}).want(t, http.StatusCreated)
		h.do(call{method: "POST", path: "/api/v1/import/org", token: &member, body: orgV1, contentType: "application/yaml", invalid: true}).want(t, http.StatusForbidden)
		h.do(call{method: "PUT", path: "/api/v1/incidents/" + id + "/attribution", token: &member, body: map[string]any{"party": "group:payments"}, invalid: true}).want(t, http.StatusForbidden)
		// Nor may a leader decide the attribution of their own team: that is
		// for the leaders above it.
		h.do(call{method: "PUT", path: "/api/v1/incidents/" + id + "/attribution", token: &lead, body: map[string]any{"party": "group:payments"}, invalid: true}).want(t, http.StatusForbidden)
		_, vp, err := h.app.CreateToken(ctx, adminActor(), app.NewToken{User: org.MustRef("user:vp")})
		if err != nil {
			t.Fatal(err)
		}
		h.do(call{method: "PUT", path: "/api/v1/incidents/" + id + "/attribution", token: &vp, body: map[string]any{"party": "group:payments"}}).want(t, http.StatusOK)
	})
}

// TestEntityListPages: the catalog list pages by reference with a cursor,
// so that walking it page by page gives the whole list once, and filters
// by text and by ownership gap the same way on both engines.
func TestEntityListPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		refs := func(path string) ([]string, string) {
			t.Helper()
			body := h.do(call{method: "GET", path: path}).want(t, http.StatusOK).json(t)
			var out []string
			for _, it := range body["items"].([]any) {
				out = append(out, it.(map[string]any)["ref"].(string))
			}
			next, _ := body["next_cursor"].(string)
			return out, next
		}
		all, next := refs("/api/v1/entities?limit=500")
		if next != "" || len(all) < 8 || !slices.IsSorted(all) {
			t.Fatalf("the whole catalog: %v, cursor %q", all, next)
		}
		var walked []string
		for path := "/api/v1/entities?limit=3"; ; {
			page, next := refs(path)
			walked = append(walked, page...)
			if next == "" {
				break
			}
			path = "/api/v1/entities?limit=3&cursor=" + url.QueryEscape(next)
		}
		if !slices.Equal(walked, all) {
			t.Errorf("page by page: %v\nat once: %v", walked, all)
		}
		for path, want := range map[string][]string{
			"/api/v1/entities?owners=none":               {"component:default/orphan"},
			"/api/v1/entities?owners=several":            {"component:default/cart"},
			"/api/v1/entities?q=ORDERS":                  {"resource:default/orders-db"},
			"/api/v1/entities?q=orders&owners=none":      nil,
			"/api/v1/entities?kind=provider&owners=none": nil,
		} {
			got, _ := refs(path)
			if !slices.Equal(got, want) {
				t.Errorf("%s: %v, want %v", path, got, want)
			}
		}
		bad := h.do(call{method: "GET", path: "/api/v1/entities?owners=some", invalid: true}).want(t, http.StatusUnprocessableEntity)
		if !strings.Contains(string(bad.body), "owners") {
			t.Errorf("a bad gap: %s", bad.body)
		}
	})
}
