package demo

import (
	"context"
	"fmt"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/ingest"
	"blameful.dev/blameful/internal/org"
)

// Alerts from Larkspur's Alertmanager. Six days ago the API gateway's
// latency alert fires on four nodes at two in the morning: the group opens
// a SEV1 incident on the gateway, its alerts resolve over half an hour,
// the incident moves to mitigated by itself, and the on-call SRE resolves
// it after checking. Two days ago an alert names a service the catalog
// does not have: the incident opens with no entity, an ownership gap, and
// A4 has the leader clarify who owns it. Nothing here draws from the
// world's random source.

// alertmanager is the ingest token's actor, as `token create --role
// ingest --name alertmanager` makes it.
var alertmanager = org.Actor{Ref: org.MustRef("token:alertmanager"), Roles: []org.Role{org.RoleIngest}}

func (w *world) alertStories() []action {
	var acts []action
	if day := w.today.AddDate(0, 0, -6); day.Add(6 * time.Hour).Before(w.today) {
		acts = append(acts, w.gatewayStorm(day)...)
	}
	if day := w.today.AddDate(0, 0, -2); day.Add(4 * time.Hour).Before(w.today) {
		acts = append(acts, w.unknownService(day)...)
	}
	return acts
}

// amAlert is one alert event of a demo group.
func amAlert(group, fp string, st ingest.Status, at time.Time, labels map[string]string, text string) ingest.Alert {
	return ingest.Alert{Key: fmt.Sprintf("%s/%s", fp, st), Fingerprint: fp, Status: st, At: at, Labels: labels, Text: text}
}

func deliver(b ingest.Batch) func(context.Context, *app.App) error {
	return func(ctx context.Context, a *app.App) error {
		_, err := a.IngestAlerts(ctx, alertmanager, b)
		return err
	}
}

func (w *world) gatewayStorm(day time.Time) []action {
	w.incidents++
	at := func(d time.Duration) time.Time { return day.Add(d) }
	group := `{}:{alertname="ApiGatewayLatencyHigh", service="api-gateway"}`
	common := map[string]string{"alertname": "ApiGatewayLatencyHigh", "service": "api-gateway", "severity": "critical", "team": "sre"}
	node := func(i int) (string, map[string]string) {
		l := map[string]string{"instance": fmt.Sprintf("gw-%d.eu-west-1:9100", i)}
		for k, v := range common {
			l[k] = v
		}
		return fmt.Sprintf("9c41e07a5d2b%04x", i), l
	}
	batch := func(resolved bool, events ...ingest.Alert) ingest.Batch {
		return ingest.Batch{Source: ingest.Alertmanager, Group: group, Resolved: resolved, Labels: common,
			Title: "API gateway p99 latency above 1.5s", URL: "http://alertmanager.larkspur.example:9093", Alerts: events}
	}
	fire := func(i int, t time.Time) ingest.Alert {
		fp, l := node(i)
		return amAlert(group, fp, ingest.Firing, t, l, "FIRING ApiGatewayLatencyHigh: p99 latency above 1.5s ("+l["instance"]+")")
	}
	clear := func(i int, t time.Time) ingest.Alert {
		fp, l := node(i)
		return amAlert(group, fp, ingest.Resolved, t, l, "RESOLVED ApiGatewayLatencyHigh: p99 latency above 1.5s ("+l["instance"]+")")
	}
	st := &incidentState{}
	oncall := person("piotr.nowak")
	first := at(hm(2, 10))
	acts := []action{
		{at: first.Add(30 * time.Second), run: deliver(batch(false, fire(1, first), fire(2, first), fire(3, first.Add(40*time.Second))))},
		{at: at(hm(2, 14)), run: deliver(batch(false, fire(1, first), fire(2, first), fire(3, first.Add(40*time.Second)), fire(4, at(hm(2, 13)))))},
		{at: at(hm(2, 16)), run: func(ctx context.Context, a *app.App) error {
			list, err := a.Incidents(ctx, oncall, incident.Filter{Source: "alertmanager", Limit: 1})
			if err != nil || len(list) == 0 {
				return fmt.Errorf("the gateway alerts opened no incident: %v", err)
			}
			st.id = list[0].ID
			return nil
		}},
		w.entry(st, oncall, at(hm(2, 22)), at(hm(2, 20)), incident.EntryAction, "Paged in. TLS handshakes are slow on every gateway node; scaling the node group from 4 to 8."),
		{at: at(hm(2, 31)), run: deliver(batch(false, clear(1, at(hm(2, 29))), clear(2, at(hm(2, 30))), fire(3, first.Add(40*time.Second)), fire(4, at(hm(2, 13)))))},
		{at: at(hm(2, 44)), run: deliver(batch(true, clear(3, at(hm(2, 42))), clear(4, at(hm(2, 43)))))},
		w.entry(st, oncall, at(hm(3, 5)), at(hm(2, 50)), incident.EntryObservation, "Latency normal for 20 minutes on 8 nodes. The cause looks like the certificate rotation at 02:00 emptying the session cache."),
		w.status(st, oncall, at(hm(3, 30)), incident.StatusResolved),
	}
	return acts
}

func (w *world) unknownService(day time.Time) []action {
	w.incidents++
	w.followUps++ // A4's clarification
	at := func(d time.Duration) time.Time { return day.Add(d) }
	group := `{}:{alertname="FeatureStoreLagging", service="feature-store"}`
	labels := map[string]string{"alertname": "FeatureStoreLagging", "service": "feature-store", "severity": "warning", "team": "ml",
		"instance": "feature-store-0:8080"}
	fired := at(hm(10, 3))
	return []action{
		{at: fired.Add(time.Minute), run: deliver(ingest.Batch{Source: ingest.Alertmanager, Group: group, Labels: labels,
			Title: "Feature store more than 15 minutes behind", Alerts: []ingest.Alert{
				amAlert(group, "e1f04c2a77b90d13", ingest.Firing, fired, labels,
					"FIRING FeatureStoreLagging: the online feature store is more than 15 minutes behind (feature-store-0:8080)")}})},
	}
}
