package ingest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"blameful.dev/blameful/internal/errs"
)

// VerifyPagerDuty checks a V3 webhook's X-PagerDuty-Signature header: a
// comma-separated list of "v1=" HMAC-SHA256 signatures of the exact body,
// one per secret the subscription has while secrets rotate. The delivery
// is genuine when any of them was made with any of ours.
func VerifyPagerDuty(body []byte, header string, secrets []string) error {
	if strings.TrimSpace(header) == "" {
		return errs.E(errs.Unauthenticated, "X-PagerDuty-Signature is missing")
	}
	for _, secret := range secrets {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		want := mac.Sum(nil)
		for sig := range strings.SplitSeq(header, ",") {
			version, value, ok := strings.Cut(strings.TrimSpace(sig), "=")
			if !ok || version != "v1" {
				continue
			}
			got, err := hex.DecodeString(value)
			if err == nil && hmac.Equal(got, want) {
				return nil
			}
		}
	}
	return errs.E(errs.Unauthenticated, "X-PagerDuty-Signature does not match the body under any configured secret")
}

type pdPayload struct {
	Event struct {
		ID           string    `json:"id"`
		EventType    string    `json:"event_type"`
		ResourceType string    `json:"resource_type"`
		OccurredAt   time.Time `json:"occurred_at"`
		Agent        *pdRef    `json:"agent"`
		Data         struct {
			ID          string `json:"id"`
			Type        string `json:"type"`
			HTMLURL     string `json:"html_url"`
			Number      any    `json:"number"`
			Status      string `json:"status"`
			Title       string `json:"title"`
			IncidentKey string `json:"incident_key"`
			Service     *pdRef `json:"service"`
			Priority    *pdRef `json:"priority"`
			Urgency     string `json:"urgency"`
			Teams       []pdRef
		} `json:"data"`
	} `json:"event"`
}

type pdRef struct {
	ID      string `json:"id"`
	Summary string `json:"summary"`
}

// ParsePagerDuty reads a PagerDuty V3 webhook event. Events about an
// incident become one alert event each, keyed by the event's id; the
// PagerDuty incident is the group, and its resolution resolves the group.
// Events about anything else are not alerts: ok is false and nothing is
// to be recorded.
func ParsePagerDuty(body []byte) (b Batch, ok bool, err error) {
	var p pdPayload
	if err := decodeJSON(body, &p); err != nil {
		return Batch{}, false, err
	}
	ev := p.Event
	ev.ID = clean(ev.ID, maxKey, false)
	switch {
	case ev.ID == "" || ev.EventType == "":
		return Batch{}, false, invalid("event.id and event.event_type are required")
	case ev.ResourceType != "incident" || !strings.HasPrefix(ev.EventType, "incident."):
		return Batch{}, false, nil
	case ev.Data.ID == "":
		return Batch{}, false, invalid("event.data.id (the PagerDuty incident) is missing")
	case ev.OccurredAt.IsZero():
		return Batch{}, false, invalid("event.occurred_at is missing")
	}
	d := ev.Data
	labels := map[string]string{"pagerduty_incident": d.ID}
	if d.Service != nil {
		labels["service"] = d.Service.Summary
		labels["pagerduty_service"] = d.Service.ID
	}
	if d.Priority != nil {
		labels["priority"] = d.Priority.Summary
	}
	if d.Urgency != "" {
		labels["urgency"] = d.Urgency
	}
	if len(d.Teams) > 0 {
		labels["pagerduty_team"] = d.Teams[0].Summary
	}
	labels = cleanLabels(labels)
	what := strings.TrimPrefix(ev.EventType, "incident.")
	st := Firing
	if what == "resolved" {
		st = Resolved
	}
	summary := clean(d.Title, maxTitle, false)
	if ev.Agent != nil && ev.Agent.Summary != "" {
		summary += " — " + strings.ReplaceAll(what, "_", " ") + " by " + ev.Agent.Summary
	}
	service := ""
	if d.Service != nil {
		service = d.Service.ID
	}
	b = Batch{
		Source: PagerDuty, Group: clean(d.ID, maxKey, false), Resolved: st == Resolved,
		Title: clean(d.Title, maxTitle, false), Labels: labels, URL: clean(d.HTMLURL, maxKey, false),
		Alerts: []Alert{{
			Key:         ev.ID,
			Fingerprint: fingerprintOf("pagerduty", service, d.Title),
			Status:      st, At: ev.OccurredAt.UTC(), Labels: labels,
			Text: alertText(Status(strings.ReplaceAll(what, "_", " ")), "PagerDuty #"+numberText(d.Number), summary, ""),
		}},
	}
	if b.Title == "" {
		b.Title = "PagerDuty incident " + b.Group
	}
	return b, true, b.check()
}

func numberText(n any) string {
	switch v := n.(type) {
	case string:
		return v
	case interface{ String() string }:
		return v.String()
	}
	return "?"
}
