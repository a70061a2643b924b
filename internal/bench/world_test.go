package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"blameful.dev/blameful/internal/blame"
	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/policy"
)

// benchNow is "today" for every generated data set: the date of the
// measurements in BENCHMARKS.md, a Tuesday in ISO week 2026-W48.
var benchNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// orgSpec sizes a generated organisation.
type orgSpec struct {
	People, Teams, Entities int
	// Incidents is how many incidents to generate for the attribution
	// benchmarks (started within the last year).
	Incidents int
	Seed      uint64
}

// world is a generated organisation and catalog with a year of history:
// a six-way team tree with one leader per team, people who moved teams or
// left, entities in layers (front ends depend on services, services on
// resources, resources on providers) grouped into systems, and owners that
// changed hands. A small share of it is deliberately broken the way real
// catalogs are (no owner, two claimed owners, a team without a leader, an
// owner who left), so that every branch of the engine is exercised.
type world struct {
	spec      orgSpec
	people    []org.Person
	teams     []org.Team
	ents      []catalog.Entity
	edges     []org.Edge
	incidents []incident.Incident

	bySubject map[org.Ref][]org.Edge
	byObject  map[org.Ref][]org.Edge
	entity    map[org.Ref]catalog.Entity
	team      map[org.Ref]org.Team
	person    map[org.Ref]org.Person

	rng    *rand.Rand
	edgeID int
}

const fanout = 6 // children per team in the generated tree

func personRef(i int) org.Ref { return org.Ref(fmt.Sprintf("user:default/p%05d", i)) }
func teamRef(i int) org.Ref   { return org.Ref(fmt.Sprintf("group:default/t%04d", i)) }

func newWorld(spec orgSpec) *world {
	w := &world{spec: spec, rng: rand.New(rand.NewPCG(spec.Seed, 47))}
	w.genOrg()
	w.genCatalog()
	w.index()
	w.genIncidents()
	return w
}

// ago returns a moment between minDays and maxDays before benchNow.
func (w *world) ago(minDays, maxDays int) time.Time {
	span := time.Duration(maxDays-minDays) * 24 * time.Hour
	return benchNow.Add(-time.Duration(minDays)*24*time.Hour - time.Duration(w.rng.Int64N(int64(span)))).Truncate(time.Second)
}

func (w *world) edge(rel org.Relation, subj, obj org.Ref, source string, from, to time.Time) {
	w.edgeID++
	w.edges = append(w.edges, org.Edge{ID: fmt.Sprintf("e%08d", w.edgeID), Relation: rel, Subject: subj, Object: obj,
		Source: source, From: from, To: to})
}

func (w *world) genOrg() {
	nt, np := w.spec.Teams, w.spec.People
	for i := range nt {
		w.teams = append(w.teams, org.Team{Ref: teamRef(i), Name: fmt.Sprintf("Team %d", i)})
		if i > 0 {
			w.edge(org.ChildOf, teamRef(i), teamRef((i-1)/fanout), "org-file", time.Time{}, time.Time{})
		}
	}
	for i := range np {
		p := org.Person{Ref: personRef(i), Name: fmt.Sprintf("Person %d", i), Email: fmt.Sprintf("p%d@example.com", i), Handle: fmt.Sprintf("p%d", i)}
		if i >= nt && w.rng.IntN(100) < 3 {
			p.Left = w.ago(5, 365)
		}
		w.people = append(w.people, p)
	}
	// Person i < nt leads team i (1% of teams lost their leader: defunct)
	// and is one of its members; everyone else is a member of one team, and
	// one in ten moved from another team during the year.
	for i := range nt {
		if i == 0 || w.rng.IntN(100) >= 1 {
			w.edge(org.Leads, personRef(i), teamRef(i), "org-file", time.Time{}, time.Time{})
		} else {
			w.edge(org.Leads, personRef(i), teamRef(i), "org-file", time.Time{}, w.ago(30, 300))
		}
		w.edge(org.MemberOf, personRef(i), teamRef(i), "org-file", time.Time{}, time.Time{})
	}
	for i := nt; i < np; i++ {
		p := w.people[i]
		t := teamRef(i % nt)
		if p.Left.IsZero() && w.rng.IntN(10) == 0 {
			moved := w.ago(10, 365)
			w.edge(org.MemberOf, p.Ref, teamRef(w.rng.IntN(nt)), "org-file", time.Time{}, moved)
			w.edge(org.MemberOf, p.Ref, t, "org-file", moved, time.Time{})
			continue
		}
		w.edge(org.MemberOf, p.Ref, t, "org-file", time.Time{}, p.Left)
	}
}

