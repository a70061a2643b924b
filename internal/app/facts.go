package app

import (
	"slices"
	"time"

	"blameful.dev/blameful/internal/blame"
	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
)

// maxFactEntities bounds how far the dependency walk goes from the failed
// entities; the engine only needs the graph among them.
const maxFactEntities = 500

// suggest computes the attribution suggestion for an incident from the org
// and catalog as they stood when it started.
func (a *App) suggest(tx *store.Tx, in *incident.Incident) (blame.Suggestion, error) {
	f, err := a.facts(tx, in)
	if err != nil {
		return blame.Suggestion{}, err
	}
	return blame.Suggest(f), nil
}

// facts loads what the blame engine needs, and nothing more: the failed
// entities with their systems and dependencies, the teams that own them or
// whose people own them, those teams' ancestors, and their leaders and
// members — all as of the incident's start.
func (a *App) facts(tx *store.Tx, in *incident.Incident) (blame.Facts, error) {
	t := in.StartedAt
	f := blame.Facts{
		Incident: in.ID, Severity: in.Severity, StartedAt: t, Failed: in.Entities,
		Entities: map[org.Ref]catalog.EntityAt{}, InheritedDays: a.cfg.InheritedDays,
	}
	// Read everything around the failed entities in one statement, then
	// walk it in memory exactly as the walk below walks the tables. Only
	// when too much is reachable does it fall back to that bounded walk.
	around, err := tx.Surroundings(in.EntityRefs(), t, surroundingsMax)
	if err != nil {
		return f, err
	}
	if !around.Complete {
		if err := a.loadEntities(tx, f.Entities, in.EntityRefs(), t); err != nil {
			return f, err
		}
		chart, err := a.chartFor(tx, ownersOf(f.Entities), t)
		if err != nil {
			return f, err
		}
		f.Chart = chart
		return f, nil
	}
	if err := loadEntitiesFrom(tx, f.Entities, in.EntityRefs(), around.Catalog, t); err != nil {
		return f, err
	}
	chart, err := chartFrom(tx, around, ownersOf(f.Entities), t)
	if err != nil {
		return f, err
	}
	f.Chart = chart
	return f, nil
}

// surroundingsMax is how many reachable entities the one-statement read
// accepts before falling back to the walk bounded by maxFactEntities.
const surroundingsMax = 4 * maxFactEntities

// bySubject groups edges by subject, keeping their order.
func bySubject(edges []org.Edge) map[org.Ref][]org.Edge {
	m := map[org.Ref][]org.Edge{}
	for _, e := range edges {
		m[e.Subject] = append(m[e.Subject], e)
	}
	return m
}

// loadEntitiesFrom does what loadEntities does, over edges already read
// (every catalog edge of every entity reachable from start), and reads
// only the entities themselves.
func loadEntitiesFrom(tx *store.Tx, ents map[org.Ref]catalog.EntityAt, start []org.Ref, edges []org.Edge, t time.Time) error {
	subj := bySubject(edges)
	var order []org.Ref
	frontier := slices.Clone(start)
	for len(frontier) > 0 && len(ents) < maxFactEntities {
		var next []org.Ref
		for _, r := range frontier {
			// The entity's own fields do not steer the walk; they are
			// filled in below, once the walk has picked the entities.
			v := catalog.View(catalog.Entity{Ref: r}, false, subj[r], t)
			ents[r] = v
			order = append(order, r)
			for _, n := range append(slices.Clone(v.DependsOn), v.System) {
				if _, seen := ents[n]; !n.IsZero() && !seen && !slices.Contains(next, n) && !slices.Contains(frontier, n) {
					next = append(next, n)
				}
			}
		}
		frontier = next
	}
	if len(order) == 0 {
		return nil // a nil Refs would read every entity
	}
	found, err := tx.Entities(store.EntityFilter{Refs: order})
	if err != nil {
		return err
	}
	byRef := make(map[org.Ref]catalog.Entity, len(found))
	for _, e := range found {
		byRef[e.Ref] = e
	}
	for _, r := range order {
		e, ok := byRef[r]
		if !ok {
			e = catalog.Entity{Ref: r, Kind: catalog.Kind(r.Kind())}
		}
		ents[r] = catalog.View(e, ok, subj[r], t)
	}
	return nil
}

