package bench

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/web"
)

// The load harness runs each server in a child process (this test binary,
// started again with envChild set), so that both servers are measured the
// same way, neither shares a heap with the load generator, and each one's
// memory can be read from /proc. The children listen on 127.0.0.1 only, stop
// when their stdin closes, and stop by themselves after childLifetime
// whatever happens to the parent.
const (
	envDSN        = "BLAMEFUL_BENCH_DSN"
	envJobs       = "BLAMEFUL_BENCH_JOBS"
	childLifetime = 15 * time.Minute
)

// serveChild is the child's main: "app" serves the product (web.New over
// app.New over the store, access log formatted and written to /dev/null);
// "floor" serves GET /api/v1/incidents/{id} with a bare net/http handler
// that reads the same row and its failed entities with plain SQL.
func serveChild() int {
	ctx := context.Background()
	mode, dsn := os.Getenv(envChild), os.Getenv(envDSN)
	var h http.Handler
	switch mode {
	case "app":
		db, err := store.Open(ctx, dsn)
		if err != nil {
			fmt.Fprintln(os.Stderr, "open:", err)
			return 1
		}
		defer db.Close()
		devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		log := slog.New(slog.NewTextHandler(devnull, nil))
		a := app.New(db, app.WithLogger(log))
		// As serve does, the server reads its copy of the org at start
		// (its memory is part of the RSS measured).
		if err := a.LoadOrg(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "load the org:", err)
			return 1
		}
		s := web.New(a, log, "bench")
		s.MarkReady()
		h = s
		if os.Getenv(envJobs) != "" {
			// The background jobs every second, as several servers run
			// them; when it ends, the child says how many ran and failed.
			jctx, stopJobs := context.WithCancel(ctx)
			var runs, failed atomic.Int64
			done := make(chan struct{})
			go func() {
				defer close(done)
				a.RunJobsEvery(jctx, time.Second, app.Jobs{Observe: func(_ app.JobReport, err error) {
					runs.Add(1)
					if err != nil && jctx.Err() == nil { // not the stop itself
						failed.Add(1)
						fmt.Fprintln(os.Stderr, "bench child: job:", err)
					}
				}})
			}()
			defer func() {
				stopJobs()
				<-done
				fmt.Printf("JOBS runs=%d failed=%d\n", runs.Load(), failed.Load())
			}()
		}
	case "floor":
		db, err := openRaw(dsn, true)
		if err != nil {
			fmt.Fprintln(os.Stderr, "open:", err)
			return 1
		}
		defer db.Close()
		if h, err = floorHandler(db); err != nil {
			fmt.Fprintln(os.Stderr, "floor:", err)
			return 1
		}
	default:
		fmt.Fprintf(os.Stderr, "%s=%q: want app or floor\n", envChild, mode)
		return 2
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// The same timeouts as blameful serve.
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
	// BLAMEFUL_BENCH_CPUPROFILE=DIR writes each server's CPU profile there,
	// to see where the product's time goes.
	if dir := os.Getenv("BLAMEFUL_BENCH_CPUPROFILE"); dir != "" {
		f, err := os.Create(filepath.Join(dir, mode+".cpu.pprof"))
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer f.Close()
			defer pprof.StopCPUProfile()
		}
	}
	go srv.Serve(ln) //nolint:errcheck // Close ends it
	fmt.Printf("LISTEN %s\n", ln.Addr())
	stdin := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(stdin) }()
	select {
	case <-stdin:
	case <-time.After(childLifetime):
		fmt.Fprintln(os.Stderr, "bench child: lifetime over, stopping")
	}
	_ = srv.Close()
	return 0
}

// floorIncident has the fields of the API's incident JSON.
type floorIncident struct {
	ID                string            `json:"id"`
	Title             string            `json:"title"`
	Severity          string            `json:"severity"`
	Status            string            `json:"status"`
	Summary           string            `json:"summary"`
	Impact            string            `json:"impact"`
	Source            string            `json:"source"`
	StartedAt         textTime          `json:"started_at"`
	DetectedAt        textTime          `json:"detected_at"`
	DeclaredAt        textTime          `json:"declared_at"`
	MitigatedAt       textTime          `json:"mitigated_at"`
	ResolvedAt        textTime          `json:"resolved_at"`
	Entities          []floorEntity     `json:"entities"`
	CreatedBy         string            `json:"created_by"`
	CreatedAt         textTime          `json:"created_at"`
	UpdatedAt         textTime          `json:"updated_at"`
	AlertFingerprints []string          `json:"alert_fingerprints"`
	AlertLabels       map[string]string `json:"alert_labels"`
	ExternalKeys      []floorKey        `json:"external_keys"`
}