// descendant walks one or two levels down from team t, when it has
// children.
func (w *world) descendant(t int) int {
	for range 1 + w.rng.IntN(2) {
		c := fanout*t + 1 + w.rng.IntN(fanout)
		if c >= w.spec.Teams {
			break
		}
		t = c
	}
	return t
}

func (w *world) genCatalog() {
	n := w.spec.Entities
	nSys := max(1, n*5/100)
	nProv := max(1, n/100)
	nRes := max(1, n*15/100)
	nComp := max(3, n-nSys-nProv-nRes)
	// Systems are owned by teams two or three levels below the root.
	lo, hi := min(7, w.spec.Teams-1), min(259, w.spec.Teams)
	sysOwner := make([]int, nSys)
	for i := range nSys {
		sysOwner[i] = lo + w.rng.IntN(max(1, hi-lo))
		ref := org.Ref(fmt.Sprintf("system:default/s%05d", i))
		w.ents = append(w.ents, catalog.Entity{Ref: ref, Kind: catalog.System, Title: fmt.Sprintf("System %d", i)})
		w.edge(org.OwnedBy, ref, teamRef(sysOwner[i]), "org-file", time.Time{}, time.Time{})
	}
	comp := func(i int) org.Ref { return org.Ref(fmt.Sprintf("component:default/c%06d", i)) }
	res := func(i int) org.Ref { return org.Ref(fmt.Sprintf("resource:default/r%06d", i)) }
	prov := func(i int) org.Ref { return org.Ref(fmt.Sprintf("provider:default/v%04d", i)) }
	l1, l2 := nComp/4, nComp*60/100 // layers: [0,l1) front ends, [l1,l2) services, [l2,nComp) back ends
	pick := func(from, to int) int { return from + w.rng.IntN(max(1, to-from)) }
	for i := range nComp {
		ref := comp(i)
		w.ents = append(w.ents, catalog.Entity{Ref: ref, Kind: catalog.Component, Title: fmt.Sprintf("Component %d", i), Type: "service", Lifecycle: "production",
			CodePaths: []string{fmt.Sprintf("github.com/example/c%d", i)}})
		sys := i * nSys / nComp
		if w.rng.IntN(10) > 0 {
			w.edge(org.PartOf, ref, org.Ref(fmt.Sprintf("system:default/s%05d", sys)), "org-file", time.Time{}, time.Time{})
		}
		w.owners(ref, w.descendant(sysOwner[sys]))
		var deps []org.Ref
		switch {
		case i < l1:
			for range 1 + w.rng.IntN(3) {
				deps = append(deps, comp(pick(l1, l2)))
			}
		case i < l2:
			for range w.rng.IntN(4) {
				if w.rng.IntN(2) == 0 {
					deps = append(deps, comp(pick(l2, nComp)))
				} else {
					deps = append(deps, res(w.rng.IntN(nRes)))
				}
			}
		default:
			for range w.rng.IntN(3) {
				if w.rng.IntN(10) == 0 {
					deps = append(deps, prov(w.rng.IntN(nProv)))
				} else {
					deps = append(deps, res(w.rng.IntN(nRes)))
				}
			}
		}
		slices.Sort(deps)
		for _, d := range slices.Compact(deps) {
			w.edge(org.DependsOn, ref, d, "org-file", time.Time{}, time.Time{})
		}
	}
	for i := range nRes {
		ref := res(i)
		w.ents = append(w.ents, catalog.Entity{Ref: ref, Kind: catalog.Resource, Title: fmt.Sprintf("Resource %d", i), Type: "database"})
		sys := i * nSys / nRes
		w.edge(org.PartOf, ref, org.Ref(fmt.Sprintf("system:default/s%05d", sys)), "org-file", time.Time{}, time.Time{})
		w.owners(ref, w.descendant(sysOwner[sys]))
		if w.rng.IntN(20) == 0 {
			w.edge(org.DependsOn, ref, prov(w.rng.IntN(nProv)), "org-file", time.Time{}, time.Time{})
		}
	}
	for i := range nProv {
		ref := prov(i)
		w.ents = append(w.ents, catalog.Entity{Ref: ref, Kind: catalog.Provider, Title: fmt.Sprintf("Provider %d", i)})
		w.edge(org.OwnedBy, ref, teamRef(pick(1, w.spec.Teams)), "org-file", time.Time{}, time.Time{})
	}
}

