package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// amPayload is Alertmanager's webhook payload (version 4). Grafana's
// unified alerting webhook contact point sends the same shape (version 1)
// with fields of its own that are not needed here.
type amPayload struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []amAlert         `json:"alerts"`
}

type amAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// ParseAlertmanager reads an Alertmanager webhook delivery.
func ParseAlertmanager(body []byte) (Batch, error) {
	return parseAM(Alertmanager, body)
}

// ParseGrafana reads a delivery of Grafana's webhook contact point.
func ParseGrafana(body []byte) (Batch, error) {
	return parseAM(Grafana, body)
}

func parseAM(src Source, body []byte) (Batch, error) {
	var p amPayload
	if err := decodeJSON(body, &p); err != nil {
		return Batch{}, err
	}
	switch {
	case src == Alertmanager && p.Version != "4":
		return Batch{}, invalid("version is %q; blameful reads Alertmanager's webhook payload version 4", p.Version)
	case p.Status != "firing" && p.Status != "resolved":
		return Batch{}, invalid("status is %q; it must be firing or resolved", p.Status)
	case len(p.Alerts) == 0:
		return Batch{}, invalid("alerts is empty; a delivery carries at least one alert")
	}
	common := cleanLabels(p.CommonLabels)
	b := Batch{
		Source: src, Group: clean(p.GroupKey, maxKey, false), Resolved: p.Status == "resolved",
		Labels: common, URL: clean(p.ExternalURL, maxKey, false),
		Title: amTitle(common, p.GroupLabels, p.CommonAnnotations),
	}
	for i, a := range p.Alerts {
		e, err := span{status: a.Status, starts: a.StartsAt, ends: a.EndsAt, labels: cleanLabels(a.Labels),
			fingerprint: clean(a.Fingerprint, maxKey, false), summary: a.Annotations["summary"],
			startName: "startsAt", endName: "endsAt"}.event(i)
		if err != nil {
			return Batch{}, err
		}
		b.Alerts = append(b.Alerts, e)
	}
	return b, b.check()
}

// amTitle names a group: its common summary, else its alert name and the
// other grouping labels.
func amTitle(common, group, annotations map[string]string) string {
	if s := clean(annotations["summary"], maxTitle, false); s != "" {
		return s
	}
	name := common["alertname"]
	if name == "" {
		name = group["alertname"]
	}
	for _, l := range []string{"service", "component", "app", "job"} {
		if v := common[l]; v != "" && name != "" {
			return clean(name+" on "+v, maxTitle, false)
		}
	}
	if name == "" {
		name = "Alert"
	}
	return clean(name, maxTitle, false)
}

// decodeJSON reads one JSON value, reporting where a malformed body went
// wrong; fields a sender adds are ignored, as senders add them freely.
func decodeJSON(body []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return invalid("the body is not the expected JSON: %s", jsonProblem(err))
	}
	if d.More() {
		return invalid("the body holds more than one JSON value")
	}
	return nil
}

func jsonProblem(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return fmt.Sprintf("%s (at byte %d)", e.Error(), e.Offset)
	case *json.UnmarshalTypeError:
		field := e.Field
		if field == "" {
			field = "the top level"
		}
		return fmt.Sprintf("%s is a JSON %s where %s is expected", field, e.Value, goKind(e.Type.Kind().String()))
	case *time.ParseError:
		return fmt.Sprintf("a time is not in RFC 3339 form (%q)", e.Value)
	}
	return err.Error()
}

func goKind(k string) string {
	switch k {
	case "map", "struct":
		return "an object"
	case "slice":
		return "an array"
	case "string":
		return "a string"
	}
	return "a " + k
}
