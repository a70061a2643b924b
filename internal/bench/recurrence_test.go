package bench

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/recurrence"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

var (
	recurrenceIncidents = flag.Int("recurrence.incidents", 200000, "incidents among which recurrence candidates are looked up (the bar: 1,000,000)")
	recurrenceLookups   = flag.Int("recurrence.lookups", 300, "lookups timed per engine, each of another incident of the last year")
	recurrenceDSN       = flag.String("recurrence.dsn", "", "measure on this database, generated before, instead of generating one (its engine's run only); for looking into one set again and again")
	recurrenceTail      = flag.Bool("recurrence.tail", true, "write one word in six of incident texts from a long tail of host, error and product names (false: the failure vocabulary alone, as before 2026-12-01's second run)")
)

// recurrenceWords is the vocabulary incident texts are drawn from: words
// of failures, Zipf-distributed, so that some words are in a large share
// of incidents and most in few, as in real reports.
var recurrenceWords = strings.Fields(`timeout latency error errors failed failing connection pool exhausted database
	queue backlog lag consumer producer deadlock lock migration index table disk full space memory leak oom killed
	restart crash loop certificate expired tls handshake dns resolution lookup resolver rate limit throttled vendor
	quota retry storm backoff cache stampede eviction expiry config push rollout flag targeting canary deploy
	rollback release version regression cpu saturation thread starvation gc pause heap replica lag failover
	primary leader election partition network packet loss firewall rule proxy gateway ingress load balancer
	health check probe kubernetes node drain autoscaler capacity cron job overlap batch duplicate message poison
	webhook callback signature secret rotation credential token clock skew ntp drift schema serialization json
	payload size limit upload storage bucket permission denied iam role quota exceeded billing invoice payment
	checkout cart order search index reindex shard elasticsearch kafka rabbitmq redis postgres mysql s3 cdn
	edge cache purge image resize thumbnail email smtp bounce sms push notification mobile app login session
	cookie oauth sso saml ldap sync import export report dashboard analytics pipeline etl warehouse spark
	stream window watermark late events ordering idempotency key collision hash shard rebalance split brain`)

// tailSize is how many names make the long tail of incident texts: hosts,
// error codes and product or customer names, each in few reports, which is
// what a text index is for. A fixed vocabulary of failure words alone, at a
// million incidents, puts every word in thousands of documents, so that the
// index is never asked.
const tailSize = 400000

// tailWord returns the k-th name of the long tail: a host, an error code
// or a product name, in turn.
func tailWord(k uint64) string {
	syllables := []string{"ka", "lo", "mi", "ze", "tor", "vex", "qua", "ri", "sol", "dun", "pha", "ny", "gri", "bel", "cor", "ax"}
	hosts := []string{"pgprimary", "kafkabroker", "webnode", "redisshard", "edgepop", "batchrunner", "ingestgw", "authsvc"}
	n := k / 3
	switch k % 3 {
	case 0:
		return fmt.Sprintf("%s%d", hosts[n%uint64(len(hosts))], n)
	case 1:
		return fmt.Sprintf("err%06d", n)
	}
	name := ""
	for i := 0; i < 4; i++ {
		name += syllables[n%uint64(len(syllables))]
		n /= uint64(len(syllables))
	}
	return name + syllables[k%uint64(len(syllables))]
}

// recurrenceText returns a text of n words: from the vocabulary, and with
// a tail one in six from the long tail of names (Zipf-distributed too, so
// that some hosts and products come up often and most rarely).
func recurrenceText(rng *rand.Rand, zipf, tail *rand.Zipf, n int) string {
	words := make([]string, n)
	for i := range words {
		if tail != nil && rng.IntN(6) == 0 {
			words[i] = tailWord(tail.Uint64())
			continue
		}
		words[i] = recurrenceWords[zipf.Uint64()]
	}
	return strings.Join(words, " ")
}