// owners gives an entity its ownership history: usually team t since the
// beginning; sometimes t only since a hand-over during the year, a person,
// two claimed owners, or nobody.
func (w *world) owners(ref org.Ref, t int) {
	r := w.rng.IntN(100)
	switch {
	case r < 3: // nobody
	case r < 5: // two sources disagree
		w.edge(org.OwnedBy, ref, teamRef(t), "org-file", time.Time{}, time.Time{})
		w.edge(org.OwnedBy, ref, teamRef(w.rng.IntN(w.spec.Teams)), "backstage", time.Time{}, time.Time{})
	case r < 10: // a person
		w.edge(org.OwnedBy, ref, personRef(w.rng.IntN(w.spec.People)), "org-file", time.Time{}, time.Time{})
	case r < 22: // handed over during the year
		at := w.ago(10, 400)
		w.edge(org.OwnedBy, ref, teamRef(w.rng.IntN(w.spec.Teams)), "org-file", time.Time{}, at)
		w.edge(org.OwnedBy, ref, teamRef(t), "org-file", at, time.Time{})
	default:
		w.edge(org.OwnedBy, ref, teamRef(t), "org-file", time.Time{}, time.Time{})
	}
}

func (w *world) index() {
	w.bySubject = map[org.Ref][]org.Edge{}
	w.byObject = map[org.Ref][]org.Edge{}
	for _, e := range w.edges {
		w.bySubject[e.Subject] = append(w.bySubject[e.Subject], e)
		w.byObject[e.Object] = append(w.byObject[e.Object], e)
	}
	w.entity = make(map[org.Ref]catalog.Entity, len(w.ents))
	for _, e := range w.ents {
		w.entity[e.Ref] = e
	}
	w.team = make(map[org.Ref]org.Team, len(w.teams))
	for _, t := range w.teams {
		w.team[t.Ref] = t
	}
	w.person = make(map[org.Ref]org.Person, len(w.people))
	for _, p := range w.people {
		w.person[p.Ref] = p
	}
}

// reader returns someone who leads no team and has not left: an ordinary
// member reading the API.
func (w *world) reader() org.Person {
	for _, p := range w.people[len(w.teams):] {
		if p.Left.IsZero() {
			return p
		}
	}
	return w.people[0]
}

// failable returns a random entity that is not a system.
func (w *world) failable() catalog.Entity {
	for {
		e := w.ents[w.rng.IntN(len(w.ents))]
		if e.Kind != catalog.System {
			return e
		}
	}
}

// genIncidents makes the attribution incidents: one failed entity (60%),
// an entity and one of its dependencies (30%, the origin marked half the
// time, else left for the dependency graph to find), or two unrelated
// entities with no origin (10%).
func (w *world) genIncidents() {
	seq := map[int]int{}
	for range w.spec.Incidents {
		start := w.ago(1, 365)
		seq[start.Year()]++
		in := incident.Incident{ID: incident.FormatID(start.Year(), seq[start.Year()]), Title: "Generated incident",
			Severity: incident.Severities[w.rng.IntN(len(incident.Severities))], Status: incident.StatusResolved, Source: "manual",
			StartedAt: start, DeclaredAt: start.Add(10 * time.Minute), ResolvedAt: start.Add(3 * time.Hour),
			CreatedBy: personRef(w.rng.IntN(w.spec.People)), CreatedAt: start.Add(10 * time.Minute), UpdatedAt: start.Add(3 * time.Hour)}
		x := w.failable()
		r := w.rng.IntN(10)
		var deps []org.Ref
		for _, e := range w.bySubject[x.Ref] {
			if e.Relation == org.DependsOn {
				deps = append(deps, e.Object)
			}
		}
		switch {
		case r < 6 || (r < 9 && len(deps) == 0):
			in.Entities = []incident.FailedEntity{{Ref: x.Ref}}
		case r < 9:
			y := deps[w.rng.IntN(len(deps))]
			in.Entities = []incident.FailedEntity{{Ref: x.Ref}, {Ref: y, Origin: w.rng.IntN(2) == 0}}
		default:
			y := w.failable()
			if y.Ref == x.Ref {
				in.Entities = []incident.FailedEntity{{Ref: x.Ref}}
			} else {
				in.Entities = []incident.FailedEntity{{Ref: x.Ref}, {Ref: y.Ref}}
			}
		}
		w.incidents = append(w.incidents, in)
	}
}

