package store_test

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// liveKeys is what recurrence_keys must hold, worked out from the tables
// it is derived from.
const liveKeys = `
SELECT 'e ' || ie.entity, i.started_at, i.id FROM incident_entities ie JOIN incidents i ON i.id = ie.incident
UNION SELECT CASE s.kind WHEN 'fingerprint' THEN 'f ' ELSE 'l ' END || s.value, i.started_at, i.id
    FROM incident_signals s JOIN incidents i ON i.id = s.incident
UNION SELECT 'a ' || a.fingerprint, i.started_at, i.id FROM alert_events a JOIN incidents i ON i.id = a.incident`

// liveWords is, on PostgreSQL, the "w " keys recurrence_keys must hold:
// the lexemes of every search document (0029).
const liveWords = `
UNION SELECT 'w ' || w, i.started_at, i.id
    FROM incident_search s JOIN incidents i ON i.id = s.incident, unnest(tsvector_to_array(s.document)) w`

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
			live := liveKeys
			if engine == store.Postgres {
				live += liveWords
			}
			// wantRows counts the keys other than words; the words of a
			// document are checked against the document itself.
			check := func(step string, wantRows int) {
				t.Helper()
				got, want := rowsOf(t, raw, `SELECT key, started_at, incident FROM recurrence_keys ORDER BY 1, 2, 3`), rowsOf(t, raw, live+` ORDER BY 1, 2, 3`)
				n := 0
				for _, k := range got {
					if !strings.HasPrefix(k, "w ") {
						n++
					}
				}
				if !slices.Equal(got, want) || n != wantRows {
					t.Fatalf("%s: recurrence_keys\n%v\nwant %d rows other than words\n%v", step, got, wantRows, want)
				}
			}
			// words lists the words recurrence_keys holds for an incident.
			words := func(id string) []string {
				var out []string
				for _, k := range rowsOf(t, raw, `SELECT key, started_at, incident FROM recurrence_keys WHERE incident = '`+id+`' AND key LIKE 'w %' ORDER BY 1`) {
					w, _, _ := strings.Cut(strings.TrimPrefix(k, "w "), " ")
					out = append(out, w)
				}
				return out
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
			exec(`INSERT INTO postmortems (incident, state, summary, impact, mechanism, factors, went_well, went_poorly, updated_at, updated_by)
VALUES ('INC-2026-0001', 'draft', '', '', 'disks filled with logs', '', '', '', ` + ts("2026-02-02") + `, 'user:default/p')`)
			check("postmortem written", 10)
			exec(`UPDATE postmortems SET mechanism = 'certificates expired' WHERE incident = 'INC-2026-0001'`)
			exec(`UPDATE incidents SET summary = 'the disks of the primary' WHERE id = 'INC-2026-0001'`)
			check("texts rewritten", 10)
			exec(`UPDATE incidents SET title = 'renamed database', started_at = ` + ts("2026-01-20") + ` WHERE id = 'INC-2026-0001'`)
			check("title and start changed at once", 10)
			if engine == store.Postgres {
				if got, want := words("INC-2026-0001"), []string{"certif", "databas", "disk", "expir", "primari", "renam"}; !slices.Equal(got, want) {
					t.Fatalf("words of INC-2026-0001: %v, want %v", got, want)
				}
			} else if got := words("INC-2026-0001"); got != nil {
				t.Fatalf("SQLite keeps words in recurrence_keys: %v", got)
			}
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

// On PostgreSQL the text lookup reads a word's latest incidents from
// recurrence_keys instead of the GIN index, and the common words from a
// copy of the planner's statistics; it finds what the index finds: the
// same best ranked of the same latest textScope matches in the window,
// with the same words left out as common.
func TestTextLookupMatchesTheIndex(t *testing.T) {
	// SQLite's lookup is FTS5's, unchanged by recurrence_keys.
	dsn := storetest.DSN(t, store.Postgres)
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	raw := openRaw(t, dsn)
	// 1,200 incidents over two years, one every 14 hours and a half, with
	// texts of Zipf-like words: the commonest in most documents (far more
	// than 250 in any window), then rarer ones, and a tail of words in a
	// handful each, which stay rare once the statistics are read.
	vocab := []string{"database", "timeout", "disk", "certificate", "queue", "cache", "deploy", "dns", "memory", "lock",
		"replica", "quota", "kafka", "ingress", "cron", "ldap", "smtp", "vault", "redis", "shard"}
	for i := range 2000 {
		vocab = append(vocab, fmt.Sprintf("host%04d", i))
	}
	word := func(rng *rand.Rand) string {
		if rng.IntN(3) == 0 {
			return vocab[20+rng.IntN(2000)]
		}
		return vocab[min(19, int(rng.ExpFloat64()*4))]
	}
	rng := rand.New(rand.NewPCG(5, 5))
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var b strings.Builder
	b.WriteString(`INSERT INTO people (ref, name, email, handle, nonce, created_at, updated_at) VALUES ('user:default/p', 'P', '', '', 'n', now(), now());
`)
	for i := range 1200 {
		var words []string
		for range 1 + rng.IntN(5) {
			words = append(words, word(rng))
		}
		at := start.Add(time.Duration(i) * 870 * time.Minute).Format(time.RFC3339)
		fmt.Fprintf(&b, `INSERT INTO incidents (id, title, severity, status, summary, impact, source, started_at, declared_at, created_by, created_at, updated_at)
VALUES ('INC-%05d', '%s', 'SEV3', 'open', '%s', '', 'manual', '%s', '%s', 'user:default/p', '%s', '%s');
`, i, strings.Join(words[:1], " "), strings.Join(words[1:], " "), at, at, at, at)
	}
	if _, err := raw.Exec(b.String()); err != nil {
		t.Fatal(err)
	}
	// The lookup as it was, over the GIN index, with the words weighed by
	// a statement of their own.
	rareWords := `
SELECT t FROM unnest($1::text[]) WITH ORDINALITY AS u(t, n)
WHERE NOT EXISTS (
    SELECT 1 FROM pg_stats s, unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS m(elem, freq)
    WHERE s.schemaname = current_schema() AND s.tablename = 'incident_search' AND s.attname = 'document'
      AND m.elem = ANY (tsvector_to_array(to_tsvector('english', t))) AND m.freq > 0.002)
ORDER BY n`
	reference := `
SELECT incident, rank FROM (
    SELECT s.incident, ts_rank(s.document, q) AS rank, i.started_at
    FROM to_tsquery('english', $1) q, incident_search s JOIN incidents i ON i.id = s.incident
    WHERE s.document @@ q AND i.started_at >= $2 AND i.started_at < $3 AND i.id <> $4
    ORDER BY i.started_at DESC LIMIT 250) recent
ORDER BY rank DESC, incident LIMIT 25`
	lookups := func(stats string) (found, left int) {
		for n := range 200 {
			var terms []string
			for range 1 + rng.IntN(4) {
				terms = append(terms, word(rng))
			}
			subject := fmt.Sprintf("INC-%05d", 300+rng.IntN(900))
			to := start.Add(time.Duration(rng.IntN(2*365*24)) * time.Hour)
			from := to.AddDate(-1, 0, 0)
			var got []string
			err := db.View(ctx, func(tx *store.Tx) error {
				ids, ranks, err := tx.TextCandidates(terms, from, to, subject)
				for i := range ids {
					got = append(got, fmt.Sprintf("%s %.6f", ids[i], ranks[i]))
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			rare := rowsOfOne(t, raw, rareWords, terms)
			left += len(terms) - len(rare)
			var want []string
			if len(rare) > 0 {
				rows, err := raw.Query(reference, strings.Join(rare, " | "), from, to, subject)
				if err != nil {
					t.Fatal(err)
				}
				for rows.Next() {
					var id string
					var rank float64
					if err := rows.Scan(&id, &rank); err != nil {
						t.Fatal(err)
					}
					want = append(want, fmt.Sprintf("%s %.6f", id, rank))
				}
				rows.Close()
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%s, lookup %d (%v, rare %v, %s, before %s):\n got %v\nwant %v", stats, n, terms, rare, subject, to.Format(time.DateOnly), got, want)
			}
			if len(want) > 0 {
				found++
			}
		}
		t.Logf("%s: %d of 200 lookups found something, %d words left out as common", stats, found, left)
		return found, left
	}
	if found, left := lookups("no statistics"); found < 150 || left != 0 {
		t.Fatalf("no statistics: %d lookups found something, %d words left out as common", found, left)
	}
	if _, err := raw.Exec(`ANALYZE incident_search`); err != nil {
		t.Fatal(err)
	}
	db.ForgetCommonWords()
	if found, left := lookups("statistics"); found < 20 || left < 100 {
		t.Fatalf("statistics: %d lookups found something, %d words left out as common", found, left)
	}
}

// rowsOfOne returns the single text column of q's rows, given one array
// parameter.
func rowsOfOne(t *testing.T, db *sql.DB, q string, arg []string) []string {
	t.Helper()
	rows, err := db.Query(q, arg)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
