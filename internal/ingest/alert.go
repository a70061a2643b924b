package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
)

// Source names an alert sender; it is the incident's source and the first
// half of its external key.
type Source string

// The alert sources.
const (
	Alertmanager Source = "alertmanager"
	PagerDuty    Source = "pagerduty"
	Opsgenie     Source = "opsgenie"
	Grafana      Source = "grafana"
	Generic      Source = "generic"
)

// Sources lists the alert sources, in the order pages show them.
var Sources = []Source{Alertmanager, Grafana, PagerDuty, Opsgenie, Generic}

// Status is an alert's state in one event.
type Status string

// The alert states.
const (
	Firing   Status = "firing"
	Resolved Status = "resolved"
)

// Batch is one delivery of an alert source: events about the alerts of
// one group. A group is what the source groups alerts by (Alertmanager's
// and Grafana's groupKey, a PagerDuty incident, an Opsgenie alias); its
// firing alerts open or update one incident.
type Batch struct {
	Source Source
	// Group is the group's key at its source.
	Group string
	// Resolved reports that the whole group has resolved: the incident
	// moves to mitigated (resolving it stays a person's decision).
	Resolved bool
	// Title names the group for an incident it opens.
	Title string
	// Labels are the labels the group's alerts share; they choose the
	// severity and the failed entity.
	Labels map[string]string
	// URL links back to the group at its source.
	URL    string
	Alerts []Alert
}

// Alert is one event about one alert: it fired or it resolved.
type Alert struct {
	// Key identifies the event within its group: a sender's retry carries
	// the same key and is recorded once.
	Key string
	// Fingerprint identifies the alert across its events and across
	// incidents (recurrence matching reads it).
	Fingerprint string
	Status      Status
	// At is when the event happened: when the alert started firing, or
	// when it resolved.
	At     time.Time
	Labels map[string]string
	// Text is the timeline entry's text.
	Text string
}

// Limits on what one delivery may carry. Bodies are limited in bytes at
// the HTTP boundary; these keep one odd sender from filling a timeline.
const (
	MaxAlerts     = 10000
	maxLabels     = 64
	maxLabelName  = 128
	maxLabelValue = 1024
	maxKey        = 1024
	maxTitle      = 300
	maxText       = 4000
)

// invalid is the error of a delivery that cannot be read: the sender gets
// a 400 naming the reason.
func invalid(format string, args ...any) error { return errs.E(errs.Invalid, format, args...) }

// Mapping says how labels become a severity and a failed entity. The
// zero Mapping is not useful; start from DefaultMapping.
type Mapping struct {
	// EntityLabels are the labels whose values name a catalog entity,
	// tried in order; the label "team" names the owning team instead.
	EntityLabels []string
	// SeverityLabels are the labels that carry a severity or priority,
	// tried in order.
	SeverityLabels []string
	// Severities maps a label value (in lower case) to a severity.
	Severities map[string]incident.Severity
	// Default is the severity when no label maps.
	Default incident.Severity
}

// DefaultMapping is the documented default: service, component, app, then
// team; severity, priority, then urgency, with the values PagerDuty,
// Opsgenie and Prometheus rules commonly use.
func DefaultMapping() Mapping {
	return Mapping{
		EntityLabels:   []string{"service", "component", "app", "team"},
		SeverityLabels: []string{"severity", "priority", "urgency"},
		Severities: map[string]incident.Severity{
			"critical": incident.SEV1, "page": incident.SEV1, "sev1": incident.SEV1, "p1": incident.SEV1, "1": incident.SEV1,
			"error": incident.SEV2, "high": incident.SEV2, "major": incident.SEV2, "sev2": incident.SEV2, "p2": incident.SEV2, "2": incident.SEV2,
			"warning": incident.SEV3, "warn": incident.SEV3, "medium": incident.SEV3, "sev3": incident.SEV3, "p3": incident.SEV3, "3": incident.SEV3,
			"info": incident.SEV4, "low": incident.SEV4, "minor": incident.SEV4, "sev4": incident.SEV4, "p4": incident.SEV4, "p5": incident.SEV4,
			"4": incident.SEV4, "5": incident.SEV4,
		},
		Default: incident.SEV3,
	}
}

// WithSeverities reads "critical=SEV1,warning=SEV3" into changes of m's
// severities, for the serve flag.
func (m Mapping) WithSeverities(spec string) (Mapping, error) {
	out := m
	out.Severities = maps.Clone(m.Severities)
	for part := range strings.SplitSeq(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		value, sev, ok := strings.Cut(part, "=")
		if !ok {
			return m, invalid("%q is not VALUE=SEVn", part)
		}
		s, err := incident.ParseSeverity(sev)
		if err != nil {
			return m, invalid("%q: %q is not a severity (SEV1 to SEV4)", part, sev)
		}
		out.Severities[strings.ToLower(strings.TrimSpace(value))] = s
	}
	return out, nil
}

// Severity is the severity the labels map to: the first severity label
// with a known value, else the default.
func (m Mapping) Severity(labels map[string]string) incident.Severity {
	for _, name := range m.SeverityLabels {
		if s, ok := m.Severities[strings.ToLower(strings.TrimSpace(labels[name]))]; ok {
			return s
		}
	}
	if m.Default == "" {
		return incident.SEV3
	}
	return m.Default
}

