package bench

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/audit"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// auditVacuum makes BenchmarkAuditVerify vacuum PostgreSQL's tables after
// loading them, as autovacuum would.
var auditVacuum = flag.Bool("audit.vacuum", true, "vacuum the audit benchmark's PostgreSQL tables after loading them, as autovacuum would")

// auditDSN makes BenchmarkAuditVerify measure a database kept between
// runs: the chain is written into it only when it holds no event yet.
var auditDSN = flag.String("audit.dsn", "", "measure on this database (its engine's run only), writing the chain into it only if it has no event yet; for looking into one chain again and again")

// auditMix is the demo's mix of audit actions (how often each is written,
// per 3,000 or so events) and the average size of its data in bytes, so the
// generated chain hashes about as many bytes per event as a real one.
var auditMix = []struct {
	action       string
	weight, size int
}{
	{"timeline.add", 597, 172}, {"postmortem.transition", 530, 35}, {"incident.update", 396, 874},
	{"followup.create", 396, 168}, {"followup.update", 322, 359}, {"incident.declare", 198, 396},
	{"postmortem.edit", 196, 462}, {"attribution.decide", 185, 161}, {"assessment.judge", 159, 121},
	{"assessment.decision", 159, 159},
}

// auditChain is a generated chain and the rows its events vouch for.
type auditChain struct {
	events []audit.Event
	// rows holds each table's rows, every row its values in the order of
	// store.AccountableColumns.
	rows map[string][][]any
	// units is how many units (store/rowstate.go) the rows form.
	units int
	// entries is how many row states the events record in all.
	entries int
}

// auditUnit is one unit a generated event writes.
type auditUnit struct{ table, key string }

// chain generates n linked audit events with audit.Link, the function the
// store's write path uses, so the chain verifies, together with the rows
// they write: one incident per 16 events, declared by the first, then
// timeline entries, follow-ups and postmortem edits. Each event records the
// states of the units it wrote, as the store does: the rows' final state
// at a unit's last event, an earlier one before. Attribution and assessment
// events write the incident and the postmortem here, standing in for their
// own tables, which hash the same way.
func chain(n int, seed uint64) auditChain {
	rng := rand.New(rand.NewPCG(seed, 11))
	total := 0
	for _, m := range auditMix {
		total += m.weight
	}
	at := benchNow.AddDate(-1, 0, 0)
	filler := strings.Repeat("checkout latency above SLO; rolled back the release. ", 30)
	c := auditChain{rows: map[string][][]any{}}
	wrote := make([][]auditUnit, n)
	last := map[auditUnit]int{}
	var followups []string // the follow-ups of the current incident
	times := make([]time.Time, n)
	for i := range n {
		at = at.Add(time.Duration(1+rng.IntN(60000)) * time.Millisecond)
		times[i] = at
		inc := fmt.Sprintf("INC-2026-%04d", 1+i/16)
		action := "incident.declare"
		if i%16 != 0 {
			k := rng.IntN(total)
			for _, x := range auditMix {
				if k < x.weight {
					action = x.action
					break
				}
				k -= x.weight
			}
			if action == "incident.declare" { // once per incident
				action = "incident.update"
			}
		}
		var units []auditUnit
		switch action {
		case "incident.declare":
			followups = followups[:0]
			units = []auditUnit{{"incidents", inc}, {"incident_entities", inc}, {"postmortems", inc}}
			c.addIncident(inc, at, rng)
		case "incident.update", "attribution.decide":
			units = []auditUnit{{"incidents", inc}, {"incident_entities", inc}}
		case "timeline.add":
			id := fmt.Sprintf("0193%04x-%04x-7000-8000-%012x", i>>16, i&0xffff, rng.Int64N(1<<48))
			units = []auditUnit{{"timeline_entries", id}}
			c.rows["timeline_entries"] = append(c.rows["timeline_entries"], []any{id, inc, at.Add(-time.Minute), at,
				string(personRef(rng.IntN(10000))), "action", filler[:40+rng.IntN(200)], false, int64(0), at})
		case "followup.update":
			if len(followups) > 0 {
				units = []auditUnit{{"followups", followups[rng.IntN(len(followups))]}}
				break
			}
			fallthrough
		case "followup.create":
			id := fmt.Sprintf("FU-2026-%06d", i)
			followups = append(followups, id)
			units = []auditUnit{{"followups", id}}
			c.rows["followups"] = append(c.rows["followups"], []any{id, inc, "Add a circuit breaker " + id, string(teamRef(rng.IntN(2000))),
				"2026-12-01", "P2", "open", "", "", "", at, string(personRef(rng.IntN(10000))), nil, at})
		default: // postmortem edits and transitions, assessments
			units = []auditUnit{{"postmortems", inc}}
		}
		wrote[i] = units
		for _, u := range units {
			last[u] = i
		}
	}
	final := c.hashUnits()
	head := audit.Head{Hash: audit.Genesis}
	c.events = make([]audit.Event, 0, n)
	for i, units := range wrote {
		var states []audit.RowState
		for _, u := range units {
			h := final[u]
			if last[u] != i {
				// An earlier state of the unit: any other hash.
				sum := sha256.Sum256([]byte(fmt.Sprint(i, u)))
				h = hex.EncodeToString(sum[:])
			}
			states = append(states, audit.RowState{Table: u.table, Key: u.key, Hash: h})
		}
		c.entries += len(states)
		size := max(0, 200+rng.IntN(300)-len(`{"after":{"text":""}}`))
		ev := audit.Link(head, audit.Entry{
			ID: fmt.Sprintf("0193%04x-%04x-7%03x-8%03x-%012x", i>>16, i&0xffff, rng.IntN(4096), rng.IntN(4096), rng.Int64N(1<<48)),
			At: times[i], Actor: string(personRef(rng.IntN(10000))), Action: "bench.write", Subject: units[0].key,
			Data: []byte(`{"after":{"text":"` + filler[:min(size, len(filler))] + `"}}`), States: audit.EncodeStates(states),
		})
		head = audit.Head{Seq: ev.Seq, Hash: ev.Hash}
		c.events = append(c.events, ev)
	}
	c.units = len(final)
	return c
}

