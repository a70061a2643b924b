package app

import (
	"context"
	"slices"
	"time"

	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
)

// PersonView is a person with where they stood at a moment.
type PersonView struct {
	org.Person
	At    time.Time
	Teams []org.Ref
	Leads []org.Ref
	// History is every membership and leadership period, for "who was on
	// payments in March".
	History []org.Edge
}

// TeamView is a team as it stood at a moment, with its history.
type TeamView struct {
	org.TeamAt
	Description string
	At          time.Time
	Children    []org.Ref
	History     []org.Edge
}

// EntityView is an entity as it stood at a moment, with its ownership
// history.
type EntityView struct {
	catalog.EntityAt
	At      time.Time
	History []org.Edge
}

// orgAt builds the whole org at t: every team and org edge, which is what
// listing the org needs. It walks the server's copy of the org when that
// is current (orgsnap.go), else reads the tables.
func (a *App) orgAt(tx *store.Tx, t time.Time) (*org.Chart, error) {
	v, err := a.orgView(tx)
	if err != nil {
		return nil, err
	}
	if v.snap != nil {
		return snapAt{v.snap, t}.wholeOrg(), nil
	}
	return orgTables(tx, t)
}

// orgTables is orgAt from the tables.
func orgTables(tx *store.Tx, t time.Time) (*org.Chart, error) {
	teams, err := tx.AllTeams()
	if err != nil {
		return nil, err
	}
	edges, err := tx.Edges(store.EdgeFilter{Relations: []org.Relation{org.ChildOf, org.Leads, org.MemberOf}, At: t})
	if err != nil {
		return nil, err
	}
	roots, err := tx.RootTeams(t)
	if err != nil {
		return nil, err
	}
	return org.NewChart(t, teams, nil, edges, roots), nil
}

// Teams lists every team as it stood at t (now when zero).
func (a *App) Teams(ctx context.Context, actor org.Actor, t time.Time) ([]TeamView, error) {
	t = a.orNow(t)
	var out []TeamView
	err := a.read(ctx, actor, func(tx *store.Tx) error {
		chart, err := a.orgAt(tx, t)
		if err != nil {
			return err
		}
		children := map[org.Ref][]org.Ref{}
		for _, tm := range chart.Teams {
			if !tm.Parent.IsZero() {
				children[tm.Parent] = append(children[tm.Parent], tm.Ref)
			}
		}
		for _, tm := range chart.Teams {
			ch := children[tm.Ref]
			slices.Sort(ch)
			out = append(out, TeamView{TeamAt: tm, At: t, Children: ch})
		}
		slices.SortFunc(out, func(x, y TeamView) int { return compareRef(x.Ref, y.Ref) })
		return nil
	})
	return out, err
}

// Team shows one team at t with the history of its leadership, membership
// and parent.
func (a *App) Team(ctx context.Context, actor org.Actor, ref org.Ref, t time.Time) (TeamView, error) {
	t = a.orNow(t)
	var v TeamView
	err := a.read(ctx, actor, func(tx *store.Tx) error {
		team, err := tx.Team(ref)
		if err != nil {
			return err
		}
		chart, err := a.orgAt(tx, t)
		if err != nil {
			return err
		}
		v = TeamView{TeamAt: chart.Teams[ref], Description: team.Description, At: t}
		for _, tm := range chart.Teams {
			if tm.Parent == ref {
				v.Children = append(v.Children, tm.Ref)
			}
		}
		slices.Sort(v.Children)
		in, err := tx.Edges(store.EdgeFilter{Objects: []org.Ref{ref}, Relations: []org.Relation{org.Leads, org.MemberOf}})
		if err != nil {
			return err
		}
		up, err := tx.Edges(store.EdgeFilter{Subjects: []org.Ref{ref}, Relations: []org.Relation{org.ChildOf}})
		if err != nil {
			return err
		}
		v.History = append(in, up...)
		return nil
	})
	return v, err
}

// People lists everyone with their teams at t.
func (a *App) People(ctx context.Context, actor org.Actor, t time.Time) ([]PersonView, error) {
	t = a.orNow(t)
	var out []PersonView
	err := a.read(ctx, actor, func(tx *store.Tx) error {
		people, err := tx.AllPeople()
		if err != nil {
			return err
		}
		edges, err := tx.Edges(store.EdgeFilter{Relations: []org.Relation{org.Leads, org.MemberOf}, At: t})
		if err != nil {
			return err
		}
		teams, leads := map[org.Ref][]org.Ref{}, map[org.Ref][]org.Ref{}
		for _, e := range edges {
			if e.Relation == org.Leads {
				leads[e.Subject] = append(leads[e.Subject], e.Object)
			} else {
				teams[e.Subject] = append(teams[e.Subject], e.Object)
			}
		}
		for _, p := range people {
			out = append(out, PersonView{Person: p, At: t, Teams: teams[p.Ref], Leads: leads[p.Ref]})
		}
		return nil
	})
	return out, err
}