// loadEntities fills ents with start and everything reachable from it
// through systems and dependencies, as of t.
func (a *App) loadEntities(tx *store.Tx, ents map[org.Ref]catalog.EntityAt, start []org.Ref, t time.Time) error {
	frontier := slices.Clone(start)
	for len(frontier) > 0 && len(ents) < maxFactEntities {
		found, err := tx.Entities(store.EntityFilter{Refs: frontier})
		if err != nil {
			return err
		}
		edges, err := tx.Edges(store.EdgeFilter{Subjects: frontier, Relations: []org.Relation{org.OwnedBy, org.PartOf, org.DependsOn}})
		if err != nil {
			return err
		}
		byRef := make(map[org.Ref]catalog.Entity, len(found))
		for _, e := range found {
			byRef[e.Ref] = e
		}
		var next []org.Ref
		for _, r := range frontier {
			e, ok := byRef[r]
			if !ok {
				e = catalog.Entity{Ref: r, Kind: catalog.Kind(r.Kind())}
			}
			v := catalog.View(e, ok, edges, t)
			ents[r] = v
			for _, n := range append(slices.Clone(v.DependsOn), v.System) {
				if _, seen := ents[n]; !n.IsZero() && !seen && !slices.Contains(next, n) && !slices.Contains(frontier, n) {
					next = append(next, n)
				}
			}
		}
		frontier = next
	}
	return nil
}