// maxFactEntities mirrors app's bound on the dependency walk.
const maxFactEntities = 500

// facts builds what the app's facts loader hands the engine for in, from
// the world in memory instead of from SQL: the failed entities and
// everything reachable through systems and dependencies, and the chart of
// the owners' teams, their ancestors, leaders and members, all as of the
// incident's start. TestFactsMatchApp checks that it gives the engine the
// same suggestions as the app's own loader.
func (w *world) facts(in incident.Incident) blame.Facts {
	t := in.StartedAt
	f := blame.Facts{Incident: in.ID, Severity: in.Severity, StartedAt: t, Failed: in.Entities,
		Entities: map[org.Ref]catalog.EntityAt{}, InheritedDays: policy.Default().InheritedDays}
	frontier := in.EntityRefs()
	for len(frontier) > 0 && len(f.Entities) < maxFactEntities {
		var edges []org.Edge
		for _, r := range frontier {
			for _, e := range w.bySubject[r] {
				if e.Relation == org.OwnedBy || e.Relation == org.PartOf || e.Relation == org.DependsOn {
					edges = append(edges, e)
				}
			}
		}
		var next []org.Ref
		for _, r := range frontier {
			e, ok := w.entity[r]
			if !ok {
				e = catalog.Entity{Ref: r, Kind: catalog.Kind(r.Kind())}
			}
			v := catalog.View(e, ok, edges, t)
			f.Entities[r] = v
			for _, n := range append(slices.Clone(v.DependsOn), v.System) {
				if _, seen := f.Entities[n]; !n.IsZero() && !seen && !slices.Contains(next, n) && !slices.Contains(frontier, n) {
					next = append(next, n)
				}
			}
		}
		frontier = next
	}
	var owners []org.Ref
	for _, e := range f.Entities {
		for _, c := range e.Owners {
			owners = append(owners, c.Owner)
		}
	}
	slices.Sort(owners)
	f.Chart = w.chart(slices.Compact(owners), t)
	return f
}

func (w *world) activeEdges(list []org.Edge, t time.Time, rels ...org.Relation) []org.Edge {
	var out []org.Edge
	for _, e := range list {
		if slices.Contains(rels, e.Relation) && e.ActiveAt(t) {
			out = append(out, e)
		}
	}
	return out
}