// writeRecurrenceHistory writes n incidents spread over three years before
// benchNow, each with failed entities, a postmortem mechanism, and for a
// third of them alert signals; the text index fills itself through the
// migration's triggers, as it does for the product's writes.
func writeRecurrenceHistory(ctx context.Context, raw *rawDB, w *world, n int, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 13))
	zipf := rand.NewZipf(rng, 1.1, 4, uint64(len(recurrenceWords)-1))
	var tail *rand.Zipf
	if *recurrenceTail {
		tail = rand.NewZipf(rng, 1.05, 2, tailSize-1)
	}
	span := 3 * 365 * 24 * time.Hour
	starts := make([]time.Time, n)
	for i := range starts {
		starts[i] = benchNow.Add(-time.Duration(rng.Int64N(int64(span)))).Truncate(time.Second)
	}
	sortTimes(starts)
	t := newTxn(ctx, raw)
	incidents := t.bulk("incidents", "id", "title", "severity", "status", "summary", "impact", "source", "started_at",
		"declared_at", "created_by", "created_at", "updated_at")
	failed := t.bulk("incident_entities", "incident", "entity", "origin", "position")
	postmortems := t.bulk("postmortems", "incident", "state", "summary", "impact", "mechanism", "factors", "went_well",
		"went_poorly", "updated_at", "updated_by")
	signals := t.bulk("incident_signals", "incident", "kind", "value")
	g := &group{t: t, bulks: []*bulk{incidents, failed, postmortems, signals}}
	seq := map[int]int{}
	for _, start := range starts {
		seq[start.Year()]++
		id := string(incident.FormatID(start.Year(), seq[start.Year()]))
		by := string(personRef(rng.IntN(len(w.people))))
		if err := incidents.add(id, recurrenceText(rng, zipf, tail, 4+rng.IntN(4)), "SEV3", "resolved", recurrenceText(rng, zipf, tail, 8+rng.IntN(10)),
			"", "alertmanager", raw.ts(start), raw.ts(start), by, raw.ts(start), raw.ts(start)); err != nil {
			return err
		}
		first := w.failable().Ref
		if err := failed.add(id, string(first), true, 0); err != nil {
			return err
		}
		if rng.IntN(4) == 0 {
			if second := w.failable().Ref; second != first {
				if err := failed.add(id, string(second), false, 1); err != nil {
					return err
				}
			}
		}
		if err := postmortems.add(id, "published", "", "", recurrenceText(rng, zipf, tail, 6+rng.IntN(12)), "[]", "", "", raw.ts(start), by); err != nil {
			return err
		}
		if rng.IntN(3) == 0 {
			if err := signals.add(id, "fingerprint", fmt.Sprintf("%x", rng.IntN(n/4+1))); err != nil {
				return err
			}
			if err := signals.add(id, "label", fmt.Sprintf("alertname=Alert%d", rng.IntN(500))); err != nil {
				return err
			}
		}
		if err := g.step(); err != nil {
			return err
		}
	}
	return g.close()
}