// ownersOf returns every owner named by the entities, sorted.
func ownersOf(ents map[org.Ref]catalog.EntityAt) []org.Ref {
	var out []org.Ref
	for _, e := range ents {
		for _, c := range e.Owners {
			out = append(out, c.Owner)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// chartFor builds the org at t around refs (people and teams): the people,
// the teams they belong to or that they are, every ancestor of those teams,
// and each team's leaders and members. The roots are the tops of those
// chains, or every root team when there are none.
func (a *App) chartFor(tx *store.Tx, refs []org.Ref, t time.Time) (*org.Chart, error) {
	var people, teams []org.Ref
	for _, r := range refs {
		if r.IsPerson() {
			people = append(people, r)
		} else if r.IsTeam() {
			teams = append(teams, r)
		}
	}
	var edges []org.Edge
	if len(people) > 0 {
		ms, err := tx.Edges(store.EdgeFilter{Subjects: people, Relations: []org.Relation{org.MemberOf, org.Leads}, At: t})
		if err != nil {
			return nil, err
		}
		for _, e := range ms {
			teams = append(teams, e.Object)
		}
	}
	// Walk up the tree one level per query.
	seen := map[org.Ref]bool{}
	frontier := teams
	var roots []org.Ref
	for len(frontier) > 0 {
		var fresh []org.Ref
		for _, r := range frontier {
			if !seen[r] {
				seen[r] = true
				fresh = append(fresh, r)
			}
		}
		if len(fresh) == 0 {
			break
		}
		parents, err := tx.Edges(store.EdgeFilter{Subjects: fresh, Relations: []org.Relation{org.ChildOf}, At: t})
		if err != nil {
			return nil, err
		}
		edges = append(edges, parents...)
		hasParent := map[org.Ref]bool{}
		frontier = nil
		for _, e := range parents {
			hasParent[e.Subject] = true
			frontier = append(frontier, e.Object)
		}
		for _, r := range fresh {
			if !hasParent[r] {
				roots = append(roots, r)
			}
		}
	}
	all := make([]org.Ref, 0, len(seen))
	for r := range seen {
		all = append(all, r)
	}
	slices.Sort(all)
	teamRows, err := tx.Teams(all)
	if err != nil {
		return nil, err
	}
	roots, teamRows, extra, err := coverRoots(tx, t, roots, teamRows)
	if err != nil {
		return nil, err
	}
	all = append(all, extra...)
	inner, err := tx.Edges(store.EdgeFilter{Objects: all, Relations: []org.Relation{org.Leads, org.MemberOf}, At: t})
	if err != nil {
		return nil, err
	}
	edges = append(edges, inner...)
	personRows, err := tx.People(people)
	if err != nil {
		return nil, err
	}
	return org.NewChart(t, teamRows, personRows, edges, roots), nil
}

// chartFrom does what chartFor does, over the org edges already read with
// the surroundings, which hold everything it needs for the owners in refs.
// It reads only the teams and people themselves, and the root teams when
// no chain reaches one.
func chartFrom(tx *store.Tx, s store.Surroundings, refs []org.Ref, t time.Time) (*org.Chart, error) {
	var people, teams []org.Ref
	for _, r := range refs {
		if r.IsPerson() {
			people = append(people, r)
		} else if r.IsTeam() {
			teams = append(teams, r)
		}
	}
	memberships := bySubject(s.Memberships)
	for _, p := range people {
		for _, e := range memberships[p] {
			teams = append(teams, e.Object)
		}
	}
	parentsOf := bySubject(s.Parents)
	var edges []org.Edge
	seen := map[org.Ref]bool{}
	frontier := teams
	var roots []org.Ref
	for len(frontier) > 0 {
		var fresh []org.Ref
		for _, r := range frontier {
			if !seen[r] {
				seen[r] = true
				fresh = append(fresh, r)
			}
		}
		frontier = nil
		for _, r := range fresh {
			parents := parentsOf[r]
			if len(parents) == 0 {
				roots = append(roots, r)
			}
			edges = append(edges, parents...)
			for _, e := range parents {
				frontier = append(frontier, e.Object)
			}
		}
	}
	all := make([]org.Ref, 0, len(seen))
	for r := range seen {
		all = append(all, r)
	}
	slices.Sort(all)
	teamRows, err := tx.Teams(all)
	if err != nil {
		return nil, err
	}
	for _, e := range s.Inside {
		if seen[e.Object] {
			edges = append(edges, e)
		}
	}
	roots, teamRows, extra, err := coverRoots(tx, t, roots, teamRows)
	if err != nil {
		return nil, err
	}
	if len(extra) > 0 {
		inner, err := tx.Edges(store.EdgeFilter{Objects: extra, Relations: []org.Relation{org.Leads, org.MemberOf}, At: t})
		if err != nil {
			return nil, err
		}
		edges = append(edges, inner...)
	}
	personRows, err := tx.People(people)
	if err != nil {
		return nil, err
	}
	return org.NewChart(t, teamRows, personRows, edges, roots), nil
}

// coverRoots keeps the roots that are teams of the org. When none is left
// (no team involved, or only teams unknown to the org), every root of the
// org at t is a candidate cover: it returns them, with their rows added to
// teamRows and, in extra, those it had to read.
func coverRoots(tx *store.Tx, t time.Time, roots []org.Ref, teamRows []org.Team) ([]org.Ref, []org.Team, []org.Ref, error) {
	known := map[org.Ref]bool{}
	for _, tm := range teamRows {
		known[tm.Ref] = true
	}
	roots = slices.DeleteFunc(roots, func(r org.Ref) bool { return !known[r] })
	if len(roots) > 0 {
		return roots, teamRows, nil, nil
	}
	roots, err := tx.RootTeams(t)
	if err != nil {
		return nil, nil, nil, err
	}
	var extra []org.Ref
	for _, r := range roots {
		if !known[r] {
			extra = append(extra, r)
		}
	}
	more, err := tx.Teams(extra)
	if err != nil {
		return nil, nil, nil, err
	}
	return roots, append(teamRows, more...), extra, nil
}
