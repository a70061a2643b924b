package app

import (
	"context"
	"slices"
	"time"

	"blameful.dev/blameful/internal/freeze"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
)

// ChangeView is a change with the freezes it broke: those in force when it
// was made that covered its entity, when no leader approved an exception
// (A6). Breached is empty for a change that broke none.
type ChangeView struct {
	freeze.Change
	Breached []freeze.Freeze
}

// IsInFreeze reports whether the change broke a freeze (A6).
func (v ChangeView) IsInFreeze() bool { return len(v.Breached) > 0 }

// ChangeViews lists changes as Changes does, each with the freezes it
// broke. Every member may read them.
func (a *App) ChangeViews(ctx context.Context, actor org.Actor, f ChangeFilter) ([]ChangeView, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 500
	}
	var out []ChangeView
	err := a.read(ctx, actor, func(tx *store.Tx) error {
		list, err := tx.Changes(store.ChangeFilter{Entity: f.Entity, Since: f.Since, Limit: f.Limit})
		if err != nil {
			return err
		}
		out, err = a.breaches(tx, list)
		return err
	})
	return out, err
}

// IncidentChangeViews lists the changes linked to an incident, the latest
// first, each with the freezes it broke. NotFound when the incident is
// missing.
func (a *App) IncidentChangeViews(ctx context.Context, actor org.Actor, id incident.ID) ([]ChangeView, error) {
	var out []ChangeView
	err := a.read(ctx, actor, func(tx *store.Tx) error {
		if _, err := tx.Incident(id); err != nil {
			return err
		}
		list, err := tx.Changes(store.ChangeFilter{Incident: id})
		if err != nil {
			return err
		}
		out, err = a.breaches(tx, list)
		return err
	})
	return out, err
}

// breaches pairs each change with the freezes it broke. The org at a
// change's time is loaded only when a freeze in force then names teams and
// does not already cover the change by itself; that is the judgement the
// engine makes for A6 (changeFacts), so the pages and the suggestion agree.
func (a *App) breaches(tx *store.Tx, list []freeze.Change) ([]ChangeView, error) {
	out := make([]ChangeView, len(list))
	if len(list) == 0 {
		return out, nil
	}
	from, to := list[0].At, list[0].At
	for _, c := range list {
		from, to = minTime(from, c.At), maxTime(to, c.At)
	}
	fzs, err := tx.Freezes(store.FreezeFilter{From: from, To: to.Add(time.Microsecond)})
	if err != nil {
		return nil, err
	}
	var view orgView // read when first needed
	for i, c := range list {
		out[i].Change = c
		var answered []org.Ref
		loaded := false
		for _, fz := range fzs {
			if !fz.Contains(c.At) || !c.ExceptionApprovedBy.IsZero() {
				continue
			}
			if !loaded && !fz.Everything && !slices.Contains(fz.Scope, c.Entity) && len(fz.Teams()) > 0 {
				if view.tx == nil {
					if view, err = a.orgView(tx); err != nil {
						return nil, err
					}
				}
				owners, chart, err := ownersAndChart(view.at(c.At), c.Entity, c.At)
				if err != nil {
					return nil, err
				}
				answered, loaded = answering(owners, chart), true
			}
			if fz.IsBrokenBy(c, answered) {
				out[i].Breached = append(out[i].Breached, fz)
			}
		}
	}
	return out, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
