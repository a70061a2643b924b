package app

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
)

// The org and the catalog change rarely and are read on every attribution
// suggestion, change and visibility check, each time as of some moment of
// their history. A server therefore keeps the whole of both in memory
// (people, teams, entities and every edge with its history) and walks that
// instead of the tables, but only when it is exactly what the reading
// transaction would see: the org epoch (migration 0022) moves by trigger in
// every transaction that writes any of those tables, and a transaction uses
// the copy only when the epoch it reads equals the copy's. Otherwise it
// walks the tables, and a fresh copy is read in the background. So the copy
// is never stale, on this server or on any other sharing the database, and
// a transaction that has itself written the org (its epoch has moved)
// reads the tables.

// orgSnapshot is the org and catalog as of one org epoch. It is never
// changed once built.
type orgSnapshot struct {
	epoch int64
	refs  []org.Ref // interned references, by index
	index map[org.Ref]int32
	edges []snapEdge     // sorted as store.Tx.Edges returns them
	rels  []org.Relation // the edges' relations, by index
	// bySubject and byObject list the indexes of each reference's edges,
	// ascending.
	bySubject, byObject adjacency
	entities            map[org.Ref]catalog.Entity
	teams               map[org.Ref]org.Team
	teamRefs            []org.Ref // sorted
	people              map[org.Ref]org.Person
	words               map[string]string // while reading
}

// snapEdge is an edge without its identifier (nothing walked from it needs
// one), its relation an index into the snapshot's rels, its references and
// source indexes into its refs, and its period in Unix nanoseconds (noTime
// for open). It holds no pointer, so the collector never scans the
// snapshot's edges (8.8 of its 35 MB at PRODUCT.md §9's org, when
// each held its relation as a string).
type snapEdge struct {
	rel                  uint8
	subject, object, src int32
	from, to             int64
}

const noTime = math.MinInt64

// adjacency lists, for each interned reference i, the edges
// list[start[i]:start[i+1]].
type adjacency struct{ start, list []int32 }

func (a adjacency) of(i int32) []int32 {
	if int(i)+1 >= len(a.start) {
		return nil
	}
	return a.list[a.start[i]:a.start[i+1]]
}

// newAdjacency groups edge indexes by the reference end gives, keeping
// them ascending within each group.
func newAdjacency(n int, edges []snapEdge, end func(snapEdge) int32) adjacency {
	a := adjacency{start: make([]int32, n+1), list: make([]int32, len(edges))}
	for _, e := range edges {
		a.start[end(e)+1]++
	}
	for i := 1; i <= n; i++ {
		a.start[i] += a.start[i-1]
	}
	next := slices.Clone(a.start[:n])
	for i, e := range edges {
		r := end(e)
		a.list[next[r]] = int32(i)
		next[r]++
	}
	return a
}

func unixOf(t time.Time) int64 {
	if t.IsZero() {
		return noTime
	}
	return t.UnixNano()
}

