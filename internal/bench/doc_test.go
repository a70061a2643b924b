// Package bench measures blameful against the quality bars of PRODUCT.md
// section 9. Each figure is measured beside a floor: the same work done
// with nothing of the product in the way (map lookups, plain SQL, a bare
// net/http handler, SHA-256 and a table scan), in the same run, so that the
// ratio says what the product's layers cost on this machine.
//
// The package holds only test files: the generators and floors need SQL,
// which only the store may speak in product code, and nothing here ships.
// All heavy setup happens inside Benchmark functions; the tests are a quick
// check at tiny scale that the generators and the load harness work. See
// BENCHMARKS.md at the repository root for the commands and the results.
package bench

import (
	"flag"
	"os"
	"testing"
	"time"
)

// Scales. The defaults are the bars' sizes where that fits in a few minutes
// on a 2-core machine; BENCHMARKS.md says which ones are scaled down.
var (
	orgPeople    = flag.Int("org.people", 10000, "people in the generated organisation")
	orgTeams     = flag.Int("org.teams", 2000, "teams in the generated organisation")
	orgEntities  = flag.Int("org.entities", 50000, "catalog entities in the generated organisation")
	orgIncidents = flag.Int("org.incidents", 2000, "incidents the attribution benchmarks cycle through")

	auditEvents = flag.Int("audit.events", 200000, "events in the generated audit chain")

	reviewIncidents = flag.Int("review.incidents", 100000, "incidents in the weekly-review data set (the bar: 1,000,000)")
	reviewFollowUps = flag.Int("review.followups", 5, "follow-ups per incident (the bar: 5)")
	reviewTimeline  = flag.Int("review.timeline", 20, "timeline entries per incident (the bar: 20)")
	reviewWeeks     = flag.Int("review.weeks", 156, "weeks of history the incidents are spread over")

	loadRequests = flag.Int("load.requests", 4000, "requests per round of the API load harness")
	loadClients  = flag.Int("load.clients", 64, "concurrent keep-alive clients of the API load harness")
	loadRound    = flag.Duration("load.round-timeout", 2*time.Minute, "a round of the load harness gives up after this long")
)

// envChild, when set, makes the test binary a server for the load harness
// instead of running tests (see serveChild).
const envChild = "BLAMEFUL_BENCH_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(envChild) != "" {
		os.Exit(serveChild())
	}
	os.Exit(m.Run())
}
