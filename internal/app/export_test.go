package app

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
