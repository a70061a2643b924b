package cli_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// tourBlock is one shell block of the README's tour and what its output
// must contain (the "# →" lines).
type tourBlock struct {
	script string
	expect []string
}

// readTour extracts the sh blocks of the README's tour section.
func readTour(t *testing.T) []tourBlock {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start := strings.Index(text, "## A five-minute tour")
	if start < 0 {
		t.Fatal("README.md has no tour section")
	}
	text = text[start+3:]
	if end := strings.Index(text, "\n## "); end >= 0 {
		text = text[:end]
	}
	var blocks []tourBlock
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(text, -1) {
		b := tourBlock{script: m[1]}
		for _, line := range strings.Split(m[1], "\n") {
			if exp, ok := strings.CutPrefix(strings.TrimSpace(line), "# → "); ok {
				b.expect = append(b.expect, exp)
			}
		}
		blocks = append(blocks, b)
	}
	if len(blocks) < 8 {
		t.Fatalf("found %d tour blocks", len(blocks))
	}
	return blocks
}

// TestReadmeTour runs the README's tour, block by block, against a server
// started the way the README starts it, and checks each "# →" line.
func TestReadmeTour(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and loads the demo; skipped with -short")
	}
	for _, tool := range []string{"bash", "curl", "sed", "date"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the README's tour needs %s, which is not installed", tool)
		}
	}
	blocks := readTour(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "blameful")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/blameful")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dsn := "sqlite:" + filepath.Join(dir, "blameful.db")

	srv := exec.Command(bin, "serve", "--demo", "--addr", "127.0.0.1:0", "--db", dsn)
	stdout, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	srv.Stderr = &logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = srv.Process.Kill() // only the process this test started
		_ = srv.Wait()
	})
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var base string
	select {
	case line := <-lines:
		base = regexp.MustCompile(`http://[0-9.:]+`).FindString(line)
	case <-time.After(60 * time.Second):
		t.Fatalf("the server did not start:\n%s", logs.String())
	}
	if res, err := http.Get(base + "/healthz"); err != nil || res.StatusCode != 200 {
		t.Fatalf("healthz: %v %v\n%s", err, res, logs.String())
	}

	// One bash session runs every block, so variables and functions carry
	// over as they do in a terminal; markers split the output per block.
	var script strings.Builder
	for i, b := range blocks {
		fmt.Fprintf(&script, "echo '@@block %d@@'\n%s\n", i, b.script)
	}
	text := strings.NewReplacer("go run ./cmd/blameful", bin, "http://127.0.0.1:8080", base).Replace(script.String())
	cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", text)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "BLAMEFUL_DB="+dsn)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the tour failed: %v\n%s", err, out)
	}
	parts := regexp.MustCompile(`@@block (\d+)@@\n`).Split(string(out), -1)[1:]
	if len(parts) != len(blocks) {
		t.Fatalf("ran %d of %d blocks:\n%s", len(parts), len(blocks), out)
	}
	for i, b := range blocks {
		for _, want := range b.expect {
			if !strings.Contains(parts[i], want) {
				t.Errorf("tour block %d:\n%s\ndoes not print %q; it printed:\n%s", i, b.script, want, parts[i])
			}
		}
	}
}