// recurrenceFloor is the same lookup as plain SQL, one statement per
// engine on a prepared statement: the earlier incidents of the year before
// that share a failed entity (fifty), an entity of the same system, a
// fingerprint or label, or match the words among the 250 latest documents
// of the text index (25 of each), and the rows the scoring reads. Only the database's own work is left.
var recurrenceFloor = map[store.Engine]string{
	store.SQLite: `
WITH me AS (SELECT started_at AS t FROM incidents WHERE id = ?1),
ents AS (SELECT entity FROM incident_entities WHERE incident = ?1),
sib AS (SELECT e2.subject AS entity FROM edges e1 JOIN edges e2 ON e2.object = e1.object AND e2.relation = 'part_of'
    WHERE e1.relation = 'part_of' AND e1.object LIKE 'system:%' AND e1.subject IN (SELECT entity FROM ents) LIMIT 100),
c AS (
    SELECT * FROM (SELECT i.id FROM incident_entities ie JOIN incidents i ON i.id = ie.incident, me
        WHERE ie.entity IN (SELECT entity FROM ents) AND i.started_at >= strftime('%Y-%m-%dT%H:%M:%fZ', me.t, '-365 days') AND i.started_at < me.t AND i.id <> ?1
        ORDER BY i.started_at DESC LIMIT 50)
    UNION SELECT * FROM (SELECT i.id FROM incident_entities ie JOIN incidents i ON i.id = ie.incident, me
        WHERE ie.entity IN (SELECT entity FROM sib) AND i.started_at >= strftime('%Y-%m-%dT%H:%M:%fZ', me.t, '-365 days') AND i.started_at < me.t AND i.id <> ?1
        ORDER BY i.started_at DESC LIMIT 25)
    UNION SELECT * FROM (SELECT i.id FROM incident_signals s JOIN incidents i ON i.id = s.incident, me
        WHERE (s.kind, s.value) IN (SELECT kind, value FROM incident_signals WHERE incident = ?1)
          AND i.started_at >= strftime('%Y-%m-%dT%H:%M:%fZ', me.t, '-365 days') AND i.started_at < me.t AND i.id <> ?1
        ORDER BY i.started_at DESC LIMIT 25)
    UNION SELECT * FROM (SELECT s.incident FROM (SELECT rowid AS rid FROM incident_search_document
            WHERE incident_search_document MATCH ?2 AND rowid <= (SELECT rowid FROM incident_search WHERE incident = ?1)
            ORDER BY rowid DESC LIMIT 250) f
        JOIN incident_search s ON s.rowid = f.rid JOIN incidents i ON i.id = s.incident, me
        WHERE i.started_at >= strftime('%Y-%m-%dT%H:%M:%fZ', me.t, '-365 days') AND i.started_at < me.t AND i.id <> ?1)
)
SELECT i.id, i.title, i.summary, i.started_at, COALESCE(p.mechanism, ''), ie.entity, ie.origin
FROM c JOIN incidents i ON i.id = c.id LEFT JOIN postmortems p ON p.incident = i.id LEFT JOIN incident_entities ie ON ie.incident = i.id`,
	store.Postgres: `
WITH me AS (SELECT started_at AS t FROM incidents WHERE id = $1),
ents AS (SELECT entity FROM incident_entities WHERE incident = $1),
sib AS (SELECT e2.subject AS entity FROM edges e1 JOIN edges e2 ON e2.object = e1.object AND e2.relation = 'part_of'
    WHERE e1.relation = 'part_of' AND e1.object LIKE 'system:%' AND e1.subject IN (SELECT entity FROM ents) LIMIT 100),
c AS (
    (SELECT i.id FROM incident_entities ie JOIN incidents i ON i.id = ie.incident, me
        WHERE ie.entity IN (SELECT entity FROM ents) AND i.started_at >= me.t - interval '365 days' AND i.started_at < me.t AND i.id <> $1
        ORDER BY i.started_at DESC LIMIT 50)
    UNION (SELECT i.id FROM incident_entities ie JOIN incidents i ON i.id = ie.incident, me
        WHERE ie.entity IN (SELECT entity FROM sib) AND i.started_at >= me.t - interval '365 days' AND i.started_at < me.t AND i.id <> $1
        ORDER BY i.started_at DESC LIMIT 25)
    UNION (SELECT i.id FROM incident_signals s JOIN incidents i ON i.id = s.incident, me
        WHERE (s.kind, s.value) IN (SELECT kind, value FROM incident_signals WHERE incident = $1)
          AND i.started_at >= me.t - interval '365 days' AND i.started_at < me.t AND i.id <> $1
        ORDER BY i.started_at DESC LIMIT 25)
    UNION (SELECT incident FROM (SELECT s.incident, ts_rank(s.document, q) AS rank
            FROM incident_search s JOIN incidents i ON i.id = s.incident, me, to_tsquery('english', $2) q
            WHERE s.document @@ q AND i.started_at >= me.t - interval '365 days' AND i.started_at < me.t AND i.id <> $1
            ORDER BY i.started_at DESC LIMIT 250) recent ORDER BY rank DESC LIMIT 25)
)
SELECT i.id, i.title, i.summary, i.started_at, COALESCE(p.mechanism, ''), ie.entity, ie.origin
FROM c JOIN incidents i ON i.id = c.id LEFT JOIN postmortems p ON p.incident = i.id LEFT JOIN incident_entities ie ON ie.incident = i.id`,
}

