package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestOutagePostgres cuts the connection to PostgreSQL under a running
// server: every route answers 503 with Retry-After, /readyz says why, and
// once the connection is restored the same server serves again, with no
// restart.
func TestOutagePostgres(t *testing.T) {
	if !slices.Contains(storetest.Engines(t), store.Postgres) {
		t.Skipf("%s is not set: skipping the PostgreSQL outage", storetest.EnvPostgres)
	}
	u, err := url.Parse(storetest.DSN(t, store.Postgres))
	if err != nil {
		t.Fatal(err)
	}
	if u.Host == "" {
		t.Skip("the PostgreSQL URL names no host:port to put a proxy in front of")
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "5432")
	}
	p := startProxy(t, target)
	u.Host = p.addr()
	db, err := store.Open(t.Context(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := newHarness(t, db)

	h.declare("Before the outage", "SEV3", "component:checkout-api", time.Hour)
	h.send("GET", "/readyz", "").wantStatus(t, http.StatusOK)

	p.cut()
	cutAt := time.Now()
	// A server believes a token it authenticated until its next look at
	// the credential epoch, at most a second later (app/authcache.go); a
	// route that needs nothing else (whoami) may answer from memory until
	// then. After that look fails, every route needs the database.
	time.Sleep(1100 * time.Millisecond)
	for _, c := range outageCalls {
		h.send(c.method, c.path, c.body).wantUnavailable(t)
	}
	ready := h.send("GET", "/readyz", "").wantStatus(t, http.StatusServiceUnavailable)
	if ready.header.Get("Retry-After") == "" || !strings.HasPrefix(string(ready.body), "not ready: ") || !strings.Contains(string(ready.body), "database") {
		t.Errorf("/readyz during the outage: Retry-After %q, body %q; want a retry delay and the reason", ready.header.Get("Retry-After"), ready.body)
	}

	// Connections the cut killed while idle are checked (pinged) before
	// reuse once idle for a second (pgx's stdlib driver); restoring after
	// that makes recovery deterministic rather than one unlucky 503.
	time.Sleep(time.Until(cutAt.Add(1100 * time.Millisecond)))
	p.restore()
	h.send("GET", "/readyz", "").wantStatus(t, http.StatusOK)
	h.send("GET", "/api/v1/incidents", "").wantStatus(t, http.StatusOK)
	h.declare("After the outage", "SEV3", "component:checkout-api", time.Hour)
	h.resendAlert()
}

// TestOutageSQLiteLocked holds SQLite's write lock from another connection,
// as another process would, past the busy timeout: a write answers 503 with
// Retry-After while reads go on, and succeeds once the lock is released.
func TestOutageSQLiteLocked(t *testing.T) {
	dsn := storetest.DSN(t, store.SQLite)
	db, err := store.Open(t.Context(), dsn, store.BusyTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, db)
	release := holdWriteLock(t, dsn)

	for _, c := range outageCalls {
		if c.method == "GET" {
			h.send(c.method, c.path, c.body).wantStatus(t, http.StatusOK) // WAL: readers never wait for the writer
			continue
		}
		h.send(c.method, c.path, c.body).wantUnavailable(t)
	}
	release()
	h.declare("After the lock", "SEV3", "component:checkout-api", time.Hour)
	h.resendAlert()
}

// outageCalls are a few reads and writes that must answer 503 when the
// database is out.
var outageCalls = []struct{ method, path, body string }{
	{"GET", "/api/v1/me", ""},
	{"GET", "/api/v1/incidents", ""},
	{"POST", "/api/v1/incidents", `{"title": "During the outage", "severity": "SEV3", "started_at": "2026-11-20T13:00:00Z",
		"entities": [{"ref": "component:checkout-api", "origin": true}]}`},
	{"POST", "/api/v1/followups", `{"incident": "INC-2026-0001", "title": "Size the pool", "owner": "group:checkout"}`},
	{"POST", "/hooks/alertmanager", outageAlert},
}

// outageAlert is an Alertmanager delivery sent while the database is out
// and again once it is back, as Alertmanager retries a 503: it arrives.
const outageAlert = `{"version": "4", "groupKey": "{}:{alertname=\"PoolExhausted\"}", "status": "firing",
	"commonLabels": {"alertname": "PoolExhausted", "service": "checkout-api"},
	"alerts": [{"status": "firing", "labels": {"alertname": "PoolExhausted", "service": "checkout-api"},
	"startsAt": "2026-11-20T13:55:00Z", "fingerprint": "0f0e0d0c0b0a0908"}]}`

// resendAlert sends outageAlert again, as its sender would after a 503,
// and checks that it opened its incident now.
func (h *harness) resendAlert() {
	h.t.Helper()
	r := h.send("POST", "/hooks/alertmanager", outageAlert).wantStatus(h.t, http.StatusAccepted)
	var res struct {
		Opened   bool `json:"opened"`
		Recorded int  `json:"recorded"`
	}
	if err := json.Unmarshal(r.body, &res); err != nil || !res.Opened || res.Recorded != 1 {
		h.t.Errorf("the alert sent again after the outage: %s", r.body)
	}
}

// holdWriteLock takes SQLite's write lock through a database handle of its
// own and holds it until the returned function is called (or the test
// ends).
func holdWriteLock(t *testing.T, dsn string) (release func()) {
	t.Helper()
	other, err := store.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	held, done := make(chan struct{}), make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		// Update begins IMMEDIATE on SQLite: the lock is taken at BEGIN.
		errc <- other.Update(context.Background(), func(*store.Tx) error {
			close(held)
			<-done
			return nil
		})
	}()
	select {
	case <-held:
	case err := <-errc:
		t.Fatalf("take the write lock: %v", err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			close(done)
			if err := <-errc; err != nil {
				t.Errorf("release the write lock: %v", err)
			}
			other.Close()
		})
	}
	t.Cleanup(release)
	return release
}

