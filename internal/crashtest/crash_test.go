// Package crashtest kills the real blameful binary with SIGKILL while
// clients write to it, restarts it on the same database, and checks what a
// crash must never cost: every write the server acknowledged is there
// exactly once, no write landed twice or in part, and the audit chain still
// verifies. It runs on SQLite and on PostgreSQL.
//
// It stands apart from cli and web because it tests the shipped binary
// from outside: it builds cmd/blameful, runs it as a child process and
// kills it, which no test inside the process can do. It holds only test
// files.
//
// It takes some seconds per engine and runs with the rest of go test
// ./...; -short skips it. The test reads the binary's sources first, so
// that go test's cache runs it again whenever they change.
package crashtest

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// The shape of a run. Each round starts the server, lets the clients write
// until minAcks writes are acknowledged, lets them go on for a random
// while, and kills the server mid-traffic.
const (
	clients      = 6
	kills        = 5
	minAcks      = 20
	killAfterMin = 50 * time.Millisecond
	killAfterMax = 600 * time.Millisecond
	// roundLimit bounds a round: a server that acknowledges fewer than
	// minAcks writes in this time fails the test.
	roundLimit = 20 * time.Second
	// writesPerRound bounds one client's writes in a round; time ends a
	// round long before this.
	writesPerRound = 5000
)

func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary; skipped with -short")
	}
	bin := build(t)
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			crash(t, bin, engine)
		})
	}
}

// crash runs the rounds on a fresh database of the engine, then restarts
// the server once more and checks everything the clients wrote.
func crash(t *testing.T, bin string, engine store.Engine) {
	began := time.Now()
	seed := uint64(began.UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	h := newHarness(t, bin, storetest.DSN(t, engine))
	h.cli(t, "import", "org", "testdata/org.yaml")
	token := h.cli(t, "token", "create", "--role", "admin", "--name", "crashtest")
	c := newClient(token)

	ws := make([]*writer, clients)
	for i := range ws {
		ws[i] = &writer{n: i + 1, rng: rand.New(rand.NewPCG(seed, uint64(i+1)))}
	}
	for round := 1; round <= kills; round++ {
		killAfter := killAfterMin + time.Duration(rng.Int64N(int64(killAfterMax-killAfterMin)))
		n := h.round(t, c, ws, killAfter)
		t.Logf("round %d: %d writes acknowledged, killed %s after the first %d", round, n, killAfter, minAcks)
	}
	h.start(t, c)

	var ledger []write
	for _, w := range ws {
		ledger = append(ledger, w.writes...)
	}
	h.check(t, c, ledger)
	t.Logf("%s done in %s", engine, time.Since(began).Round(100*time.Millisecond))
}

// round starts the server, runs the writers against it, and kills it with
// SIGKILL killAfter the first minAcks acknowledgements, while they write.
// It returns how many writes the round acknowledged.
func (h *harness) round(t *testing.T, c *client, ws []*writer, killAfter time.Duration) int64 {
	t.Helper()
	srv := h.start(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), roundLimit)
	var nAcked atomic.Int64
	var wg sync.WaitGroup
	defer wg.Wait() // deferred first, so it runs after cancel
	defer cancel()
	for _, w := range ws {
		wg.Go(func() { w.run(ctx, c, &nAcked) })
	}

	poll := time.NewTicker(5 * time.Millisecond)
	defer poll.Stop()
	for nAcked.Load() < minAcks {
		select {
		case <-poll.C:
		case <-srv.done:
			t.Fatalf("the server exited by itself (%v) after %d acknowledged writes:\n%s", srv.err, nAcked.Load(), h.logTail())
		case <-ctx.Done():
			t.Fatalf("only %d writes acknowledged within %s:\n%s", nAcked.Load(), roundLimit, h.logTail())
		}
	}
	select {
	case <-time.After(killAfter):
	case <-srv.done:
		t.Fatalf("the server exited by itself (%v):\n%s", srv.err, h.logTail())
	}
	if err := srv.kill(); err != nil {
		t.Fatalf("%v:\n%s", err, h.logTail())
	}
	// Only now stop the writers: every write in doubt is in doubt because
	// of the kill, not because a client gave up on it.
	cancel()
	wg.Wait()
	c.http.CloseIdleConnections()
	return nAcked.Load()
}
