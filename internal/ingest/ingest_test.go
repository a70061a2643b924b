package ingest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
)

// sample reads one of the real payloads copied from the shared samples (testdata/PROVENANCE.md).
func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("sample %s: %v", name, err)
	}
	return b
}

func TestAlertmanagerSamples(t *testing.T) {
	// am-v0.34.2-{1-firing,2-partly-resolved,3-all-resolved}: one group's
	// three notifications, as the real Alertmanager sent them.
	first, err := ParseAlertmanager(sample(t, "alertmanager/am-v0.34.2-1-firing.json"))
	if err != nil {
		t.Fatal(err)
	}
	if first.Group == "" || first.Resolved || len(first.Firing()) != 2 {
		t.Fatalf("first notification: %+v", first)
	}
	if first.Title != "Checkout 5xx rate above 5% for 10m" {
		t.Errorf("title %q", first.Title)
	}
	if s := DefaultMapping().Severity(first.Labels); s != incident.SEV1 {
		t.Errorf("severity critical maps to %s, want SEV1", s)
	}
	names, team := DefaultMapping().Names(first.Labels)
	if strings.Join(names, ",") != "checkout" || team != "payments" {
		t.Errorf("names %v team %q", names, team)
	}
	partly, err := ParseAlertmanager(sample(t, "alertmanager/am-v0.34.2-2-partly-resolved.json"))
	if err != nil {
		t.Fatal(err)
	}
	if partly.Group != first.Group || partly.Resolved || len(partly.Firing()) != 1 {
		t.Fatalf("partly resolved: %+v", partly)
	}
	// The alert still firing is the same event as in the first delivery.
	keys := map[string]bool{}
	for _, a := range first.Alerts {
		keys[a.Key] = true
	}
	same := 0
	for _, a := range partly.Alerts {
		if keys[a.Key] {
			same++
		}
	}
	if same != 1 {
		t.Errorf("%d of the second delivery's events repeat the first's, want 1", same)
	}
	last, err := ParseAlertmanager(sample(t, "alertmanager/am-v0.34.2-3-all-resolved.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !last.Resolved || last.Group != first.Group || last.Alerts[0].Status != Resolved || !strings.HasPrefix(last.Alerts[0].Text, "RESOLVED ") {
		t.Fatalf("all resolved: %+v", last)
	}
	for _, f := range []string{"am-v0.31.1-1-firing.json", "am-v0.31.1-3-all-resolved.json"} {
		if _, err := ParseAlertmanager(sample(t, "alertmanager/"+f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestGrafanaSamples(t *testing.T) {
	fire, err := ParseGrafana(sample(t, "grafana/webhook-firing.json"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := ParseGrafana(sample(t, "grafana/webhook-resolved.json"))
	if err != nil {
		t.Fatal(err)
	}
	if fire.Group != res.Group || fire.Resolved || !res.Resolved {
		t.Fatalf("groups %q %q resolved %v %v", fire.Group, res.Group, fire.Resolved, res.Resolved)
	}
	if fire.Alerts[0].Fingerprint != res.Alerts[0].Fingerprint || fire.Alerts[0].Key == res.Alerts[0].Key {
		t.Errorf("firing and resolved events of one alert: %q %q", fire.Alerts[0].Key, res.Alerts[0].Key)
	}
	if _, err := ParseGrafana(sample(t, "grafana/webhook-firing-v11-values.json")); err != nil {
		t.Errorf("v11: %v", err)
	}
}

func TestPagerDutySamples(t *testing.T) {
	body := sample(t, "pagerduty/v3-incident.priority_updated.signed-body.json")
	const secret = "lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK"
	const good = "v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd"
	const bad = "v1=7020c8a7ec668a9b7012bc3dd82e483394b038f4230acc6785efbf2a7d8bcaf5"
	if err := VerifyPagerDuty(body, good, []string{secret}); err != nil {
		t.Errorf("valid signature refused: %v", err)
	}
	if err := VerifyPagerDuty(body, bad+", "+good, []string{"old-secret", secret}); err != nil {
		t.Errorf("rotation: a header with the old and new signatures refused: %v", err)
	}
	for _, h := range []string{bad, "", "v0=" + good[3:], good + "00"} {
		if err := VerifyPagerDuty(body, h, []string{secret}); errs.KindOf(err) != errs.Unauthenticated {
			t.Errorf("signature %q: %v, want Unauthenticated", h, err)
		}
	}
	b, ok, err := ParsePagerDuty(body)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if b.Group != "PGR0VU2" || b.Alerts[0].Key != "01BWDWL3NYY7LUFPZCC28QUCMK" || b.Labels["service"] != "API Service" {
		t.Errorf("%+v", b)
	}
	for file, resolved := range map[string]bool{"v3-incident.triggered.json": false, "v3-incident.acknowledged.json": false, "v3-incident.resolved.json": true} {
		b, ok, err := ParsePagerDuty(sample(t, "pagerduty/"+file))
		if err != nil || !ok || b.Resolved != resolved {
			t.Errorf("%s: ok %v resolved %v err %v", file, ok, b.Resolved, err)
		}
	}
	if s := DefaultMapping().Severity(map[string]string{"urgency": "high"}); s != incident.SEV2 {
		t.Errorf("urgency high: %s", s)
	}
}

func TestOpsgenieSamples(t *testing.T) {
	b, err := ParseOpsgenie(sample(t, "opsgenie/create.json"))
	if err != nil {
		t.Fatal(err)
	}
	if b.Group != "alert-alias" || b.Resolved || b.Labels["priority"] != "P3" || b.Labels["tag_vip"] != "true" {
		t.Errorf("%+v", b)
	}
	if want := time.UnixMilli(1502709956288).UTC(); !b.Alerts[0].At.Equal(want) {
		t.Errorf("at %v want %v", b.Alerts[0].At, want)
	}
	closed, err := os.ReadFile("testdata/opsgenie/close.ours.json") // our own Close, made from create.json
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseOpsgenie(closed)
	if err != nil || !c.Resolved || c.Group != b.Group || c.Alerts[0].Key == b.Alerts[0].Key {
		t.Errorf("close: %+v %v", c, err)
	}
}

func TestGeneric(t *testing.T) {
	body, err := os.ReadFile("testdata/generic-firing.ours.json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseGeneric(body)
	if err != nil {
		t.Fatal(err)
	}
	if b.Group != "nightly-batch/ledger-export" || b.Alerts[0].Labels["service"] != "checkout" || DefaultMapping().Severity(b.Labels) != incident.SEV3 {
		t.Errorf("%+v", b)
	}
}

func TestBadDeliveries(t *testing.T) {
	cases := map[string]string{
		"not json":        `{"version":"4",`,
		"wrong version":   `{"version":"3","groupKey":"g","status":"firing","alerts":[{"status":"firing","startsAt":"2026-01-01T00:00:00Z"}]}`,
		"no alerts":       `{"version":"4","groupKey":"g","status":"firing","alerts":[]}`,
		"no group":        `{"version":"4","status":"firing","alerts":[{"status":"firing","startsAt":"2026-01-01T00:00:00Z"}]}`,
		"bad status":      `{"version":"4","groupKey":"g","status":"burning","alerts":[{"status":"firing","startsAt":"2026-01-01T00:00:00Z"}]}`,
		"no start":        `{"version":"4","groupKey":"g","status":"firing","alerts":[{"status":"firing"}]}`,
		"resolved no end": `{"version":"4","groupKey":"g","status":"resolved","alerts":[{"status":"resolved","startsAt":"2026-01-01T00:00:00Z"}]}`,
		"labels a list":   `{"version":"4","groupKey":"g","status":"firing","alerts":[{"status":"firing","labels":[],"startsAt":"2026-01-01T00:00:00Z"}]}`,
		"two values":      `{"version":"4"} {}`,
	}
	for name, body := range cases {
		_, err := ParseAlertmanager([]byte(body))
		if errs.KindOf(err) != errs.Invalid {
			t.Errorf("%s: %v, want Invalid", name, err)
		}
	}
}

func TestClean(t *testing.T) {
	if got := clean("a\x00b\x1bc\u0085d\ne", 100, false); got != "a b c d e" {
		t.Errorf("%q", got)
	}
	if got := clean(strings.Repeat("x", 10), 5, false); got != "xxxx…" {
		t.Errorf("%q", got)
	}
	if got := clean("abcde", 5, false); got != "abcde" {
		t.Errorf("%q", got)
	}
}
