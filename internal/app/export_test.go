package app

import (
	"context"

	"blameful.dev/blameful/internal/review"
	"blameful.dev/blameful/internal/store"
)

// WithVerifyBatch makes VerifyAudit read the chain n events at a time, so
// tests can cross the hand-over between reads on a short chain.
func WithVerifyBatch(n int) Option { return func(a *App) { a.verifyBatch = n } }

// SetMaxLedgerLines caps a ledger's lists at n until the returned function
// restores the cap.
func SetMaxLedgerLines(n int) func() {
	old := maxLedgerLines
	maxLedgerLines = n
	return func() { maxLedgerLines = old }
}

// ReviewDrift is the drift a weekly review of now lists when it lists at
// most limit findings, and how many there are in all.
func (a *App) ReviewDrift(ctx context.Context, limit int) (found []review.Finding, total int, err error) {
	err = a.db.View(ctx, func(tx *store.Tx) error {
		found, total, err = a.reviewDrift(tx, a.Now(), review.DefaultDriftDays, limit)
		return err
	})
	return found, total, err
}

// SetUndecidedScan makes Work read at most n undecided assessments of each
// kind until the returned function restores the number.
func SetUndecidedScan(n int) func() {
	old := undecidedScan
	undecidedScan = n
	return func() { undecidedScan = old }
}
