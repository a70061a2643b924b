// Command benchall runs every benchmark of PRODUCT.md section 9 against its
// floor, on SQLite and (when BLAMEFUL_TEST_POSTGRES names a server) on
// PostgreSQL, and writes the results as BENCHMARKS.md's generated tables:
// value, floor, ratio, engine, data size, machine, date and commit.
//
//	go run ./internal/bench/cmd/benchall -size large            # the bars' sizes; hours
//	go run ./internal/bench/cmd/benchall -size small -out -     # a smoke run; minutes
//
// It only starts `go test` on internal/bench, one benchmark at a time, and
// reads what the benchmarks print; the measuring is theirs. Everything
// talks to 127.0.0.1 only, and the whole run stops itself at -timeout.
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	size := flag.String("size", "small", "data size: small (a smoke run, minutes) or large (PRODUCT.md §9's sizes, hours)")
	out := flag.String("out", "BENCHMARKS.md", "file whose generated section is replaced, or - for standard output")
	only := flag.String("only", "", "run only the bars whose name contains one of these comma-separated words")
	count := flag.Int("count", 0, "runs of each benchmark (default: 1 small, 3 large)")
	timeout := flag.Duration("timeout", 0, "stop everything after this long (default: 20m small, 6h large)")
	flag.Parse()
	if *size != "small" && *size != "large" {
		fatalf("-size %q: small or large", *size)
	}
	if *count == 0 {
		*count = map[string]int{"small": 1, "large": 3}[*size]
	}
	if *timeout == 0 {
		*timeout = map[string]time.Duration{"small": 20 * time.Minute, "large": 6 * time.Hour}[*size]
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	engines := []string{"sqlite"}
	if os.Getenv("BLAMEFUL_TEST_POSTGRES") != "" {
		engines = append(engines, "postgres")
	}
	run := sitting{size: *size, only: *only, count: *count, started: time.Now(), engines: engines}
	var rows []row
	failed := 0
	for _, b := range bars {
		if !chosen(b.name, *only) {
			continue
		}
		for _, engine := range engines {
			if b.engines != nil && !slices.Contains(b.engines, engine) {
				continue
			}
			fmt.Fprintf(os.Stderr, "benchall: %s on %s (%s)…\n", b.name, engine, *size)
			results, err := runBench(ctx, b, engine, run)
			if err != nil {
				failed++
				fmt.Fprintf(os.Stderr, "benchall: %s on %s failed: %v\n", b.name, engine, err)
			}
			rows = append(rows, b.rows(engine, results, err)...)
			if ctx.Err() != nil {
				fatalf("stopped after %s (-timeout): %v", *timeout, ctx.Err())
			}
		}
	}
	var kept string
	if *out != "-" {
		kept = currentSection(*out)
	}
	report := run.markdown(rows, kept)
	if *out == "-" {
		fmt.Print(report)
	} else if err := replaceSection(*out, report); err != nil {
		fatalf("%v", err)
	} else {
		fmt.Fprintf(os.Stderr, "benchall: wrote %d rows into %s in %s\n", len(rows), *out, time.Since(run.started).Round(time.Second))
	}
	// A bar missed is a finding; a benchmark that did not run is a broken
	// harness, and fails the run.
	if failed > 0 {
		fatalf("%d benchmark run(s) failed", failed)
	}
}

// chosen reports whether -only picks the bar named name.
func chosen(name, only string) bool {
	if only == "" {
		return true
	}
	for w := range strings.SplitSeq(only, ",") {
		if w = strings.TrimSpace(w); w != "" && strings.Contains(name, w) {
			return true
		}
	}
	return false
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "benchall: "+format+"\n", args...)
	os.Exit(1)
}

// sitting is one run of benchall.
type sitting struct {
	size    string
	only    string
	count   int
	started time.Time
	engines []string
}

// result is one benchmark line: its name below the top benchmark and
// engine ("attribution"), and its metrics by unit.
type result struct {
	name    string
	metrics map[string]float64
}

// lineRE reads a benchmark result line: name, GOMAXPROCS suffix,
// iterations, then value-unit pairs.
var lineRE = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

