package app

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/importer"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
)

// Counts says what an import did to one kind of record.
type Counts struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// ImportResult reports an import.
type ImportResult struct {
	Source   string `json:"source"`
	People   Counts `json:"people"`
	Teams    Counts `json:"teams"`
	Entities Counts `json:"entities"`
	// Opened, Closed and Corrected count relation periods begun, ended and
	// re-dated.
	Opened    int      `json:"opened"`
	Closed    int      `json:"closed"`
	Corrected int      `json:"corrected"`
	Changes   []string `json:"changes"`
	Warnings  []string `json:"warnings"`
	// Gone lists, sorted, the entities an earlier import of the source
	// brought that a whole import (ImportOptions.Whole) no longer
	// defines: their ownership, system and dependency periods of that
	// source ended at this import, and they stay in the catalog with
	// their history.
	Gone []org.Ref `json:"gone,omitempty"`
}

// ImportOptions say how an import treats what its batch leaves out.
type ImportOptions struct {
	// Whole says the batch is its source's whole catalog, as a Backstage
	// import of directories is. An entity that an earlier import of the
	// source brought (it has open owned_by, part_of or depends_on periods
	// of that source) and that the batch no longer defines has those
	// periods ended at the import. Without Whole an import never ends
	// anything about an entity it does not list.
	Whole bool
	// Prune lets a whole import end the periods of more than half of the
	// entities its source brought. Without it such an import is refused:
	// reading the wrong directory is likelier than a catalog losing half
	// its entities at once.
	Prune bool
}

// relationKinds says which reference kinds each end of a relation takes.
var relationKinds = map[org.Relation][2][]string{
	org.MemberOf:  {{org.KindUser}, {org.KindGroup}},
	org.Leads:     {{org.KindUser}, {org.KindGroup}},
	org.ChildOf:   {{org.KindGroup}, {org.KindGroup}},
	org.OwnedBy:   {entityKinds(), {org.KindUser, org.KindGroup}},
	org.PartOf:    {entityKinds(), {string(catalog.System), string(catalog.Domain)}},
	org.DependsOn: {entityKinds(), entityKinds()},
}

func entityKinds() []string {
	out := make([]string, len(catalog.Kinds))
	for i, k := range catalog.Kinds {
		out[i] = string(k)
	}
	return out
}

// Import applies a parsed batch in one transaction: people, teams and
// entities are created or updated, and the batch's claims are reconciled
// with what its source said before, keeping history (a changed owner
// closes one period and opens the next). Re-importing the same batch
// changes nothing and records nothing. Only admins import.
func (a *App) Import(ctx context.Context, actor org.Actor, b importer.Batch) (ImportResult, error) {
	return a.ImportWith(ctx, actor, b, ImportOptions{})
}

// ImportWith is Import with options: a whole import also ends what its
// source said about the entities it no longer defines (see ImportOptions),
// in the same transaction; it is Invalid, and writes nothing, when that
// would reach more than half of them without opt.Prune.
func (a *App) ImportWith(ctx context.Context, actor org.Actor, b importer.Batch, opt ImportOptions) (ImportResult, error) {
	res := ImportResult{Source: b.Source, Warnings: slices.Clone(b.Warnings), Changes: []string{}}
	if err := checkClaims(b.Claims); err != nil {
		return res, err
	}
	err := a.write(ctx, actor, []org.Role{org.RoleAdmin}, func(tx *store.Tx) error {
		if err := a.importRecords(tx, b, &res); err != nil {
			return err
		}
		if err := a.importClaims(tx, b, &res); err != nil {
			return err
		}
		if opt.Whole {
			if err := a.endGone(tx, b, opt.Prune, &res); err != nil {
				return err
			}
		}
		if err := danglingWarnings(tx, b, &res); err != nil {
			return err
		}
		if res.Opened+res.Closed+res.Corrected+res.People.Created+res.People.Updated+res.Teams.Created+
			res.Teams.Updated+res.Entities.Created+res.Entities.Updated == 0 {
			return nil
		}
		return a.record(tx, actor, "import."+b.Source, "import:"+b.Source, res)
	})
	return res, err
}

// checkClaims refuses claims whose ends are of the wrong kind (an entity
// owned by a component, a person as a team's parent).
func checkClaims(claims []org.Claim) error {
	var p errs.Problems
	for _, c := range claims {
		kinds, ok := relationKinds[c.Relation]
		if !ok {
			p.Add(string(c.Relation), "unknown relation")
			continue
		}
		if !slices.Contains(kinds[0], c.Subject.Kind()) || !slices.Contains(kinds[1], c.Object.Kind()) {
			p.Add(string(c.Subject), "cannot be %s %s", c.Relation, c.Object)
		}
	}
	return p.Err()
}

