package app

import (
	"context"

	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
)

// Gauges are the figures of the moment that monitoring reads: open
// incidents by severity, overdue follow-ups, and the outbox by state.
type Gauges struct {
	OpenIncidents    map[string]int
	OverdueFollowUps int
	Outbox           map[string]int
}

// Gauges counts them. Any authenticated actor may: every member sees
// incidents and follow-ups, and the outbox counts name nobody.
func (a *App) Gauges(ctx context.Context, actor org.Actor) (Gauges, error) {
	var g Gauges
	err := a.read(ctx, actor, func(tx *store.Tx) (err error) {
		if g.OpenIncidents, err = tx.OpenIncidentCounts(); err != nil {
			return err
		}
		if g.OverdueFollowUps, err = tx.OverdueFollowUpCount(followup.Day(a.Now())); err != nil {
			return err
		}
		g.Outbox, err = tx.OutboxCounts()
		return err
	})
	return g, err
}
