package cli_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"blameful.dev/blameful/internal/store/storetest"
)

// TestFollowUpExportCommand: a follow-up is exported from the command
// line; a peer outside the owner's team may not, nor may it be exported
// twice; jobs run with a GitHub token creates the issue, and show links it.
func TestFollowUpExportCommand(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			var got atomic.Value
			gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				got.Store(r.Method + " " + r.URL.Path + " " + r.Header.Get("Authorization") + " " + string(body))
				w.WriteHeader(http.StatusCreated)
				fmt.Fprint(w, `{"number": 12, "html_url": "https://github.com/acme/checkout/issues/12"}`)
			}))
			defer gh.Close()
			c := newOrgCLI(t, engine)
			inc := strings.TrimSpace(c.must("incident", "create", "--title", "Checkout slow", "--severity", "SEV3",
				"--started-at", time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "--entity", "component:checkout*"))
			fu := strings.Fields(c.must("followup", "create", "--incident", inc, "--title", "Cache the tax table", "--owner", "group:payments"))[0]

			c.fail("repo: is required", "followup", "export", fu)
			c.fail("is not a GitHub repository", "followup", "export", fu, "--repo", "acme")
			c.fail("only the owner", "followup", "export", fu, "--repo", "acme/checkout", "--as", "user:cto-less")
			if out := c.must("followup", "export", fu, "--repo", "acme/checkout", "--labels", "postmortem,p2", "--as", "user:ada"); !strings.Contains(out, "queued for export to acme/checkout") {
				t.Fatalf("export: %s", out)
			}
			c.fail("already being exported", "followup", "export", fu, "--repo", "acme/checkout")
			c.must("jobs", "run", "--digest", "off", "--github-token", "tok", "--github-api", gh.URL, "--notify-allow-private")
			if s, _ := got.Load().(string); !strings.HasPrefix(s, "POST /repos/acme/checkout/issues Bearer tok ") || !strings.Contains(s, "Cache the tax table") ||
				!strings.Contains(s, `"labels":["postmortem","p2"]`) {
				t.Errorf("GitHub got %q", s)
			}
			if out := c.must("followup", "show", fu); !strings.Contains(out, "https://github.com/acme/checkout/issues/12") {
				t.Errorf("show:\n%s", out)
			}
		})
	}
}
