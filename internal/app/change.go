package app

import (
	"context"
	"slices"
	"strings"
	"time"

	"blameful.dev/blameful/internal/blame"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/freeze"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
)

// ChangeInput is what recording a change takes.
type ChangeInput struct {
	Entity org.Ref
	Ref    string
	Actor  org.Ref
	// At is when the change went out; zero is now.
	At                  time.Time
	Source              string
	ExceptionApprovedBy org.Ref
}

// changeSkew is how far in the future a change's time may be: a deploy
// script's clock may run a little ahead of the server's.
const changeSkew = 5 * time.Minute

// RecordChange records a deploy or configuration change. Anyone
// authenticated may, a person or a service token (a deploy script): the
// record says who made the change, not who reported it. The entity, the
// actor and an exception's approver must exist, and the approver must be a
// leader above the entity's owner as the org stood at the change's time
// (A6); Invalid otherwise, naming the field.
func (a *App) RecordChange(ctx context.Context, actor org.Actor, in ChangeInput) (freeze.Change, error) {
	now := a.Now()
	c := freeze.Change{Entity: in.Entity, Ref: strings.TrimSpace(in.Ref), Actor: in.Actor, At: in.At.UTC().Truncate(time.Microsecond),
		Source: strings.TrimSpace(in.Source), ExceptionApprovedBy: in.ExceptionApprovedBy, RecordedAt: now, RecordedBy: actor.Ref}
	if c.At.IsZero() {
		c.At = now
	}
	if c.Source == "" {
		c.Source = freeze.DefaultSource
	}
	if err := c.Validate(); err != nil {
		return c, err
	}
	if c.At.After(now.Add(changeSkew)) {
		return c, errs.Field("at", "%s is in the future", c.At.Format(time.RFC3339))
	}
	err := a.write(ctx, actor, nil, func(tx *store.Tx) error {
		var p errs.Problems
		if _, err := tx.Entity(c.Entity); errs.KindOf(err) == errs.NotFound {
			p.Add("entity", "%s is not in the catalog", c.Entity)
		} else if err != nil {
			return err
		}
		for field, ref := range map[string]org.Ref{"actor": c.Actor, "exception_approved_by": c.ExceptionApprovedBy} {
			if ref.IsZero() {
				continue
			}
			if _, err := tx.Person(ref); errs.KindOf(err) == errs.NotFound {
				p.Add(field, "%s is not a person of the org", ref)
			} else if err != nil {
				return err
			}
		}
		if err := p.Err(); err != nil {
			return err
		}
		if !c.ExceptionApprovedBy.IsZero() {
			v, err := a.orgView(tx)
			if err != nil {
				return err
			}
			owners, chart, err := ownersAndChart(v.at(c.At), c.Entity, c.At)
			if err != nil {
				return err
			}
			if err := freeze.CheckException(c, owners, chart); err != nil {
				return err
			}
		}
		c.ID = a.newID()
		if err := tx.CreateChange(&c); err != nil {
			return err
		}
		return a.record(tx, actor, "change.record", c.ID, changeRecordOf(&c))
	})
	return c, err
}

