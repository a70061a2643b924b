package web_test

import (
	"io"
	"net/http"
	"regexp"
	"testing"

	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/review"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// maxAssetBytes is the bar of issue 7: no page ships more than 100 KB of
// script and style.
const maxAssetBytes = 100 << 10

// assetRef finds what a page makes the browser fetch as style or script.
var assetRef = regexp.MustCompile(`<(?:link[^>]*rel="stylesheet"[^>]*href|script[^>]*src)="([^"]+)"`)

// TestPagesShipLittleScriptAndStyle adds up, for each main page, the
// stylesheets and scripts it links and any inline <style>, and holds the
// sum to the bar; each asset must also say how long it may be cached.
func TestPagesShipLittleScriptAndStyle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		id := h.declare("Cart totals wrong", "SEV2", "component:checkout-api", 0)
		addAccount(t, h.app, "admin@example.com", "user:pay-lead", password, org.RoleAdmin, org.RoleHR)
		b := newBrowser(t, h.srv)
		sizes := map[string]int{}
		paths := []string{"/login", "/", "/incidents", "/incidents/" + id, "/incidents/" + id + "/postmortem",
			"/reviews/" + review.WeekOf(h.clock.Now()).String(), "/followups", "/teams", "/entities", "/fairness", "/integrity", "/audit", "/leaders/user:default/pay-lead"}
		for i, path := range paths {
			if i == 1 {
				b.logIn("admin@example.com", password)
			}
			p := b.get(path)
			if p.status != http.StatusOK {
				t.Errorf("%s: %d", path, p.status)
				continue
			}
			total := 0
			for _, m := range regexp.MustCompile(`(?s)<style[^>]*>(.*?)</style>`).FindAllStringSubmatch(p.body, -1) {
				total += len(m[1])
			}
			for _, m := range assetRef.FindAllStringSubmatch(p.body, -1) {
				href := m[1]
				if _, ok := sizes[href]; !ok {
					res, err := http.Get(h.srv.URL + href)
					if err != nil {
						t.Fatal(err)
					}
					body, _ := io.ReadAll(res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") == "" || res.Header.Get("Cache-Control") == "no-store" {
						t.Errorf("%s: %d, Cache-Control %q", href, res.StatusCode, res.Header.Get("Cache-Control"))
					}
					sizes[href] = len(body)
				}
				total += sizes[href]
			}
			if total == 0 || total > maxAssetBytes {
				t.Errorf("%s ships %d bytes of script and style; the bar is at most %d", path, total, maxAssetBytes)
			}
		}
	})
}
