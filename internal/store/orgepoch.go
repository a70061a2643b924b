package store

import (
	"database/sql"

	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/org"
)

// OrgEpoch reads, in the transaction's snapshot, the counter that every
// write to people, teams, entities or edges moves in its own transaction
// (migration 0022, by trigger). Two transactions that read the same value
// see the same org and catalog.
func (tx *Tx) OrgEpoch() (int64, error) {
	var n int64
	err := tx.get("no org epoch", `SELECT epoch FROM org_epoch WHERE id = 1`, nil, &n)
	return n, err
}

// HoldOrg keeps the org and the catalog as this write transaction sees
// them until it ends, for a write that depends on what it read of them
// (drift verdicts): on PostgreSQL it takes a share lock on the epoch's row,
// which every org write updates, so such writes wait, and it reads after
// any that committed first; SQLite's write transactions already exclude
// one another.
func (tx *Tx) HoldOrg() error {
	if tx.engine != Postgres {
		return nil
	}
	var n int64
	return tx.get("hold the org still", `SELECT epoch FROM org_epoch WHERE id = 1 FOR SHARE`, nil, &n)
}

// EachEdge calls fn with every edge, in Edges' order (relation, subject,
// object, start with the open first, id), one at a time: a server reads
// the whole org into memory this way without holding every row twice.
func (tx *Tx) EachEdge(fn func(org.Edge) error) error {
	return tx.each("read every edge", `SELECT `+edgeColumns+` FROM edges
ORDER BY relation, subject, object, valid_from NULLS FIRST, id`, nil, func(rows *sql.Rows) error {
		e, err := scanEdge(rows)
		if err != nil {
			return err
		}
		return fn(e)
	})
}

// EachEntity calls fn with every entity, by reference, one at a time.
func (tx *Tx) EachEntity(fn func(catalog.Entity) error) error {
	return tx.each("read every entity", `SELECT `+entityColumns+` FROM entities ORDER BY ref`, nil, func(rows *sql.Rows) error {
		e, err := scanEntity(rows)
		if err != nil {
			return err
		}
		return fn(e)
	})
}
