package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// BenchmarkAPIReadInstances is the several-instances figure, on
// PostgreSQL: one, two and three product servers over one database, each
// running its background jobs every second as a deployed server does, read
// by -load.clients keep-alive clients spread evenly over them. It reports
// the requests/s of all servers together, their p99, each server's share
// of the machine's CPU (on 2 cores the machine, not the database or the
// servers, is the ceiling), and the background job runs and failures the
// servers counted. A failed request fails the benchmark. It reads the demo,
// or with -size the generated set of that size.
func BenchmarkAPIReadInstances(b *testing.B) {
	if os.Getenv(storetest.EnvPostgres) == "" {
		b.Skip("several instances share a PostgreSQL database: set " + storetest.EnvPostgres)
	}
	dsn, header, paths := serverData(b, store.Postgres)
	for _, n := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("postgres/%d", n), func(b *testing.B) {
			servers := make([]*child, n)
			loaders := make([]*loader, n)
			for i := range servers {
				servers[i] = startChild(b, "app", dsn, envJobs+"=1")
				loaders[i] = newLoader(servers[i].base, header, max(1, *loadClients/n))
				defer loaders[i].close()
			}
			share := max(1, *loadRequests/n)
			all := func(total int) (tally, error) {
				var t tally
				var mu sync.Mutex
				var first error
				var wg sync.WaitGroup
				var longest time.Duration
				for _, l := range loaders {
					wg.Go(func() {
						r, err := l.round(total, paths, *loadRound)
						mu.Lock()
						defer mu.Unlock()
						if err != nil && first == nil {
							first = err
						}
						t.requests += r.requests
						t.lat = append(t.lat, r.lat...)
						longest = max(longest, r.elapsed)
					})
				}
				wg.Wait()
				t.elapsed = longest
				return t, first
			}
			if _, err := all(*loadClients * 8 / n); err != nil {
				b.Fatal(err)
			}
			before := make([]int, n)
			for i, s := range servers {
				before[i] = s.cpuTicks()
			}
			var total tally
			start := time.Now()
			for b.Loop() {
				t, err := all(share)
				if err != nil {
					b.Fatal(err)
				}
				total.requests += t.requests
				total.elapsed += t.elapsed
				total.lat = append(total.lat, t.lat...)
			}
			wall := time.Since(start).Seconds()
			var cpus []string
			maxCPU := 0.0
			for i, s := range servers {
				// /proc's ticks are hundredths of a second on Linux.
				pct := float64(s.cpuTicks()-before[i]) / 100 / wall * 100
				maxCPU = max(maxCPU, pct)
				cpus = append(cpus, fmt.Sprintf("%.0f%%", pct))
			}
			runs, failed := 0, 0
			for _, s := range servers {
				s.stop()
				r, f := parseJobs(s.jobs)
				runs, failed = runs+r, failed+f
			}
			b.ReportMetric(total.rps(), "req/s")
			b.ReportMetric(ms(total.quantile(0.99)), "p99-ms")
			b.ReportMetric(maxCPU, "max-cpu-%")
			b.ReportMetric(float64(failed), "job-failures")
			b.Logf("%d server(s), %d clients: %d requests in %s; CPU per server %s of one core; %d background job runs, %d failed",
				n, *loadClients, total.requests, total.elapsed.Round(time.Millisecond), strings.Join(cpus, ", "), runs, failed)
			if failed > 0 {
				b.Errorf("%d background job runs failed with %d servers", failed, n)
			}
		})
	}
}

// parseJobs reads a child's "runs=N failed=M".
func parseJobs(s string) (runs, failed int) {
	for _, f := range strings.Fields(s) {
		k, v, _ := strings.Cut(f, "=")
		n, _ := strconv.Atoi(v)
		switch k {
		case "runs":
			runs = n
		case "failed":
			failed = n
		}
	}
	return runs, failed
}

// cpuTicks is the child's user and system CPU time so far, in clock ticks.
func (c *child) cpuTicks() int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.Atoi(f[11])
	stime, _ := strconv.Atoi(f[12])
	return utime + stime
}
