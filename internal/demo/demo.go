// Package demo loads Larkspur, a realistic demo organisation, with a year of
// incidents, postmortems, attributions and follow-ups, so that a newcomer
// sees what blameful does within a minute of starting it. The private side
// is there too: assessments decided by the parties' leaders, one of them
// flagged as harsher than policy, appeals, a confirmed concealment and a
// dismissed one, and the overdue postmortems the integrity sweep flags.
//
// Nothing here is faked below the use cases: the org is imported from an
// org file by the importer, and every incident is declared, worked,
// attributed and reviewed through the app on a simulated clock, in time
// order, so the audit log, the IDs and the due dates are those the events
// would have produced. The history is generated from a fixed seed relative
// to today, so every load tells the same story.
package demo

import (
	"context"
	_ "embed"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/importer"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
)

//go:embed org.yaml
var orgFile []byte

// Summary says what was loaded.
type Summary struct {
	Loaded    bool
	People    int
	Teams     int
	Entities  int
	Incidents int
	FollowUps int
	// Logins are the demo's accounts with their passwords, to print once.
	Logins []Login
}

// reorgDays is how long ago search moved from Catalog to Growth: recent
// enough that its incidents since count as inherited (A5).
const reorgDays = 50

// LoadIfEmpty loads the demo unless the database already holds incidents,
// reporting progress as it goes.
func LoadIfEmpty(ctx context.Context, a *app.App, progress func(done, total int)) (Summary, error) {
	existing, err := a.Incidents(ctx, org.System("demo"), incident.Filter{Limit: 1})
	if err != nil {
		return Summary{}, err
	}
	if len(existing) > 0 {
		return Summary{}, nil
	}
	return Load(ctx, a, progress)
}

// Load writes the demo organisation and its year of history.
func Load(ctx context.Context, a *app.App, progress func(done, total int)) (Summary, error) {
	now := a.Now()
	today := now.Truncate(24 * time.Hour)
	clock := &simClock{}
	sim := a.At(clock.Now)
	loader := org.System("demo")

	batch, err := importer.ParseOrg("demo org.yaml", orgFile)
	if err != nil {
		return Summary{}, fmt.Errorf("demo org file: %w", err)
	}
	sum := Summary{Loaded: true, People: len(batch.People), Teams: len(batch.Teams), Entities: len(batch.Entities)}
	clock.set(today.AddDate(-1, 0, -7))
	if _, err := sim.Import(ctx, loader, batch); err != nil {
		return sum, fmt.Errorf("import demo org: %w", err)
	}

	w := newWorld(rand.New(rand.NewPCG(2026, 47)), today)
	acts := w.plan()
	// The scripted incidents and the assessments come after the plan, so
	// the year it draws stays the same.
	acts = append(acts, w.concealments()...)
	acts = append(acts, w.frozenDeploy()...)
	acts = append(acts, w.followThrough()...)
	acts = append(acts, w.alertStories()...)
	acts = append(acts, w.codeowners()...)
	acts = append(acts, w.assessments()...)
	// The re-organisation: Search moves from Catalog to Growth.
	reorg := reorgBatch(batch)
	acts = append(acts, action{at: today.AddDate(0, 0, -reorgDays), run: func(ctx context.Context, a *app.App) error {
		_, err := a.Import(ctx, loader, reorg)
		return err
	}})
	acts = append(acts, jobs(today.AddDate(-1, 0, 0), now)...)
	sort.SliceStable(acts, func(i, j int) bool { return acts[i].at.Before(acts[j].at) })
	for i, act := range acts {
		clock.set(act.at)
		if err := act.run(ctx, sim); err != nil {
			return sum, fmt.Errorf("demo step at %s: %w", act.at.Format(time.RFC3339), err)
		}
		if progress != nil && (i%50 == 0 || i == len(acts)-1) {
			progress(i+1, len(acts))
		}
	}
	// A year of reminders and digests was queued as it went; it is history,
	// not news for a server given notification channels later: only
	// today's are left to send.
	if _, err := sim.SettleOutbox(ctx, today); err != nil {
		return sum, err
	}
	sum.Incidents, sum.FollowUps = w.incidents, w.followUps
	// The accounts are made now, on the real clock: they did not exist
	// during the year replayed.
	if sum.Logins, err = createLogins(ctx, a); err != nil {
		return sum, err
	}
	return sum, nil
}

// reorgBatch is the org file after the re-organisation: the same claims
// except that Growth owns Search. Importing it ends Catalog's ownership and
// begins Growth's at the moment of the import.
func reorgBatch(b importer.Batch) importer.Batch {
	search := org.MustRef("component:search-service")
	out := b
	out.Claims = make([]org.Claim, len(b.Claims))
	copy(out.Claims, b.Claims)
	for i, c := range out.Claims {
		if c.Relation == org.OwnedBy && c.Subject == search {
			out.Claims[i].Object = org.MustRef("group:growth")
		}
	}
	return out
}

// simClock is the demo's clock: it stands at the moment of the step being
// replayed.
type simClock struct{ t time.Time }

func (c *simClock) set(t time.Time) { c.t = t }

func (c *simClock) Now() time.Time { return c.t }

// action is one step of the history, replayed at its moment.
type action struct {
	at  time.Time
	run func(context.Context, *app.App) error
}