// ownersAt returns the owners of an entity at t, sorted.
func ownersAt(src factSource, entity org.Ref, t time.Time) ([]org.Ref, error) {
	edges, err := src.catalog([]org.Ref{entity})
	if err != nil {
		return nil, err
	}
	var out []org.Ref
	for _, e := range edges {
		if e.Relation == org.OwnedBy && e.ActiveAt(t) {
			out = append(out, e.Object)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// ownersAndChart returns the owners of an entity at t and the org around
// them then.
func ownersAndChart(src factSource, entity org.Ref, t time.Time) ([]org.Ref, *org.Chart, error) {
	owners, err := ownersAt(src, entity, t)
	if err != nil {
		return nil, nil, err
	}
	chart, err := chartWith(src, owners, t)
	return owners, chart, err
}

// ChangeFilter selects changes; zero fields select everything.
type ChangeFilter struct {
	Entity org.Ref
	Since  time.Time
	// Limit bounds the answer; zero or more than 500 is 500.
	Limit int
}

// Changes lists changes, the latest first. Every member may read them.
func (a *App) Changes(ctx context.Context, actor org.Actor, f ChangeFilter) ([]freeze.Change, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 500
	}
	var out []freeze.Change
	err := a.read(ctx, actor, func(tx *store.Tx) (err error) {
		out, err = tx.Changes(store.ChangeFilter{Entity: f.Entity, Since: f.Since, Limit: f.Limit})
		return err
	})
	return out, err
}

// IncidentChanges lists the changes linked to an incident, the latest
// first.
func (a *App) IncidentChanges(ctx context.Context, actor org.Actor, id incident.ID) ([]freeze.Change, error) {
	var out []freeze.Change
	err := a.read(ctx, actor, func(tx *store.Tx) (err error) {
		out, err = tx.Changes(store.ChangeFilter{Incident: id})
		return err
	})
	return out, err
}

// LinkChange links an incident to a change that may have caused it, which
// makes A6 weigh it in the incident's attribution suggestion. Any member
// may link one, while the postmortem can still change; linking the same
// change again changes nothing and reports false. NotFound when the
// incident is missing; Invalid (field change) when the change is.
func (a *App) LinkChange(ctx context.Context, actor org.Actor, id incident.ID, changeID string) (bool, error) {
	now := a.Now()
	var linked bool
	err := a.write(ctx, actor, nil, func(tx *store.Tx) error {
		if _, err := tx.Incident(id); err != nil {
			return err
		}
		if _, err := tx.Change(changeID); errs.KindOf(err) == errs.NotFound {
			return errs.Field("change", "no change %s", changeID)
		} else if err != nil {
			return err
		}
		pm, err := tx.Postmortem(id)
		if err != nil {
			return err
		}
		if !pm.IsEditable() {
			return errs.E(errs.Conflict, "the postmortem of %s is %s; its attribution can no longer change", id, pm.State)
		}
		if linked, err = tx.LinkChange(id, changeID, now, actor.Ref); err != nil || !linked {
			return err
		}
		return a.record(tx, actor, "incident.link_change", string(id), map[string]string{"change": changeID})
	})
	return linked, err
}

// FreezeInput is what creating a freeze takes.
type FreezeInput struct {
	Start, End time.Time
	Everything bool
	Scope      []org.Ref
	Reason     string
}

// CreateFreeze opens a code-freeze window. Leaders and admins may: a
// freeze binds other people's work, so it takes someone who answers for
// it. Every reference of the scope must be a team or an entity that
// exists. A freeze may lie in the past (recorded late) or the future.
func (a *App) CreateFreeze(ctx context.Context, actor org.Actor, in FreezeInput) (freeze.Freeze, error) {
	now := a.Now()
	scope := slices.Clone(in.Scope)
	slices.Sort(scope)
	f := freeze.Freeze{Start: in.Start.UTC().Truncate(time.Microsecond), End: in.End.UTC().Truncate(time.Microsecond),
		Everything: in.Everything, Scope: slices.Compact(scope), Reason: strings.TrimSpace(in.Reason), CreatedAt: now, CreatedBy: actor.Ref}
	err := a.write(ctx, actor, []org.Role{org.RoleLeader, org.RoleAdmin}, func(tx *store.Tx) error {
		if err := f.Validate(); err != nil {
			return err
		}
		for _, r := range f.Scope {
			var err error
			if r.IsTeam() {
				_, err = tx.Team(r)
			} else {
				_, err = tx.Entity(r)
			}
			if errs.KindOf(err) == errs.NotFound {
				return errs.Field("scope", "%s is not a team or entity of the org", r)
			} else if err != nil {
				return err
			}
		}
		f.ID = a.newID()
		if err := tx.CreateFreeze(&f); err != nil {
			return err
		}
		return a.record(tx, actor, "freeze.create", f.ID, freezeRecordOf(&f))
	})
	return f, err
}

// Freezes lists the freezes in force at a moment, or every freeze when at
// is zero (at most 500), the latest start first. Every member may read
// them.
func (a *App) Freezes(ctx context.Context, actor org.Actor, at time.Time) ([]freeze.Freeze, error) {
	return a.freezes(ctx, actor, store.FreezeFilter{At: at, Limit: 500})
}

// FreezesBetween lists the freezes overlapping [from, to), the latest start
// first, at most 500.
func (a *App) FreezesBetween(ctx context.Context, actor org.Actor, from, to time.Time) ([]freeze.Freeze, error) {
	return a.freezes(ctx, actor, store.FreezeFilter{From: from, To: to, Limit: 500})
}

func (a *App) freezes(ctx context.Context, actor org.Actor, f store.FreezeFilter) ([]freeze.Freeze, error) {
	var out []freeze.Freeze
	err := a.read(ctx, actor, func(tx *store.Tx) (err error) {
		out, err = tx.Freezes(f)
		return err
	})
	return out, err
}

// changeFacts loads A6's facts for an incident: its linked changes, each
// with who answered for its entity at the change's time, and the freezes
// in force at any of those times.
func (a *App) changeFacts(tx *store.Tx, v orgView, id incident.ID) ([]blame.Change, []blame.Freeze, error) {
	list, err := tx.Changes(store.ChangeFilter{Incident: id})
	if err != nil || len(list) == 0 {
		return nil, nil, err
	}
	var changes []blame.Change
	from, to := list[0].At, list[0].At
	for _, c := range list {
		owners, chart, err := ownersAndChart(v.at(c.At), c.Entity, c.At)
		if err != nil {
			return nil, nil, err
		}
		changes = append(changes, blame.Change{ID: c.ID, Entity: c.Entity, Actor: c.Actor, At: c.At, Version: c.Ref,
			ExceptionApproved: !c.ExceptionApprovedBy.IsZero(), OwnedBy: answering(owners, chart)})
		if c.At.Before(from) {
			from = c.At
		}
		if c.At.After(to) {
			to = c.At
		}
	}
	fzs, err := tx.Freezes(store.FreezeFilter{From: from, To: to.Add(time.Microsecond)})
	if err != nil {
		return nil, nil, err
	}
	var freezes []blame.Freeze
	for _, f := range fzs {
		freezes = append(freezes, blame.Freeze{ID: f.ID, Start: f.Start, End: f.End, Everything: f.Everything,
			Entities: f.Entities(), Teams: f.Teams(), Reason: f.Reason})
	}
	return changes, freezes, nil
}

// answering returns everyone who answered for an entity owned by owners:
// the owners, the teams of a person owner, and every team above them. It
// is never nil, so the engine judges by it even when there is no owner.
func answering(owners []org.Ref, chart *org.Chart) []org.Ref {
	out := []org.Ref{}
	add := func(r org.Ref) {
		for _, t := range chart.Ancestors(r) {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	for _, o := range owners {
		add(o)
		if o.IsPerson() {
			for _, t := range chart.TeamsOf(o) {
				add(t)
			}
		}
	}
	return out
}

type changeRecord struct {
	Entity              string `json:"entity"`
	Ref                 string `json:"ref"`
	Actor               string `json:"actor"`
	At                  string `json:"at"`
	Source              string `json:"source"`
	ExceptionApprovedBy string `json:"exception_approved_by,omitempty"`
}

func changeRecordOf(c *freeze.Change) changeRecord {
	return changeRecord{Entity: string(c.Entity), Ref: c.Ref, Actor: string(c.Actor), At: c.At.Format(time.RFC3339Nano),
		Source: c.Source, ExceptionApprovedBy: string(c.ExceptionApprovedBy)}
}

type freezeRecord struct {
	Start  string   `json:"start"`
	End    string   `json:"end"`
	All    bool     `json:"all,omitempty"`
	Scope  []string `json:"scope,omitempty"`
	Reason string   `json:"reason"`
}

func freezeRecordOf(f *freeze.Freeze) freezeRecord {
	r := freezeRecord{Start: f.Start.Format(time.RFC3339Nano), End: f.End.Format(time.RFC3339Nano), All: f.Everything, Reason: f.Reason}
	for _, s := range f.Scope {
		r.Scope = append(r.Scope, string(s))
	}
	return r
}