type floorEntity struct {
	Ref    string `json:"ref"`
	Origin bool   `json:"origin"`
}

type floorKey struct {
	Source     string   `json:"source"`
	Key        string   `json:"key"`
	Current    bool     `json:"current"`
	OpenedAt   textTime `json:"opened_at"`
	ResolvedAt textTime `json:"resolved_at"`
}

// textTime scans a time column of either engine as RFC 3339 text; NULL is
// JSON null.
type textTime struct{ s *string }

func (t *textTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		t.s = nil
	case string:
		t.s = &v
	case []byte:
		s := string(v)
		t.s = &s
	case time.Time:
		s := v.UTC().Format(time.RFC3339Nano)
		t.s = &s
	default:
		return fmt.Errorf("time column of type %T", src)
	}
	return nil
}

func (t textTime) MarshalJSON() ([]byte, error) {
	if t.s == nil {
		return []byte("null"), nil
	}
	return json.Marshal(*t.s)
}

// floorHandler is the floor of the API read: the least work that gives the
// same answer. No authentication, no middleware, no access log, no
// transaction; four statements prepared once on a warm pool (the
// incident's row, its failed entities, its alert signals, its alert
// groups), their rows encoded as the same JSON (times as the database
// holds them; TestFloorAnswersLikeProduct checks that the two agree).
func floorHandler(db *rawDB) (http.Handler, error) {
	if db.engine == store.SQLite {
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8)
	}
	ctx := context.Background()
	var stmts [4]*sql.Stmt
	for i, q := range []string{
		`SELECT id, title, severity, status, summary, impact, source, started_at, detected_at, declared_at,
    mitigated_at, resolved_at, created_by, created_at, updated_at FROM incidents WHERE id = $1`,
		`SELECT entity, origin FROM incident_entities WHERE incident = $1 ORDER BY position`,
		`SELECT kind, value FROM incident_signals WHERE incident = $1 ORDER BY kind, value`,
		`SELECT source, group_key, current, opened_at, resolved_at FROM alert_groups WHERE incident = $1
    ORDER BY opened_at, source, group_key`,
	} {
		st, err := db.PrepareContext(ctx, db.q(q))
		if err != nil {
			return nil, err
		}
		stmts[i] = st
	}
	qInc, qEnt, qSig, qKey := stmts[0], stmts[1], stmts[2], stmts[3]
	each := func(ctx context.Context, st *sql.Stmt, id string, scan func(*sql.Rows) error) error {
		rows, err := st.QueryContext(ctx, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/incidents/{id}", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		var j floorIncident
		err := qInc.QueryRowContext(ctx, r.PathValue("id")).Scan(&j.ID, &j.Title, &j.Severity, &j.Status, &j.Summary, &j.Impact,
			&j.Source, &j.StartedAt, &j.DetectedAt, &j.DeclaredAt, &j.MitigatedAt, &j.ResolvedAt, &j.CreatedBy, &j.CreatedAt, &j.UpdatedAt)
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		j.Entities, j.AlertFingerprints, j.AlertLabels, j.ExternalKeys = []floorEntity{}, []string{}, map[string]string{}, []floorKey{}
		err = each(ctx, qEnt, j.ID, func(rows *sql.Rows) error {
			var e floorEntity
			err := rows.Scan(&e.Ref, &e.Origin)
			j.Entities = append(j.Entities, e)
			return err
		})
		if err == nil {
			err = each(ctx, qSig, j.ID, func(rows *sql.Rows) error {
				var kind, v string
				if err := rows.Scan(&kind, &v); err != nil {
					return err
				}
				if kind == "fingerprint" {
					j.AlertFingerprints = append(j.AlertFingerprints, v)
				} else if name, val, ok := strings.Cut(v, "="); ok {
					j.AlertLabels[name] = val
				}
				return nil
			})
		}
		if err == nil {
			err = each(ctx, qKey, j.ID, func(rows *sql.Rows) error {
				var k floorKey
				err := rows.Scan(&k.Source, &k.Key, &k.Current, &k.OpenedAt, &k.ResolvedAt)
				j.ExternalKeys = append(j.ExternalKeys, k)
				return err
			})
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(j)
	})
	return mux, nil
}

