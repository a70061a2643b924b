package store

import (
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"blameful.dev/blameful/internal/org"
)

// inList returns "($n, $n+1, …)" for count placeholders starting at first.
func inList(first, count int) string {
	var b strings.Builder
	b.WriteByte('(')
	for i := range count {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + itoa(first+i))
	}
	b.WriteByte(')')
	return b.String()
}

// chunks splits refs into groups small enough for one IN list.
func chunks[T any](xs []T, size int) [][]T {
	var out [][]T
	for len(xs) > size {
		out = append(out, xs[:size])
		xs = xs[size:]
	}
	if len(xs) > 0 {
		out = append(out, xs)
	}
	return out
}

func refArgs(refs []org.Ref) []any {
	args := make([]any, len(refs))
	for i, r := range refs {
		args[i] = string(r)
	}
	return args
}

const personColumns = `ref, name, email, handle, left_at, erased_at`

func scanPerson(rows interface{ Scan(...any) error }) (org.Person, error) {
	var p org.Person
	var ref string
	err := rows.Scan(&ref, &p.Name, &p.Email, &p.Handle, tm(&p.Left), tm(&p.Erased))
	p.Ref = org.Ref(ref)
	return p, err
}

// Person returns one person.
func (tx *Tx) Person(ref org.Ref) (org.Person, error) {
	var p org.Person
	var r string
	err := tx.get("no person "+string(ref), `SELECT `+personColumns+` FROM people WHERE ref = $1`,
		[]any{string(ref)}, &r, &p.Name, &p.Email, &p.Handle, tm(&p.Left), tm(&p.Erased))
	p.Ref = org.Ref(r)
	return p, err
}

// AllPeople returns every person, sorted by reference.
func (tx *Tx) AllPeople() ([]org.Person, error) {
	var out []org.Person
	return out, tx.each("list people", `SELECT `+personColumns+` FROM people ORDER BY ref`, nil, func(rows *sql.Rows) error {
		p, err := scanPerson(rows)
		out = append(out, p)
		return err
	})
}