// runBench runs one bar's benchmark on one engine, -count times, and
// returns its lines in order.
func runBench(ctx context.Context, b bar, engine string, s sitting) ([]result, error) {
	args := []string{"test", "./internal/bench", "-run", "^$", "-bench", b.expand(b.pattern, engine),
		"-benchtime", b.benchtime[s.size], "-count", strconv.Itoa(s.count), "-timeout", "0"}
	args = append(args, b.flags[s.size]...)
	cmd := exec.CommandContext(ctx, "go", args...)
	// The pattern picks the engine; the environment stays as it is (under
	// CI=true the benchmarks insist on PostgreSQL being configured).
	cmd.WaitDelay = 10 * time.Second
	var buf bytes.Buffer
	cmd.Stdout = io.MultiWriter(&buf, progress{})
	cmd.Stderr = os.Stderr
	err := cmd.Run()
	var out []result
	prefix := b.expand(b.prefix, engine) + "/"
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		m := lineRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		name, ok := strings.CutPrefix(m[1]+"/", prefix)
		if !ok {
			continue
		}
		r := result{name: strings.TrimSuffix(name, "/"), metrics: map[string]float64{}}
		f := strings.Fields(m[2])
		for i := 0; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				r.metrics[f[i+1]] = v
			}
		}
		out = append(out, r)
	}
	if err != nil {
		err = fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
	}
	return out, err
}

// progress echoes the benchmark's log lines, so a long run shows it is
// alive.
type progress struct{}

func (progress) Write(p []byte) (int, error) { return os.Stderr.Write(p) }

// series are the values of one metric of one line, a value per run.
func series(results []result, name, unit string) []float64 {
	var out []float64
	for _, r := range results {
		if v, ok := r.metrics[unit]; ok && r.name == name {
			out = append(out, v)
		}
	}
	return out
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// row is one line of the table.
type row struct {
	bar, engine, target             string
	value, floor, ratio, met, notes string
	sitting                         string
}

// rows turns one bar's results on one engine into table rows, one per
// measure.
func (b bar) rows(engine string, results []result, err error) []row {
	var out []row
	for _, m := range b.measures {
		r := row{bar: b.name, engine: engine, target: m.target}
		if m.label != "" {
			r.bar += ": " + m.label
		}
		vs := series(results, m.value.name, m.value.unit)
		var fs []float64
		if m.floor.unit != "" {
			fs = series(results, m.floor.name, m.floor.unit)
		}
		switch {
		case len(vs) == 0 && err != nil:
			r.value, r.met, r.notes = "–", "**not measured**", oneLine(err.Error())
		case len(vs) == 0:
			r.value, r.met = "–", "**not measured**"
		default:
			r.value = m.show(vs)
			if len(fs) > 0 {
				r.floor = m.show(fs)
				var ratios []float64
				for i := range min(len(vs), len(fs)) {
					if fs[i] != 0 {
						ratios = append(ratios, vs[i]/fs[i])
					}
				}
				r.ratio = fmt.Sprintf("%.2f", median(ratios))
			}
			switch {
			case m.meets == nil:
				r.met = "–"
			case m.judged != "" && m.judged != engine:
				r.met, r.notes = "–", "the target is "+m.judged+"'s; reported beside it"
			case m.meets(median(vs), median(fs)):
				r.met = "yes"
			default:
				r.met = "no"
			}
		}
		out = append(out, r)
	}
	return out
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// markdown is the generated section: rows, each naming its sitting, and
// the sittings. Rows of bars this sitting did not run are kept from kept,
// the section as it stood (so bars can be run one at a time, each sitting
// saying when and on what it ran).
func (s sitting) markdown(rows []row, kept string) string {
	for i := range rows {
		rows[i].sitting = s.label()
	}
	prior, sittings := parseSection(kept)
	var out []row
	for _, r := range prior {
		if !s.ran(r) {
			out = append(out, r)
		}
	}
	out = append(out, rows...)
	// Order rows as the bars are listed, engines in order, keeping the
	// order of a bar's measures.
	rank := func(r row) int {
		for i, b := range bars {
			if r.bar == b.name || strings.HasPrefix(r.bar, b.name+": ") {
				return i
			}
		}
		return len(bars)
	}
	slices.SortStableFunc(out, func(a, b row) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(engineRank(a.engine), engineRank(b.engine)))
	})
	sittings[s.label()] = s.describe()
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", beginMark)
	b.WriteString("Written by `go run ./internal/bench/cmd/benchall`. Value and floor are medians with the range, measured alternately in the same sitting; " +
		"ratio is value ÷ floor, the median of the runs' ratios. Each row names the sitting it comes from, listed below the table: " +
		"a sitting that ran only some bars (`-only`) replaced only their rows.\n\n")
	b.WriteString("| bar | engine | value | floor | ratio | target | met? | sitting | notes |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	used := map[string]bool{}
	for _, r := range out {
		used[r.sitting] = true
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.bar, r.engine, r.value, orDash(r.floor), orDash(r.ratio), r.target, r.met, r.sitting, r.notes)
	}
	b.WriteString("\nSittings:\n\n")
	labels := slices.Sorted(maps.Keys(sittings))
	for _, l := range labels {
		if used[l] {
			fmt.Fprintf(&b, "- **%s** %s\n", l, sittings[l])
		}
	}
	fmt.Fprintf(&b, "\n%s\n", endMark)
	return b.String()
}