// child is a server process started by the harness.
type child struct {
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	base  string
	done  chan error
	// jobs is what the child said of its background jobs when it ended
	// (set once done has been received).
	jobs string
}

// startChild starts this binary as a server of the given mode over dsn and
// waits until it listens. It is stopped when the benchmark ends.
func startChild(tb testing.TB, mode, dsn string, env ...string) *child {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(append(os.Environ(), envChild+"="+mode, envDSN+"="+dsn), env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	c := &child{name: mode, cmd: cmd, stdin: stdin, done: make(chan error, 1)}
	tb.Cleanup(c.stop)
	lines := bufio.NewScanner(stdout)
	listening := make(chan string, 1)
	go func() {
		for lines.Scan() {
			if addr, ok := strings.CutPrefix(lines.Text(), "LISTEN "); ok {
				listening <- addr
			}
			if jobs, ok := strings.CutPrefix(lines.Text(), "JOBS "); ok {
				c.jobs = jobs
			}
		}
		c.done <- cmd.Wait()
	}()
	select {
	case addr := <-listening:
		c.base = "http://" + addr
	case err := <-c.done:
		tb.Fatalf("%s server exited before listening: %v", mode, err)
	case <-time.After(30 * time.Second):
		tb.Fatalf("%s server did not listen within 30s", mode)
	}
	return c
}

// stop closes the child's stdin, which ends it, and kills it (by its own
// pid) if it has not ended within 10s.
func (c *child) stop() {
	if c.stdin == nil {
		return
	}
	_ = c.stdin.Close()
	c.stdin = nil
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// memoryKB returns the child's peak and current resident set (VmHWM,
// VmRSS) in kB.
func (c *child) memoryKB() (peak, now int) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return 0, 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		switch k {
		case "VmHWM":
			peak = n
		case "VmRSS":
			now = n
		}
	}
	return peak, now
}

// loader is a fixed set of keep-alive clients, one connection each, for one
// server.
type loader struct {
	base    string
	header  http.Header
	clients []*http.Client
	// Requests walk the paths in a fixed pseudo-random order, each
	// request of every round taking the next: the m-th request reads
	// path m*lanes+lane of that order. sent counts the requests before
	// this round. Two loaders of two lanes thus never read the same path
	// (while there are paths enough), and a round never repeats the one
	// before it, so on a file larger than the operating system's cache
	// neither side finds pages the other, or its own last round, read.
	lane, lanes int
	sent        int64
}

func newLoader(base string, header http.Header, n int) *loader {
	l := &loader{base: base, header: header, lanes: 1}
	for range n {
		l.clients = append(l.clients, &http.Client{Transport: &http.Transport{
			MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1, DisableCompression: true, IdleConnTimeout: time.Minute,
		}})
	}
	return l
}

func (l *loader) close() {
	for _, c := range l.clients {
		c.CloseIdleConnections()
	}
}

// round is the outcome of one bounded round of requests.
type round struct {
	requests int
	elapsed  time.Duration
	lat      []time.Duration
}

// round sends total GET requests for paths (cycling through them) with
// every client at once, each client waiting for its answer before it sends
// the next. It stops early, with an error, at the first failed request or
// after timeout.
func (l *loader) round(total int, paths []string, timeout time.Duration) (round, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var next atomic.Int64
	var mu sync.Mutex
	var firstErr error
	lats := make([][]time.Duration, len(l.clients))
	var wg sync.WaitGroup
	start := time.Now()
	for ci, c := range l.clients {
		wg.Go(func() {
			for ctx.Err() == nil {
				k := next.Add(1)
				if k > int64(total) {
					return
				}
				m := (l.sent+k)*int64(l.lanes) + int64(l.lane)
				req, _ := http.NewRequestWithContext(ctx, "GET", l.base+paths[(m*7919)%int64(len(paths))], nil)
				req.Header = l.header.Clone()
				t0 := time.Now()
				resp, err := c.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("GET %s: %s", req.URL.Path, resp.Status)
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
				lats[ci] = append(lats[ci], time.Since(t0))
			}
		})
	}
	wg.Wait()
	l.sent += int64(total)
	r := round{elapsed: time.Since(start), lat: slices.Concat(lats...)}
	r.requests = len(r.lat)
	if firstErr == nil && ctx.Err() != nil {
		firstErr = fmt.Errorf("round stopped after %s with %d of %d requests done", timeout, r.requests, total)
	}
	return r, firstErr
}

