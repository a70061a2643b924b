package ingest

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

type ogPayload struct {
	Action string `json:"action"`
	Alert  struct {
		AlertID   string            `json:"alertId"`
		Message   string            `json:"message"`
		Tags      []string          `json:"tags"`
		TinyID    string            `json:"tinyId"`
		Entity    string            `json:"entity"`
		Alias     string            `json:"alias"`
		CreatedAt json.Number       `json:"createdAt"`
		UpdatedAt json.Number       `json:"updatedAt"`
		Username  string            `json:"username"`
		Source    string            `json:"source"`
		Priority  json.RawMessage   `json:"priority"`
		Details   map[string]string `json:"details"`
	} `json:"alert"`
	IntegrationName string `json:"integrationName"`
}

// ParseOpsgenie reads a delivery of Opsgenie's outgoing Webhook
// integration. The alert's alias (its id when it has none) is the group;
// Create fires it, Close resolves it, and the other actions (Acknowledge,
// AddNote, …) are recorded as they come. Each event is keyed by the
// action and the alert's update time, which a retry repeats.
func ParseOpsgenie(body []byte) (Batch, error) {
	var p ogPayload
	if err := decodeJSON(body, &p); err != nil {
		return Batch{}, err
	}
	a := p.Alert
	if p.Action == "" {
		return Batch{}, invalid("action is missing")
	}
	if a.AlertID == "" {
		return Batch{}, invalid("alert.alertId is missing")
	}
	created, err := epoch(a.CreatedAt)
	if err != nil {
		return Batch{}, invalid("alert.createdAt: %v", err)
	}
	updated, err := epoch(a.UpdatedAt)
	if err != nil {
		return Batch{}, invalid("alert.updatedAt: %v", err)
	}
	if created.IsZero() {
		return Batch{}, invalid("alert.createdAt is missing")
	}
	labels := map[string]string{}
	for k, v := range a.Details {
		labels[k] = v
	}
	for _, t := range a.Tags {
		if k, v, ok := strings.Cut(t, ":"); ok {
			labels[k] = v
		} else if t != "" {
			labels["tag_"+t] = "true"
		}
	}
	if a.Entity != "" && labels["entity"] == "" {
		labels["entity"] = a.Entity
	}
	if pr := priorityText(a.Priority); pr != "" {
		labels["priority"] = pr
	}
	labels = cleanLabels(labels)
	group := a.Alias
	if group == "" {
		group = a.AlertID
	}
	st, at := Firing, created
	switch p.Action {
	case "Close", "Delete":
		st = Resolved
	}
	if !updated.IsZero() && p.Action != "Create" {
		at = updated
	}
	stamp := a.UpdatedAt.String()
	if p.Action == "Create" || updated.IsZero() {
		stamp = a.CreatedAt.String()
	}
	b := Batch{
		Source: Opsgenie, Group: clean(group, maxKey, false), Resolved: st == Resolved,
		Title: clean(a.Message, maxTitle, false), Labels: labels,
		Alerts: []Alert{{
			Key:         clean(p.Action+"/"+a.AlertID+"/"+stamp, maxKey, false),
			Fingerprint: clean(group, maxKey, false), Status: st, At: at.UTC(), Labels: labels,
			Text: alertText(Status(strings.ToLower(p.Action)), "Opsgenie #"+a.TinyID, a.Message, a.Entity),
		}},
	}
	if b.Title == "" {
		b.Title = "Opsgenie alert " + a.AlertID
	}
	return b, b.check()
}

// epoch reads Opsgenie's times: milliseconds (createdAt) or nanoseconds
// (updatedAt) since 1970, told apart by size. They are read as integers:
// nanoseconds pass 2^53 and would lose precision as floating point.
func epoch(n json.Number) (time.Time, error) {
	if n == "" {
		return time.Time{}, nil
	}
	v, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil || v < 0 {
		return time.Time{}, invalid("%q is not a time in milliseconds or nanoseconds since 1970", n.String())
	}
	switch {
	case v == 0: // no time given
		return time.Time{}, nil
	case v > 1e17:
		return time.Unix(0, v), nil
	case v > 1e14:
		return time.UnixMicro(v), nil
	default:
		return time.UnixMilli(v), nil
	}
}

// priorityText reads Opsgenie's priority, "P3" or a bare 3.
func priorityText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n int
	if json.Unmarshal(raw, &n) == nil && n > 0 {
		return "P" + strconv.Itoa(n)
	}
	return ""
}