func engineRank(e string) int {
	if e == "sqlite" {
		return 0
	}
	return 1
}

// label names the sitting in the table: when it started.
func (s sitting) label() string { return s.started.UTC().Format("2006-01-02 15:04") }

// describe is the sitting's line below the table.
func (s sitting) describe() string {
	cmd := "go run ./internal/bench/cmd/benchall -size " + s.size
	if s.only != "" {
		cmd += " -only '" + s.only + "'"
	}
	data := sizes[s.size]
	if !chosen(auditBar, s.only) {
		data = strings.Replace(data, auditData[s.size], "", 1)
	}
	return fmt.Sprintf("(UTC, %s): `%s` on %s, each benchmark run %d time(s); commit %s; %s; data: %s.",
		time.Since(s.started).Round(time.Second), cmd, strings.Join(s.engines, " and "), s.count, commit(), machine(), data)
}

// ran reports whether this sitting measured the bar of r (on r's engine).
func (s sitting) ran(r row) bool {
	for _, b := range bars {
		if (r.bar == b.name || strings.HasPrefix(r.bar, b.name+": ")) && chosen(b.name, s.only) {
			return slices.Contains(s.engines, r.engine)
		}
	}
	return false
}

// parseSection reads the rows and sittings of a section markdown wrote.
// A section in another form (an older benchall's) gives nothing: the new
// one starts afresh.
func parseSection(section string) ([]row, map[string]string) {
	var rows []row
	sittings := map[string]string{}
	for line := range strings.SplitSeq(section, "\n") {
		if rest, ok := strings.CutPrefix(line, "- **"); ok {
			if label, desc, ok := strings.Cut(rest, "** "); ok {
				sittings[label] = desc
			}
			continue
		}
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| bar |") || strings.HasPrefix(line, "| ---") {
			continue
		}
		f := strings.Split(strings.Trim(line, "|"), " | ")
		if len(f) != 9 {
			continue
		}
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		r := row{bar: f[0], engine: f[1], value: f[2], floor: f[3], ratio: f[4], target: f[5], met: f[6], sitting: f[7], notes: f[8]}
		if r.floor == "–" {
			r.floor = ""
		}
		if r.ratio == "–" {
			r.ratio = ""
		}
		rows = append(rows, r)
	}
	var kept []row
	for _, r := range rows {
		if _, ok := sittings[r.sitting]; ok {
			kept = append(kept, r)
		}
	}
	return kept, sittings
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

const (
	beginMark = "<!-- benchall: begin (generated; do not edit by hand) -->"
	endMark   = "<!-- benchall: end -->"
)

// currentSection is the generated section of file as it stands, or "".
func currentSection(file string) string {
	b, err := os.ReadFile(file)
	if err != nil {
		return ""
	}
	text := string(b)
	i, j := strings.Index(text, beginMark), strings.Index(text, endMark)
	if i < 0 || j < i {
		return ""
	}
	return text[i:j]
}

// replaceSection puts section between the marks in file, or, the first
// time, after its first heading's paragraph under "## Latest run".
func replaceSection(file, section string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	text := string(b)
	i, j := strings.Index(text, beginMark), strings.Index(text, endMark)
	switch {
	case i >= 0 && j > i:
		text = text[:i] + strings.TrimSuffix(section, "\n") + text[j+len(endMark):]
	case i >= 0 || j >= 0:
		return errors.New(file + ": one benchall mark without the other")
	default:
		k := strings.Index(text, "\n## ")
		if k < 0 {
			k = len(text)
		}
		text = text[:k] + "\n## Latest run of every bar\n\n" + section + text[k:]
	}
	return os.WriteFile(file, []byte(text), 0o644)
}

func commit() string {
	out, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown (not a git checkout)"
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		c += " with uncommitted changes"
	}
	return "`" + c + "`"
}

func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf(", %.0f GiB RAM", float64(kb)/(1<<20))
		}
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			load = ", load average " + f[0] + " at the end"
		}
	}
	return fmt.Sprintf("%d CPUs (%s)%s, %s/%s, %s%s", runtime.NumCPU(), model, mem, runtime.GOOS, runtime.GOARCH, runtime.Version(), load)
}
