package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

var (
	ingestAlerts  = flag.Int("ingest.alerts", 100000, "alerts per measured round of BenchmarkAlertIngest")
	ingestBatch   = flag.Int("ingest.batch", 100, "alerts per delivery, as Alertmanager groups them")
	ingestGroups  = flag.Int("ingest.groups", 64, "alert groups the storm spreads over (one incident each)")
	ingestClients = flag.Int("ingest.clients", 16, "concurrent senders")
)

// BenchmarkAlertIngest measures an alert storm through POST
// /hooks/alertmanager: a server child process (the product as serve runs
// it) takes Alertmanager deliveries of -ingest.batch alerts each, every
// alert new, spread over -ingest.groups groups, from -ingest.clients
// senders at once. The floor stores the same rows (the alert timeline
// entries, their alert events, one audit event per delivery and the audit
// index of every row) with prepared multi-row INSERTs on one warm
// connection, in transactions of 2,000 alerts, the most the product's
// group commit takes at once. Both start from a freshly migrated database.
func BenchmarkAlertIngest(b *testing.B) {
	for _, engine := range storetest.Engines(b) {
		b.Run(string(engine), func(b *testing.B) {
			ctx := context.Background()
			dsn := storetest.DSN(b, engine)
			token := ingestToken(b, dsn)
			product := startChild(b, "app", dsn)
			floorDSN := storetest.DSN(b, engine)
			migrated(b, floorDSN)
			floor, err := openFloorWriter(floorDSN)
			if err != nil {
				b.Fatal(err)
			}
			defer floor.Close()
			gen := &storm{batch: *ingestBatch, groups: *ingestGroups, start: time.Now().UTC().Add(-time.Minute)}
			// Warm up: open the groups' incidents and every connection.
			if _, err := sendStorm(product.base, token, gen.bodies(*ingestGroups), *ingestClients); err != nil {
				b.Fatal(err)
			}
			fl := &floorStore{db: floor}
			if err := fl.open(ctx, *ingestGroups); err != nil {
				b.Fatal(err)
			}
			var appAlerts, floorAlerts int
			var appTime, floorTime time.Duration
			for b.Loop() {
				n := *ingestAlerts / gen.batch
				bodies := gen.bodies(n)
				took, err := sendStorm(product.base, token, bodies, *ingestClients)
				if err != nil {
					b.Fatalf("product: %v", err)
				}
				appAlerts += n * gen.batch
				appTime += took
				took, err = fl.store(ctx, gen, n)
				if err != nil {
					b.Fatalf("floor: %v", err)
				}
				floorAlerts += n * gen.batch
				floorTime += took
			}
			stored := countAlerts(b, dsn)
			if want := (appAlerts + *ingestGroups*gen.batch); stored != want {
				b.Fatalf("the product stored %d alert events, want %d", stored, want)
			}
			peak, _ := product.memoryKB()
			appRate := float64(appAlerts) / appTime.Seconds()
			floorRate := float64(floorAlerts) / floorTime.Seconds()
			b.ReportMetric(appRate, "app-alerts/s")
			b.ReportMetric(floorRate, "floor-alerts/s")
			b.ReportMetric(appRate/floorRate, "ratio")
			b.ReportMetric(float64(peak)/1024, "app-peak-rss-MB")
			b.Logf("%d senders, %d alerts a delivery over %d groups: product %d alerts in %s, floor %d in %s",
				*ingestClients, gen.batch, gen.groups, appAlerts, appTime.Round(time.Millisecond), floorAlerts, floorTime.Round(time.Millisecond))
		})
	}
}

// ingestToken migrates the database and makes an ingest token.
func ingestToken(tb testing.TB, dsn string) string {
	tb.Helper()
	ctx := context.Background()
	db := migrated(tb, dsn)
	defer db.Close()
	_, secret, err := app.New(db).CreateToken(ctx, org.System("bench"), app.NewToken{Name: "storm", Roles: []org.Role{org.RoleIngest}})
	if err != nil {
		tb.Fatal(err)
	}
	return secret
}

func migrated(tb testing.TB, dsn string) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := db.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return db
}

