package audit

import "time"

// Outcome is what one verification found: whether the chain holds from its
// first event, and whether the current rows of the accountable tables are
// what the chain says the product left them as.
type Outcome struct {
	// OK is true when the chain holds and every row of the accountable
	// tables is what the chain says the product left it as.
	OK bool
	// Events is how many events are vouched for: the chain's length when it
	// holds, else the events before the break that still hold.
	Events int64
	// Head is the last event vouched for.
	Head Head
	// Checkpoints is how many signed checkpoints the chain matched.
	Checkpoints int
	// Break is the first link that does not hold, when one does not: in
	// the chain, against its head or checkpoints, or between the chain and
	// its row index.
	Break *Break
	// RowsChecked says whether the current rows were held to the chain,
	// which happens only when it holds.
	RowsChecked bool
	// Units is how many units of the accountable tables were compared.
	Units int64
	// RowFindings are the first units that are not what the chain
	// recorded (the verifier caps how many), and RowFindingCount how many
	// there are in all.
	RowFindings     []RowFinding
	RowFindingCount int64
}

// Run is one verification as it is kept for the audit page: its Outcome,
// when it started, how long it took and who asked for it. A Run is
// bookkeeping, not evidence: whoever can rewrite the chain can also write a
// Run saying that it holds. Only walking the chain again proves anything.
type Run struct {
	ID string
	// At is when the verification started; it vouches for nothing written
	// after Head.
	At   time.Time
	Took time.Duration
	// By is the actor who asked: a person, or the system's schedule.
	By string
	Outcome
}