// People returns the people named by refs, sorted by reference. Unknown
// references are left out.
func (tx *Tx) People(refs []org.Ref) ([]org.Person, error) {
	var out []org.Person
	scan := func(rows *sql.Rows) error {
		p, err := scanPerson(rows)
		out = append(out, p)
		return err
	}
	for _, c := range chunks(refs, 500) {
		q := `SELECT ` + personColumns + ` FROM people WHERE ref IN ` + inList(1, len(c)) + ` ORDER BY ref`
		if err := tx.each("list people", q, refArgs(c), scan); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SavePerson creates or updates a person.
// A new person gets a random nonce (see rowstate.go), which an update
// keeps.
func (tx *Tx) SavePerson(p org.Person, now time.Time) error {
	tx.touch("people", string(p.Ref))
	tx.credentialsChanged()
	_, err := tx.exec("save person "+string(p.Ref), `
INSERT INTO people (ref, name, email, handle, left_at, created_at, updated_at, nonce)
VALUES ($1, $2, $3, $4, $5, $6, $6, $7)
ON CONFLICT (ref) DO UPDATE SET name = excluded.name, email = excluded.email, handle = excluded.handle,
    left_at = excluded.left_at, updated_at = excluded.updated_at`,
		string(p.Ref), p.Name, p.Email, p.Handle, tx.t(p.Left), tx.t(now), rand.Text())
	return err
}

// Team returns one team.
func (tx *Tx) Team(ref org.Ref) (org.Team, error) {
	var t org.Team
	var r string
	err := tx.get("no team "+string(ref), `SELECT ref, name, description FROM teams WHERE ref = $1`,
		[]any{string(ref)}, &r, &t.Name, &t.Description)
	t.Ref = org.Ref(r)
	return t, err
}

func scanTeam(rows *sql.Rows) (org.Team, error) {
	var t org.Team
	var r string
	err := rows.Scan(&r, &t.Name, &t.Description)
	t.Ref = org.Ref(r)
	return t, err
}

// AllTeams returns every team, sorted by reference.
func (tx *Tx) AllTeams() ([]org.Team, error) {
	var out []org.Team
	return out, tx.each("list teams", `SELECT ref, name, description FROM teams ORDER BY ref`, nil, func(rows *sql.Rows) error {
		t, err := scanTeam(rows)
		out = append(out, t)
		return err
	})
}

// Teams returns the teams named by refs, sorted. Unknown references are
// left out.
func (tx *Tx) Teams(refs []org.Ref) ([]org.Team, error) {
	var out []org.Team
	scan := func(rows *sql.Rows) error {
		t, err := scanTeam(rows)
		out = append(out, t)
		return err
	}
	for _, c := range chunks(refs, 500) {
		q := `SELECT ref, name, description FROM teams WHERE ref IN ` + inList(1, len(c)) + ` ORDER BY ref`
		if err := tx.each("list teams", q, refArgs(c), scan); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SaveTeam creates or updates a team.
func (tx *Tx) SaveTeam(t org.Team, now time.Time) error {
	tx.touch("teams", string(t.Ref))
	_, err := tx.exec("save team "+string(t.Ref), `
INSERT INTO teams (ref, name, description, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
ON CONFLICT (ref) DO UPDATE SET name = excluded.name, description = excluded.description, updated_at = excluded.updated_at`,
		string(t.Ref), t.Name, t.Description, tx.t(now))
	return err
}

// RootTeams returns the teams that had no parent at t.
func (tx *Tx) RootTeams(t time.Time) ([]org.Ref, error) {
	var out []org.Ref
	err := tx.each("list root teams", `
SELECT ref FROM teams
WHERE NOT EXISTS (
    SELECT 1 FROM edges e
    WHERE e.subject = teams.ref AND e.relation = 'child_of'
      AND (e.valid_from IS NULL OR e.valid_from <= $1) AND (e.valid_to IS NULL OR e.valid_to > $1))
ORDER BY ref`, []any{tx.t(t)}, func(rows *sql.Rows) error {
		var r string
		err := rows.Scan(&r)
		out = append(out, org.Ref(r))
		return err
	})
	return out, err
}

const edgeColumns = `id, relation, subject, object, source, valid_from, valid_to`

func scanEdge(rows *sql.Rows) (org.Edge, error) {
	var e org.Edge
	var rel, subj, obj string
	err := rows.Scan(&e.ID, &rel, &subj, &obj, &e.Source, tm(&e.From), tm(&e.To))
	e.Relation, e.Subject, e.Object = org.Relation(rel), org.Ref(subj), org.Ref(obj)
	return e, err
}

// EdgeFilter selects edges: by subjects or by objects (one of the two), of
// the given relations, optionally only those in effect at At, only open
// ones, or only one source's.
type EdgeFilter struct {
	Subjects  []org.Ref
	Objects   []org.Ref
	Relations []org.Relation
	At        time.Time
	OnlyOpen  bool
	Source    string
}

// EdgeReader reads edges as Tx.Edges does, in its order: a Tx, or a
// server's copy of the org that is current for one.
type EdgeReader interface {
	Edges(f EdgeFilter) ([]org.Edge, error)
}

// Edges returns the edges matching f, in a stable order: by relation,
// subject, object, start (open first) and id.
func (tx *Tx) Edges(f EdgeFilter) ([]org.Edge, error) {
	col, refs := "subject", f.Subjects
	if f.Objects != nil {
		col, refs = "object", f.Objects
	}
	var out []org.Edge
	run := func(refs []org.Ref) error {
		var where []string
		var args []any
		if refs != nil {
			where = append(where, col+" IN "+inList(1, len(refs)))
			args = refArgs(refs)
		}
		if len(f.Relations) > 0 {
			where = append(where, "relation IN "+inList(len(args)+1, len(f.Relations)))
			for _, r := range f.Relations {
				args = append(args, string(r))
			}
		}
		if !f.At.IsZero() {
			n := "$" + itoa(len(args)+1)
			where = append(where, "(valid_from IS NULL OR valid_from <= "+n+") AND (valid_to IS NULL OR valid_to > "+n+")")
			args = append(args, tx.t(f.At))
		}
		if f.OnlyOpen {
			where = append(where, "valid_to IS NULL")
		}
		if f.Source != "" {
			where = append(where, "source = $"+itoa(len(args)+1))
			args = append(args, f.Source)
		}
		q := `SELECT ` + edgeColumns + ` FROM edges`
		if len(where) > 0 {
			q += " WHERE " + strings.Join(where, " AND ")
		}
		q += " ORDER BY relation, subject, object, valid_from NULLS FIRST, id"
		return tx.each("list edges", q, args, func(rows *sql.Rows) error {
			e, err := scanEdge(rows)
			out = append(out, e)
			return err
		})
	}
	if refs == nil {
		return out, run(nil)
	}
	for _, c := range chunks(refs, 400) {
		if err := run(c); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// OpenEdge records a new edge; e.ID must be set.
func (tx *Tx) OpenEdge(e org.Edge, now time.Time) error {
	tx.touch("edges", e.ID)
	tx.edgeChanged(e)
	_, err := tx.exec("open edge", `
INSERT INTO edges (id, relation, subject, object, source, valid_from, valid_to, recorded_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		e.ID, string(e.Relation), string(e.Subject), string(e.Object), e.Source, tx.t(e.From), tx.t(e.To), tx.t(now))
	return err
}

// CloseEdge ends an open edge at e.To.
func (tx *Tx) CloseEdge(e org.Edge) error {
	tx.touch("edges", e.ID)
	tx.edgeChanged(e)
	_, err := tx.exec("close edge", `UPDATE edges SET valid_to = $2 WHERE id = $1 AND valid_to IS NULL`, e.ID, tx.t(e.To))
	return err
}

// CorrectEdge moves the start of an open edge to e.From (an explicit
// since-date given on import).
func (tx *Tx) CorrectEdge(e org.Edge) error {
	tx.touch("edges", e.ID)
	tx.edgeChanged(e)
	_, err := tx.exec("correct edge", `UPDATE edges SET valid_from = $2 WHERE id = $1 AND valid_to IS NULL`, e.ID, tx.t(e.From))
	return err
}

// manyRefs is how many references a filter lists as placeholders before it
// passes them as one parameter instead (inRefs).
const manyRefs = 64

// inRefs is the condition "col is one of the references held by the one
// parameter $n", which refsArg makes: how a long list of references (a
// leader's whole organisation) goes to the database. A list of
// placeholders would do, but the SQLite driver names each bound parameter
// by a scan of them all, quadratic in the list's length: 12,000 owners
// took 700 ms. SQLite reads a JSON array; PostgreSQL takes a text array,
// which its planner sizes and hashes, where a set of unknown size read
// from JSON made it probe the owners one by one. It can hash the array
// only when it plans with the array's value, so a statement given one is
// planned each time it runs (refArray).
func (d dialect) inRefs(col string, n int) string {
	if d.engine == SQLite {
		return col + " IN (SELECT value FROM json_each($" + itoa(n) + "))"
	}
	return col + " = ANY($" + itoa(n) + "::text[])"
}

// refsArg is refs as the one parameter inRefs reads.
func (d dialect) refsArg(refs []org.Ref) any {
	if d.engine == SQLite {
		b, _ := json.Marshal(refs)
		return string(b)
	}
	out := make(refArray, len(refs))
	for i, r := range refs {
		out[i] = string(r)
	}
	return out
}

// refArray is a long list of references as the one PostgreSQL parameter
// of inRefs. A statement given one is run as an unnamed statement, which
// PostgreSQL plans with the parameters' values every time. A named one
// (pgx's default) gets a generic plan after five runs: there the array is
// an unknown parameter, so "owner = ANY($1)" is checked by walking the
// array for every row, and a root leader's board took 130 ms for a list
// and 440 ms for the burn-down instead of 1 and 50 ms.
type refArray []string

// edgeChanged notes a write of e: a leads edge decides the leader role of
// a token's person. An edge of unknown relation counts as one.
func (tx *Tx) edgeChanged(e org.Edge) {
	if e.Relation == org.Leads || e.Relation == "" {
		tx.credentialsChanged()
	}
}