func countAlerts(tb testing.TB, dsn string) int {
	tb.Helper()
	db, err := openRaw(dsn, true)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM alert_events`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// storm makes Alertmanager deliveries whose every alert is new: delivery
// k goes to group k mod groups and carries batch alerts with fingerprints
// no other delivery has.
type storm struct {
	batch, groups int
	start         time.Time
	next          int
}

type stormAlert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
	Fingerprint string            `json:"fingerprint"`
}

func (s *storm) group(k int) string {
	return fmt.Sprintf(`{}:{alertname="DiskFull", cluster="c%03d"}`, k%s.groups)
}

func (s *storm) alert(k, i int) stormAlert {
	n := k*s.batch + i
	return stormAlert{
		Status: "firing",
		Labels: map[string]string{"alertname": "DiskFull", "cluster": fmt.Sprintf("c%03d", k%s.groups), "severity": "warning",
			"instance": fmt.Sprintf("node-%07d:9100", n), "service": "storage"},
		Annotations: map[string]string{"summary": "Disk above 95%"},
		StartsAt:    s.start, Fingerprint: fmt.Sprintf("%016x", n),
	}
}

// bodies returns the next n deliveries' bodies.
func (s *storm) bodies(n int) [][]byte {
	out := make([][]byte, n)
	for j := range n {
		k := s.next
		s.next++
		alerts := make([]stormAlert, s.batch)
		for i := range alerts {
			alerts[i] = s.alert(k, i)
		}
		b, _ := json.Marshal(map[string]any{
			"version": "4", "groupKey": s.group(k), "status": "firing", "receiver": "blameful",
			"groupLabels":  map[string]string{"alertname": "DiskFull", "cluster": fmt.Sprintf("c%03d", k%s.groups)},
			"commonLabels": map[string]string{"alertname": "DiskFull", "severity": "warning", "service": "storage"},
			"externalURL":  "http://alertmanager.example.com:9093", "alerts": alerts, "truncatedAlerts": 0,
		})
		out[j] = b
	}
	return out
}

// sendStorm posts every body once with clients senders at a time and
// returns how long it took; any answer but 202 stops it.
func sendStorm(base, token string, bodies [][]byte, clients int) (time.Duration, error) {
	var next atomic.Int64
	var mu sync.Mutex
	var firstErr error
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1, DisableCompression: true}}
		wg.Go(func() {
			defer c.CloseIdleConnections()
			for ctx.Err() == nil {
				k := int(next.Add(1)) - 1
				if k >= len(bodies) {
					return
				}
				req, _ := http.NewRequestWithContext(ctx, "POST", base+"/hooks/alertmanager", bytes.NewReader(bodies[k]))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				res, err := c.Do(req)
				if err == nil {
					var body []byte
					body, err = io.ReadAll(res.Body)
					res.Body.Close()
					if err == nil && res.StatusCode != http.StatusAccepted {
						err = fmt.Errorf("delivery %d: %s: %s", k, res.Status, body)
					}
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					cancel()
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start), firstErr
}

// openFloorWriter opens a writer with the product's own settings: on
// SQLite, WAL with synchronous NORMAL, foreign keys checked, the same page
// cache and checkpoint interval, and one connection.
func openFloorWriter(dsn string) (*rawDB, error) {
	engine, target, err := store.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if engine == store.Postgres {
		return openRaw(dsn, false)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "cache_size(-32768)")
	q.Add("_pragma", "wal_autocheckpoint(8000)")
	q.Add("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+target+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return &rawDB{DB: db, engine: engine}, nil
}

// floorStore writes the storm's rows directly.
type floorStore struct {
	db      *rawDB
	seq     int64
	prev    string
	stmts   map[int]*sql.Stmt
	entryID int
}

// open inserts one incident per group, as the warm-up does for the
// product.
func (f *floorStore) open(ctx context.Context, groups int) error {
	now := f.db.ts(time.Now())
	for g := range groups {
		if _, err := f.db.ExecContext(ctx, f.db.q(`INSERT INTO incidents (id, title, severity, status, source, started_at, declared_at,
    created_by, created_at, updated_at) VALUES ($1, 'DiskFull', 'SEV3', 'open', 'alertmanager', $2, $2, 'token:default/storm', $2, $2)`),
			fmt.Sprintf("INC-2026-%04d", g+1), now); err != nil {
			return err
		}
	}
	f.prev = strings.Repeat("0", 64)
	err := f.db.QueryRowContext(ctx, `SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`).Scan(&f.seq, &f.prev)
	if err == sql.ErrNoRows {
		err = nil
	}
	return err
}

const perTx = 2000

// insert returns a prepared multi-row INSERT of rows rows into table.
func (f *floorStore) insert(ctx context.Context, tx *sql.Tx, table string, cols []string, rows int) (*sql.Stmt, error) {
	var q strings.Builder
	fmt.Fprintf(&q, "INSERT INTO %s (%s) VALUES ", table, strings.Join(cols, ", "))
	for r := range rows {
		if r > 0 {
			q.WriteString(", ")
		}
		q.WriteByte('(')
		for c := range cols {
			if c > 0 {
				q.WriteString(", ")
			}
			if f.db.engine == store.SQLite {
				q.WriteByte('?') // unnumbered: SQLite binds them without looking up names
			} else {
				fmt.Fprintf(&q, "$%d", r*len(cols)+c+1)
			}
		}
		q.WriteByte(')')
	}
	return tx.PrepareContext(ctx, q.String())
}

var (
	entryCols = []string{"id", "incident", "occurred_at", "recorded_at", "author", "kind", "text", "deleted", "revision", "updated_at"}
	eventCols = []string{"entry", "incident", "source", "event_key", "fingerprint", "status", "at", "labels", "received_at"}
	auditCols = []string{"seq", "id", "at", "actor", "action", "subject", "data", "version", "prev_hash", "hash", "states"}
	rowCols   = []string{"seq", "tbl", "key", "hash"}
)

// store writes n deliveries' rows, perTx alerts to a transaction.
func (f *floorStore) store(ctx context.Context, s *storm, n int) (time.Duration, error) {
	start := time.Now()
	first := s.next - n // the deliveries the product was just sent
	perDelivery := perTx / s.batch
	for d := 0; d < n; d += perDelivery {
		tx, err := f.db.BeginTx(ctx, nil)
		if err != nil {
			return 0, err
		}
		insEntries, err := f.insert(ctx, tx, "timeline_entries", entryCols, s.batch)
		if err != nil {
			return 0, err
		}
		insEvents, err := f.insert(ctx, tx, "alert_events", eventCols, s.batch)
		if err != nil {
			return 0, err
		}
		insAudit, err := f.insert(ctx, tx, "audit_events", auditCols, 1)
		if err != nil {
			return 0, err
		}
		insRows, err := f.insert(ctx, tx, "audit_rows", rowCols, s.batch)
		if err != nil {
			return 0, err
		}
		now := time.Now().UTC()
		for k := first + d; k < first+min(d+perDelivery, n); k++ {
			inc := fmt.Sprintf("INC-2026-%04d", k%s.groups+1)
			entries := make([]any, 0, len(entryCols)*s.batch)
			events := make([]any, 0, len(eventCols)*s.batch)
			entryHashes := make([]any, 0, len(rowCols)*s.batch)
			eventHashes := make([]any, 0, len(rowCols)*s.batch)
			data := make([]map[string]string, 0, s.batch)
			f.seq++
			for i := range s.batch {
				a := s.alert(k, i)
				f.entryID++
				id := fmt.Sprintf("00000000-0000-7000-8000-%012d", f.entryID)
				text := "FIRING DiskFull: Disk above 95% (" + a.Labels["instance"] + ")"
				labels, _ := json.Marshal(a.Labels)
				key := a.Fingerprint + "/" + a.StartsAt.Format(time.RFC3339Nano) + "/firing"
				entries = append(entries, id, inc, f.db.ts(a.StartsAt), f.db.ts(now), "token:default/storm", "alert", text, false, 0, f.db.ts(now))
				events = append(events, id, inc, "alertmanager", key, a.Fingerprint, "firing", f.db.ts(a.StartsAt), string(labels), f.db.ts(now))
				entryHashes = append(entryHashes, f.seq, "timeline_entries", id, rowHash(id, inc, text, key))
				eventHashes = append(eventHashes, f.seq, "alert_events", id, rowHash(id, key, string(labels)))
				data = append(data, map[string]string{"entry": id, "key": key, "fingerprint": a.Fingerprint})
			}
			if _, err := insEntries.ExecContext(ctx, entries...); err != nil {
				return 0, err
			}
			if _, err := insEvents.ExecContext(ctx, events...); err != nil {
				return 0, err
			}
			ev, _ := json.Marshal(data)
			hash := rowHash(f.prev, string(ev))
			if _, err := insAudit.ExecContext(ctx, f.seq, fmt.Sprintf("floor-%d", f.seq), f.db.ts(now), "token:default/storm", "alert.ingest", inc,
				string(ev), 2, f.prev, hash, ""); err != nil {
				return 0, err
			}
			f.prev = hash
			if _, err := insRows.ExecContext(ctx, entryHashes...); err != nil {
				return 0, err
			}
			if _, err := insRows.ExecContext(ctx, eventHashes...); err != nil {
				return 0, err
			}
		}
		if err := tx.Commit(); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

func rowHash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