// BenchmarkRecurrence measures the recurrence candidates of an incident
// (bar: ≤ 20 ms p99 among 1M incidents) on each engine: app/candidates is
// app.RecurrenceCandidates, the product's lookup with its scoring;
// floor is the same gathering as one plain SQL statement, prepared, that
// reads the same rows. Both are timed per call over -recurrence.lookups
// incidents of the last year, and report p50 and p99.
func BenchmarkRecurrence(b *testing.B) {
	w := worldFor(orgSpec{People: *orgPeople, Teams: *orgTeams, Entities: *orgEntities, Incidents: 10, Seed: 1})
	for _, engine := range storetest.Engines(b) {
		b.Run(string(engine), func(b *testing.B) {
			ctx := context.Background()
			var db *store.DB
			var raw *rawDB
			began := time.Now()
			if *recurrenceDSN != "" {
				db, raw = keptDB(b, engine, *recurrenceDSN)
			} else {
				_, db, raw = freshDB(b, engine)
				if err := writeOrg(ctx, raw, w); err != nil {
					b.Fatal(err)
				}
				if err := writeRecurrenceHistory(ctx, raw, w, *recurrenceIncidents, 17); err != nil {
					b.Fatal(err)
				}
				if engine == store.Postgres {
					// As autovacuum would after the inserts: statistics,
					// and the visibility map that lets the lookups read
					// recurrence_keys from its index alone.
					if _, err := raw.ExecContext(ctx, `VACUUM (ANALYZE)`); err != nil {
						b.Fatal(err)
					}
				}
			}
			if *recurrenceDSN == "" {
				b.Logf("generated %d incidents over three years in %s", *recurrenceIncidents, time.Since(began).Round(time.Second))
			}
			a := app.New(db, fixedClock())
			var subjects []incident.ID
			var terms []string
			rows, err := raw.QueryContext(ctx, raw.q(`SELECT i.id, i.title || ' ' || i.summary || ' ' || p.mechanism FROM incidents i
JOIN postmortems p ON p.incident = i.id WHERE i.started_at >= $1 ORDER BY i.id LIMIT $2`), raw.ts(benchNow.AddDate(-1, 0, 0)), *recurrenceLookups*50)
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
				var id, text string
				if err := rows.Scan(&id, &text); err != nil {
					b.Fatal(err)
				}
				subjects = append(subjects, incident.ID(id))
				terms = append(terms, text)
			}
			rows.Close()
			// The floor gets the subject's rare words ready-made, as the
			// store weighs them (words in more than 2,000 documents, or
			// 0.2% of them on PostgreSQL, are left out).
			for i, text := range terms {
				rare, err := floorRareTerms(ctx, raw, engine, recurrence.QueryTerms(text, 10))
				if err != nil {
					b.Fatal(err)
				}
				if len(rare) == 0 {
					rare = []string{"zzzznothing"}
				}
				terms[i] = strings.Join(rare, map[store.Engine]string{store.SQLite: " OR ", store.Postgres: " | "}[engine])
			}
			rng := rand.New(rand.NewPCG(3, 3))
			pick := rng.Perm(len(subjects))[:min(len(subjects), *recurrenceLookups)]
			stmt, err := raw.PrepareContext(ctx, recurrenceFloor[engine])
			if err != nil {
				b.Fatal(err)
			}
			defer stmt.Close()
			floor := func(i int) error {
				q := terms[i]
				if engine == store.SQLite {
					q = quoteTerms(q)
				}
				rows, err := stmt.QueryContext(ctx, string(subjects[i]), q)
				if err != nil {
					return err
				}
				defer rows.Close()
				n := 0
				for rows.Next() {
					var id, title, summary, mech, ent string
					var at any
					var origin sql.NullBool
					if err := rows.Scan(&id, &title, &summary, &at, &mech, &ent, &origin); err != nil {
						return err
					}
					n++
				}
				sink = n
				return rows.Err()
			}
			product := func(i int) error {
				c, err := a.RecurrenceCandidates(ctx, member, subjects[i])
				sink = c
				return err
			}
			// Warm both once over every subject: the generator leaves the
			// caches cold, a server's are warm.
			for _, i := range pick {
				if err := product(i); err != nil {
					b.Fatal(err)
				}
				if err := floor(i); err != nil {
					b.Fatal(err)
				}
			}
			for _, run := range []struct {
				name string
				fn   func(int) error
			}{{"app", product}, {"floor", floor}} {
				b.Run(run.name, func(b *testing.B) {
					var took []time.Duration
					for b.Loop() {
						for _, i := range pick {
							t0 := time.Now()
							if err := run.fn(i); err != nil {
								b.Fatal(err)
							}
							took = append(took, time.Since(t0))
						}
					}
					slices.Sort(took)
					q := func(p float64) float64 { return float64(took[int(p*float64(len(took)-1))]) / 1e6 }
					b.ReportMetric(q(0.5), "p50-ms")
					b.ReportMetric(q(0.99), "p99-ms")
					b.ReportMetric(0, "ns/op")
					b.Logf("%s %s: %d lookups, p50 %.2f ms, p99 %.2f ms, max %.2f ms", engine, run.name, len(took), q(0.5), q(0.99), q(1))
				})
			}
		})
	}
}

// floorRareTerms keeps the terms the store would keep, with the same SQL.
func floorRareTerms(ctx context.Context, raw *rawDB, engine store.Engine, terms []string) ([]string, error) {
	var out []string
	if engine == store.Postgres {
		rows, err := raw.QueryContext(ctx, `SELECT t FROM unnest($1::text[]) AS t
WHERE NOT EXISTS (
    SELECT 1 FROM pg_stats s, unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS m(elem, freq)
    WHERE s.schemaname = current_schema() AND s.tablename = 'incident_search' AND s.attname = 'document'
      AND m.elem = ANY (tsvector_to_array(to_tsvector('english', t))) AND m.freq > 0.002)`, terms)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var t string
			if err := rows.Scan(&t); err != nil {
				return nil, err
			}
			out = append(out, t)
		}
		return out, rows.Err()
	}
	for _, t := range terms {
		var n int
		if err := raw.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM incident_search_document WHERE incident_search_document MATCH ?1 LIMIT 2000)`,
			`"`+t+`"`).Scan(&n); err != nil {
			return nil, err
		}
		if n < 2000 {
			out = append(out, t)
		}
	}
	return out, nil
}

// quoteTerms writes "a OR b" as FTS5's "\"a\" OR \"b\"", as the store does.
func quoteTerms(q string) string {
	parts := strings.Split(q, " OR ")
	for i, p := range parts {
		parts[i] = `"` + p + `"`
	}
	return strings.Join(parts, " OR ")
}
