package store_test

import (
	"crypto/rand"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"blameful.dev/blameful/internal/audit"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// recorded records an audit event for the transaction's writes, as the app
// does for every write.
func recorded(tx *store.Tx) {
	tx.RecordAudit(audit.Entry{ID: "test-" + rand.Text(), At: now, Actor: "user:default/test", Action: "test.write"})
}

// TestRowStatesCoverSchema: every column of an accountable table is part
// of its rows' state, so a column added later cannot change unnoticed.
func TestRowStatesCoverSchema(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	columns := map[string][]string{}
	err := db.View(ctx, func(tx *store.Tx) error {
		return tx.Describe(func(table, column, typ string, _ bool) {
			if column != "" {
				columns[table] = append(columns[table], column)
			}
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range store.AccountableTables() {
		got := store.AccountableColumns(table)
		slices.Sort(got)
		if diff := cmp.Diff(columns[table], got); diff != "" {
			t.Errorf("%s: the hashed columns are not the table's (-table +hashed):\n%s", table, diff)
		}
	}
}

// findings lists every finding of CheckRows as "problem table key".
func findings(t *testing.T, db *store.DB) (int64, []string) {
	t.Helper()
	var out []string
	n, err := db.CheckRows(ctx, func(f audit.RowFinding) error {
		out = append(out, string(f.Problem)+" "+f.Table+" "+f.Key)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return n, out
}

// indexOf reads audit_rows back as the states of each event.
func indexOf(t *testing.T, db *store.DB) map[int64][]audit.RowState {
	t.Helper()
	out := map[int64][]audit.RowState{}
	if err := db.WalkRowIndex(ctx, -1<<62, 1<<62, func(seq int64, s audit.RowState) error {
		out[seq] = append(out[seq], s)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, s := range out {
		slices.SortFunc(s, audit.CompareStates)
	}
	return out
}

// A write's last event records the state of every unit it touched, each
// once, in its States and in the row index; the rows then check clean, and
// each kind of change behind the store's back is found.
func TestWritesRecordRowStates(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			dsn := storetest.DSN(t, engine)
			db, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			in := sampleIncident("INC-2026-0001", now.Add(-time.Hour))
			err = db.Update(ctx, func(tx *store.Tx) error {
				recorded(tx)
				recorded(tx) // only the last event of a write records states
				if err := tx.CreateIncident(&in); err != nil {
					return err
				}
				in.Title = "renamed"
				in.Entities = in.Entities[:1]
				return tx.UpdateIncident(&in) // touches the same units again
			})
			if err != nil {
				t.Fatal(err)
			}
			var events []audit.Event
			if err := db.View(ctx, func(tx *store.Tx) error {
				return tx.AuditEvents(0, 0, func(e audit.Event) error { events = append(events, e); return nil })
			}); err != nil {
				t.Fatal(err)
			}
			if len(events) != 2 || len(events[0].States) != 0 || events[1].Version != audit.Version {
				t.Fatalf("events: %+v", events)
			}
			states, err := audit.ParseStates(events[1].States)
			if err != nil {
				t.Fatal(err)
			}
			if len(states) != 2 || states[0].Table != "incident_entities" || states[1].Table != "incidents" || states[1].Key != "INC-2026-0001" {
				t.Fatalf("states: %+v", states)
			}
			if diff := cmp.Diff(map[int64][]audit.RowState{2: states}, indexOf(t, db)); diff != "" {
				t.Fatalf("the row index is not the event's states (-event +index):\n%s", diff)
			}
			if n, got := findings(t, db); n != 2 || len(got) != 0 {
				t.Fatalf("untouched: %d units, findings %v", n, got)
			}

			storetest.Exec(t, dsn, `UPDATE incidents SET severity = 'SEV4'`)
			storetest.Exec(t, dsn, `DELETE FROM incident_entities`)
			storetest.Exec(t, dsn, `INSERT INTO teams (ref, name, description, created_at, updated_at) VALUES ('group:default/ghost', '', '', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')`)
			want := []string{"changed incidents INC-2026-0001", "missing incident_entities INC-2026-0001", "unrecorded teams group:default/ghost"}
			if _, got := findings(t, db); !slices.Equal(got, want) {
				t.Fatalf("after tampering: %v, want %v", got, want)
			}
		})
	}
}

// A write to an accountable table with no audit event is refused, with
// nothing of it kept.
func TestUnrecordedWriteIsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		err := db.Update(ctx, func(tx *store.Tx) error {
			return tx.SaveTeam(org.Team{Ref: ref("group:payments"), Name: "Payments"}, now)
		})
		if err == nil || !strings.Contains(err.Error(), "teams group:default/payments was written with no audit event") {
			t.Fatalf("got %v", err)
		}
		if n, got := findings(t, db); n != 0 || len(got) != 0 {
			t.Fatalf("%d units, %v", n, got)
		}
	})
}

// A database from before migration 0005 gets a baseline: its rows are
// vouched for from the migration on, and the people among them get nonces.
func TestMigrationBaselinesExistingRows(t *testing.T) {
	dsn := storetest.DSN(t, store.SQLite)
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.MigrateTo(ctx, 4); err != nil {
		t.Fatal(err)
	}
	ts := "'2026-01-01T00:00:00.000000Z'"
	var people []string
	for i := range 1500 { // more than one baseline event's worth
		people = append(people, `('user:default/p`+strconv.Itoa(i)+`', 'P', '', '', `+ts+`, `+ts+`)`)
	}
	storetest.Exec(t, dsn, `INSERT INTO people (ref, name, email, handle, created_at, updated_at) VALUES `+strings.Join(people, ", "))
	storetest.Exec(t, dsn, `INSERT INTO incidents (id, title, severity, status, started_at, declared_at, created_by, created_at, updated_at)
		VALUES ('INC-2026-0001', 'old', 'SEV2', 'open', `+ts+`, `+ts+`, 'user:default/p1', `+ts+`, `+ts+`)`)
	storetest.Exec(t, dsn, `INSERT INTO incident_entities (incident, entity, origin, position) VALUES ('INC-2026-0001', 'component:default/a', 1, 0), ('INC-2026-0001', 'component:default/b', 0, 1)`)
	if err := db.MigrateTo(ctx, 5); err != nil {
		t.Fatalf("migrate to 0005: %v", err)
	}
	var events []audit.Event
	if err := db.View(ctx, func(tx *store.Tx) error {
		return tx.AuditEvents(0, 0, func(e audit.Event) error { events = append(events, e); return nil })
	}); err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, e := range events {
		if e.Action != "audit.baseline" || e.Actor != "system:default/migrate" {
			t.Fatalf("event %+v", e)
		}
		subjects = append(subjects, e.Subject)
	}
	if !slices.Equal(subjects, []string{"people", "people", "incidents", "incident_entities"}) {
		t.Fatalf("baseline events about %v", subjects)
	}
	if n, got := findings(t, db); n != 1502 || len(got) != 0 {
		t.Fatalf("after the baseline: %d units, findings %v", n, got)
	}
	v := audit.NewVerifier()
	for _, e := range events {
		if err := v.Next(e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Migrate(ctx); err != nil { // the export reads the later tables too
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx *store.Tx) error {
		p, err := tx.ExportPerson("user:default/p1")
		if err != nil {
			return err
		}
		if _, ok := p["people"][0]["nonce"]; ok {
			t.Errorf("the export shows the nonce: %v", p["people"][0])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The baseline, run again over a database, finds the same states the
// writes recorded, on both engines: reading back is engine independent.
func TestBaselineAgreesWithWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		in := sampleIncident("INC-2026-0001", now.Add(-time.Hour))
		err := db.Update(ctx, func(tx *store.Tx) error {
			recorded(tx)
			if err := tx.SavePerson(org.Person{Ref: ref("user:ada"), Name: "Ada", Left: now}, now); err != nil {
				return err
			}
			if err := tx.CreateIncident(&in); err != nil {
				return err
			}
			e := incident.Entry{ID: "t1", Incident: in.ID, OccurredAt: now, RecordedAt: now, Author: ref("user:ada"),
				Kind: incident.EntryAlert, Text: "x", UpdatedAt: now}
			return tx.CreateEntry(&e)
		})
		if err != nil {
			t.Fatal(err)
		}
		before := indexOf(t, db)[1]
		if err := db.Baseline(ctx); err != nil {
			t.Fatal(err)
		}
		var again []audit.RowState
		for seq, s := range indexOf(t, db) {
			if seq > 1 {
				again = append(again, s...)
			}
		}
		slices.SortFunc(again, audit.CompareStates)
		if diff := cmp.Diff(before, again); diff != "" {
			t.Fatalf("baseline (-write +baseline):\n%s", diff)
		}
	})
}