func timeOf(n int64) time.Time {
	if n == noTime {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func (e snapEdge) activeAt(t int64) bool {
	return (e.from == noTime || e.from <= t) && (e.to == noTime || t < e.to)
}

// loadOrgSnapshot reads the whole org and catalog in one read transaction,
// row by row: the edges arrive in the order the copy keeps them, so no
// row is held twice (the peak memory of a server reading a large org is
// the copy, not the copy and every row read for it).
func loadOrgSnapshot(ctx context.Context, db *store.DB) (*orgSnapshot, error) {
	s := &orgSnapshot{entities: map[org.Ref]catalog.Entity{}, teams: map[org.Ref]org.Team{}, people: map[org.Ref]org.Person{},
		index: map[org.Ref]int32{}}
	err := db.View(ctx, func(tx *store.Tx) error {
		var err error
		if s.epoch, err = tx.OrgEpoch(); err != nil {
			return err
		}
		if err := tx.EachEdge(func(e org.Edge) error {
			rel, err := s.relation(e.Relation)
			if err != nil {
				return err
			}
			s.edges = append(s.edges, snapEdge{rel: rel, subject: s.intern(string(e.Subject)),
				object: s.intern(string(e.Object)), src: s.intern(e.Source), from: unixOf(e.From), to: unixOf(e.To)})
			return nil
		}); err != nil {
			return err
		}
		if err := tx.EachEntity(func(e catalog.Entity) error {
			e.Ref = s.refs[s.intern(string(e.Ref))]
			e.Kind, e.Type, e.Lifecycle = catalog.Kind(s.word(string(e.Kind))), s.word(e.Type), s.word(e.Lifecycle)
			s.entities[e.Ref] = e
			return nil
		}); err != nil {
			return err
		}
		teams, err := tx.AllTeams()
		if err != nil {
			return err
		}
		people, err := tx.AllPeople()
		if err != nil {
			return err
		}
		for _, t := range teams {
			t.Ref = s.refs[s.intern(string(t.Ref))]
			s.teams[t.Ref] = t
			s.teamRefs = append(s.teamRefs, t.Ref)
		}
		for _, p := range people {
			p.Ref = s.refs[s.intern(string(p.Ref))]
			s.people[p.Ref] = p
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.edges = slices.Clip(s.edges)
	s.words = nil
	s.bySubject = newAdjacency(len(s.refs), s.edges, func(e snapEdge) int32 { return e.subject })
	s.byObject = newAdjacency(len(s.refs), s.edges, func(e snapEdge) int32 { return e.object })
	return s, nil
}

// intern returns the index of the reference (or source) v, adding it.
func (s *orgSnapshot) intern(v string) int32 {
	if i, ok := s.index[org.Ref(v)]; ok {
		return i
	}
	i := int32(len(s.refs))
	s.index[org.Ref(v)] = i
	s.refs = append(s.refs, org.Ref(v))
	return i
}

// relation returns the index of r in s.rels, adding it.
func (s *orgSnapshot) relation(r org.Relation) (uint8, error) {
	if i := slices.Index(s.rels, r); i >= 0 {
		return uint8(i), nil
	}
	if len(s.rels) > math.MaxUint8 {
		return 0, fmt.Errorf("the org copy holds at most %d relations", math.MaxUint8+1)
	}
	s.rels = append(s.rels, r)
	return uint8(len(s.rels) - 1), nil
}

// word returns one copy of a value many rows repeat (kinds, types and
// lifecycles; relations are indexes, relation).
func (s *orgSnapshot) word(v string) string {
	if s.words == nil {
		s.words = map[string]string{}
	}
	if w, ok := s.words[v]; ok {
		return w
	}
	s.words[v] = v
	return v
}

func (s *orgSnapshot) edge(i int32) org.Edge {
	e := s.edges[i]
	return org.Edge{Relation: s.rels[e.rel], Subject: s.refs[e.subject], Object: s.refs[e.object], Source: string(s.refs[e.src]),
		From: timeOf(e.from), To: timeOf(e.to)}
}

// snapAt is a snapshot seen at one moment: the factSource the walks of
// facts.go read instead of the tables.
type snapAt struct {
	s *orgSnapshot
	t time.Time
}

var catalogRelations = []org.Relation{org.OwnedBy, org.PartOf, org.DependsOn}

func (v snapAt) catalog(refs []org.Ref) ([]org.Edge, error) {
	return snapEdges{v.s}.Edges(store.EdgeFilter{Subjects: refs, Relations: catalogRelations})
}

func (v snapAt) memberships(people []org.Ref) ([]org.Edge, error) {
	return snapEdges{v.s}.Edges(store.EdgeFilter{Subjects: people, Relations: []org.Relation{org.MemberOf, org.Leads}, At: v.t})
}

func (v snapAt) parents(teams []org.Ref) ([]org.Edge, error) {
	return snapEdges{v.s}.Edges(store.EdgeFilter{Subjects: teams, Relations: []org.Relation{org.ChildOf}, At: v.t})
}

func (v snapAt) inside(teams []org.Ref) ([]org.Edge, error) {
	return snapEdges{v.s}.Edges(store.EdgeFilter{Objects: teams, Relations: []org.Relation{org.Leads, org.MemberOf}, At: v.t})
}

func (v snapAt) insideRoots(teams []org.Ref) ([]org.Edge, error) { return v.inside(teams) }

func (v snapAt) entities(refs []org.Ref) ([]catalog.Entity, error) {
	return rowsOf(v.s.entities, refs), nil
}

func (v snapAt) teams(refs []org.Ref) ([]org.Team, error) { return rowsOf(v.s.teams, refs), nil }

func (v snapAt) people(refs []org.Ref) ([]org.Person, error) { return rowsOf(v.s.people, refs), nil }

func (v snapAt) rootTeams() ([]org.Ref, error) {
	t := v.t.UnixNano()
	var out []org.Ref
	for _, r := range v.s.teamRefs {
		root := true
		for _, i := range v.s.bySubject.of(v.s.index[r]) {
			if e := v.s.edges[i]; v.s.rels[e.rel] == org.ChildOf && e.activeAt(t) {
				root = false
				break
			}
		}
		if root {
			out = append(out, r)
		}
	}
	return out, nil
}

// rowsOf returns the rows of the known refs, sorted by reference, once
// each, as the store's reads by reference do.
func rowsOf[T any](m map[org.Ref]T, refs []org.Ref) []T {
	refs = slices.Clone(refs)
	slices.Sort(refs)
	refs = slices.Compact(refs)
	var out []T
	for _, r := range refs {
		if row, ok := m[r]; ok {
			out = append(out, row)
		}
	}
	return out
}

// orgCache holds this server's copy of the org and catalog and reads a
// new one when a transaction finds it behind.
type orgCache struct {
	db      *store.DB
	current atomic.Pointer[orgSnapshot]
	loading atomic.Bool
	mu      sync.Mutex
	// next is the earliest time another load may start: loads of a large
	// org are spaced by four times the last one's length (at least
	// minOrgReload), so that an org being written all the time costs at
	// most a fifth of a core to follow.
	next time.Time
	log  func(err error)
	// closed stops background loads (App.Close), and loads counts those
	// running, for Close to wait for.
	closed bool
	loads  sync.WaitGroup
}

const minOrgReload = time.Second

// snapshotFor returns the copy if it is the org of the epoch a
// transaction read, and starts reading a new one in the background if not.
func (c *orgCache) snapshotFor(epoch int64) *orgSnapshot {
	s := c.current.Load()
	if s != nil && s.epoch == epoch {
		return s
	}
	c.refresh()
	return nil
}

// refresh starts a load in the background unless one is running or the
// last ended too recently.
func (c *orgCache) refresh() {
	c.mu.Lock()
	if c.closed || time.Now().Before(c.next) || !c.loading.CompareAndSwap(false, true) {
		c.mu.Unlock()
		return
	}
	c.loads.Add(1)
	c.mu.Unlock()
	go func() {
		defer c.loads.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		_ = c.load(ctx)
	}()
}

// close starts no more background loads and waits for a running one.
func (c *orgCache) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.loads.Wait()
}

// load reads a new copy now; loading must be held.
func (c *orgCache) load(ctx context.Context) error {
	defer c.loading.Store(false)
	start := time.Now()
	s, err := loadOrgSnapshot(ctx, c.db)
	took := time.Since(start)
	c.mu.Lock()
	c.next = time.Now().Add(max(minOrgReload, 4*took))
	c.mu.Unlock()
	if err != nil {
		if c.log != nil {
			c.log(err)
		}
		return err
	}
	c.current.Store(s) // loads run one at a time: this is the newest
	return nil
}

// Close stops the background work of the App itself (reading a new copy
// of the org) and waits for what is running, so that the database can be
// closed after it: a command of the CLI closes its App before its
// database. It does not stop the jobs of RunJobsEvery, which their
// context ends.
func (a *App) Close() { a.orgs.close() }

// LoadOrg reads this server's in-memory copy of the org and catalog now
// (at start, or before a measurement), instead of at the first
// transaction that would use it. Until it is read, and whenever the org
// has changed since, the tables are read instead.
func (a *App) LoadOrg(ctx context.Context) error {
	for !a.orgs.loading.CompareAndSwap(false, true) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return a.orgs.load(ctx)
}

// orgView reads a transaction's org: from the copy when it is current for
// the transaction, else from the tables.
type orgView struct {
	tx   *store.Tx
	snap *orgSnapshot
}

// orgView reads the transaction's org epoch and picks the source.
func (a *App) orgView(tx *store.Tx) (orgView, error) {
	epoch, err := tx.OrgEpoch()
	if err != nil {
		return orgView{}, err
	}
	return orgView{tx: tx, snap: a.orgs.snapshotFor(epoch)}, nil
}

// at returns the org as of t.
func (v orgView) at(t time.Time) factSource {
	if v.snap != nil {
		return snapAt{v.snap, t}
	}
	return tables{v.tx, t}
}

// orgRelations are the edges of the org itself (not of the catalog).
var orgRelations = []org.Relation{org.ChildOf, org.Leads, org.MemberOf}

// wholeOrg is orgAt over the copy: every team, and every org edge in
// effect at t.
func (v snapAt) wholeOrg() *org.Chart {
	t := v.t.UnixNano()
	var edges []org.Edge
	for i, e := range v.s.edges {
		if slices.Contains(orgRelations, v.s.rels[e.rel]) && e.activeAt(t) {
			edges = append(edges, v.s.edge(int32(i)))
		}
	}
	teams := make([]org.Team, len(v.s.teamRefs))
	for i, r := range v.s.teamRefs {
		teams[i] = v.s.teams[r]
	}
	roots, _ := v.rootTeams()
	return org.NewChart(v.t, teams, nil, edges, roots)
}

// hasEntity reports whether the catalog holds r.
func (s *orgSnapshot) hasEntity(r org.Ref) bool {
	_, ok := s.entities[r]
	return ok
}

// snapEdges answers store.EdgeFilter from a copy, as store.Tx.Edges does
// from the tables and in its order.
type snapEdges struct{ s *orgSnapshot }

func (e snapEdges) Edges(f store.EdgeFilter) ([]org.Edge, error) {
	s := e.s
	t := int64(noTime)
	if !f.At.IsZero() {
		t = f.At.UnixNano()
	}
	keep := func(i int32) bool {
		se := s.edges[i]
		return (len(f.Relations) == 0 || slices.Contains(f.Relations, s.rels[se.rel])) &&
			(t == noTime || se.activeAt(t)) && (!f.OnlyOpen || se.to == noTime) &&
			(f.Source == "" || string(s.refs[se.src]) == f.Source)
	}
	var found []int32
	by, refs := s.bySubject, f.Subjects
	if f.Objects != nil {
		by, refs = s.byObject, f.Objects
	}
	if refs == nil {
		for i := range s.edges {
			if keep(int32(i)) {
				found = append(found, int32(i))
			}
		}
	} else {
		for _, r := range refs {
			if ri, ok := s.index[r]; ok {
				for _, i := range by.of(ri) {
					if keep(i) {
						found = append(found, i)
					}
				}
			}
		}
		slices.Sort(found)
		found = slices.Compact(found)
	}
	out := make([]org.Edge, len(found))
	for j, i := range found {
		out[j] = s.edge(i)
	}
	return out, nil
}