// Names are the entity names the labels give, in the mapping's order,
// and the team the "team" label names ("" when none).
func (m Mapping) Names(labels map[string]string) (names []string, team string) {
	for _, l := range m.EntityLabels {
		v := strings.TrimSpace(labels[l])
		switch {
		case v == "":
		case l == "team":
			team = v
		case !slices.Contains(names, v):
			names = append(names, v)
		}
	}
	return names, team
}

// EntityRefs are the catalog references an entity label's value may
// name, in the order they are tried: a component, then a system, a
// resource or a provider of that name.
func EntityRefs(name string) []org.Ref {
	var out []org.Ref
	for _, kind := range []string{"component", "system", "resource", "provider"} {
		if r, err := org.ParseRef(kind+":"+name, ""); err == nil {
			out = append(out, r)
		}
	}
	return out
}

// Firing returns the firing alerts' events.
func (b *Batch) Firing() []Alert {
	var out []Alert
	for _, a := range b.Alerts {
		if a.Status == Firing {
			out = append(out, a)
		}
	}
	return out
}

// check is what every parser's result must satisfy.
func (b *Batch) check() error {
	switch {
	case b.Group == "":
		return invalid("the delivery names no group (%s)", groupField[b.Source])
	case len(b.Alerts) > MaxAlerts:
		return invalid("the delivery holds %d alerts; at most %d are taken", len(b.Alerts), MaxAlerts)
	}
	return nil
}

var groupField = map[Source]string{
	Alertmanager: "groupKey", Grafana: "groupKey", PagerDuty: "event.data.id", Opsgenie: "alert.alias or alert.alertId", Generic: "group",
}

// clean makes s storable text of at most max characters: invalid UTF-8,
// NUL and other control characters become spaces (newlines too unless
// multiline), surrounding space is trimmed, and a long text is cut with an
// ellipsis. What a sender wrote is kept as far as it can be; a 400 for a
// stray control character would only make the sender drop the alert.
func clean(s string, max int, multiline bool) string {
	var b strings.Builder
	n := 0
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !validRune(s, i):
			r = ' '
		case r == '\t':
		case (r == '\n') && multiline:
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			r = ' '
		}
		if n == max-1 && len(s) > i+utf8.RuneLen(r) {
			b.WriteRune('…')
			break
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}

func validRune(s string, i int) bool {
	_, size := utf8.DecodeRuneInString(s[i:])
	return size > 1
}

// cleanLabels bounds and cleans a label set; empty values are dropped.
func cleanLabels(in map[string]string) map[string]string {
	out := make(map[string]string, min(len(in), maxLabels))
	for _, k := range slices.Sorted(maps.Keys(in)) {
		if len(out) == maxLabels {
			break
		}
		name, v := clean(k, maxLabelName, false), clean(in[k], maxLabelValue, false)
		if name != "" && v != "" {
			out[name] = v
		}
	}
	return out
}

// fingerprintOf derives a fingerprint from parts when a source sends none:
// the first 16 hex digits of SHA-256 over them.
func fingerprintOf(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// labelsFingerprint is a fingerprint of a label set, for senders that
// identify an alert by its labels.
func labelsFingerprint(labels map[string]string) string {
	parts := make([]string, 0, 2*len(labels))
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		parts = append(parts, k, labels[k])
	}
	return fingerprintOf(parts...)
}

// alertText is a timeline entry's text: the status, the alert's name,
// its summary, and the instance when there is one.
func alertText(status Status, name, summary, instance string) string {
	var b strings.Builder
	b.WriteString(strings.ToUpper(string(status)))
	if name != "" {
		b.WriteString(" " + name)
	}
	if summary != "" {
		b.WriteString(": " + summary)
	}
	if instance != "" {
		b.WriteString(" (" + instance + ")")
	}
	return clean(b.String(), maxText, true)
}

// span is one alert as the Alertmanager-like formats give it: a state, a
// start, an end once resolved, labels already cleaned, the fingerprint
// when there is one, and its summary. The field names are the format's,
// for errors.
type span struct {
	status             string
	starts, ends       time.Time
	labels             map[string]string
	fingerprint        string
	summary            string
	startName, endName string
}

// event checks the i-th alert of a delivery and makes its event: keyed by
// its fingerprint (else its labels'), start and state, so that a resend is
// the same event; at its start while it fires, at its end once resolved.
func (a span) event(i int) (Alert, error) {
	st := Status(a.status)
	switch {
	case st != Firing && st != Resolved:
		return Alert{}, invalid("alerts[%d].status is %q; it must be firing or resolved", i, a.status)
	case a.starts.IsZero():
		return Alert{}, invalid("alerts[%d].%s is required", i, a.startName)
	case st == Resolved && (a.ends.IsZero() || a.ends.Before(a.starts)):
		return Alert{}, invalid("alerts[%d] is resolved: %s is required and may not be before %s", i, a.endName, a.startName)
	}
	fp := a.fingerprint
	if fp == "" {
		fp = labelsFingerprint(a.labels)
	}
	at := a.starts
	if st == Resolved {
		at = a.ends
	}
	return Alert{
		Key:         fp + "/" + a.starts.UTC().Format(time.RFC3339Nano) + "/" + string(st),
		Fingerprint: fp, Status: st, At: at.UTC(), Labels: a.labels,
		Text: alertText(st, a.labels["alertname"], a.summary, a.labels["instance"]),
	}, nil
}
