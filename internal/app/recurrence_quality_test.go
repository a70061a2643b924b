package app_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/importer"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/recurrence"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

var regenRecurrence = flag.Bool("regen-recurrence", false, "rewrite testdata/recurrence from its generator")

// The quality bar of recurrence detection on the labelled set: what the
// detector reaches (BENCHMARKS.md) minus a small margin.
const (
	minPrecisionAt1 = 0.90
	minRecallAt5    = 0.97
)

// qualitySet is the labelled set: incidents, and for each query incident
// the pairs it forms with others, each labelled a recurrence or not.
type qualitySet struct {
	Incidents []qualityIncident `json:"incidents"`
	Pairs     []qualityPair     `json:"pairs"`
}

type qualityIncident struct {
	Key          string            `json:"key"`
	Title        string            `json:"title"`
	Summary      string            `json:"summary"`
	Mechanism    string            `json:"mechanism"`
	DaysAgo      int               `json:"days_ago"`
	Entities     []string          `json:"entities"` // the first is the origin
	Fingerprints []string          `json:"fingerprints,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
}

type qualityPair struct {
	Query      string `json:"query"`
	Earlier    string `json:"earlier"`
	Recurrence bool   `json:"recurrence"`
	// Kind says how the pair was made: recurrence_same_entity,
	// recurrence_sibling, recurrence_fingerprint, or the near misses
	// miss_same_entity_other_failure, miss_same_words_other_system,
	// miss_too_old.
	Kind string `json:"kind"`
}

// TestRecurrenceQuality loads the labelled set into a real store, runs
// the product's candidate lookup for every query incident, and holds
// precision@1 (the top candidate is the labelled recurrence) and recall@5
// (it is among the five) to the bar.
func TestRecurrenceQuality(t *testing.T) {
	dir := filepath.Join("testdata", "recurrence")
	if *regenRecurrence {
		writeQualitySet(t, dir)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "set.json"))
	if err != nil {
		t.Fatal(err)
	}
	var set qualitySet
	if err := json.Unmarshal(raw, &set); err != nil {
		t.Fatal(err)
	}
	orgData, err := os.ReadFile(filepath.Join(dir, "org.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Pairs) < 200 {
		t.Fatalf("the set has %d pairs, fewer than 200", len(set.Pairs))
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		b, err := importer.ParseOrg("org.yaml", orgData)
		if err != nil {
			t.Fatal(err)
		}
		clock.Set(apptest.Start.AddDate(-3, 0, 0))
		if _, err := a.Import(ctx, apptest.Admin(), b); err != nil {
			t.Fatal(err)
		}
		clock.Set(apptest.Start)
		ids := map[string]incident.ID{}
		for _, qi := range set.Incidents {
			in := app.IncidentInput{Title: qi.Title, Summary: qi.Summary, Severity: incident.SEV3,
				StartedAt: apptest.Start.Add(-time.Duration(qi.DaysAgo)*24*time.Hour - time.Hour),
				Alerts:    recurrence.Alerts{Fingerprints: qi.Fingerprints, Labels: qi.Labels}}
			for i, e := range qi.Entities {
				in.Entities = append(in.Entities, incident.FailedEntity{Ref: org.MustRef(e), Origin: i == 0})
			}
			inc, err := a.DeclareIncident(ctx, apptest.Admin(), in)
			if err != nil {
				t.Fatalf("%s: %v", qi.Key, err)
			}
			ids[qi.Key] = inc.ID
			if qi.Mechanism != "" {
				m := qi.Mechanism
				if _, err := a.EditPostmortem(ctx, apptest.Admin(), inc.ID, app.PostmortemDoc{Mechanism: &m}); err != nil {
					t.Fatal(err)
				}
			}
		}
		want := map[string]string{}
		var queries []string
		for _, p := range set.Pairs {
			if p.Recurrence {
				want[p.Query] = p.Earlier
				queries = append(queries, p.Query)
			}
		}
		hits1, hits5 := 0, 0
		var misses []string
		for _, q := range queries {
			cands, err := a.RecurrenceCandidates(ctx, apptest.Person("ada"), ids[q])
			if err != nil {
				t.Fatal(err)
			}
			rank := -1
			for i, c := range cands {
				if c.Incident == ids[want[q]] {
					rank = i
				}
			}
			if rank == 0 {
				hits1++
			}
			if rank >= 0 {
				hits5++
			}
			if rank != 0 {
				top := "none"
				if len(cands) > 0 {
					top = fmt.Sprintf("%s %.3f %v", keyOf(ids, cands[0].Incident), cands[0].Score, cands[0].Reasons)
				}
				misses = append(misses, fmt.Sprintf("%s (%s): rank %d; top %s", q, kindOf(set, q), rank, top))
			}
		}
		p1, r5 := float64(hits1)/float64(len(queries)), float64(hits5)/float64(len(queries))
		t.Logf("%d incidents, %d pairs, %d queries: precision@1 %.3f, recall@5 %.3f", len(set.Incidents), len(set.Pairs), len(queries), p1, r5)
		for _, m := range misses {
			t.Logf("miss: %s", m)
		}
		if p1 < minPrecisionAt1 || r5 < minRecallAt5 {
			t.Errorf("precision@1 %.3f (bar %.2f), recall@5 %.3f (bar %.2f)", p1, minPrecisionAt1, r5, minRecallAt5)
		}
	})
}

func keyOf(ids map[string]incident.ID, id incident.ID) string {
	for k, v := range ids {
		if v == id {
			return k
		}
	}
	return string(id)
}

func kindOf(set qualitySet, q string) string {
	for _, p := range set.Pairs {
		if p.Query == q && p.Recurrence {
			return p.Kind
		}
	}
	return ""
}

// failureMode is one way a component fails, told several ways.
type failureMode struct {
	name       string
	titles     []string // %s is the component's name
	summaries  []string
	mechanisms []string
	alert      string
}

var failureModes = []failureMode{
	{"pool", []string{"%s connection pool exhausted", "%s ran out of database connections", "Database connections maxed out on %s"},
		[]string{"requests queued waiting for a connection and timed out", "callers saw timeouts while every connection was busy"},
		[]string{"a slow query held connections until the pool ran dry", "long transactions kept the pool saturated, new requests waited for connections"}, "DBPoolSaturated"},
	{"cert", []string{"TLS certificate expired on %s", "%s served an expired certificate", "Expired cert broke HTTPS to %s"},
		[]string{"clients refused the handshake", "browsers and partners rejected the TLS handshake"},
		[]string{"the certificate renewal job had silently failed for weeks", "automatic renewal of the certificate never ran after the issuer changed"}, "CertificateExpiry"},
	{"disk", []string{"Disk full on %s hosts", "%s stopped writing: no space left on device", "%s volume filled up"},
		[]string{"writes failed with no space left", "the service could not write logs or data"},
		[]string{"log rotation was disabled so logs filled the volume", "unrotated logs grew until the disk was full"}, "DiskSpaceLow"},
	{"oom", []string{"%s pods OOM killed repeatedly", "Memory leak crashed %s", "%s restarting on out of memory"},
		[]string{"pods restarted every few minutes", "crash loops after memory climbed steadily"},
		[]string{"an unbounded in-memory cache grew until the kernel killed the process", "the cache had no eviction, memory grew until out of memory kills"}, "ContainerOOMKilled"},
	{"config", []string{"Bad config push broke %s", "%s misconfigured after a config rollout", "Config change took %s down"},
		[]string{"a typo in the rollout disabled the listener", "the new configuration pointed at the wrong upstream"},
		[]string{"the config was pushed without validation and a wrong upstream address shipped", "no schema check on the configuration let a wrong upstream through"}, "ConfigReloadFailed"},
	{"dns", []string{"DNS resolution failures from %s", "%s could not resolve hostnames", "Name lookups timing out in %s"},
		[]string{"lookups of upstream hosts timed out", "requests failed with unknown host errors"},
		[]string{"the resolver cache was too small and the upstream resolver throttled lookups", "resolver throttling after cache misses exhausted the lookup budget"}, "DNSLookupErrors"},
	{"ratelimit", []string{"%s rate limited by the vendor API", "Vendor throttled %s requests", "429s from the vendor hit %s"},
		[]string{"the vendor answered 429 to most calls", "calls to the vendor API were throttled"},
		[]string{"a retry loop without backoff multiplied calls past the vendor quota", "retries without jitter or backoff blew through the vendor quota"}, "UpstreamThrottled"},
	{"queue", []string{"%s queue backlog grew for hours", "Messages piled up in the %s queue", "%s consumers fell behind the queue"},
		[]string{"orders were processed hours late", "work sat in the queue unprocessed"},
		[]string{"a poison message blocked the consumer which kept retrying it", "one malformed message was retried forever and stalled consumers"}, "QueueLagHigh"},
	{"deadlock", []string{"Deadlocks in %s database writes", "%s transactions deadlocking", "Lock contention froze %s"},
		[]string{"writes failed with deadlock errors", "transactions aborted on lock waits"},
		[]string{"two code paths took row locks in opposite order", "inconsistent lock ordering between the writer and the batch job"}, "DBDeadlocks"},
	{"migration", []string{"Schema migration locked %s tables", "%s blocked by a long migration", "Migration took a table lock on %s"},
		[]string{"every write to the table hung during the migration", "the migration blocked writes for forty minutes"},
		[]string{"an index was built without concurrently and held an exclusive lock", "the migration added an index with a table lock instead of building it online"}, "SchemaLockWait"},
	{"cron", []string{"Overlapping cron runs corrupted %s data", "%s nightly job ran twice at once", "Duplicate batch runs in %s"},
		[]string{"two runs of the nightly job wrote the same rows", "duplicated records after concurrent job runs"},
		[]string{"the scheduler had no lock so a slow run overlapped the next one", "a missing job lock let the next run start before the previous finished"}, "BatchJobOverlap"},
	{"flag", []string{"Feature flag misfire exposed unfinished %s feature", "%s flag rollout went to all users", "Wrong feature flag targeting in %s"},
		[]string{"an unfinished flow reached every customer", "the flag was enabled for everyone instead of staff"},
		[]string{"the targeting rule was inverted in the flag console with no review", "flag targeting had no review step and was inverted"}, "FlagErrorRate"},
	{"latency", []string{"%s p99 latency spiked after a dependency slowed", "Slow responses from %s", "%s latency regression"},
		[]string{"pages took seconds to load", "the p99 went from 200ms to 4s"},
		[]string{"a missing index made a hot query scan the whole table", "the hot query lost its index after a rename and did full scans"}, "LatencyHigh"},
	{"cache", []string{"Cache stampede overloaded %s", "%s cache expiry caused a thundering herd", "Mass cache miss hit %s"},
		[]string{"the database was flooded when the cache emptied", "load on the origin jumped when keys expired together"},
		[]string{"all keys shared one expiry time so they expired together", "keys were set with the same TTL and expired at once"}, "CacheMissRatio"},
	{"clock", []string{"Clock skew broke token validation in %s", "%s rejected valid tokens due to time drift", "NTP drift on %s hosts"},
		[]string{"logins failed with token not yet valid", "signed tokens were rejected as expired"},
		[]string{"the hosts lost their time source and drifted by minutes", "time sync was not configured on the new image so clocks drifted"}, "ClockSkew"},
	{"secret", []string{"Rotated credentials broke %s", "%s lost access after a secret rotation", "Stale secret in %s after rotation"},
		[]string{"authentication to the database failed", "calls failed with invalid credentials"},
		[]string{"the rotation updated the vault but the service cached the old secret", "the service never reloaded the rotated secret from the vault"}, "AuthFailures"},
}

// systems of the labelled set, each with components and a database.
var qualitySystems = []string{"payments", "search", "shipping", "catalog", "identity", "billing", "inventory", "messaging", "reports", "loyalty",
	"ads", "pricing", "warehouse", "media", "notifications", "recommendations", "returns", "tax"}

var componentRoles = []string{"api", "worker", "gateway", "web"}

// writeQualitySet generates the labelled set from the templates above,
// deterministically, and writes it with its org.
func writeQualitySet(t *testing.T, dir string) {
	t.Helper()
	rnd := rand.New(rand.NewPCG(8, 2026))
	var orgYAML strings.Builder
	orgYAML.WriteString("# The org of the recurrence quality set (generated by TestRecurrenceQuality -regen-recurrence).\nversion: 1\npeople:\n")
	for _, s := range qualitySystems {
		fmt.Fprintf(&orgYAML, "  - {id: %s-owner, name: %s owner}\n", s, s)
	}
	orgYAML.WriteString("teams:\n  - {id: qa-eng, name: QA engineering, leader: payments-owner}\n")
	for _, s := range qualitySystems {
		fmt.Fprintf(&orgYAML, "  - {id: qa-%s, name: %s team, parent: qa-eng, leader: %s-owner}\n", s, s, s)
	}
	orgYAML.WriteString("entities:\n")
	for _, s := range qualitySystems {
		fmt.Fprintf(&orgYAML, "  - {id: %s-system, kind: system, owner: qa-%s}\n", s, s)
		for _, r := range componentRoles {
			fmt.Fprintf(&orgYAML, "  - {id: component:%s-%s, owner: qa-%s, system: %s-system}\n", s, r, s, s)
		}
		fmt.Fprintf(&orgYAML, "  - {id: resource:%s-db, owner: qa-%s, system: %s-system}\n", s, s, s)
	}

	var set qualitySet
	// used holds the system|mode pairs already told by some incident, so
	// that the only incidents of one failure in one system are those a
	// case pairs on purpose: anything else would be an unlabelled
	// recurrence.
	used := map[string]bool{}
	n := 0
	pick := func(xs []string) string { return xs[rnd.IntN(len(xs))] }
	add := func(comp string, mode failureMode, daysAgo int, extra []string, fps []string, labels map[string]string) string {
		n++
		key := fmt.Sprintf("q%03d", n)
		name := strings.TrimPrefix(comp, "component:")
		name = strings.ReplaceAll(name, "-", " ")
		qi := qualityIncident{Key: key, Title: fmt.Sprintf(pick(mode.titles), name), Summary: pick(mode.summaries), DaysAgo: daysAgo,
			Entities: append([]string{comp}, extra...), Fingerprints: fps, Labels: labels}
		if rnd.IntN(4) > 0 { // most have a postmortem mechanism by now
			qi.Mechanism = pick(mode.mechanisms)
		}
		set.Incidents = append(set.Incidents, qi)
		return key
	}
	fresh := func(mode int) (string, string) {
		for {
			s := qualitySystems[rnd.IntN(len(qualitySystems))]
			c := "component:" + s + "-" + componentRoles[rnd.IntN(len(componentRoles))]
			if k := s + "|" + failureModes[mode].name; !used[k] {
				used[k] = true
				return s, c
			}
		}
	}
	const cases = 64
	for i := range cases {
		mi := rnd.IntN(len(failureModes))
		mode := failureModes[mi]
		sys, comp := fresh(mi)
		queryDays := rnd.IntN(150)
		gap := 10 + rnd.IntN(300)
		labels := map[string]string{"alertname": mode.alert, "service": strings.TrimPrefix(comp, "component:"), "severity": "page"}
		fp := fmt.Sprintf("%08x", rnd.Uint32())
		var kind, earlierComp string
		var earlierFPs, queryFPs []string
		switch i % 4 {
		case 0, 1: // the same entity fails the same way again
			kind, earlierComp = "recurrence_same_entity", comp
		case 2: // another component of the same system, same failure
			kind = "recurrence_sibling"
			for earlierComp == "" || earlierComp == comp {
				earlierComp = "component:" + sys + "-" + componentRoles[rnd.IntN(len(componentRoles))]
			}
		case 3: // the alert says it: the same fingerprint, on the database
			kind, earlierComp = "recurrence_fingerprint", "resource:"+sys+"-db"
			earlierFPs, queryFPs = []string{fp}, []string{fp}
		}
		if rnd.IntN(3) == 0 && queryFPs == nil { // sometimes the alert fingerprint repeats too
			earlierFPs, queryFPs = []string{fp}, []string{fp}
		}
		earlierLabels := map[string]string{"alertname": mode.alert, "service": strings.TrimPrefix(earlierComp, "component:"), "severity": "page"}
		earlier := add(earlierComp, mode, queryDays+gap, nil, earlierFPs, earlierLabels)
		query := add(comp, mode, queryDays, nil, queryFPs, labels)
		set.Pairs = append(set.Pairs, qualityPair{Query: query, Earlier: earlier, Recurrence: true, Kind: kind})

		// Near miss: the same entity failed another way.
		other := (mi + 1 + rnd.IntN(len(failureModes)-1)) % len(failureModes)
		if !used[sys+"|"+failureModes[other].name] {
			used[sys+"|"+failureModes[other].name] = true
			k := add(comp, failureModes[other], queryDays+5+rnd.IntN(200), nil, nil,
				map[string]string{"alertname": failureModes[other].alert, "severity": "page"})
			set.Pairs = append(set.Pairs, qualityPair{Query: query, Earlier: k, Kind: "miss_same_entity_other_failure"})
		}
		// Near miss: the same words, in another system.
		_, far := fresh(mi)
		for strings.HasPrefix(far, "component:"+sys+"-") {
			_, far = fresh(mi)
		}
		k := add(far, mode, queryDays+5+rnd.IntN(200), nil, nil, map[string]string{"severity": "page"})
		set.Pairs = append(set.Pairs, qualityPair{Query: query, Earlier: k, Kind: "miss_same_words_other_system"})
		// Near miss: the same failure of the same entity, but too long ago.
		k = add(comp, mode, queryDays+370+rnd.IntN(200), nil, queryFPs, labels)
		set.Pairs = append(set.Pairs, qualityPair{Query: query, Earlier: k, Kind: "miss_too_old"})
	}
	// The product declares incidents in time order; so does the loader.
	slices.SortStableFunc(set.Incidents, func(a, b qualityIncident) int { return b.DaysAgo - a.DaysAgo })
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := json.MarshalIndent(set, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "set.json"), append(out, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "org.yaml"), []byte(orgYAML.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
