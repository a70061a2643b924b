package demo

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/blame"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
)

// scenario is a kind of incident Larkspur has: what fails, how it is
// titled, and how often it happens.
type scenario struct {
	weight int
	// failed lists the failed entities; a trailing "*" marks the origin.
	failed []string
	titles []string
	// mechanism is what the postmortem finds.
	mechanism string
	// from and until limit the scenario to a window of days before today
	// (0: no limit).
	from, until int
}

// scenarios cover every attribution rule the engine applies today: owners
// (A2), providers (A3), ambiguous ownership in each of its forms (A4), the
// dependency graph singling out an origin, and an owner that inherited its
// service recently (A5).
var scenarios = []scenario{
	{weight: 10, failed: []string{"component:checkout-api*"}, titles: []string{"Checkout API returning 5xx", "Checkout latency above SLO", "Orders stuck in pending"}, mechanism: "A connection pool sized for last year's traffic ran dry under the evening peak."},
	{weight: 7, failed: []string{"component:payment-gateway*"}, titles: []string{"Card payments failing", "Payment gateway timeouts", "Duplicate charge attempts"}, mechanism: "A retry without an idempotency key sent the same charge twice when the first attempt timed out."},
	{weight: 5, failed: []string{"component:catalog-api*"}, titles: []string{"Product pages missing prices", "Catalog API slow"}, mechanism: "A cache stampede after a deploy emptied the product cache at peak."},
	{weight: 4, failed: []string{"component:cart-service*"}, titles: []string{"Carts emptied on login", "Cart service errors"}, mechanism: "Session keys changed format in a release; carts keyed by the old format were orphaned."},
	{weight: 4, failed: []string{"component:auth-service*"}, titles: []string{"Login failures", "MFA codes rejected"}, mechanism: "Clock drift on two nodes made freshly issued codes look expired."},
	{weight: 4, failed: []string{"component:api-gateway*"}, titles: []string{"API gateway 502s", "Rate limiter blocking partners"}, mechanism: "A rate-limit rule shipped with a per-second limit where per-minute was meant."},
	{weight: 3, failed: []string{"component:notification-service*"}, titles: []string{"Order emails delayed", "Push notifications not sent"}, mechanism: "A consumer crashed on one malformed event and stopped the partition."},
	{weight: 3, failed: []string{"component:recommendations*"}, titles: []string{"Recommendations empty", "Stale recommendations"}, mechanism: "The nightly model refresh failed silently and the service served a month-old model."},
	{weight: 3, failed: []string{"resource:orders-db*"}, titles: []string{"Orders database failover", "Orders DB disk full"}, mechanism: "Unbounded audit rows filled the volume; the alert threshold was set above the disk size."},
	{weight: 2, failed: []string{"component:k8s-cluster*"}, titles: []string{"Pods evicted across the cluster", "Cluster autoscaler stuck"}, mechanism: "A node pool upgrade drained nodes faster than the disruption budgets allowed."},
	{weight: 2, failed: []string{"component:etl-pipeline*"}, titles: []string{"Revenue dashboard a day behind", "ETL job failing"}, mechanism: "A schema change upstream added a column the loader did not expect."},
	{weight: 2, failed: []string{"component:feature-flags*"}, titles: []string{"Feature flags not updating"}, mechanism: "The flag cache TTL was set to a day in a config typo."},
	{weight: 2, failed: []string{"component:ledger*"}, titles: []string{"Ledger out of balance"}, mechanism: "Two refund paths both wrote the reversal entry."},
	// A3: the team that chose the provider owns its outcomes.
	{weight: 3, failed: []string{"provider:stripe*"}, titles: []string{"Stripe API errors", "Stripe webhooks delayed"}, mechanism: "The provider degraded; we had no fallback path and no alert on webhook lag."},
	{weight: 2, failed: []string{"provider:aws*"}, titles: []string{"AWS EBS degradation in eu-west-1", "AWS API throttling"}, mechanism: "A regional degradation hit the one zone our databases were pinned to."},
	{weight: 2, failed: []string{"provider:cloudflare*"}, titles: []string{"CDN serving errors", "Edge TLS handshake failures"}, mechanism: "The CDN's incident; our origin shield settings turned a partial outage into a full one."},
	{weight: 1, failed: []string{"provider:sendgrid*"}, titles: []string{"Email provider rejecting sends"}, mechanism: "Our sending reputation dropped after a marketing blast from the transactional pool."},
	{weight: 1, failed: []string{"provider:twilio*"}, titles: []string{"SMS codes not delivered"}, mechanism: "The SMS provider's carrier route failed; we had no second route."},
	// A4: nobody's job, so the leader whose org left it ambiguous.
	{weight: 2, failed: []string{"component:image-resizer*"}, titles: []string{"Product images broken", "Image resizer out of memory"}, mechanism: "Nobody owned the resizer; its memory limit was never revisited as images grew."},
	{weight: 2, failed: []string{"component:inventory-sync*"}, titles: []string{"Stock counts wrong", "Inventory sync lagging"}, mechanism: "Checkout and Catalog each thought the other ran the sync; neither watched its lag."},
	{weight: 1, failed: []string{"component:legacy-reports*"}, titles: []string{"Finance reports missing"}, mechanism: "The dissolved Legacy tools team's job kept running with nobody on the other end of its alerts."},
	{weight: 1, failed: []string{"component:sitemap-generator*"}, titles: []string{"Sitemap stopped updating"}, mechanism: "Its owner left in December; the job's failures went to a deleted mailbox."},
	{weight: 2, failed: []string{"component:notification-service", "component:auth-service"}, titles: []string{"Password reset emails and logins failing"}, mechanism: "Two unrelated faults on the same evening; the review could not single one out."},
	// The dependency graph singles out the origin: storefront and checkout
	// depend on the payment gateway.
	{weight: 3, failed: []string{"component:web-storefront", "component:checkout-api", "component:payment-gateway"}, titles: []string{"Checkout down on the storefront"}, mechanism: "The payment gateway's thread pool saturated; checkout and the storefront waited on it."},
	// A5: Growth inherited Search from Catalog at the re-organisation.
	{weight: 3, failed: []string{"component:search-service*"}, titles: []string{"Search returning no results", "Search index stale"}, mechanism: "The reindex job's schedule lived in a config only Catalog knew about.", until: reorgDays - 2},
	{weight: 1, failed: []string{"component:search-service*"}, titles: []string{"Search slow"}, mechanism: "An unindexed sort on a new facet.", from: reorgDays + 5},
}

