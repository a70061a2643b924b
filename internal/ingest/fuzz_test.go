package ingest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"blameful.dev/blameful/internal/freetext"
)

// The fuzzers feed each parser mutations of the real samples. Whatever the
// bytes, a parser must not panic, and a delivery it accepts must be
// storable as is: every string valid text of its kind, every alert with a
// key, a fingerprint and a state, within the limits. And an accepted
// delivery must mean the same once re-encoded: the payload it decoded to,
// encoded again as JSON (other spacing, key order, escapes, no repeated
// keys), parses to the same batch.

func seed(f *testing.F, files ...string) {
	for _, name := range files {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"alerts": [{"labels": {"\u0000": "\ud800"}}]}`))
}

func FuzzParseAlertmanager(f *testing.F) {
	seed(f, "alertmanager/am-v0.34.2-1-firing.json", "alertmanager/am-v0.34.2-2-partly-resolved.json",
		"alertmanager/am-v0.34.2-3-all-resolved.json", "alertmanager/am-v0.31.1-1-firing.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		checkParser(t, body, ParseAlertmanager, func() any { return new(amPayload) })
	})
}

func FuzzParseGrafana(f *testing.F) {
	seed(f, "grafana/webhook-firing.json", "grafana/webhook-resolved.json", "grafana/webhook-firing-v11-values.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		checkParser(t, body, ParseGrafana, func() any { return new(amPayload) })
	})
}

func FuzzParseOpsgenie(f *testing.F) {
	seed(f, "opsgenie/create.json", "opsgenie/close.ours.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		checkParser(t, body, ParseOpsgenie, func() any { return new(ogPayload) })
	})
}

func FuzzParseGeneric(f *testing.F) {
	seed(f, "generic-firing.ours.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		checkParser(t, body, ParseGeneric, func() any { return new(genericPayload) })
	})
}

func FuzzParsePagerDuty(f *testing.F) {
	seed(f, "pagerduty/v3-incident.triggered.json", "pagerduty/v3-incident.acknowledged.json", "pagerduty/v3-incident.resolved.json",
		"pagerduty/v3-incident.priority_updated.signed-body.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		checkParser(t, body, func(b []byte) (Batch, error) {
			batch, ok, err := ParsePagerDuty(b)
			if err == nil && !ok {
				return Batch{Source: PagerDuty, Group: "ignored"}, nil
			}
			return batch, err
		}, func() any { return new(pdPayload) })
		// Verifying never panics either, whatever the header.
		_ = VerifyPagerDuty(body, string(body), []string{"s"})
	})
}

func checkParser(t *testing.T, body []byte, parse func([]byte) (Batch, error), payload func() any) {
	b, err := parse(body)
	if err != nil {
		return
	}
	if b.Group == "ignored" {
		return
	}
	checkStorable(t, &b)
	// Re-encode what the body decoded to, and parse that.
	p := payload()
	if err := decodeJSON(body, p); err != nil {
		t.Fatalf("the parser accepted a body its payload refuses: %v", err)
	}
	again, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("the payload does not encode: %v", err)
	}
	b2, err := parse(again)
	if err != nil {
		t.Fatalf("accepted, then refused once re-encoded: %v\n%s\n%s", err, body, again)
	}
	if !reflect.DeepEqual(b, b2) {
		t.Fatalf("the re-encoded body means something else:\n%+v\n%+v", b, b2)
	}
}

func checkStorable(t *testing.T, b *Batch) {
	text := func(what, s string, k freetext.Kind) {
		if msg := freetext.Check(s, k); msg != "" {
			t.Fatalf("%s %q %s", what, s, msg)
		}
	}
	if b.Group == "" || len(b.Alerts) == 0 || len(b.Alerts) > MaxAlerts {
		t.Fatalf("group %q with %d alerts", b.Group, len(b.Alerts))
	}
	text("group", b.Group, freetext.Kind{Name: "key", Max: maxKey})
	text("title", b.Title, freetext.Line)
	text("url", b.URL, freetext.Kind{Name: "key", Max: maxKey})
	labels := func(m map[string]string) {
		if len(m) > maxLabels {
			t.Fatalf("%d labels", len(m))
		}
		for k, v := range m {
			text("label name", k, freetext.Kind{Name: "label", Max: maxLabelName})
			text("label value", v, freetext.Kind{Name: "label", Max: maxLabelValue})
			if k == "" || v == "" {
				t.Fatalf("empty label %q=%q", k, v)
			}
		}
	}
	labels(b.Labels)
	for _, a := range b.Alerts {
		if a.Key == "" || a.Fingerprint == "" || (a.Status != Firing && a.Status != Resolved) || a.At.IsZero() {
			t.Fatalf("alert %+v", a)
		}
		text("key", a.Key, freetext.Kind{Name: "key", Max: 3 * maxKey})
		text("fingerprint", a.Fingerprint, freetext.Kind{Name: "key", Max: maxKey})
		text("text", a.Text, freetext.Body)
		labels(a.Labels)
	}
}
