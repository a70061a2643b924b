package ingest

import (
	"time"
)

// genericPayload is blameful's own alert format, for senders with no
// integration of their own (README: "Generic alerts").
type genericPayload struct {
	Group  string            `json:"group"`
	Title  string            `json:"title"`
	Status string            `json:"status"`
	Labels map[string]string `json:"labels"`
	URL    string            `json:"url"`
	Alerts []struct {
		ID          string            `json:"id"`
		Fingerprint string            `json:"fingerprint"`
		Status      string            `json:"status"`
		StartsAt    time.Time         `json:"starts_at"`
		EndsAt      time.Time         `json:"ends_at"`
		Labels      map[string]string `json:"labels"`
		Summary     string            `json:"summary"`
	} `json:"alerts"`
}

// ParseGeneric reads the generic JSON format: a group, its status and
// its alerts, each with a start, an optional end and labels. An alert's
// identity is its fingerprint (or id, or its labels); an event's is the
// alert with its start and status, so a resend changes nothing.
func ParseGeneric(body []byte) (Batch, error) {
	var p genericPayload
	if err := decodeJSON(body, &p); err != nil {
		return Batch{}, err
	}
	if p.Status == "" {
		p.Status = "firing"
	}
	switch {
	case p.Status != "firing" && p.Status != "resolved":
		return Batch{}, invalid("status is %q; it must be firing or resolved", p.Status)
	case len(p.Alerts) == 0:
		return Batch{}, invalid("alerts is empty; a delivery carries at least one alert")
	}
	common := cleanLabels(p.Labels)
	b := Batch{Source: Generic, Group: clean(p.Group, maxKey, false), Resolved: p.Status == "resolved",
		Title: clean(p.Title, maxTitle, false), Labels: common, URL: clean(p.URL, maxKey, false)}
	for i, a := range p.Alerts {
		if a.Status == "" {
			a.Status = "firing"
		}
		labels := cleanLabels(a.Labels)
		for k, v := range common {
			if _, ok := labels[k]; !ok && len(labels) < maxLabels {
				labels[k] = v
			}
		}
		fp := clean(a.Fingerprint, maxKey, false)
		if fp == "" {
			fp = clean(a.ID, maxKey, false)
		}
		e, err := span{status: a.Status, starts: a.StartsAt, ends: a.EndsAt, labels: labels, fingerprint: fp, summary: a.Summary,
			startName: "starts_at", endName: "ends_at"}.event(i)
		if err != nil {
			return Batch{}, err
		}
		b.Alerts = append(b.Alerts, e)
	}
	if b.Title == "" {
		b.Title = amTitle(common, nil, map[string]string{})
	}
	return b, b.check()
}
