package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestHTTPHygiene: what any careful client or proxy relies on.
func TestHTTPHygiene(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		id := h.declare("Checkout down", "SEV2", "component:checkout-api", time.Hour)
		none := ""
		t.Run("private answers are not cached", func(t *testing.T) {
			for _, c := range []call{
				{method: "GET", path: "/api/v1/incidents/" + id},
				{method: "GET", path: "/api/v1/me", token: &none},
				{method: "POST", path: "/api/v1/incidents", body: `{}`, invalid: true},
			} {
				if got := h.do(c).header.Get("Cache-Control"); got != "no-store" {
					t.Errorf("%s %s: Cache-Control %q, want no-store", c.method, c.path, got)
				}
			}
		})
		t.Run("a wrong method is 405 with Allow", func(t *testing.T) {
			res := h.do(call{method: "DELETE", path: "/api/v1/incidents"})
			if res.status != http.StatusMethodNotAllowed || res.header.Get("Allow") != "GET, HEAD, POST" {
				t.Fatalf("%d, Allow %q: %s; want 405 with Allow: GET, HEAD, POST", res.status, res.header.Get("Allow"), res.body)
			}
			if code, _ := res.errorRule(t); code != "method_not_allowed" {
				t.Errorf("code %q", code)
			}
			res = h.do(call{method: "POST", path: "/api/v1/incidents/" + id + "/attribution", body: `{}`, invalid: true})
			if res.status != http.StatusMethodNotAllowed || res.header.Get("Allow") != "GET, HEAD, PUT" {
				t.Errorf("%d, Allow %q, want 405 with GET, HEAD, PUT", res.status, res.header.Get("Allow"))
			}
			h.do(call{method: "GET", path: "/api/v1/nothing-here"}).want(t, http.StatusNotFound)
		})
		t.Run("static files, never a directory listing", func(t *testing.T) {
			for path, want := range map[string]int{"/static/": 404, "/static/blameful.css": 200, "/static/nope.css": 404} {
				res, err := http.Get(h.srv.URL + path)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != want {
					t.Errorf("GET %s: %d, want %d", path, res.StatusCode, want)
				}
			}
		})
	})
}

// TestNoOpWritesWriteNothing: a PATCH or PUT that changes nothing records
// no audit event and moves no updated_at.
func TestNoOpWritesWriteNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		id := h.declare("Checkout down", "SEV2", "component:checkout-api", time.Hour)
		inc := "/api/v1/incidents/" + id
		entry := h.do(call{method: "POST", path: inc + "/timeline", body: map[string]any{
			"occurred_at": h.clock.Now().Add(-30 * time.Minute).Format(time.RFC3339), "kind": "action", "text": "rolled back"}}).want(t, 201).json(t)["id"].(string)
		fu := h.do(call{method: "POST", path: "/api/v1/followups", body: map[string]any{
			"incident": id, "title": "Alert on pool exhaustion", "owner": "group:payments"}}).want(t, 201).json(t)["id"].(string)
		h.do(call{method: "PUT", path: inc + "/attribution", body: map[string]any{"party": "group:payments"}}).want(t, 200)
		h.clock.Advance(time.Hour)

		for _, c := range []call{
			{method: "PATCH", path: inc, body: map[string]any{}},
			{method: "PATCH", path: inc, body: map[string]any{"title": "Checkout down", "severity": "SEV2"}},
			{method: "PUT", path: inc + "/postmortem", body: map[string]any{}},
			{method: "PUT", path: inc + "/postmortem", body: map[string]any{"summary": ""}},
			{method: "PATCH", path: inc + "/timeline/" + entry, body: map[string]any{"text": "rolled back"}},
			{method: "PATCH", path: "/api/v1/followups/" + fu, body: map[string]any{}},
			{method: "PATCH", path: "/api/v1/followups/" + fu, body: map[string]any{"owner": "group:payments", "status": "open"}},
		} {
			_, before := h.counts()
			res := h.do(c)
			if res.status != http.StatusOK {
				t.Errorf("%s %s %v: %d %s", c.method, c.path, c.body, res.status, res.body)
				continue
			}
			if _, after := h.counts(); after != before {
				t.Errorf("%s %s %v wrote %d audit events, want none", c.method, c.path, c.body, after-before)
			}
			var got struct {
				UpdatedAt string `json:"updated_at"`
			}
			_ = json.Unmarshal(res.body, &got)
			if strings.HasPrefix(got.UpdatedAt, h.clock.Now().Format("2006-01-02T15:04")) {
				t.Errorf("%s %s %v moved updated_at to now (%s)", c.method, c.path, c.body, got.UpdatedAt)
			}
		}
	})
}

// TestListsAreBoundedInBytes: however long the incidents' texts, a page of
// the list stays near maxListBytes (2 MiB) and hands out a cursor for the
// rest, so every incident can still be read.
func TestListsAreBoundedInBytes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		long := strings.Repeat("€", 20000) // the longest a body may be: 60 kB of UTF-8
		const n = 24
		for i := range n {
			h.do(call{method: "POST", path: "/api/v1/incidents", body: map[string]any{
				"title": "Long story", "severity": "SEV3", "summary": long, "impact": long,
				"started_at": h.clock.Now().Add(-time.Duration(i+1) * time.Minute).Format(time.RFC3339),
				"entities":   []map[string]any{{"ref": "component:checkout-api", "origin": true}},
			}}).want(t, 201)
		}
		seen, pages, cursor := 0, 0, ""
		for {
			path := "/api/v1/incidents?limit=500"
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			res := h.do(call{method: "GET", path: path}).want(t, 200)
			if len(res.body) > 2<<20+200<<10 {
				t.Fatalf("a page of %d bytes", len(res.body))
			}
			var page struct {
				Items      []json.RawMessage `json:"items"`
				NextCursor string            `json:"next_cursor"`
			}
			if err := json.Unmarshal(res.body, &page); err != nil {
				t.Fatal(err)
			}
			seen += len(page.Items)
			pages++
			if cursor = page.NextCursor; cursor == "" || pages > n {
				break
			}
		}
		if seen != n || pages < 2 {
			t.Fatalf("read %d incidents in %d pages, want %d in several", seen, pages, n)
		}
	})
}