// send makes a request with the harness's token and no OpenAPI checks: the
// document does not describe 503s.
func (h *harness) send(method, path, body string) response {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+h.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func (r response) wantStatus(t *testing.T, status int) response {
	t.Helper()
	if r.status != status {
		t.Errorf("status %d, want %d: %s", r.status, status, r.body)
	}
	return r
}

// wantUnavailable checks for a 503 that says when to retry, with the JSON
// error code "unavailable".
func (r response) wantUnavailable(t *testing.T) {
	t.Helper()
	var body struct {
		Error struct{ Code, Message string }
	}
	_ = json.Unmarshal(r.body, &body)
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" || body.Error.Code != "unavailable" {
		t.Errorf("status %d, Retry-After %q, code %q; want 503, a retry delay and \"unavailable\": %s",
			r.status, r.header.Get("Retry-After"), body.Error.Code, r.body)
	}
}

// proxy stands between the server and PostgreSQL so a test can play an
// outage: cut closes every connection through it and turns new ones away
// (accepted, then closed at once); restore lets them through again.
type proxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]bool
}

// startProxy listens on a loopback port and forwards to target until the
// test ends.
func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // the listener is closed: the test is over
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.pipe(c)
		}()
	}
}

// pipe copies both ways between c and a new connection to the target until
// either side closes or the proxy is cut.
func (p *proxy) pipe(c net.Conn) {
	p.mu.Lock()
	down := p.down
	p.mu.Unlock()
	if down {
		c.Close()
		return
	}
	s, err := net.DialTimeout("tcp", p.target, 2*time.Second)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(c, s) {
		c.Close()
		s.Close()
		return
	}
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(s, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, s); done <- struct{}{} }()
	<-done
	c.Close()
	s.Close()
	<-done
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, s)
	p.mu.Unlock()
}

// track records a live pair, or refuses it while the proxy is cut.
func (p *proxy) track(c, s net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		return false
	}
	p.conns[c], p.conns[s] = true, true
	return true
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *proxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}
