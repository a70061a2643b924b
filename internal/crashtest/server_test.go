package crashtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Time limits of the processes the test starts.
const (
	buildLimit = 3 * time.Minute
	cliLimit   = time.Minute
	startLimit = 30 * time.Second
)

// build compiles cmd/blameful into a temporary directory.
func build(t *testing.T) string {
	t.Helper()
	readSources(t)
	bin := filepath.Join(t.TempDir(), "blameful")
	ctx, cancel := context.WithTimeout(context.Background(), buildLimit)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "../../cmd/blameful").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// readSources reads every file the binary is built from. go test caches a
// passing result against the files a test reads; reading the sources makes
// any change to them run the test again, although the build that uses
// them happens in another process the cache cannot see.
func readSources(t *testing.T) {
	t.Helper()
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules"):
			return filepath.SkipDir
		case d.IsDir():
			return nil
		case strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".sql") || strings.HasSuffix(path, ".yaml") ||
			d.Name() == "go.mod" || d.Name() == "go.sum":
			_, err := os.ReadFile(path)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatalf("read the sources: %v", err)
	}
}

// harness runs the binary on one database: its command-line verbs, and the
// server, started and killed again and again.
type harness struct {
	bin string
	dsn string
	env []string
	log *os.File // the servers' stderr, every start appended
}

func newHarness(t *testing.T, bin, dsn string) *harness {
	t.Helper()
	log, err := os.Create(filepath.Join(t.TempDir(), "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	// The children get the test's environment without BLAMEFUL_* settings,
	// which could change what they do (a policy file, a checkpoint key).
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BLAMEFUL_") {
			env = append(env, kv)
		}
	}
	return &harness{bin: bin, dsn: dsn, env: env, log: log}
}

// cli runs a command-line verb on the database and returns its standard
// output, trimmed; it fails the test unless the verb exits with 0.
func (h *harness) cli(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cliLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.bin, append(args, "--db", h.dsn)...)
	cmd.Env = h.env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("blameful %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// server is one run of blameful serve.
type server struct {
	cmd    *exec.Cmd
	done   chan struct{} // closed once the process has exited and been reaped
	err    error         // how it exited; read only after done
	killed bool
}

// servingLine is what serve prints on stdout once it is ready.
var servingLine = regexp.MustCompile(`serving on (http://127\.0\.0\.1:[0-9]+)`)

// start starts the server on the database, with flags, and points c at it. The server
// listens on a port the kernel picks (127.0.0.1:0) and announces it, so no
// other process can take the port between choosing and listening; start
// then waits for /healthz. The server is killed when the test ends, if
// nothing killed it before.
func (h *harness) start(t *testing.T, c *client, flags ...string) *server {
	t.Helper()
	fmt.Fprintf(h.log, "==== blameful serve, started %s\n", time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(h.bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", h.dsn}, flags...)...)
	cmd.Env = h.env
	cmd.Stderr = h.log
	cmd.SysProcAttr = dieWithTest()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	t.Cleanup(func() { _ = s.kill() })
	urls := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(stdout)
		for lines.Scan() { // until the process exits and its stdout closes
			if m := servingLine.FindStringSubmatch(lines.Text()); m != nil {
				select {
				case urls <- m[1]:
				default: // announced once; never block the draining
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout) // should a line ever be too long to scan
		s.err = cmd.Wait()
		close(s.done)
	}()
	select {
	case c.base = <-urls:
	case <-s.done:
		t.Fatalf("blameful serve exited before serving (%v):\n%s", s.err, h.logTail())
	case <-time.After(startLimit):
		t.Fatalf("blameful serve did not announce itself within %s:\n%s", startLimit, h.logTail())
	}
	h.waitHealthy(t, c)
	return s
}

// waitHealthy polls /healthz until it answers 200.
func (h *harness) waitHealthy(t *testing.T, c *client) {
	t.Helper()
	deadline := time.Now().Add(startLimit)
	for {
		res, err := c.http.Get(c.base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("status %s", res.Status)
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz did not answer 200 within %s (last: %v):\n%s", startLimit, err, h.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends SIGKILL to the server's own process (never to any other)
// and waits until it is reaped. It is an error if the server had already
// exited by itself; killing it again is not.
func (s *server) kill() error {
	if s.killed {
		return nil
	}
	s.killed = true
	select {
	case <-s.done:
		return fmt.Errorf("the server exited by itself before it was killed: %v", s.err)
	default:
	}
	_ = s.cmd.Process.Kill() // SIGKILL on Unix
	<-s.done
	return nil
}

// logTail returns the last lines the servers wrote to stderr.
func (h *harness) logTail() string {
	b, err := os.ReadFile(h.log.Name())
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return strings.Join(lines, "\n")
}
