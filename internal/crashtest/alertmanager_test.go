package crashtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/store/storetest"
	"blameful.dev/blameful/internal/testbin"
)

// The real Prometheus Alertmanager: later releases do not build with go
// install, as their web UI is not in the module. .ci/run installs it into
// the cache directory testbin looks in.
var alertmanagerProgram = testbin.Program{Module: "github.com/prometheus/alertmanager/cmd/alertmanager@v0.31.1",
	Dir: "alertmanager-v0.31.1", Name: "alertmanager"}

const (
	alertmanagerLimit   = 45 * time.Second
	alertmanagerStarted = 20 * time.Second
)

// TestRealAlertmanager runs blameful serve and a real Alertmanager whose
// webhook receiver is blameful's /hooks/alertmanager with an ingest token,
// pushes two alerts to Alertmanager's v2 API, and waits for the incident;
// then resolves them and waits for the resolutions on its timeline and
// for the incident to be mitigated.
func TestRealAlertmanager(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs blameful and Alertmanager; skipped with -short")
	}
	am := testbin.Path(t, alertmanagerProgram)
	bin := build(t)
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			h := newHarness(t, bin, storetest.DSN(t, engine))
			h.cli(t, "import", "org", "testdata/org.yaml")
			ingest := h.cli(t, "token", "create", "--role", "ingest", "--name", "alertmanager")
			admin := h.cli(t, "token", "create", "--role", "admin", "--name", "reader")
			c := newClient(admin)
			h.start(t, c)

			amURL := startAlertmanager(t, am, c.base+"/hooks/alertmanager", ingest)
			start := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
			alerts := func(ends time.Time) []map[string]any {
				var out []map[string]any
				for _, inst := range []string{"ledger-1:9100", "ledger-2:9100"} {
					a := map[string]any{
						"labels": map[string]string{"alertname": "LedgerLatencyHigh", "service": "ledger", "severity": "critical",
							"instance": inst},
						"annotations": map[string]string{"summary": "Ledger p99 above 2s"},
						"startsAt":    start.Format(time.RFC3339),
					}
					if !ends.IsZero() {
						a["endsAt"] = ends.Format(time.RFC3339)
					}
					out = append(out, a)
				}
				return out
			}
			pushAlerts(t, amURL, alerts(time.Time{}))

			var id string
			waitFor(t, "the incident Alertmanager's alerts open", func() (bool, string) {
				var list struct {
					Items []struct {
						ID, Status, Severity, Title string
						Entities                    []struct{ Ref string }
					}
				}
				if err := c.get("/api/v1/incidents?source=alertmanager", &list); err != nil {
					return false, err.Error()
				}
				if len(list.Items) != 1 {
					return false, fmt.Sprintf("%d incidents", len(list.Items))
				}
				in := list.Items[0]
				id = in.ID
				if in.Severity != "SEV1" || len(in.Entities) != 1 || in.Entities[0].Ref != "component:default/ledger" {
					t.Fatalf("the incident: %+v; want SEV1 on component:default/ledger", in)
				}
				return alertEntries(t, c, id, "FIRING") == 2, "alerts on the timeline"
			})

			pushAlerts(t, amURL, alerts(time.Now().UTC().Add(-time.Second)))
			waitFor(t, "the resolutions", func() (bool, string) {
				var in struct{ Status string }
				if err := c.get("/api/v1/incidents/"+id, &in); err != nil {
					return false, err.Error()
				}
				n := alertEntries(t, c, id, "RESOLVED")
				return n == 2 && in.Status == "mitigated", fmt.Sprintf("%d resolved entries, status %s", n, in.Status)
			})
			if got := alertEntries(t, c, id, ""); got != 4 {
				t.Errorf("%d alert entries, want 4 (two fired, two resolved)", got)
			}
		})
	}
}

// startAlertmanager runs Alertmanager with one webhook receiver and returns
// its base URL; it is stopped, by its PID, when the test ends.
func startAlertmanager(t *testing.T, bin, hook, token string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`route:
  receiver: blameful
  group_by: ['alertname', 'service']
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receivers:
  - name: blameful
    webhook_configs:
      - url: %q
        send_resolved: true
        http_config:
          authorization:
            credentials: %q
`, hook, token)
	file := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	log, err := os.Create(filepath.Join(dir, "alertmanager.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config.file="+file, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=")
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = dieWithTest()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		log.Close()
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			t.Logf("alertmanager's log:\n%s", b)
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(alertmanagerStarted)
	for {
		res, err := http.Get(base + "/-/ready")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("Alertmanager was not ready within %s (last: %v)", alertmanagerStarted, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pushAlerts posts alerts to Alertmanager's v2 API, as Prometheus does.
func pushAlerts(t *testing.T, base string, alerts []map[string]any) {
	t.Helper()
	b, err := json.Marshal(alerts)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Post(base+"/api/v2/alerts", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/v2/alerts: %s", res.Status)
	}
}

// alertEntries counts an incident's alert entries whose text starts with
// prefix.
func alertEntries(t *testing.T, c *client, id, prefix string) int {
	t.Helper()
	var tl struct {
		Items []struct{ Kind, Text string }
	}
	if err := c.get("/api/v1/incidents/"+id+"/timeline", &tl); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range tl.Items {
		if e.Kind == "alert" && strings.HasPrefix(e.Text, prefix) {
			n++
		}
	}
	return n
}

// waitFor polls cond until it holds, failing the test after
// alertmanagerLimit with cond's last word.
func waitFor(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), alertmanagerLimit)
	defer cancel()
	last := ""
	for {
		ok, why := cond()
		if ok {
			return
		}
		last = why
		select {
		case <-ctx.Done():
			t.Fatalf("waited %s for %s; last: %s", alertmanagerLimit, what, last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
