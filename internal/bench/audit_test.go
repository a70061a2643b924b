package bench

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/audit"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

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

// chain generates n linked audit events with audit.Link, the function the
// store's write path uses, so the chain verifies.
func chain(n int, seed uint64) []audit.Event {
	rng := rand.New(rand.NewPCG(seed, 11))
	total := 0
	for _, m := range auditMix {
		total += m.weight
	}
	head := audit.Head{Hash: audit.Genesis}
	at := benchNow.AddDate(-1, 0, 0)
	out := make([]audit.Event, 0, n)
	filler := strings.Repeat("checkout latency above SLO; rolled back the release. ", 30)
	for i := range n {
		at = at.Add(time.Duration(1+rng.IntN(60000)) * time.Millisecond)
		k := rng.IntN(total)
		m := auditMix[0]
		for _, x := range auditMix {
			if k < x.weight {
				m = x
				break
			}
			k -= x.weight
		}
		size := max(0, m.size/2+rng.IntN(m.size+1)-len(`{"after":{"text":""}}`))
		data := `{"after":{"text":"` + filler[:min(size, len(filler))] + `"}}`
		ev := audit.Link(head, audit.Entry{
			ID: fmt.Sprintf("0193%04x-%04x-7%03x-8%03x-%012x", i>>16, i&0xffff, rng.IntN(4096), rng.IntN(4096), rng.Int64N(1<<48)),
			At: at, Actor: string(personRef(rng.IntN(10000))), Action: m.action, Subject: fmt.Sprintf("INC-2026-%04d", 1+i/16), Data: []byte(data),
		})
		head = audit.Head{Seq: ev.Seq, Hash: ev.Hash}
		out = append(out, ev)
	}
	return out
}

// writeChain stores the events as the store would, and moves the head.
func writeChain(ctx context.Context, raw *rawDB, events []audit.Event) error {
	b := newBulk(ctx, raw, "audit_events", "seq", "id", "at", "actor", "action", "subject", "data", "version", "prev_hash", "hash")
	for _, ev := range events {
		if err := b.add(ev.Seq, ev.ID, raw.ts(ev.At), ev.Actor, ev.Action, ev.Subject, string(ev.Data), ev.Version, ev.PrevHash, ev.Hash); err != nil {
			return err
		}
	}
	if err := b.close(); err != nil {
		return err
	}
	last := events[len(events)-1]
	_, err := raw.ExecContext(ctx, raw.q(`UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`), last.Seq, last.Hash)
	return err
}

// BenchmarkAuditVerify is the audit bar (≥ 1M events/s). Per engine:
//
//   - verify: app.VerifyAudit over a chain of -audit.events events;
//   - floor: one plain ordered scan of the same table, hashing each row's
//     fields (the bytes the chain hashes) with SHA-256;
//   - scan: the scan alone, without hashing.
//
// And without a database: memory/verifier is audit.Verifier over the
// events in memory, memory/sha256 is SHA-256 over their canonical encoding,
// precomputed. Every sub-benchmark reports events/s.
func BenchmarkAuditVerify(b *testing.B) {
	events := chain(*auditEvents, 3)
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
			dsn, db, raw := freshDB(b, engine)
			start := time.Now()
			if err := writeChain(ctx, raw, events); err != nil {
				b.Fatal(err)
			}
			if engine == store.Postgres {
				if err := analyze(ctx, raw); err != nil {
					b.Fatal(err)
				}
			}
			b.Logf("wrote %d events in %s", len(events), time.Since(start).Round(time.Millisecond))
			a := app.New(db, fixedClock())
			floor, err := openRaw(dsn, true)
			if err != nil {
				b.Fatal(err)
			}
			defer floor.Close()
			admin := org.System("bench")
			b.Run("verify", func(b *testing.B) {
				for b.Loop() {
					res, err := a.VerifyAudit(ctx, admin)
					if err != nil {
						b.Fatal(err)
					}
					if !res.OK || res.Events != int64(len(events)) {
						b.Fatalf("verify: %+v", res)
					}
				}
				perSecond(b, len(events))
			})
			b.Run("floor", func(b *testing.B) {
				for b.Loop() {
					if n, err := scanAudit(ctx, floor, true); err != nil || n != len(events) {
						b.Fatalf("scan: %d events, %v", n, err)
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
			if engine != store.Postgres {
				return
			}
			// On PostgreSQL, verify reads through pgx's own interface,
			// so the same floor and scan are measured that way too.
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
		rows, err := tx.Query(ctx, `SELECT seq, id, at, actor, action, subject, data, version, prev_hash, hash FROM audit_events ORDER BY seq`,
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
			for _, f := range [][]byte{v[3], v[4], v[5], v[6]} {
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

// scanAudit reads the whole audit table in order, in one read transaction,
// into plain byte slices, and with hash set, runs SHA-256 over each row's
// previous hash and fields.
func scanAudit(ctx context.Context, db *rawDB, hash bool) (int, error) {
	tx, err := db.BeginTx(ctx, readOnly(db))
	if err != nil {
		return 0, err
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	rows, err := tx.QueryContext(ctx, `SELECT seq, id, at, actor, action, subject, data, version, prev_hash, hash FROM audit_events ORDER BY seq`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var (
		seq, version                                   int64
		id, at, actor, action, subject, data, prev, hs []byte
		atTime                                         textTime
		buf                                            []byte
		n                                              int
	)
	for rows.Next() {
		if err := rows.Scan(&seq, &id, &atTime, &actor, &action, &subject, &data, &version, &prev, &hs); err != nil {
			return n, err
		}
		n++
		if !hash {
			continue
		}
		at = append(at[:0], *atTime.s...)
		buf = strconv.AppendInt(append(buf[:0], prev...), seq, 10)
		for _, f := range [][]byte{id, at, actor, action, subject, data} {
			buf = append(buf, f...)
		}
		sink = sha256.Sum256(buf)
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	return n, tx.Commit()
}