func (a *App) importRecords(tx *store.Tx, b importer.Batch, res *ImportResult) error {
	now := a.Now()
	refs := func(n int, at func(int) org.Ref) []org.Ref {
		out := make([]org.Ref, n)
		for i := range out {
			out[i] = at(i)
		}
		return out
	}
	oldPeople, err := tx.People(refs(len(b.People), func(i int) org.Ref { return b.People[i].Ref }))
	if err != nil {
		return err
	}
	erased := map[org.Ref]bool{}
	for _, p := range oldPeople {
		if !p.Erased.IsZero() {
			erased[p.Ref] = true
		}
	}
	samePerson := func(x, y org.Person) bool {
		// An erased person's fields are never imported again.
		return erased[x.Ref] || (x.Name == y.Name && x.Email == y.Email && x.Handle == y.Handle && x.Left.Equal(y.Left))
	}
	for _, p := range b.People {
		if erased[p.Ref] {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s was erased on request; their personal fields were not imported again", p.Ref))
		}
	}
	if err := upsert(b.People, oldPeople, func(p org.Person) org.Ref { return p.Ref }, samePerson, &res.People,
		func(p org.Person) error { return tx.SavePerson(p, now) }); err != nil {
		return err
	}
	oldTeams, err := tx.Teams(refs(len(b.Teams), func(i int) org.Ref { return b.Teams[i].Ref }))
	if err != nil {
		return err
	}
	if err := upsert(b.Teams, oldTeams, func(t org.Team) org.Ref { return t.Ref }, func(x, y org.Team) bool { return x == y }, &res.Teams,
		func(t org.Team) error { return tx.SaveTeam(t, now) }); err != nil {
		return err
	}
	oldEnts, err := tx.Entities(store.EntityFilter{Refs: refs(len(b.Entities), func(i int) org.Ref { return b.Entities[i].Ref })})
	if err != nil {
		return err
	}
	sameEntity := func(x, y catalog.Entity) bool {
		return x.Kind == y.Kind && x.Title == y.Title && x.Description == y.Description && x.Type == y.Type &&
			x.Lifecycle == y.Lifecycle && slices.Equal(x.CodePaths, y.CodePaths)
	}
	return upsert(b.Entities, oldEnts, func(e catalog.Entity) org.Ref { return e.Ref }, sameEntity, &res.Entities,
		func(e catalog.Entity) error { return tx.SaveEntity(e, now) })
}

// upsert saves the records that are new or different and counts them.
func upsert[T any](next, old []T, key func(T) org.Ref, same func(T, T) bool, c *Counts, save func(T) error) error {
	byRef := make(map[org.Ref]T, len(old))
	for _, o := range old {
		byRef[key(o)] = o
	}
	for _, n := range next {
		o, ok := byRef[key(n)]
		switch {
		case !ok:
			c.Created++
		case same(o, n):
			c.Unchanged++
			continue
		default:
			c.Updated++
		}
		if err := save(n); err != nil {
			return err
		}
	}
	return nil
}

func (a *App) importClaims(tx *store.Tx, b importer.Batch, res *ImportResult) error {
	now := a.Now()
	var existing []org.Edge
	seenIDs := map[string]bool{}
	for _, sc := range b.Scopes {
		for _, f := range []store.EdgeFilter{
			{Subjects: sc.Subjects, Relations: []org.Relation{sc.Relation}, OnlyOpen: true, Source: b.Source},
			{Objects: sc.Objects, Relations: []org.Relation{sc.Relation}, OnlyOpen: true, Source: b.Source},
		} {
			if len(f.Subjects)+len(f.Objects) == 0 {
				continue
			}
			edges, err := tx.Edges(f)
			if err != nil {
				return err
			}
			for _, e := range edges {
				if !seenIDs[e.ID] && sc.Contains(e) {
					seenIDs[e.ID] = true
					existing = append(existing, e)
				}
			}
		}
	}
	ever, err := everSeen(tx, b.Claims)
	if err != nil {
		return err
	}
	plan := org.Reconcile(b.Source, existing, b.Claims, ever, now)
	for _, e := range plan.Close {
		if err := tx.CloseEdge(e); err != nil {
			return err
		}
		res.Changes = append(res.Changes, fmt.Sprintf("ended %s %s %s on %s", e.Subject, e.Relation, e.Object, e.To.Format("2006-01-02")))
	}
	for _, e := range plan.Open {
		e.ID = a.newID()
		if err := tx.OpenEdge(e, now); err != nil {
			return err
		}
		since := "from the beginning"
		if !e.From.IsZero() {
			since = "from " + e.From.Format("2006-01-02")
		}
		res.Changes = append(res.Changes, fmt.Sprintf("began %s %s %s %s", e.Subject, e.Relation, e.Object, since))
	}
	for _, e := range plan.Correct {
		if err := tx.CorrectEdge(e); err != nil {
			return err
		}
		res.Changes = append(res.Changes, fmt.Sprintf("re-dated %s %s %s to start %s", e.Subject, e.Relation, e.Object, e.From.Format("2006-01-02")))
	}
	res.Opened, res.Closed, res.Corrected = len(plan.Open), len(plan.Close), len(plan.Correct)
	return nil
}

