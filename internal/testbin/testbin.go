// Package testbin finds the real programs some tests run beside blameful
// (Mailpit, Prometheus Alertmanager): in the cache directory .ci/run
// installs them into, or built there with go install when missing. Tests
// only; it stands apart so that every package's tests find them alike.
package testbin

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// A Program is a Go program installable at a pinned version.
type Program struct {
	// Module is what go install takes: path@version.
	Module string
	// Dir names its directory in the cache (name-version), Name the
	// binary.
	Dir, Name string
}

var (
	mu    sync.Mutex
	found = map[Program]result{}
)

type result struct {
	path string
	err  error
}

// Path returns the program's binary, installing it once per test binary
// when the cache lacks it. Without it the test is skipped, except in CI
// (CI=true), where that is a failure. -short skips it too.
func Path(t testing.TB, p Program) string {
	t.Helper()
	if testing.Short() {
		t.Skipf("runs %s; skipped with -short", p.Name)
	}
	mu.Lock()
	r, ok := found[p]
	if !ok {
		r = install(p)
		found[p] = r
	}
	mu.Unlock()
	if r.err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(r.err)
		}
		t.Skipf("cannot build %s, so this test cannot run (CI=true makes this fail): %v", p.Name, r.err)
	}
	return r.path
}

func install(p Program) result {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "blameful-test", p.Dir)
	bin := filepath.Join(dir, p.Name)
	if _, err := os.Stat(bin); err == nil {
		return result{path: bin}
	}
	cmd := exec.Command("go", "install", p.Module)
	cmd.Dir = os.TempDir() // outside this module
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return result{err: errors.New("go install " + p.Module + ": " + err.Error() + "\n" + string(out))}
	}
	return result{path: bin}
}
