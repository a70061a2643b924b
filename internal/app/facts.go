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
// members — all as of the incident's start — and the changes linked to it
// with the freezes around them (A6), each as of the change's time.
//
// It reads everything around the failed entities in one statement and
// walks that in memory; only when too much is reachable does it walk the
// tables a level at a time instead. Both walks are the same code over a
// different edgeSource.
func (a *App) facts(tx *store.Tx, in *incident.Incident) (blame.Facts, error) {
	v, err := a.orgView(tx)
	if err != nil {
		return blame.Facts{}, err
	}
	return a.factsFrom(tx, v, in)
}

// factsFrom is facts over an org already chosen: the in-memory copy when
// it is current, else the tables (one statement for the surroundings, or
// level by level when too much is reachable).
func (a *App) factsFrom(tx *store.Tx, v orgView, in *incident.Incident) (blame.Facts, error) {
	t := in.StartedAt
	f := blame.Facts{
		Incident: in.ID, Severity: in.Severity, StartedAt: t, Failed: in.Entities,
		Entities: map[org.Ref]catalog.EntityAt{}, InheritedDays: a.cfg.InheritedDays,
	}
	src := v.at(t)
	if v.snap == nil {
		around, err := tx.Surroundings(in.EntityRefs(), t, surroundingsMax)
		if err != nil {
			return f, err
		}
		if around.Complete {
			src = newAround(tables{tx, t}, around)
		}
	}
	var err error
	if err = walkEntities(src, f.Entities, in.EntityRefs(), t); err != nil {
		return f, err
	}
	if f.Chart, err = chartWith(src, ownersOf(f.Entities), t); err != nil {
		return f, err
	}
	if f.Changes, f.Freezes, err = a.changeFacts(tx, v, in.ID); err != nil {
		return f, err
	}
	f.Missed, err = missedFacts(tx, in.ID)
	return f, err
}

// surroundingsMax is how many reachable entities the one-statement read
// accepts before the walk falls back to the tables (and to maxFactEntities).
const surroundingsMax = 4 * maxFactEntities

// factSource gives the fact walks the org and catalog at one moment: the
// edges they follow and the rows of what they reach.
type factSource interface {
	// catalog returns the owned_by, part_of and depends_on edges of refs,
	// of every period (an entity's view picks the one in effect).
	catalog(refs []org.Ref) ([]org.Edge, error)
	// memberships returns the member_of and leads edges of people, at t.
	memberships(people []org.Ref) ([]org.Edge, error)
	// parents returns the child_of edges of teams, at t.
	parents(teams []org.Ref) ([]org.Edge, error)
	// inside returns the leads and member_of edges into teams, at t.
	inside(teams []org.Ref) ([]org.Edge, error)
	// insideRoots is inside for root teams that no walk up reached.
	insideRoots(teams []org.Ref) ([]org.Edge, error)
	// entities, teams and people return the rows of the known refs, sorted.
	entities(refs []org.Ref) ([]catalog.Entity, error)
	teams(refs []org.Ref) ([]org.Team, error)
	people(refs []org.Ref) ([]org.Person, error)
	// rootTeams returns the teams without a parent at t, sorted.
	rootTeams() ([]org.Ref, error)
}

// tables reads the edges from the database, one query per call.
type tables struct {
	tx *store.Tx
	t  time.Time
}

func (s tables) catalog(refs []org.Ref) ([]org.Edge, error) {
	return s.tx.Edges(store.EdgeFilter{Subjects: refs, Relations: []org.Relation{org.OwnedBy, org.PartOf, org.DependsOn}})
}

func (s tables) memberships(people []org.Ref) ([]org.Edge, error) {
	return s.tx.Edges(store.EdgeFilter{Subjects: people, Relations: []org.Relation{org.MemberOf, org.Leads}, At: s.t})
}

func (s tables) parents(teams []org.Ref) ([]org.Edge, error) {
	return s.tx.Edges(store.EdgeFilter{Subjects: teams, Relations: []org.Relation{org.ChildOf}, At: s.t})
}

func (s tables) inside(teams []org.Ref) ([]org.Edge, error) {
	return s.tx.Edges(store.EdgeFilter{Objects: teams, Relations: []org.Relation{org.Leads, org.MemberOf}, At: s.t})
}

func (s tables) insideRoots(teams []org.Ref) ([]org.Edge, error) { return s.inside(teams) }

func (s tables) entities(refs []org.Ref) ([]catalog.Entity, error) {
	if len(refs) == 0 {
		return nil, nil // a nil Refs would read every entity
	}
	return s.tx.Entities(store.EntityFilter{Refs: refs})
}

func (s tables) teams(refs []org.Ref) ([]org.Team, error) { return s.tx.Teams(refs) }

func (s tables) people(refs []org.Ref) ([]org.Person, error) { return s.tx.People(refs) }

func (s tables) rootTeams() ([]org.Ref, error) { return s.tx.RootTeams(s.t) }

// around serves the edges from surroundings already read, which hold
// everything the walks of facts ask it for but the edges into root teams
// no walk reached, and the rows, which it reads from the tables.
type around struct {
	tables
	catalogOf, membershipsOf, parentsOf map[org.Ref][]org.Edge
	insideOf                            map[org.Ref][]org.Edge
}

