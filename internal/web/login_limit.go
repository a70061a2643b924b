package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Failed logins are limited per account (the email typed, whether or not
// an account has it, so the limit tells nothing about which exist) and per
// client address, over a sliding window. The counts live in memory: each
// server process keeps its own, and a restart forgets them. The address
// is the connection's peer; a reverse proxy's X-Forwarded-For is not
// trusted, so behind one every client shares the proxy's budget.
const (
	loginWindow          = 15 * time.Minute
	loginFailsPerAccount = 5
	loginFailsPerAddress = 20
	// loginLimitKeys bounds the memory the counts take; past it, the
	// counts that ran out are dropped, and then others at random.
	loginLimitKeys = 50_000
)

// loginLimits counts recent failed logins per key.
type loginLimits struct {
	mu    sync.Mutex
	fails map[string][]time.Time
}

func newLoginLimits() *loginLimits { return &loginLimits{fails: map[string][]time.Time{}} }

// limitKey is one count and its limit.
type limitKey struct {
	key   string
	limit int
}

// loginKeys are the counts a login attempt for email from r falls under.
func loginKeys(email string, r *http.Request) []limitKey {
	return []limitKey{
		{"account " + strings.ToLower(strings.TrimSpace(email)), loginFailsPerAccount},
		{"address " + clientAddress(r), loginFailsPerAddress},
	}
}

// clientAddress is the request's peer address; an IPv6 peer counts by its
// /64, which one client usually holds whole.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// wait returns how long until an attempt under keys may be made: zero
// when none of them is at its limit.
func (l *loginLimits) wait(now time.Time, keys []limitKey) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var d time.Duration
	for _, k := range keys {
		fails := l.recent(k.key, now)
		if len(fails) >= k.limit {
			d = max(d, fails[len(fails)-k.limit].Add(loginWindow).Sub(now))
		}
	}
	return d
}

// fail counts a failed attempt under keys.
func (l *loginLimits) fail(now time.Time, keys []limitKey) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fails) >= loginLimitKeys {
		l.forget(now)
	}
	for _, k := range keys {
		fails := l.recent(k.key, now)
		if len(fails) >= k.limit {
			fails = fails[1:] // the oldest beyond the limit no longer matters
		}
		l.fails[k.key] = append(fails, now)
	}
}

// clear forgets the failures under key (a login that succeeded).
func (l *loginLimits) clear(key limitKey) {
	l.mu.Lock()
	delete(l.fails, key.key)
	l.mu.Unlock()
}

// recent returns key's failures within the window, dropping older ones.
func (l *loginLimits) recent(key string, now time.Time) []time.Time {
	fails := l.fails[key]
	i := 0
	for i < len(fails) && !fails[i].After(now.Add(-loginWindow)) {
		i++
	}
	if i == len(fails) {
		delete(l.fails, key)
		return nil
	}
	fails = fails[i:]
	l.fails[key] = fails
	return fails
}

// forget drops every count whose failures are all outside the window and,
// if that leaves more than half the bound, others at random until it does
// not: a flood of distinct keys must not grow the map without end, and a
// dropped key only starts afresh.
func (l *loginLimits) forget(now time.Time) {
	for k := range l.fails {
		l.recent(k, now)
	}
	for k := range l.fails {
		if len(l.fails) < loginLimitKeys/2 {
			break
		}
		delete(l.fails, k)
	}
}