// chart mirrors the app's chart loader over the world.
func (w *world) chart(refs []org.Ref, t time.Time) *org.Chart {
	var people, teams []org.Ref
	for _, r := range refs {
		if r.IsPerson() {
			people = append(people, r)
		} else if r.IsTeam() {
			teams = append(teams, r)
		}
	}
	var edges []org.Edge
	for _, p := range people {
		for _, e := range w.activeEdges(w.bySubject[p], t, org.MemberOf, org.Leads) {
			teams = append(teams, e.Object)
		}
	}
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
		frontier = nil
		hasParent := map[org.Ref]bool{}
		for _, r := range fresh {
			for _, e := range w.activeEdges(w.bySubject[r], t, org.ChildOf) {
				edges = append(edges, e)
				hasParent[e.Subject] = true
				frontier = append(frontier, e.Object)
			}
		}
		for _, r := range fresh {
			if !hasParent[r] {
				roots = append(roots, r)
			}
		}
	}
	var all []org.Ref
	for r := range seen {
		all = append(all, r)
	}
	slices.Sort(all)
	var teamRows []org.Team
	known := map[org.Ref]bool{}
	for _, r := range all {
		if tm, ok := w.team[r]; ok {
			teamRows = append(teamRows, tm)
			known[r] = true
		}
	}
	roots = slices.DeleteFunc(roots, func(r org.Ref) bool { return !known[r] })
	if len(roots) == 0 {
		for _, tm := range w.teams {
			if len(w.activeEdges(w.bySubject[tm.Ref], t, org.ChildOf)) == 0 {
				roots = append(roots, tm.Ref)
				if !known[tm.Ref] {
					all = append(all, tm.Ref)
					teamRows = append(teamRows, tm)
				}
			}
		}
	}
	for _, r := range all {
		edges = append(edges, w.activeEdges(w.byObject[r], t, org.Leads, org.MemberOf)...)
	}
	var personRows []org.Person
	for _, p := range people {
		if pr, ok := w.person[p]; ok {
			personRows = append(personRows, pr)
		}
	}
	return org.NewChart(t, teamRows, personRows, edges, roots)
}

// writeOrg stores the world's people, teams, entities and edges.
func writeOrg(ctx context.Context, raw *rawDB, w *world) error {
	created := raw.ts(benchNow.AddDate(-2, 0, 0))
	b := newBulk(ctx, raw, "people", "ref", "name", "email", "handle", "left_at", "created_at", "updated_at")
	for _, p := range w.people {
		if err := b.add(string(p.Ref), p.Name, p.Email, p.Handle, raw.ts(p.Left), created, created); err != nil {
			return err
		}
	}
	if err := b.close(); err != nil {
		return err
	}
	b = newBulk(ctx, raw, "teams", "ref", "name", "description", "created_at", "updated_at")
	for _, t := range w.teams {
		if err := b.add(string(t.Ref), t.Name, "", created, created); err != nil {
			return err
		}
	}
	if err := b.close(); err != nil {
		return err
	}
	b = newBulk(ctx, raw, "entities", "ref", "kind", "title", "description", "type", "lifecycle", "code_paths", "created_at", "updated_at")
	for _, e := range w.ents {
		paths := "[]"
		if len(e.CodePaths) > 0 {
			paths = `["` + e.CodePaths[0] + `"]`
		}
		if err := b.add(string(e.Ref), string(e.Kind), e.Title, "", e.Type, e.Lifecycle, paths, created, created); err != nil {
			return err
		}
	}
	if err := b.close(); err != nil {
		return err
	}
	b = newBulk(ctx, raw, "edges", "id", "relation", "subject", "object", "source", "valid_from", "valid_to", "recorded_at")
	for _, e := range w.edges {
		if err := b.add(e.ID, string(e.Relation), string(e.Subject), string(e.Object), e.Source, raw.ts(e.From), raw.ts(e.To), created); err != nil {
			return err
		}
	}
	return b.close()
}

// writeIncidents stores incidents with their failed entities.
func writeIncidents(ctx context.Context, raw *rawDB, list []incident.Incident) error {
	b := newBulk(ctx, raw, "incidents", "id", "title", "severity", "status", "summary", "impact", "source", "started_at",
		"detected_at", "declared_at", "mitigated_at", "resolved_at", "created_by", "created_at", "updated_at")
	fe := newBulk(ctx, raw, "incident_entities", "incident", "entity", "origin", "position")
	for _, in := range list {
		if err := b.add(string(in.ID), in.Title, string(in.Severity), string(in.Status), in.Summary, in.Impact, in.Source,
			raw.ts(in.StartedAt), raw.ts(in.DetectedAt), raw.ts(in.DeclaredAt), raw.ts(in.MitigatedAt), raw.ts(in.ResolvedAt),
			string(in.CreatedBy), raw.ts(in.CreatedAt), raw.ts(in.UpdatedAt)); err != nil {
			return err
		}
	}
	if err := b.close(); err != nil {
		return err
	}
	for _, in := range list {
		for i, e := range in.Entities {
			if err := fe.add(string(in.ID), string(e.Ref), e.Origin, i); err != nil {
				return err
			}
		}
	}
	return fe.close()
}