// Person shows one person at t with their membership history.
func (a *App) Person(ctx context.Context, actor org.Actor, ref org.Ref, t time.Time) (PersonView, error) {
	t = a.orNow(t)
	var v PersonView
	err := a.read(ctx, actor, func(tx *store.Tx) error {
		p, err := tx.Person(ref)
		if err != nil {
			return err
		}
		v = PersonView{Person: p, At: t}
		hist, err := tx.Edges(store.EdgeFilter{Subjects: []org.Ref{ref}, Relations: []org.Relation{org.Leads, org.MemberOf}})
		if err != nil {
			return err
		}
		v.History = hist
		for _, e := range hist {
			if !e.ActiveAt(t) {
				continue
			}
			if e.Relation == org.Leads {
				v.Leads = append(v.Leads, e.Object)
			} else {
				v.Teams = append(v.Teams, e.Object)
			}
		}
		return nil
	})
	return v, err
}

// Entities lists catalog entities (of a kind, or owned by someone, when
// asked) as they stood at t.
func (a *App) Entities(ctx context.Context, actor org.Actor, kind catalog.Kind, owner org.Ref, t time.Time) ([]EntityView, error) {
	return a.EntityList(ctx, actor, EntityFilter{Kind: kind, Owner: owner, At: t})
}

// EntityFilter picks catalog entities for a list, as they stood at At
// (now when zero).
type EntityFilter struct {
	Kind  catalog.Kind
	Owner org.Ref
	// Text is part of the reference or the title.
	Text string
	// Owners is "none" for the entities nobody owns (domains aside) or
	// "several" for those more than one owner claims: the catalog's
	// ownership gaps, where A4 decides. "" is any.
	Owners string
	At     time.Time
	// After and Limit page the list, in reference order; Limit 0 is all.
	After org.Ref
	Limit int
}

// Ownership gaps for EntityFilter.Owners.
const (
	OwnedByNone    = string(store.OwnersNone)
	OwnedBySeveral = string(store.OwnersSeveral)
)

// EntityList lists the catalog entities f picks, with their owners.
func (a *App) EntityList(ctx context.Context, actor org.Actor, f EntityFilter) ([]EntityView, error) {
	switch f.Owners {
	case "", OwnedByNone, OwnedBySeveral:
	default:
		return nil, errs.Field("owners", "%q is not an ownership gap: use none or several", f.Owners)
	}
	t := a.orNow(f.At)
	var out []EntityView
	err := a.read(ctx, actor, func(tx *store.Tx) error {
		ents, err := tx.Entities(store.EntityFilter{Kind: f.Kind, Owner: f.Owner, OwnedAt: t, Text: f.Text,
			Owners: store.OwnerCount(f.Owners), After: f.After, Limit: f.Limit})
		if err != nil {
			return err
		}
		var refs []org.Ref
		for _, e := range ents {
			refs = append(refs, e.Ref)
		}
		var edges []org.Edge
		if len(refs) > 0 {
			// Whole histories: "since" is the start of the unbroken run.
			if edges, err = tx.Edges(store.EdgeFilter{Subjects: refs, Relations: []org.Relation{org.OwnedBy, org.PartOf, org.DependsOn}}); err != nil {
				return err
			}
		}
		bySubject := map[org.Ref][]org.Edge{}
		for _, e := range edges {
			bySubject[e.Subject] = append(bySubject[e.Subject], e)
		}
		for _, e := range ents {
			out = append(out, EntityView{EntityAt: catalog.View(e, true, bySubject[e.Ref], t), At: t})
		}
		return nil
	})
	return out, err
}

// Entity shows one entity at t with its whole ownership history.
func (a *App) Entity(ctx context.Context, actor org.Actor, ref org.Ref, t time.Time) (EntityView, error) {
	t = a.orNow(t)
	var v EntityView
	err := a.read(ctx, actor, func(tx *store.Tx) error {
		e, err := tx.Entity(ref)
		if err != nil {
			return err
		}
		edges, err := tx.Edges(store.EdgeFilter{Subjects: []org.Ref{ref}, Relations: []org.Relation{org.OwnedBy, org.PartOf, org.DependsOn}})
		if err != nil {
			return err
		}
		v = EntityView{EntityAt: catalog.View(e, true, edges, t), At: t, History: edges}
		return nil
	})
	return v, err
}

func (a *App) orNow(t time.Time) time.Time {
	if t.IsZero() {
		return a.Now()
	}
	return t.UTC()
}

func compareRef(x, y org.Ref) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}