// world generates the year of history.
type world struct {
	rng       *rand.Rand
	today     time.Time
	incidents int
	followUps int
	// decided lists the attributions the story decides, for their
	// assessments (accountability.go).
	decided []decided
}

func newWorld(rng *rand.Rand, today time.Time) *world { return &world{rng: rng, today: today} }

// plan lays out every incident of the year as timed actions.
func (w *world) plan() []action {
	var acts []action
	start := w.today.AddDate(-1, 0, 0)
	for day := start; !day.After(w.today); day = day.AddDate(0, 0, 1) {
		n := 0
		switch r := w.rng.Float64(); {
		case r < 0.05:
			n = 2
		case r < 0.48:
			n = 1
		}
		for range n {
			at := day.Add(time.Duration(6+w.rng.IntN(15))*time.Hour + time.Duration(w.rng.IntN(60))*time.Minute)
			if !at.Before(w.today.Add(-time.Hour)) {
				continue
			}
			sc, ok := w.pick(int(w.today.Sub(day).Hours() / 24))
			if !ok {
				continue
			}
			w.incidents++
			acts = append(acts, w.story(sc, at)...)
		}
	}
	return acts
}

// pick chooses a scenario allowed daysAgo days before today.
func (w *world) pick(daysAgo int) (scenario, bool) {
	var allowed []scenario
	total := 0
	for _, s := range scenarios {
		if (s.from > 0 && daysAgo < s.from) || (s.until > 0 && daysAgo > s.until) {
			continue
		}
		allowed = append(allowed, s)
		total += s.weight
	}
	r := w.rng.IntN(total)
	for _, s := range allowed {
		if r < s.weight {
			return s, true
		}
		r -= s.weight
	}
	return scenario{}, false
}

func (w *world) severity() incident.Severity {
	switch r := w.rng.Float64(); {
	case r < 0.06:
		return incident.SEV1
	case r < 0.27:
		return incident.SEV2
	case r < 0.70:
		return incident.SEV3
	}
	return incident.SEV4
}

// oncall is who declares and works incidents.
var oncall = []string{"ana.costa", "piotr.nowak", "zoe.martin", "lucas.silva", "mateo.garcia", "jules.moreau", "clara.schmidt", "mia.rossi"}

// facilitators run the weekly review and record decisions.
var facilitators = []string{"daniel.mensah", "aisha.okafor", "tomas.rivera"}

// person acts as a member; leader acts as someone who leads a team.
func person(name string) org.Actor {
	return org.Actor{Ref: org.MustRef("user:" + name), Roles: []org.Role{org.RoleMember}}
}

func leader(name string) org.Actor {
	return org.Actor{Ref: org.MustRef("user:" + name), Roles: []org.Role{org.RoleMember, org.RoleLeader}}
}

// divisionHeads lead the three divisions and, at the top, the whole of
// engineering: one of them stands above any party.
var divisionHeads = []string{"tomas.rivera", "aisha.okafor", "lena.hoffmann", "margot.chen"}

// decideAttribution records the attribution as the review's chair, or, when
// the party lies outside the chair's organisation, as the division head
// above it: a leader decides only for their own organisation. A fault of
// the head of engineering, with nobody above her, is recorded by HR.
func decideAttribution(ctx context.Context, a *app.App, chair org.Actor, id incident.ID, party org.Ref, why string) (blame.Decision, error) {
	d, err := a.DecideAttribution(ctx, chair, id, party, why)
	for _, next := range append(divisionHeads, "") {
		if !errors.Is(err, errs.Forbidden) {
			break
		}
		by := hrDesk
		if next != "" {
			by = leader(next)
		}
		d, err = a.DecideAttribution(ctx, by, id, party, why)
	}
	return d, err
}

func (w *world) choose(xs []string) string { return xs[w.rng.IntN(len(xs))] }

func (w *world) minutes(lo, hi int) time.Duration {
	return time.Duration(lo+w.rng.IntN(hi-lo+1)) * time.Minute
}
