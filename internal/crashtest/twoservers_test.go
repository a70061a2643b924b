package crashtest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"blameful.dev/blameful/internal/store/storetest"
)

// twoServersLimit bounds the wait for the servers' jobs to remind every
// follow-up.
const twoServersLimit = 60 * time.Second

// TestTwoServersRemindOnce starts two serve processes on one database, each
// running its jobs every second and delivering to the same signed webhook,
// and gives them follow-ups due in two days: every follow-up is reminded
// once (F4), and the receiver gets each reminder once, however often the
// two servers' passes meet.
func TestTwoServersRemindOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	bin := build(t)
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			var mu sync.Mutex
			got := map[string]int{} // delivery key -> times received
			receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				if r.Header.Get("Blameful-Event") == "followup.reminder" {
					mu.Lock()
					got[r.Header.Get("Blameful-Delivery")]++
					mu.Unlock()
				}
			}))
			defer receiver.Close()
			secret := filepath.Join(t.TempDir(), "webhook.secret")
			if err := os.WriteFile(secret, []byte("a-secret-of-thirty-two-characters\n"), 0o600); err != nil {
				t.Fatal(err)
			}

			h := newHarness(t, bin, storetest.DSN(t, engine))
			h.cli(t, "import", "org", "testdata/org.yaml")
			inc := h.cli(t, "incident", "create", "--title", "Ledger slow", "--severity", "SEV3",
				"--started-at", time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "--entity", "component:ledger*")
			const n = 12
			due := time.Now().UTC().AddDate(0, 0, 2).Format(time.DateOnly)
			for i := range n {
				h.cli(t, "followup", "create", "--incident", inc, "--title", fmt.Sprintf("Fix number %d", i), "--owner", "user:ada", "--due", due)
			}
			flags := []string{"--jobs-every", "1s", "--digest", "off", "--notify-webhook", receiver.URL,
				"--webhook-secret-file", secret, "--notify-allow-private"}
			a, b := newClient(""), newClient("")
			h.start(t, a, flags...)
			h.start(t, b, flags...)

			count := func() (keys, most int) {
				mu.Lock()
				defer mu.Unlock()
				for _, k := range got {
					most = max(most, k)
				}
				return len(got), most
			}
			deadline := time.Now().Add(twoServersLimit)
			for {
				if keys, _ := count(); keys >= n {
					break
				}
				if time.Now().After(deadline) {
					keys, _ := count()
					t.Fatalf("%d of %d reminders arrived within %s:\n%s", keys, n, twoServersLimit, h.logTail())
				}
				time.Sleep(100 * time.Millisecond)
			}
			time.Sleep(3 * time.Second) // several more passes of both servers
			keys, most := count()
			if keys != n || most != 1 {
				mu.Lock()
				t.Fatalf("the receiver got %d reminders (want %d), one of them %d times: %v", keys, n, most, got)
			}
			for k := range got {
				if !strings.HasSuffix(k, ".webhook") {
					t.Errorf("delivery key %q does not name its channel", k)
				}
			}
		})
	}
}