// tableRows counts the rows of the accountable tables.
func (c *auditChain) tableRows() int {
	n := 0
	for _, rows := range c.rows {
		n += len(rows)
	}
	return n
}

// addIncident adds an incident's row, its one or two failed entities and
// its postmortem.
func (c *auditChain) addIncident(id string, at time.Time, rng *rand.Rand) {
	by := string(personRef(rng.IntN(10000)))
	c.rows["incidents"] = append(c.rows["incidents"], []any{id, "Checkout latency " + id, "SEV2", "resolved",
		"Requests to checkout timed out for a quarter of an hour.", "", "manual", at.Add(-time.Hour), nil, at,
		at.Add(30 * time.Minute), at.Add(time.Hour), by, at, at.Add(time.Hour), nil})
	entity := rng.IntN(50000)
	for k := range 1 + rng.IntN(2) { // in the order of the entity, as a unit's rows are hashed
		c.rows["incident_entities"] = append(c.rows["incident_entities"], []any{id, fmt.Sprintf("component:default/c%05d-%d", entity, k),
			k == 0, int64(k)})
	}
	c.rows["postmortems"] = append(c.rows["postmortems"], []any{id, "published", "A release doubled the connection pool.", "",
		"The pool starved the database.", "[]", "Rolled back fast.", "No alert on pool size.", at.Add(48 * time.Hour), by,
		at.Add(24 * time.Hour), at.Add(48 * time.Hour), nil})
}

// hashUnits computes every unit's state hash as the store would read its
// rows back: a unit's rows hashed together in key order, then the rest of
// the primary key (the generators write them in that order).
func (c *auditChain) hashUnits() map[auditUnit]string {
	out := map[auditUnit]string{}
	h := audit.NewRowHasher()
	for table, rows := range c.rows {
		for i := 0; i < len(rows); {
			key := rows[i][0].(string)
			h.Reset()
			for ; i < len(rows) && rows[i][0] == key; i++ {
				if err := h.Add(rows[i]); err != nil {
					panic(err)
				}
			}
			out[auditUnit{table, key}] = h.Sum()
		}
	}
	return out
}

