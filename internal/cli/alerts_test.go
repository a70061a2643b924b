package cli_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/ingest"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestIncidentAlertsCLI: incident list --source lists the incidents an
// alert group opened, and incident show prints their alerts.
func TestIncidentAlertsCLI(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			c := newOrgCLI(t, engine)
			ctx := context.Background()
			db, err := store.Open(ctx, c.env["BLAMEFUL_DB"])
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			at := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
			labels := map[string]string{"alertname": "QueueBacklog", "service": "billing-worker", "instance": "w-1"}
			res, err := app.New(db).IngestAlerts(ctx, org.Actor{Ref: org.MustRef("token:alertmanager"), Roles: []org.Role{org.RoleIngest}},
				ingest.Batch{Source: ingest.Alertmanager, Group: `{}:{alertname="QueueBacklog"}`, Title: "Billing queue backlog", Labels: labels,
					Alerts: []ingest.Alert{{Key: "q1/firing", Fingerprint: "q1", Status: ingest.Firing, At: at, Labels: labels, Text: "FIRING QueueBacklog"}}})
			if err != nil {
				t.Fatal(err)
			}
			list := c.must("incident", "list", "--source", "alertmanager")
			if !strings.Contains(list, string(res.Incident)) || !strings.Contains(list, "alertmanager  Billing queue backlog") {
				t.Errorf("incident list --source alertmanager:\n%s", list)
			}
			if other := c.must("incident", "list", "--source", "pagerduty"); strings.Contains(other, string(res.Incident)) {
				t.Errorf("incident list --source pagerduty lists %s:\n%s", res.Incident, other)
			}
			show := c.must("incident", "show", string(res.Incident))
			for _, want := range []string{"Alerts: 1 firing, 0 resolved (1 events)", `group      alertmanager {}:{alertname="QueueBacklog"}`,
				"firing     QueueBacklog instance=w-1 service=billing-worker"} {
				if !strings.Contains(show, want) {
					t.Errorf("incident show lacks %q:\n%s", want, show)
				}
			}
		})
	}
}