func newAround(rows tables, s store.Surroundings) around {
	byObject := map[org.Ref][]org.Edge{}
	for _, e := range s.Inside {
		byObject[e.Object] = append(byObject[e.Object], e)
	}
	return around{tables: rows, catalogOf: bySubject(s.Catalog), membershipsOf: bySubject(s.Memberships),
		parentsOf: bySubject(s.Parents), insideOf: byObject}
}

func (s around) catalog(refs []org.Ref) ([]org.Edge, error) { return pick(s.catalogOf, refs), nil }

func (s around) memberships(people []org.Ref) ([]org.Edge, error) {
	return pick(s.membershipsOf, people), nil
}

func (s around) parents(teams []org.Ref) ([]org.Edge, error) { return pick(s.parentsOf, teams), nil }

func (s around) inside(teams []org.Ref) ([]org.Edge, error) { return pick(s.insideOf, teams), nil }

// bySubject groups edges by subject, keeping their order.
func bySubject(edges []org.Edge) map[org.Ref][]org.Edge {
	m := map[org.Ref][]org.Edge{}
	for _, e := range edges {
		m[e.Subject] = append(m[e.Subject], e)
	}
	return m
}

// pick returns the edges of refs, in the order of refs.
func pick(m map[org.Ref][]org.Edge, refs []org.Ref) []org.Edge {
	var out []org.Edge
	for _, r := range refs {
		out = append(out, m[r]...)
	}
	return out
}

// loadEntities fills ents with start and everything reachable from it
// through systems and dependencies, as of t.
func (a *App) loadEntities(tx *store.Tx, ents map[org.Ref]catalog.EntityAt, start []org.Ref, t time.Time) error {
	v, err := a.orgView(tx)
	if err != nil {
		return err
	}
	return walkEntities(v.at(t), ents, start, t)
}

// walkEntities fills ents with start and everything reachable from it
// through systems and dependencies, as of t, up to maxFactEntities, then
// reads the entities it reached in one query. Their own fields do not steer
// the walk: edges do.
func walkEntities(src factSource, ents map[org.Ref]catalog.EntityAt, start []org.Ref, t time.Time) error {
	edgesOf := map[org.Ref][]org.Edge{}
	var order []org.Ref
	frontier := slices.Clone(start)
	for len(frontier) > 0 && len(ents) < maxFactEntities {
		edges, err := src.catalog(frontier)
		if err != nil {
			return err
		}
		for _, e := range edges {
			edgesOf[e.Subject] = append(edgesOf[e.Subject], e)
		}
		var next []org.Ref
		for _, r := range frontier {
			v := catalog.View(catalog.Entity{Ref: r}, false, edgesOf[r], t)
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
	found, err := src.entities(order)
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
		ents[r] = catalog.View(e, ok, edgesOf[r], t)
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

// chartFor builds the org at t around refs (people and teams); see
// chartWith.
func (a *App) chartFor(tx *store.Tx, refs []org.Ref, t time.Time) (*org.Chart, error) {
	v, err := a.orgView(tx)
	if err != nil {
		return nil, err
	}
	return chartWith(v.at(t), refs, t)
}

// chartWith builds the org at t around refs (people and teams): the people,
// the teams they belong to or that they are, every ancestor of those teams,
// and each team's leaders and members. The roots are the tops of those
// chains, or every root team when there are none.
func chartWith(src factSource, refs []org.Ref, t time.Time) (*org.Chart, error) {
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
		ms, err := src.memberships(people)
		if err != nil {
			return nil, err
		}
		for _, e := range ms {
			teams = append(teams, e.Object)
		}
	}
	// Walk up the tree one level at a time.
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
		parents, err := src.parents(fresh)
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
	teamRows, err := src.teams(all)
	if err != nil {
		return nil, err
	}
	roots, teamRows, extra, err := coverRoots(src, roots, teamRows)
	if err != nil {
		return nil, err
	}
	inner, err := src.inside(all)
	if err != nil {
		return nil, err
	}
	edges = append(edges, inner...)
	if len(extra) > 0 {
		// Root teams no chain reached: no source has read their insides.
		inner, err := src.insideRoots(extra)
		if err != nil {
			return nil, err
		}
		edges = append(edges, inner...)
	}
	personRows, err := src.people(people)
	if err != nil {
		return nil, err
	}
	return org.NewChart(t, teamRows, personRows, edges, roots), nil
}

// coverRoots keeps the roots that are teams of the org. When none is left
// (no team involved, or only teams unknown to the org), every root of the
// org at t is a candidate cover: it returns them, with their rows added to
// teamRows and, in extra, those it had to read.
func coverRoots(src factSource, roots []org.Ref, teamRows []org.Team) ([]org.Ref, []org.Team, []org.Ref, error) {
	known := map[org.Ref]bool{}
	for _, tm := range teamRows {
		known[tm.Ref] = true
	}
	roots = slices.DeleteFunc(roots, func(r org.Ref) bool { return !known[r] })
	if len(roots) > 0 {
		return roots, teamRows, nil, nil
	}
	roots, err := src.rootTeams()
	if err != nil {
		return nil, nil, nil, err
	}
	var extra []org.Ref
	for _, r := range roots {
		if !known[r] {
			extra = append(extra, r)
		}
	}
	more, err := src.teams(extra)
	if err != nil {
		return nil, nil, nil, err
	}
	return roots, append(teamRows, more...), extra, nil
}
