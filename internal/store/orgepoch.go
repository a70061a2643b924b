package store

// OrgEpoch reads, in the transaction's snapshot, the counter that every
// write to people, teams, entities or edges moves in its own transaction
// (migration 0022, by trigger). Two transactions that read the same value
// see the same org and catalog.
func (tx *Tx) OrgEpoch() (int64, error) {
	var n int64
	err := tx.get("no org epoch", `SELECT epoch FROM org_epoch WHERE id = 1`, nil, &n)
	return n, err
}
