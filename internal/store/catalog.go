package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/org"
)

const entityColumns = `ref, kind, title, description, type, lifecycle, code_paths`

func scanEntity(rows interface{ Scan(...any) error }) (catalog.Entity, error) {
	var e catalog.Entity
	var ref, kind, paths string
	if err := rows.Scan(&ref, &kind, &e.Title, &e.Description, &e.Type, &e.Lifecycle, &paths); err != nil {
		return e, err
	}
	e.Ref, e.Kind = org.Ref(ref), catalog.Kind(kind)
	if err := json.Unmarshal([]byte(paths), &e.CodePaths); err != nil {
		return e, fmt.Errorf("entity %s code paths: %w", ref, err)
	}
	return e, nil
}

// Entity returns one catalog entity.
func (tx *Tx) Entity(ref org.Ref) (catalog.Entity, error) {
	var e catalog.Entity
	err := tx.one("no entity "+string(ref)+" in the catalog", `SELECT `+entityColumns+` FROM entities WHERE ref = $1`,
		[]any{string(ref)}, func(rows *sql.Rows) (err error) {
			e, err = scanEntity(rows)
			return err
		})
	return e, err
}

// EntityFilter selects entities.
type EntityFilter struct {
	// Refs, when not nil, keeps only these entities (none when empty).
	Refs []org.Ref
	Kind catalog.Kind
	// Owner keeps entities owned by this team or person at OwnedAt.
	Owner   org.Ref
	OwnedAt time.Time
	// Text keeps entities whose reference or title holds it, ASCII letters
	// matched regardless of case.
	Text string
	// Owners keeps entities by how many owners they had at OwnedAt:
	// OwnersNone (no owner, domains aside) or OwnersSeveral.
	Owners OwnerCount
	// After and Limit page the list: entities after this reference, and at
	// most Limit of them (all when 0).
	After org.Ref
	Limit int
}

// OwnerCount picks entities by how many owners they have.
type OwnerCount string

const (
	OwnersAny     OwnerCount = ""
	OwnersNone    OwnerCount = "none"
	OwnersSeveral OwnerCount = "several"
)

// Entities returns the entities matching f, sorted by reference. Unknown
// references in f.Refs are left out.
func (tx *Tx) Entities(f EntityFilter) ([]catalog.Entity, error) {
	var out []catalog.Entity
	run := func(refs []org.Ref) error {
		var where []string
		var args []any
		if refs != nil {
			where = append(where, "ref IN "+inList(1, len(refs)))
			args = refArgs(refs)
		}
		if f.Kind != "" {
			args = append(args, string(f.Kind))
			where = append(where, "kind = $"+itoa(len(args)))
		}
		if !f.Owner.IsZero() {
			args = append(args, string(f.Owner), tx.t(f.OwnedAt))
			o, at := "$"+itoa(len(args)-1), "$"+itoa(len(args))
			// From the owner's edges (indexed by object), not a probe per
			// entity: a team owns a few of the catalog's thousands.
			where = append(where, `ref IN (SELECT e.subject FROM edges e WHERE e.object = `+o+` AND e.relation = 'owned_by'
    AND (e.valid_from IS NULL OR e.valid_from <= `+at+`) AND (e.valid_to IS NULL OR e.valid_to > `+at+`))`)
		}
		if f.Owners != OwnersAny {
			args = append(args, tx.t(f.OwnedAt))
			at := "$" + itoa(len(args))
			owners := `(SELECT COUNT(DISTINCT e.object) FROM edges e WHERE e.subject = entities.ref AND e.relation = 'owned_by'
    AND (e.valid_from IS NULL OR e.valid_from <= ` + at + `) AND (e.valid_to IS NULL OR e.valid_to > ` + at + `))`
			if f.Owners == OwnersNone {
				where = append(where, "kind <> 'domain' AND "+owners+" = 0")
			} else {
				where = append(where, owners+" > 1")
			}
		}
		if f.Text != "" {
			args = append(args, "%"+likeEscaper.Replace(asciiLower(f.Text))+"%")
			n, lower := "$"+itoa(len(args)), asciiLowerSQL[tx.engine]
			where = append(where, "("+lower("ref")+" LIKE "+n+` ESCAPE '\' OR `+lower("title")+" LIKE "+n+` ESCAPE '\')`)
		}
		if !f.After.IsZero() {
			args = append(args, string(f.After))
			where = append(where, "ref > $"+itoa(len(args)))
		}
		q := `SELECT ` + entityColumns + ` FROM entities`
		if len(where) > 0 {
			q += " WHERE " + strings.Join(where, " AND ")
		}
		q += " ORDER BY ref"
		if f.Limit > 0 {
			q += " LIMIT " + itoa(f.Limit)
		}
		return tx.each("list entities", q, args, func(rows *sql.Rows) error {
			e, err := scanEntity(rows)
			out = append(out, e)
			return err
		})
	}
	if f.Refs == nil {
		return out, run(nil)
	}
	for _, c := range chunks(f.Refs, 400) { // an empty Refs runs nothing
		if err := run(c); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SaveEntity creates or updates an entity.
func (tx *Tx) SaveEntity(e catalog.Entity, now time.Time) error {
	tx.touch("entities", string(e.Ref))
	paths := e.CodePaths
	if paths == nil {
		paths = []string{}
	}
	pj, err := json.Marshal(paths)
	if err != nil {
		return fmt.Errorf("entity %s code paths: %w", e.Ref, err)
	}
	_, err = tx.exec("save entity "+string(e.Ref), `
INSERT INTO entities (ref, kind, title, description, type, lifecycle, code_paths, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
ON CONFLICT (ref) DO UPDATE SET kind = excluded.kind, title = excluded.title, description = excluded.description,
    type = excluded.type, lifecycle = excluded.lifecycle, code_paths = excluded.code_paths, updated_at = excluded.updated_at`,
		string(e.Ref), string(e.Kind), e.Title, e.Description, e.Type, e.Lifecycle, string(pj), tx.t(now))
	return err
}

// unownedQuery finds the entities without an owner at $1 among the
// candidates entity_owned_since keeps (migration 0021): those with no
// open-ended ownership, or with one that started after $1. Only they are
// probed, a few percent of the catalog, instead of every entity.
const unownedQuery = `SELECT o.entity FROM entity_owned_since o JOIN entities en ON en.ref = o.entity
WHERE (o.since IS NULL OR o.since > $1) AND en.kind <> 'domain' AND NOT EXISTS (
    SELECT 1 FROM edges e
    WHERE e.subject = o.entity AND e.relation = 'owned_by'
      AND (e.valid_from IS NULL OR e.valid_from <= $1) AND (e.valid_to IS NULL OR e.valid_to > $1))`

// Unowned returns the first limit entities (not domains) by reference that
// had no owner at t, and how many there were.
func (tx *Tx) Unowned(t time.Time, limit int) ([]org.Ref, int, error) {
	var out []org.Ref
	n := 0
	err := tx.each("list unowned entities", unownedQuery+` ORDER BY o.entity`, []any{tx.t(t)}, func(rows *sql.Rows) error {
		n++
		if len(out) >= limit {
			return nil
		}
		var r string
		err := rows.Scan(&r)
		out = append(out, org.Ref(r))
		return err
	})
	return out, n, err
}
