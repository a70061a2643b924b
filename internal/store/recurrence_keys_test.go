package store_test

import (
	"database/sql"
	"fmt"
	"slices"
	"testing"

	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// liveKeys is what recurrence_keys must hold, worked out from the tables
// it is derived from.
const liveKeys = `
SELECT 'e ' || ie.entity, i.started_at, i.id FROM incident_entities ie JOIN incidents i ON i.id = ie.incident
UNION SELECT CASE s.kind WHEN 'fingerprint' THEN 'f ' ELSE 'l ' END || s.value, i.started_at, i.id
    FROM incident_signals s JOIN incidents i ON i.id = s.incident
UNION SELECT 'a ' || a.fingerprint, i.started_at, i.id FROM alert_events a JOIN incidents i ON i.id = a.incident
ORDER BY 1, 2, 3`

// The keys recurrence lookups read stay exactly what the failed entities,
// signals, alert events and incident starts say, through every kind of
// write to them, however it is made (here behind the product's back, as a
// trigger sees any write).
func TestRecurrenceKeysFollowTheirTables(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			dsn := storetest.DSN(t, engine)
			db, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			raw := openRaw(t, dsn)
			check := func(step string, wantRows int) {
				t.Helper()
				got, want := rowsOf(t, raw, `SELECT key, started_at, incident FROM recurrence_keys ORDER BY 1, 2, 3`), rowsOf(t, raw, liveKeys)
				if !slices.Equal(got, want) || len(got) != wantRows {
					t.Fatalf("%s: recurrence_keys\n%v\nwant %d rows\n%v", step, got, wantRows, want)
				}
			}
			ts := func(s string) string { return "'" + s + "T00:00:00.000000Z'" }
			exec := func(q string) { storetest.Exec(t, dsn, q) }
			exec(`INSERT INTO people (ref, name, email, handle, nonce, created_at, updated_at) VALUES ('user:default/p', 'P', '', '', 'n', ` + ts("2026-01-01") + `, ` + ts("2026-01-01") + `)`)
			for _, id := range []string{"INC-2026-0001", "INC-2026-0002"} {
				exec(`INSERT INTO incidents (id, title, severity, status, summary, impact, source, started_at, declared_at, created_by, created_at, updated_at)
VALUES ('` + id + `', 't', 'SEV2', 'open', '', '', 'manual', ` + ts("2026-02-01") + `, ` + ts("2026-02-01") + `, 'user:default/p', ` + ts("2026-02-01") + `, ` + ts("2026-02-01") + `)`)
				for i, e := range []string{"component:default/a", "component:default/b"} {
					exec(fmt.Sprintf(`INSERT INTO incident_entities (incident, entity, origin, position) VALUES ('%s', '%s', %s, %d)`, id, e, []string{"true", "false"}[i], i))
				}
				exec(`INSERT INTO incident_signals (incident, kind, value) VALUES ('` + id + `', 'fingerprint', 'f1'), ('` + id + `', 'label', 'alertname=Disk')`)
				for i := range 2 { // two events of one alert
					entry := fmt.Sprintf("%s-e%d", id, i)
					exec(`INSERT INTO timeline_entries (id, incident, occurred_at, recorded_at, author, kind, text, revision, deleted, updated_at)
VALUES ('` + entry + `', '` + id + `', ` + ts("2026-02-01") + `, ` + ts("2026-02-01") + `, 'user:default/p', 'alert', '', 1, false, ` + ts("2026-02-01") + `)`)
					exec(`INSERT INTO alert_events (entry, incident, source, event_key, fingerprint, status, at, labels, received_at)
VALUES ('` + entry + `', '` + id + `', 'alertmanager', '` + entry + `', 'f9', 'firing', ` + ts("2026-02-01") + `, '{}', ` + ts("2026-02-01") + `)`)
				}
			}
			check("written", 10)
			exec(`UPDATE incidents SET started_at = ` + ts("2026-01-15") + ` WHERE id = 'INC-2026-0002'`)
			exec(`UPDATE incidents SET title = 'renamed', started_at = started_at WHERE id = 'INC-2026-0001'`)
			check("start moved", 10)
			exec(`DELETE FROM incident_entities WHERE incident = 'INC-2026-0001' AND entity = 'component:default/b'`)
			exec(`UPDATE incident_entities SET entity = 'component:default/c' WHERE incident = 'INC-2026-0002' AND entity = 'component:default/b'`)
			exec(`UPDATE incident_signals SET value = 'alertname=Memory' WHERE incident = 'INC-2026-0001' AND kind = 'label'`)
			check("entities and signals changed", 9)
			exec(`DELETE FROM alert_events WHERE entry = 'INC-2026-0001-e0'`)
			check("one of two events gone", 9)
			exec(`DELETE FROM alert_events WHERE entry = 'INC-2026-0001-e1'`)
			exec(`UPDATE alert_events SET fingerprint = 'f8' WHERE entry = 'INC-2026-0002-e0'`)
			check("events gone and changed", 9)
			for _, table := range []string{"alert_events", "timeline_entries", "incident_signals", "incident_entities"} {
				exec(`DELETE FROM ` + table + ` WHERE incident = 'INC-2026-0002'`)
			}
			exec(`DELETE FROM incidents WHERE id = 'INC-2026-0002'`)
			check("incident gone", 3)
		})
	}
}

func openRaw(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	engine, target, err := store.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	driver := "pgx"
	if engine == store.SQLite {
		driver, target = "sqlite", "file:"+target+"?_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open(driver, target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func rowsOf(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var key, incident string
		var at any
		if err := rows.Scan(&key, &at, &incident); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(key, " ", at, " ", incident))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