// writeChain stores the rows, then the events and their row index, as the
// store would, and moves the head.
// auditDB opens the database the audit benchmark measures on: a fresh
// one, or the one -audit.dsn names; fresh says whether the chain is still
// to be written.
func auditDB(tb testing.TB, engine store.Engine) (dsn string, db *store.DB, raw *rawDB, fresh bool) {
	tb.Helper()
	if *auditDSN == "" {
		dsn, db, raw = freshDB(tb, engine)
		return dsn, db, raw, true
	}
	dsn = *auditDSN
	db, raw = keptDB(tb, engine, dsn)
	var n int64
	if err := raw.QueryRowContext(context.Background(), `SELECT count(*) FROM audit_events`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return dsn, db, raw, n == 0
}

func writeChain(ctx context.Context, raw *rawDB, c auditChain) error {
	for _, table := range []string{"incidents", "incident_entities", "postmortems", "timeline_entries", "followups"} {
		b := newBulk(ctx, raw, table, store.AccountableColumns(table)...)
		for _, row := range c.rows[table] {
			vals := make([]any, len(row))
			for i, v := range row {
				if t, ok := v.(time.Time); ok {
					v = raw.ts(t)
				}
				vals[i] = v
			}
			if err := b.add(vals...); err != nil {
				return err
			}
		}
		if err := b.close(); err != nil {
			return err
		}
	}
	b := newBulk(ctx, raw, "audit_events", "seq", "id", "at", "actor", "action", "subject", "data", "version", "prev_hash", "hash", "states")
	for _, ev := range c.events {
		if err := b.add(ev.Seq, ev.ID, raw.ts(ev.At), ev.Actor, ev.Action, ev.Subject, string(ev.Data), ev.Version, ev.PrevHash, ev.Hash,
			string(ev.States)); err != nil {
			return err
		}
	}
	if err := b.close(); err != nil {
		return err
	}
	index := newBulk(ctx, raw, "audit_rows", "seq", "tbl", "key", "hash")
	for _, ev := range c.events {
		states, err := audit.ParseStates(ev.States)
		if err != nil {
			return err
		}
		for _, s := range states {
			if err := index.add(ev.Seq, s.Table, s.Key, s.Hash); err != nil {
				return err
			}
		}
	}
	if err := index.close(); err != nil {
		return err
	}
	last := c.events[len(c.events)-1]
	_, err := raw.ExecContext(ctx, raw.q(`UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`), last.Seq, last.Hash)
	return err
}

// TestAuditChainVerifies checks at a small scale that the generated chain
// and rows verify, rows included: the benchmark's data is what the store
// would have written.
func TestAuditChainVerifies(t *testing.T) {
	ctx := context.Background()
	c := chain(3000, 3)
	_, db, raw := freshDB(t, store.SQLite)
	if err := writeChain(ctx, raw, c); err != nil {
		t.Fatal(err)
	}
	res, err := app.New(db, fixedClock()).VerifyAudit(ctx, org.System("bench"))
	if err != nil || !res.OK || res.Events != 3000 || res.Units != int64(c.units) {
		t.Fatalf("%+v %v (want %d units); first findings %v", res, err, c.units, res.RowFindings[:min(3, len(res.RowFindings))])
	}
	t.Logf("%d events, %d row states, %d units", len(c.events), c.entries, c.units)
}

// BenchmarkAuditVerify is the audit bar (≥ 1M events/s). Per engine:
//
//   - verify: app.VerifyAudit over a chain of -audit.events events and the
//     rows they vouch for: the walk, the row index against the chain, and
//     every row against its last recorded state;
//   - index and rows: the two row steps alone, as the store runs them;
//   - floor: one plain ordered scan of the events, hashing each row's
//     fields (the bytes the chain hashes) with SHA-256;
//   - floor-all: that, plus a plain scan of every accountable table with
//     SHA-256 over each row's values, plus a plain scan of the row index:
//     the same data read and hashed, with nothing of blameful in the way;
//   - scan: the events' scan alone, without hashing;
//   - floor-events-1 and floor-events-par: the honest floor of the chain,
//     SHA-256 over a scan of the events read the fastest way the engine
//     offers (see floorWorkers), on one connection and on as many as
//     verify reads on; floor-all-1 and floor-all-par: the same with every
//     accountable row and the index, the floor of verify's whole answer.
//
// Verify and the honest floors also report events per CPU-second of this
// process (events/cpu-s), which holds better than the wall clock on a
// shared machine; on PostgreSQL it leaves out the server's work.
//
// And without a database: memory/verifier is audit.Verifier over the
// events in memory, memory/sha256 is SHA-256 over their canonical encoding,
// precomputed. Every sub-benchmark reports events/s.
func BenchmarkAuditVerify(b *testing.B) {
	c := chain(*auditEvents, 3)
	events := c.events
	b.Logf("%d events recording %d row states of %d units", len(events), c.entries, c.units)
	b.Run("memory", func(b *testing.B) {
		b.Run("verifier", func(b *testing.B) {
			for b.Loop() {
				v := audit.NewVerifier()
				for _, ev := range events {
					if err := v.Next(ev); err != nil {
						b.Fatal(err)
					}
				}
			}
			perSecond(b, len(events))
		})
		b.Run("sha256", func(b *testing.B) {
			encoded := make([][]byte, len(events))
			for i, ev := range events {
				prev, _ := hex.DecodeString(ev.PrevHash)
				encoded[i] = append(prev, audit.Encode(ev)...)
			}
			for b.Loop() {
				for _, e := range encoded {
					sink = sha256.Sum256(e)
				}
			}
			perSecond(b, len(events))
		})
	})
	for _, engine := range storetest.Engines(b) {
		b.Run(string(engine), func(b *testing.B) {
			ctx := context.Background()
			dsn, db, raw, fresh := auditDB(b, engine)
			start := time.Now()
			if fresh {
				if err := writeChain(ctx, raw, c); err != nil {
					b.Fatal(err)
				}
			}
			if fresh && engine == store.Postgres {
				if err := analyze(ctx, raw); err != nil {
					b.Fatal(err)
				}
				if *auditVacuum {
					// Autovacuum vacuums a table after enough inserts
					// (autovacuum_vacuum_insert_threshold), which sets its
					// visibility map: only then can PostgreSQL answer the
					// latest states from the index alone. A running server
					// would have done it within a minute of the load.
					if _, err := raw.ExecContext(ctx, `VACUUM (ANALYZE) audit_events, audit_rows, incidents, incident_entities,
						postmortems, timeline_entries, followups`); err != nil {
						b.Fatal(err)
					}
				}
			}
			if fresh {
				b.Logf("wrote %d events and their rows in %s", len(events), time.Since(start).Round(time.Millisecond))
			}
			a := app.New(db, fixedClock())
			floor, err := openRaw(dsn, true)
			if err != nil {
				b.Fatal(err)
			}
			defer floor.Close()
			admin := org.System("bench")
			b.Run("verify", func(b *testing.B) {
				cpu := startCPU()
				for b.Loop() {
					res, err := a.VerifyAudit(ctx, admin)
					if err != nil {
						b.Fatal(err)
					}
					if !res.OK || res.Events != int64(len(events)) || res.Units != int64(c.units) {
						b.Fatalf("verify: %+v", res)
					}
				}
				perSecond(b, len(events))
				cpu.report(b, len(events))
			})
			b.Run("index", func(b *testing.B) {
				r, err := db.AuditReader()
				if err != nil {
					b.Fatal(err)
				}
				defer r.Close()
				for b.Loop() {
					n := 0
					if err := r.WalkRowIndex(ctx, 0, int64(len(events)), func(int64, []byte, []byte, []byte) error { n++; return nil }); err != nil || n != c.entries {
						b.Fatalf("index: %d entries, %v", n, err)
					}
				}
				perSecond(b, len(events))
			})
			b.Run("rows", func(b *testing.B) {
				for b.Loop() {
					if n, err := db.CheckRows(ctx, func(f audit.RowFinding) error { return fmt.Errorf("%s", f) }); err != nil || n != int64(c.units) {
						b.Fatalf("rows: %d units, %v", n, err)
					}
				}
				perSecond(b, len(events))
				b.ReportMetric(float64(c.units)*float64(b.N)/b.Elapsed().Seconds(), "units/s")
			})
			b.Run("floor", func(b *testing.B) {
				for b.Loop() {
					if n, err := scanAudit(ctx, floor, true); err != nil || n != len(events) {
						b.Fatalf("scan: %d events, %v", n, err)
					}
				}
				perSecond(b, len(events))
			})
			b.Run("floor-all", func(b *testing.B) {
				for b.Loop() {
					if n, err := scanAudit(ctx, floor, true); err != nil || n != len(events) {
						b.Fatalf("scan: %d events, %v", n, err)
					}
					if n, err := scanRows(ctx, floor); err != nil || n != c.entries+c.tableRows() {
						b.Fatalf("scan rows: %d rows, %v", n, err)
					}
				}
				perSecond(b, len(events))
			})
			b.Run("scan", func(b *testing.B) {
				for b.Loop() {
					if n, err := scanAudit(ctx, floor, false); err != nil || n != len(events) {
						b.Fatalf("scan: %d events, %v", n, err)
					}
				}
				perSecond(b, len(events))
			})
			// The honest floors: the fastest reads each engine offers,
			// on one connection and on as many as verify reads on.
			all := len(events) + c.entries + c.tableRows()
			for _, f := range []struct {
				name    string
				workers int
				all     bool
			}{{"events-1", 1, false}, {"events-par", floorWorkers(), false}, {"all-1", 1, true}, {"all-par", floorWorkers(), true}} {
				want := len(events)
				if f.all {
					want = all
				}
				b.Run("floor-"+f.name, func(b *testing.B) {
					cpu := startCPU()
					for b.Loop() {
						var n int
						var err error
						if engine == store.SQLite {
							_, path, _ := store.ParseDSN(dsn)
							n, err = floorSQLite(path, int64(len(events)), f.workers, f.all)
						} else {
							n, err = floorPgx(ctx, floor, int64(len(events)), f.workers, f.all)
						}
						if err != nil || n != want {
							b.Fatalf("floor: %d rows, %v; want %d", n, err, want)
						}
					}
					perSecond(b, len(events))
					cpu.report(b, len(events))
				})
			}
			if engine != store.Postgres {
				return
			}
			// On PostgreSQL, verify reads the chain through pgx's own
			// interface, so the same floor and scan are measured that way
			// too.
			b.Run("floor-pgx", func(b *testing.B) {
				for b.Loop() {
					if n, err := scanAuditPgx(ctx, floor, true); err != nil || n != len(events) {
						b.Fatalf("scan: %d events, %v", n, err)
					}
				}
				perSecond(b, len(events))
			})
			b.Run("scan-pgx", func(b *testing.B) {
				for b.Loop() {
					if n, err := scanAuditPgx(ctx, floor, false); err != nil || n != len(events) {
						b.Fatalf("scan: %d events, %v", n, err)
					}
				}
				perSecond(b, len(events))
			})
		})
	}
}

// scanRows reads every row of the accountable tables and the whole row
// index in one read transaction, running SHA-256 over each table row's
// values, and returns how many rows it read.
func scanRows(ctx context.Context, db *rawDB) (int, error) {
	tx, err := db.BeginTx(ctx, readOnly(db))
	if err != nil {
		return 0, err
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	n := 0
	var buf []byte
	for _, table := range append(store.AccountableTables(), "audit_rows") {
		cols := store.AccountableColumns(table)
		hash := cols != nil
		if !hash {
			cols = []string{"seq", "tbl", "key", "hash"}
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM `+table)
		if err != nil {
			return n, err
		}
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return n, err
			}
			n++
			if !hash {
				continue
			}
			buf = buf[:0]
			for _, v := range vals {
				buf = append(buf, v...)
			}
			sink = sha256.Sum256(buf)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return n, err
		}
	}
	return n, tx.Commit()
}

// scanAuditPgx is scanAudit on PostgreSQL through pgx's own interface, as
// store.DB.WalkAudit reads: one read-only transaction, every column in
// binary, each row's values used where they lie. With hash set, it formats
// the time as text (as verifying must) and runs SHA-256 over the previous
// hash and fields.
func scanAuditPgx(ctx context.Context, db *rawDB, hash bool) (int, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	n := 0
	err = conn.Raw(func(dc any) error {
		c := dc.(*stdlib.Conn).Conn()
		tx, err := c.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx) //nolint:errcheck // read-only
		rows, err := tx.Query(ctx, `SELECT seq, id, at, actor, action, subject, data, version, prev_hash, hash, states FROM audit_events ORDER BY seq`,
			pgx.QueryResultFormats{pgx.BinaryFormatCode})
		if err != nil {
			return err
		}
		defer rows.Close()
		var buf []byte
		for rows.Next() {
			v := rows.RawValues()
			n++
			if !hash {
				continue
			}
			seq := int64(binary.BigEndian.Uint64(v[0]))
			at := time.UnixMicro(int64(binary.BigEndian.Uint64(v[2])) + 946684800*1000000).UTC()
			buf = strconv.AppendInt(append(buf[:0], v[8]...), seq, 10)
			buf = at.AppendFormat(append(buf, v[1]...), time.RFC3339Nano)
			for _, f := range [][]byte{v[3], v[4], v[5], v[6], v[10]} {
				buf = append(buf, f...)
			}
			sink = sha256.Sum256(buf)
		}
		return rows.Err()
	})
	return n, err
}

// perSecond reports how many events per second each op got through.
func perSecond(b *testing.B, events int) {
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// cpuClock measures the CPU time this process spends, user and system, so
// that a benchmark can report its work apart from the wall clock, which
// other processes on a shared machine stretch. A PostgreSQL server's work
// is not in it.
type cpuClock struct{ start time.Duration }

func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuClock { return cpuClock{cpuNow()} }

// report adds events per CPU-second of this process to b's metrics.
func (c cpuClock) report(b *testing.B, events int) {
	if d := cpuNow() - c.start; d > 0 {
		b.ReportMetric(float64(events)*float64(b.N)/d.Seconds(), "events/cpu-s")
	}
}

// scanAudit reads the whole audit table in order, in one read transaction,
// into plain byte slices, and with hash set, runs SHA-256 over each row's
// previous hash and fields.
func scanAudit(ctx context.Context, db *rawDB, hash bool) (int, error) {
	tx, err := db.BeginTx(ctx, readOnly(db))
	if err != nil {
		return 0, err
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	rows, err := tx.QueryContext(ctx, `SELECT seq, id, at, actor, action, subject, data, version, prev_hash, hash, states FROM audit_events ORDER BY seq`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var (
		seq, version                                   int64
		id, at, actor, action, subject, data, prev, hs []byte
		states                                         []byte
		atTime                                         textTime
		buf                                            []byte
		n                                              int
	)
	for rows.Next() {
		if err := rows.Scan(&seq, &id, &atTime, &actor, &action, &subject, &data, &version, &prev, &hs, &states); err != nil {
			return n, err
		}
		n++
		if !hash {
			continue
		}
		at = append(at[:0], *atTime.s...)
		buf = strconv.AppendInt(append(buf[:0], prev...), seq, 10)
		for _, f := range [][]byte{id, at, actor, action, subject, data, states} {
			buf = append(buf, f...)
		}
		sink = sha256.Sum256(buf)
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	return n, tx.Commit()
}

// The floors below are the least work that gives verify's answer, read the
// fastest way each engine offers: on SQLite a connection driven through
// modernc's SQLite directly (NOMUTEX, memory-mapped, values read in place,
// as verify's readers do), on PostgreSQL pgx with every column in binary.
// Each scans the events in seq order and runs SHA-256 over each event's
// previous hash and fields; the -all floors also scan every accountable
// table, running SHA-256 over each row's values, and the row index. The
// one-reader floors read everything on one connection; the parallel ones
// split the same reads into ranges of seq (the events and the index) and
// tables, on floorWorkers connections at once, as verify does.

// floorWorkers is how many connections a parallel floor reads on: as many
// as verify's readers.
func floorWorkers() int { return max(2, runtime.GOMAXPROCS(0)) }

// floorTask is one read of a floor: a range of seq of the events or of the
// index, or a whole table.
type floorTask struct {
	table       string // "" for the events
	index       bool
	after, upto int64
}

// floorTasks splits the floor's reads into parts for workers connections:
// with workers 1, one part of each.
func floorTasks(events int64, workers int, all bool) []floorTask {
	var out []floorTask
	if all {
		for _, t := range store.AccountableTables() {
			out = append(out, floorTask{table: t})
		}
	}
	step := (events + int64(workers) - 1) / int64(workers)
	for after := int64(0); after < events; after += step {
		out = append(out, floorTask{after: after, upto: min(after+step, events)})
		if all {
			out = append(out, floorTask{index: true, after: after, upto: min(after+step, events)})
		}
	}
	return out
}

// sql returns the task's statement, and whether its rows are hashed.
func (t floorTask) sql() (string, bool) {
	switch {
	case t.index:
		return `SELECT seq, tbl, key, hash FROM audit_rows WHERE seq > $1 AND seq <= $2`, false
	case t.table != "":
		return `SELECT ` + strings.Join(store.AccountableColumns(t.table), ", ") + ` FROM ` + t.table, true
	}
	return `SELECT seq, id, at, actor, action, subject, data, version, prev_hash, hash, states FROM audit_events
WHERE seq > $1 AND seq <= $2 ORDER BY seq`, true
}

// runFloor does the tasks on workers goroutines, each with a connection
// that open makes, and returns how many rows they read.
func runFloor[C any](tasks []floorTask, workers int, open func() (C, func(), error), read func(C, floorTask) (int, error)) (int, error) {
	var (
		next  atomic.Int64
		total atomic.Int64
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for range min(workers, len(tasks)) {
		wg.Go(func() {
			c, done, err := open()
			if err == nil {
				defer done()
			}
			for err == nil {
				i := next.Add(1) - 1
				if i >= int64(len(tasks)) {
					return
				}
				var n int
				n, err = read(c, tasks[i])
				total.Add(int64(n))
			}
			mu.Lock()
			first = cmp.Or(first, err)
			mu.Unlock()
		})
	}
	wg.Wait()
	return int(total.Load()), first
}

// floorSQLite runs the floor on SQLite, on workers connections.
func floorSQLite(path string, events int64, workers int, all bool) (int, error) {
	return runFloor(floorTasks(events, workers, all), workers, func() (*rawSQLite, func(), error) {
		c, err := openRawSQLite(path)
		if err != nil {
			return nil, nil, err
		}
		return c, c.close, nil
	}, func(c *rawSQLite, t floorTask) (int, error) {
		q, hash := t.sql()
		var args []int64
		if t.table == "" {
			args = []int64{t.after, t.upto}
		}
		var buf []byte
		return c.scan(q, args, func(cols [][]byte) {
			if !hash {
				return
			}
			buf = buf[:0]
			for _, v := range cols {
				buf = append(buf, v...)
			}
			sink = sha256.Sum256(buf)
		})
	})
}

// floorPgx runs the floor on PostgreSQL, on workers connections of db's.
func floorPgx(ctx context.Context, db *rawDB, events int64, workers int, all bool) (int, error) {
	return runFloor(floorTasks(events, workers, all), workers, func() (*sql.Conn, func(), error) {
		c, err := db.Conn(ctx)
		if err != nil {
			return nil, nil, err
		}
		return c, func() { c.Close() }, nil
	}, func(c *sql.Conn, t floorTask) (int, error) {
		q, hash := t.sql()
		var args []any
		if t.table == "" {
			args = []any{t.after, t.upto}
		}
		n := 0
		err := c.Raw(func(dc any) error {
			rows, err := dc.(*stdlib.Conn).Conn().Query(ctx, q, append([]any{pgx.QueryResultFormats{pgx.BinaryFormatCode}}, args...)...)
			if err != nil {
				return err
			}
			defer rows.Close()
			var buf []byte
			for rows.Next() {
				n++
				if !hash {
					continue
				}
				buf = buf[:0]
				for _, v := range rows.RawValues() {
					buf = append(buf, v...)
				}
				sink = sha256.Sum256(buf)
			}
			return rows.Err()
		})
		return n, err
	})
}

// rawSQLite is a read-only SQLite connection through modernc's SQLite
// itself, set up as verify's readers are (store/auditraw.go).
type rawSQLite struct {
	tls *libc.TLS
	db  uintptr
}

func openRawSQLite(path string) (*rawSQLite, error) {
	c := &rawSQLite{tls: libc.NewTLS()}
	name, err := libc.CString(path)
	if err != nil {
		return nil, err
	}
	defer libc.Xfree(c.tls, name)
	p := libc.Xmalloc(c.tls, 8)
	defer libc.Xfree(c.tls, p)
	rc := sqlite3.Xsqlite3_open_v2(c.tls, name, p, sqlite3.SQLITE_OPEN_READWRITE|sqlite3.SQLITE_OPEN_NOMUTEX, 0)
	c.db = *(*uintptr)(cptr(p))
	if rc != sqlite3.SQLITE_OK {
		c.close()
		return nil, fmt.Errorf("open %s: code %d", path, rc)
	}
	// As much of the file mapped as SQLite allows (SQLITE_MAX_MMAP_SIZE),
	// as verify's readers map it.
	for _, q := range []string{"PRAGMA query_only = 1", "PRAGMA mmap_size = 2147418112"} {
		if _, err := c.scan(q, nil, func([][]byte) {}); err != nil {
			c.close()
			return nil, err
		}
	}
	return c, nil
}

func (c *rawSQLite) close() {
	sqlite3.Xsqlite3_close_v2(c.tls, c.db)
	c.tls.Close()
}

// cptr is an address in SQLite's memory (libc's, outside Go's heap) as a
// pointer.
func cptr(p uintptr) unsafe.Pointer { return unsafe.Add(unsafe.Pointer(nil), p) }

// scan runs q with its $n parameters bound to args and calls fn with each
// row's columns, in place, and returns how many rows there were.
func (c *rawSQLite) scan(q string, args []int64, fn func([][]byte)) (int, error) {
	z, err := libc.CString(strings.NewReplacer("$1", "?1", "$2", "?2").Replace(q))
	if err != nil {
		return 0, err
	}
	defer libc.Xfree(c.tls, z)
	pp := libc.Xmalloc(c.tls, 8)
	defer libc.Xfree(c.tls, pp)
	if rc := sqlite3.Xsqlite3_prepare_v2(c.tls, c.db, z, -1, pp, 0); rc != sqlite3.SQLITE_OK {
		return 0, fmt.Errorf("prepare %s: %s", q, libc.GoString(sqlite3.Xsqlite3_errmsg(c.tls, c.db)))
	}
	stmt := *(*uintptr)(cptr(pp))
	defer sqlite3.Xsqlite3_finalize(c.tls, stmt)
	for i, a := range args {
		sqlite3.Xsqlite3_bind_int64(c.tls, stmt, int32(i+1), a)
	}
	var cols [][]byte
	for n := 0; ; n++ {
		switch rc := sqlite3.Xsqlite3_step(c.tls, stmt); rc {
		case sqlite3.SQLITE_ROW:
			cols = cols[:0]
			for i := range sqlite3.Xsqlite3_column_count(c.tls, stmt) {
				p := sqlite3.Xsqlite3_column_blob(c.tls, stmt, i)
				if k := sqlite3.Xsqlite3_column_bytes(c.tls, stmt, i); p != 0 && k > 0 {
					cols = append(cols, unsafe.Slice((*byte)(cptr(p)), k))
				} else {
					cols = append(cols, nil)
				}
			}
			fn(cols)
		case sqlite3.SQLITE_DONE:
			return n, nil
		default:
			return n, fmt.Errorf("%s: %s", q, libc.GoString(sqlite3.Xsqlite3_errmsg(c.tls, c.db)))
		}
	}
}