// tally adds up rounds against one server.
type tally struct {
	requests int
	elapsed  time.Duration
	lat      []time.Duration
}

func (t *tally) add(r round) {
	t.requests += r.requests
	t.elapsed += r.elapsed
	t.lat = append(t.lat, r.lat...)
}

func (t *tally) rps() float64 { return float64(t.requests) / t.elapsed.Seconds() }

// quantile returns the q-quantile of the latencies (nearest rank).
func (t *tally) quantile(q float64) time.Duration {
	if len(t.lat) == 0 {
		return 0
	}
	s := slices.Clone(t.lat)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// compare runs rounds against the product and the floor in turn, once per
// b.Loop iteration, and reports both servers' requests/s, p50 and p99, the
// ratios, and each server's peak resident memory.
func compare(b *testing.B, product, floor *child, header http.Header, paths []string) {
	b.Helper()
	if len(paths) == 0 {
		b.Fatal("no paths to request")
	}
	pl := newLoader(product.base, header, *loadClients)
	fl := newLoader(floor.base, nil, *loadClients)
	// Each side reads paths of its own, never the other's: on a cold
	// file both read cold pages, rather than the second of each turn
	// reading what the first just brought into the cache.
	pl.lane, pl.lanes = 0, 2
	fl.lane, fl.lanes = 1, 2
	defer pl.close()
	defer fl.close()
	// Warm up: open every connection, fill caches.
	for _, l := range []*loader{pl, fl} {
		if _, err := l.round(*loadClients*8, paths, *loadRound); err != nil {
			b.Fatal(err)
		}
	}
	var pt, ft tally
	product1st := true
	for b.Loop() {
		// They take turns going first, so that neither always runs while
		// the machine is still busy with the other's last requests.
		turns := []struct {
			name string
			l    *loader
			t    *tally
		}{{"product", pl, &pt}, {"floor", fl, &ft}}
		if !product1st {
			turns[0], turns[1] = turns[1], turns[0]
		}
		product1st = !product1st
		for _, turn := range turns {
			r, err := turn.l.round(*loadRequests, paths, *loadRound)
			if err != nil {
				b.Fatalf("%s: %v", turn.name, err)
			}
			turn.t.add(r)
		}
	}
	ppeak, pnow := product.memoryKB()
	fpeak, _ := floor.memoryKB()
	b.ReportMetric(pt.rps(), "app-req/s")
	b.ReportMetric(ft.rps(), "floor-req/s")
	b.ReportMetric(pt.rps()/ft.rps(), "rps-ratio")
	b.ReportMetric(ms(pt.quantile(0.50)), "app-p50-ms")
	b.ReportMetric(ms(ft.quantile(0.50)), "floor-p50-ms")
	b.ReportMetric(ms(pt.quantile(0.99)), "app-p99-ms")
	b.ReportMetric(ms(ft.quantile(0.99)), "floor-p99-ms")
	b.ReportMetric(float64(pt.quantile(0.99))/float64(ft.quantile(0.99)), "p99-ratio")
	b.ReportMetric(float64(ppeak)/1024, "app-peak-rss-MB")
	b.ReportMetric(float64(fpeak)/1024, "floor-peak-rss-MB")
	b.Logf("%d clients; product %d requests in %s, floor %d in %s; product RSS now %.1f MB",
		len(pl.clients), pt.requests, pt.elapsed.Round(time.Millisecond), ft.requests, ft.elapsed.Round(time.Millisecond), float64(pnow)/1024)
}

// benchToken makes an API token for a person of the org, as an admin
// would, and returns the header that carries it.
func benchToken(ctx context.Context, a *app.App, person org.Ref) (http.Header, error) {
	_, secret, err := a.CreateToken(ctx, org.System("bench"), app.NewToken{Name: "bench", User: person})
	if err != nil {
		return nil, err
	}
	return http.Header{"Authorization": {"Bearer " + secret}}, nil
}
