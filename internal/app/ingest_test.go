package app_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/ingest"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

var sender = org.Actor{Ref: org.MustRef("token:alertmanager"), Roles: []org.Role{org.RoleIngest}}

// group is a delivery of one group's alerts, each firing since at.
func group(key string, at time.Time, fps ...string) ingest.Batch {
	labels := map[string]string{"alertname": "OrdersSlow", "service": "checkout-api", "severity": "error"}
	b := ingest.Batch{Source: ingest.Alertmanager, Group: key, Title: "Orders slow", Labels: labels}
	for _, fp := range fps {
		b.Alerts = append(b.Alerts, ingest.Alert{Key: fp + "/" + at.Format(time.RFC3339) + "/firing", Fingerprint: fp,
			Status: ingest.Firing, At: at, Labels: labels, Text: "FIRING OrdersSlow " + fp})
	}
	return b
}

func alertIncidents(t *testing.T, a *app.App) []incident.Incident {
	t.Helper()
	list, err := a.Incidents(context.Background(), apptest.Admin(), incident.Filter{Source: "alertmanager"})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestIngestTwoServersOneIncident: two servers on one database take the
// same group's first delivery, and its retries, at once: one incident,
// each alert recorded once.
func TestIngestTwoServersOneIncident(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			dsn := storetest.DSN(t, engine)
			var apps []*app.App
			for range 2 {
				db, err := store.Open(context.Background(), dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				if _, err := db.Migrate(context.Background()); err != nil {
					t.Fatal(err)
				}
				apps = append(apps, app.New(db))
			}
			at := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
			b := group("{}:{alertname=\"OrdersSlow\"}", at, "a1", "a2", "a3")
			var wg sync.WaitGroup
			errc := make(chan error, 12)
			for i := range 12 {
				wg.Go(func() {
					_, err := apps[i%2].IngestAlerts(context.Background(), sender, b)
					errc <- err
				})
			}
			wg.Wait()
			close(errc)
			for err := range errc {
				if err != nil {
					t.Fatal(err)
				}
			}
			list := alertIncidents(t, apps[0])
			if len(list) != 1 {
				t.Fatalf("%d incidents, want 1", len(list))
			}
			v, err := apps[0].IncidentAlertView(context.Background(), apptest.Admin(), list[0].ID)
			if err != nil || v.Events != 3 || v.Firing != 3 {
				t.Fatalf("alerts %+v, %v; want 3 events of 3 firing alerts", v, err)
			}
			if out, err := apps[1].VerifyAudit(context.Background(), apptest.Admin()); err != nil || !out.OK {
				t.Fatalf("audit: %+v %v", out, err)
			}
		})
	}
}

// TestIngestAfterResolution: a group whose incident a person resolved
// opens a new incident when it fires again; what it sends again of the
// old alerts stays with the old one.
func TestIngestAfterResolution(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		ctx := context.Background()
		key := "{}:{alertname=\"OrdersSlow\"}"
		first, err := a.IngestAlerts(ctx, sender, group(key, clock.Now().Add(-time.Minute), "a1"))
		if err != nil || !first.Opened {
			t.Fatalf("%+v %v", first, err)
		}
		clock.Advance(time.Hour)
		resolved := incident.StatusResolved
		if _, err := a.UpdateIncident(ctx, apptest.Admin(), first.Incident, app.IncidentPatch{Status: &resolved}); err != nil {
			t.Fatal(err)
		}
		again, err := a.IngestAlerts(ctx, sender, group(key, clock.Now().Add(-time.Hour-time.Minute), "a1"))
		if err != nil || again.Opened || again.Incident != first.Incident || again.Repeated != 1 {
			t.Fatalf("the old alert again: %+v %v", again, err)
		}
		clock.Advance(time.Hour)
		next, err := a.IngestAlerts(ctx, sender, group(key, clock.Now(), "a1"))
		if err != nil || !next.Opened || next.Incident == first.Incident {
			t.Fatalf("firing again: %+v %v", next, err)
		}
		d, err := a.IncidentDetail(ctx, apptest.Admin(), first.Incident)
		keys := d.Groups
		if err != nil || len(keys) != 1 || keys[0].Current {
			t.Fatalf("the first incident's group: %+v %v", keys, err)
		}
	})
}

// TestIngestRecurrenceByLaterAlert: an alert that joined an incident after
// it opened still finds it as a candidate for a later incident with the
// same fingerprint (F6).
func TestIngestRecurrenceByLaterAlert(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		ctx := context.Background()
		earlier, err := a.IngestAlerts(ctx, sender, group("g1", clock.Now().Add(-time.Minute), "a1"))
		if err != nil {
			t.Fatal(err)
		}
		var fps []string
		for i := range 60 { // past the signals' 50 fingerprints
			fps = append(fps, fmt.Sprintf("late-%02d", i))
		}
		if _, err := a.IngestAlerts(ctx, sender, group("g1", clock.Now(), fps...)); err != nil {
			t.Fatal(err)
		}
		clock.Advance(48 * time.Hour)
		b := group("g2", clock.Now(), "late-59")
		b.Labels = map[string]string{"alertname": "Unrelated", "service": "nothing-known"}
		b.Title = "Queue depth alarm"
		b.Alerts[0].Labels = b.Labels
		b.Alerts[0].Text = "FIRING Unrelated"
		later, err := a.IngestAlerts(ctx, sender, b)
		if err != nil {
			t.Fatal(err)
		}
		cands, err := a.RecurrenceCandidates(ctx, apptest.Admin(), later.Incident)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cands {
			t.Logf("candidate %s %v", c.Incident, c.Reasons)
			if c.Incident == earlier.Incident {
				return
			}
		}
		t.Errorf("candidates of %s: %+v; want %s, which had late-59", later.Incident, cands, earlier.Incident)
	})
}

// TestDriftFindsUnknownAlertLabels: an alert label that names no catalog
// entity is ownership drift, with the incidents that carried it; one that
// names an entity is not.
func TestDriftFindsUnknownAlertLabels(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		ctx := context.Background()
		known, unknown := group("g1", clock.Now().Add(-time.Minute), "k1"), group("g2", clock.Now().Add(-time.Minute), "u1")
		unknown.Labels = map[string]string{"alertname": "FeatureStoreLagging", "service": "feature-store", "team": "payments"}
		unknown.Alerts[0].Labels = unknown.Labels
		if _, err := a.IngestAlerts(ctx, sender, known); err != nil {
			t.Fatal(err)
		}
		res, err := a.IngestAlerts(ctx, sender, unknown)
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Hour)
		findings, err := a.OwnershipDrift(ctx, apptest.Person("ada"), 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range findings {
			if f.Kind == "unknown_alert_label" {
				got = append(got, f.Detail+" | "+strings.Join(f.Evidence, ";"))
			}
		}
		want := "alerts labelled service=feature-store name no catalog entity: 1 incident in 90 days, none with an owner to answer for it | incidents: " +
			string(res.Incident)
		if len(got) != 1 || got[0] != want {
			t.Errorf("unknown alert labels: %q, want [%q]", got, want)
		}
	})
}