// endGone ends the open owned_by, part_of and depends_on periods of b's
// source whose entities b no longer defines, and lists those in res.Gone.
func (a *App) endGone(tx *store.Tx, b importer.Batch, prune bool, res *ImportResult) error {
	edges, err := tx.Edges(store.EdgeFilter{Relations: []org.Relation{org.OwnedBy, org.PartOf, org.DependsOn},
		OnlyOpen: true, Source: b.Source})
	if err != nil {
		return err
	}
	defined := make(map[org.Ref]bool, len(b.Entities))
	for _, e := range b.Entities {
		defined[e.Ref] = true
	}
	known, gone := map[org.Ref]bool{}, map[org.Ref]bool{}
	var ending []org.Edge
	for _, e := range edges {
		known[e.Subject] = true
		if !defined[e.Subject] {
			gone[e.Subject] = true
			ending = append(ending, e)
		}
	}
	if len(gone) == 0 {
		return nil
	}
	refs := keys(gone)
	if 2*len(gone) > len(known) && !prune {
		const shown = 10
		list := refs[:min(len(refs), shown)]
		more := ""
		if len(refs) > shown {
			more = fmt.Sprintf(" and %d more", len(refs)-shown)
		}
		return errs.E(errs.Invalid, "this import would end the ownership of %d of the %d entities earlier %s imports brought (%s%s): "+
			"if the catalog really lost them, import it again with --prune", len(gone), len(known), b.Source, joinRefs(list), more)
	}
	now := a.Now()
	for _, e := range ending {
		e.To = now
		if err := tx.CloseEdge(e); err != nil {
			return err
		}
		res.Changes = append(res.Changes, fmt.Sprintf("ended %s %s %s on %s: no longer in the catalog", e.Subject, e.Relation, e.Object, now.Format("2006-01-02")))
	}
	res.Closed += len(ending)
	res.Gone = refs
	return nil
}

func joinRefs(refs []org.Ref) string {
	s := make([]string, len(refs))
	for i, r := range refs {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

// everSeen reports, for the claims' subjects, which relations they ever had
// from any source: a subject seen before gets new edges from now on, one
// seen for the first time holds them from the beginning.
func everSeen(tx *store.Tx, claims []org.Claim) (func(org.Relation, org.Ref) bool, error) {
	var subjects []org.Ref
	for _, c := range claims {
		subjects = append(subjects, c.Subject)
	}
	slices.Sort(subjects)
	subjects = slices.Compact(subjects)
	seen := map[[2]string]bool{}
	if len(subjects) > 0 {
		edges, err := tx.Edges(store.EdgeFilter{Subjects: subjects})
		if err != nil {
			return nil, err
		}
		for _, e := range edges {
			seen[[2]string{string(e.Relation), string(e.Subject)}] = true
		}
	}
	return func(r org.Relation, s org.Ref) bool { return seen[[2]string{string(r), string(s)}] }, nil
}

// danglingWarnings names references the claims make to people, teams and
// entities that exist neither in the batch nor in the database.
func danglingWarnings(tx *store.Tx, b importer.Batch, res *ImportResult) error {
	defined := map[org.Ref]bool{}
	for _, p := range b.People {
		defined[p.Ref] = true
	}
	for _, t := range b.Teams {
		defined[t.Ref] = true
	}
	for _, e := range b.Entities {
		defined[e.Ref] = true
	}
	users, groups, ents := map[org.Ref]bool{}, map[org.Ref]bool{}, map[org.Ref]bool{}
	for _, c := range b.Claims {
		for _, r := range []org.Ref{c.Subject, c.Object} {
			switch {
			case defined[r]:
			case r.IsPerson():
				users[r] = true
			case r.IsTeam():
				groups[r] = true
			default:
				ents[r] = true
			}
		}
	}
	found := map[org.Ref]bool{}
	people, err := tx.People(keys(users))
	if err != nil {
		return err
	}
	for _, p := range people {
		found[p.Ref] = true
	}
	teams, err := tx.Teams(keys(groups))
	if err != nil {
		return err
	}
	for _, t := range teams {
		found[t.Ref] = true
	}
	entities, err := tx.Entities(store.EntityFilter{Refs: keys(ents)})
	if err != nil {
		return err
	}
	for _, e := range entities {
		found[e.Ref] = true
	}
	var missing []string
	for _, c := range b.Claims {
		for _, r := range []org.Ref{c.Subject, c.Object} {
			if !defined[r] && !found[r] {
				missing = append(missing, fmt.Sprintf("%s %s %s: %s is not defined anywhere", c.Subject, c.Relation, c.Object, r))
			}
		}
	}
	sort.Strings(missing)
	res.Warnings = append(res.Warnings, slices.Compact(missing)...)
	return nil
}

func keys(m map[org.Ref]bool) []org.Ref {
	out := make([]org.Ref, 0, len(m))
	for r := range m {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}
