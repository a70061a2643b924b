package store

import (
	"database/sql"
	"time"

	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/ingest"
	"blameful.dev/blameful/internal/org"
)

// Receipts of inbound webhooks, the catalog's view of a GitHub repository,
// people by handle, and follow-ups exported to GitHub Issues (0018_github).

// ClaimReceipt records that a source's key was received, with what was
// made of it, and reports whether this call recorded it: false means the
// key was received before (and nothing is written). On PostgreSQL two
// transactions claiming the same key at once serialise on the primary
// key: the second waits for the first and, once it commits, records
// nothing. Claim first, then write what the receipt stands for, in the
// same transaction.
func (tx *Tx) ClaimReceipt(source, key, outcome string, now time.Time) (bool, error) {
	res, err := tx.exec("record receipt", `
INSERT INTO hook_receipts (source, key, received_at, outcome) VALUES ($1, $2, $3, $4)
ON CONFLICT (source, key) DO NOTHING`, source, key, tx.t(now), outcome)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// SetReceiptOutcome rewrites what was made of a receipt claimed earlier in
// the same transaction.
func (tx *Tx) SetReceiptOutcome(source, key, outcome string) error {
	_, err := tx.exec("record receipt outcome", `UPDATE hook_receipts SET outcome = $3 WHERE source = $1 AND key = $2`, source, key, outcome)
	return err
}

// Receipt returns what was made of a source's key; NotFound when it was
// never received.
func (tx *Tx) Receipt(source, key string) (string, error) {
	var outcome string
	err := tx.get("no receipt "+source+" "+key, `SELECT outcome FROM hook_receipts WHERE source = $1 AND key = $2`, []any{source, key}, &outcome)
	return outcome, err
}

// EntitiesOfRepo returns the entities one of whose code paths names the
// GitHub repository fullName (OWNER/NAME; ingest.IsRepoPath), sorted by
// reference. The database narrows by the text; Go decides.
func (tx *Tx) EntitiesOfRepo(fullName string) ([]catalog.Entity, error) {
	pattern := "%" + likeEscaper.Replace(asciiLower(ingest.RepoCodePath(fullName))) + "%"
	var out []catalog.Entity
	err := tx.each("list entities of a repository", `SELECT `+entityColumns+` FROM entities WHERE `+asciiLowerSQL[tx.engine]("code_paths")+
		` LIKE $1 ESCAPE '\' ORDER BY ref`, []any{pattern}, func(rows *sql.Rows) error {
		e, err := scanEntity(rows)
		if err != nil {
			return err
		}
		for _, p := range e.CodePaths {
			if ingest.IsRepoPath(p, fullName) {
				out = append(out, e)
				break
			}
		}
		return nil
	})
	return out, err
}

// PeopleByHandle returns the people whose handle is handle, ASCII letters
// matched regardless of case (GitHub logins are ASCII), sorted by
// reference.
func (tx *Tx) PeopleByHandle(handle string) ([]org.Person, error) {
	var out []org.Person
	err := tx.each("list people by handle", `SELECT `+personColumns+` FROM people WHERE `+asciiLowerSQL[tx.engine]("handle")+` = $1
ORDER BY ref`, []any{asciiLower(handle)}, func(rows *sql.Rows) error {
		p, err := scanPerson(rows)
		out = append(out, p)
		return err
	})
	return out, err
}

const exportColumns = `followup, tracker, repo, state, issue_number, url, issue_state, message, requested_by, requested_at, exported_at`

func scanExport(rows interface{ Scan(...any) error }) (followup.Export, error) {
	var e followup.Export
	var id, tracker, state, by string
	err := rows.Scan(&id, &tracker, &e.Repo, &state, &e.Number, &e.URL, &e.IssueState, &e.Message, &by, tm(&e.RequestedAt), tm(&e.ExportedAt))
	e.FollowUp, e.Tracker, e.State, e.RequestedBy = followup.ID(id), followup.Tracker(tracker), followup.ExportState(state), org.Ref(by)
	return e, err
}

// CreateExport records a follow-up's export; Conflict when it has one.
func (tx *Tx) CreateExport(e *followup.Export) error {
	tx.touch("followup_exports", string(e.FollowUp))
	_, err := tx.exec("record export of "+string(e.FollowUp), `
INSERT INTO followup_exports (followup, tracker, repo, state, issue_number, url, issue_state, message, requested_by, requested_at, exported_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		string(e.FollowUp), string(e.Tracker), e.Repo, string(e.State), e.Number, e.URL, e.IssueState, e.Message, string(e.RequestedBy),
		tx.t(e.RequestedAt), tx.t(e.ExportedAt))
	return err
}

// UpdateExport writes what became of an export: its state, issue and the
// issue's state.
func (tx *Tx) UpdateExport(e *followup.Export) error {
	tx.touch("followup_exports", string(e.FollowUp))
	_, err := tx.exec("update export of "+string(e.FollowUp), `
UPDATE followup_exports SET state = $2, issue_number = $3, url = $4, issue_state = $5, exported_at = $6 WHERE followup = $1`,
		string(e.FollowUp), string(e.State), e.Number, e.URL, e.IssueState, tx.t(e.ExportedAt))
	return err
}

// Export returns a follow-up's export; NotFound when it has none.
func (tx *Tx) Export(id followup.ID) (followup.Export, error) {
	var e followup.Export
	err := tx.one(string(id)+" is not exported", `SELECT `+exportColumns+` FROM followup_exports WHERE followup = $1`, []any{string(id)},
		func(rows *sql.Rows) (err error) {
			e, err = scanExport(rows)
			return err
		})
	return e, err
}

// ExportOfMessage returns the export an outbox message creates; NotFound
// when it creates none.
func (tx *Tx) ExportOfMessage(message string) (followup.Export, error) {
	var e followup.Export
	err := tx.one("no export by message "+message, `SELECT `+exportColumns+` FROM followup_exports WHERE message = $1`, []any{message},
		func(rows *sql.Rows) (err error) {
			e, err = scanExport(rows)
			return err
		})
	return e, err
}

// ExportOfIssue returns the export that made an issue of a tracker's
// repository (matched regardless of case); NotFound when none did.
func (tx *Tx) ExportOfIssue(tracker followup.Tracker, repo string, number int64) (followup.Export, error) {
	var e followup.Export
	err := tx.one("no follow-up exported as that issue", `SELECT `+exportColumns+` FROM followup_exports
WHERE tracker = $1 AND lower(repo) = lower($2) AND issue_number = $3 AND state = 'exported'`, []any{string(tracker), repo, number},
		func(rows *sql.Rows) (err error) {
			e, err = scanExport(rows)
			return err
		})
	return e, err
}

// MessageDeliveries returns an outbox message's deliveries, one per
// channel, by channel.
func (tx *Tx) MessageDeliveries(message string) ([]Delivery, error) {
	var out []Delivery
	err := tx.each("list deliveries of a message", `SELECT `+deliveryColumns+`
FROM outbox_deliveries d JOIN outbox o ON o.id = d.message WHERE d.message = $1 ORDER BY d.channel`, []any{message},
		func(rows *sql.Rows) error {
			d, err := scanDelivery(rows)
			out = append(out, d)
			return err
		})
	return out, err
}
