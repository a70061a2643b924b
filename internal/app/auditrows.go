package app

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"blameful.dev/blameful/internal/audit"
	"blameful.dev/blameful/internal/store"
)

// The chain vouches for the current rows through the states its events
// recorded (audit.RowState). The store keeps the same states in a row
// index, which says at once which event last recorded a unit. So
// verifying has two more steps: the index must hold exactly what the
// chain's events recorded, and every unit must be in the last state
// recorded for it. Both run beside the walk (checkRowState) and count once
// the chain is known to hold (useRowCheck).

// rowCheck is what checking the rows against the row index up to a head
// found.
type rowCheck struct {
	upto int64
	// index is the row index folded as audit.StateDigests, up to upto.
	index audit.StateDigests
	// forged is an index entry of an event that cannot exist.
	forged *audit.Break
	// units, findings and count are what CheckRows found.
	units    int64
	findings []audit.RowFinding
	count    int64
	err      error
}

// checkRowState folds the row index up to the event upto and checks every
// row against it. It needs the chain only to be trusted, not to be read,
// so it runs beside the walk. Its work is split as the walk's is, and done
// side by side: the index in the chain's spans, the rows a table at a
// time, each on a reader of its own.
func (a *App) checkRowState(ctx context.Context, upto, block int64) (c rowCheck) {
	c.upto = upto
	c.index.Block = block
	// No event has a sequence number below 1: an entry there was not
	// written by the product.
	c.err = a.db.WalkRowIndex(ctx, math.MinInt64, 0, func(seq int64, s audit.RowState) error {
		c.forged = &audit.Break{Seq: 1, Reason: fmt.Sprintf(
			"the row index holds %s %s for event %d, which cannot exist: it was not written by the product", s.Table, s.Key, seq)}
		return errStop
	})
	if c.forged != nil || c.err != nil {
		if errors.Is(c.err, errStop) {
			c.err = nil
		}
		return c
	}
	tables, err := a.db.RowTables(ctx)
	if err != nil {
		c.err = err
		return c
	}
	// The tables first: they take longest, and the index's spans fill
	// in around them.
	var tasks []rowTask
	for _, t := range tables {
		tasks = append(tasks, rowTask{table: t})
	}
	size := int64(a.batchOf())
	for after := int64(0); after < upto; after += size {
		tasks = append(tasks, rowTask{after: after, upto: min(after+size, upto), states: audit.StateDigests{Block: block}})
	}
	a.runRowTasks(ctx, tasks)
	for i := range tasks {
		t := &tasks[i]
		if t.err != nil {
			c.err = t.err
			return c
		}
		if t.table == "" {
			c.index.Merge(&t.states)
			continue
		}
		c.units += t.units
		c.count += t.count
		c.findings = append(c.findings, t.findings[:min(len(t.findings), MaxRowFindings-len(c.findings))]...)
	}
	return c
}

// rowTask is one part of the row check: the rows of a table, or the index
// entries of a span of events.
type rowTask struct {
	table       string
	after, upto int64
	states      audit.StateDigests
	units       int64
	findings    []audit.RowFinding
	count       int64
	err         error
}

// runRowTasks does the tasks on verifyWorkers readers.
func (a *App) runRowTasks(ctx context.Context, tasks []rowTask) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(verifyWorkers(), len(tasks)) {
		wg.Go(func() {
			r, err := a.db.AuditReader()
			for {
				i := next.Add(1) - 1
				if i >= int64(len(tasks)) {
					break
				}
				t := &tasks[i]
				switch {
				case err != nil:
					t.err = err
				case t.table != "":
					t.units, t.err = r.CheckTable(ctx, t.table, func(f audit.RowFinding) error {
						t.count++
						if len(t.findings) < MaxRowFindings {
							t.findings = append(t.findings, f)
						}
						return nil
					})
				default:
					t.err = foldIndexSpan(ctx, r, t.after, t.upto, &t.states)
				}
			}
			if err == nil {
				r.Close()
			}
		})
	}
	wg.Wait()
}

// foldIndexSpan folds the index entries of the events after < seq <= upto
// into d, each event's as the states text audit.EncodeStates would make of
// them.
func foldIndexSpan(ctx context.Context, r *store.AuditReader, after, upto int64, d *audit.StateDigests) error {
	var (
		cur        int64
		started    bool
		sorted     = true
		text       []byte
		table, key []byte
		flushErr   error
	)
	flush := func() {
		if !started {
			return
		}
		if !sorted {
			// Not in the order of the states text: sort its lines.
			states, err := audit.ParseStates(text)
			if err != nil {
				flushErr = err
				return
			}
			text = audit.EncodeStates(states)
		}
		d.Add(cur, text)
		text, sorted = text[:0], true
	}
	err := r.WalkRowIndex(ctx, after, upto, func(seq int64, tbl, k, hash []byte) error {
		switch {
		case !started || seq != cur:
			flush()
			cur, started = seq, true
		case sorted:
			c := bytes.Compare(tbl, table)
			sorted = c > 0 || c == 0 && bytes.Compare(k, key) > 0
		}
		text = audit.AppendStateText(text, tbl, k, hash)
		table, key = append(table[:0], tbl...), append(key[:0], k...)
		return nil
	})
	if err != nil {
		return err
	}
	flush()
	return flushErr
}

// useRowCheck completes a verification whose chain holds with the row
// check: the row index must hold exactly the states the chain's events
// recorded (else that is the break, at the first event whose states it
// does not hold, naming the unit), and then the row findings stand.
func (a *App) useRowCheck(ctx context.Context, res *audit.Outcome, chain *audit.StateDigests, c rowCheck) error {
	if c.err != nil {
		return c.err
	}
	if c.forged != nil {
		res.Break = c.forged
		return nil
	}
	if block := chain.FirstDifference(&c.index); block >= 0 {
		n := c.index.BlockSize()
		from, to := block*n, min((block+1)*n, c.upto)
		b, err := a.locateIndexDifference(ctx, from, to)
		if err != nil {
			return err
		}
		res.Break = b
		return nil
	}
	res.RowsChecked, res.Units, res.RowFindings, res.RowFindingCount = true, c.units, c.findings, c.count
	order := store.AccountableTables()
	slices.SortStableFunc(res.RowFindings, func(x, y audit.RowFinding) int {
		if c := cmp.Compare(slices.Index(order, x.Table), slices.Index(order, y.Table)); c != 0 {
			return c
		}
		return cmp.Compare(x.Key, y.Key)
	})
	return nil
}

// foldRowIndex reads the index entries of events after < seq <= upto, a
// batch of events per read, and calls fn with each event's states text,
// as audit.EncodeStates would write it.
func (a *App) foldRowIndex(ctx context.Context, after, upto int64, fn func(seq int64, text []byte)) error {
	var (
		cur    int64
		states []audit.RowState
		text   []byte
	)
	flush := func() {
		if len(states) == 0 {
			return
		}
		slices.SortFunc(states, audit.CompareStates)
		text = text[:0]
		for _, s := range states {
			text = audit.AppendState(text, s)
		}
		fn(cur, text)
		states = states[:0]
	}
	for after < upto {
		end := min(after+int64(a.batchOf()), upto)
		err := a.db.WalkRowIndex(ctx, after, end, func(seq int64, s audit.RowState) error {
			if seq != cur {
				flush()
				cur = seq
			}
			states = append(states, s)
			return nil
		})
		if err != nil {
			return err
		}
		after = end
	}
	flush()
	return nil
}

// locateIndexDifference compares the index with the events' states event
// by event over from < seq <= to, where their digests differ, and returns
// the break at the first event that differs.
func (a *App) locateIndexDifference(ctx context.Context, from, to int64) (*audit.Break, error) {
	recorded := map[int64][]byte{}
	err := a.db.WalkAudit(ctx, from, int(to-from), func(e *audit.Event) error {
		if len(e.States) > 0 {
			recorded[e.Seq] = bytes.Clone(e.States)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	indexed := map[int64][]byte{}
	if err := a.foldRowIndex(ctx, from, to, func(seq int64, text []byte) { indexed[seq] = bytes.Clone(text) }); err != nil {
		return nil, err
	}
	for seq := from + 1; seq <= to; seq++ {
		if !bytes.Equal(recorded[seq], indexed[seq]) {
			return &audit.Break{Seq: seq, Reason: "the row index does not hold the row states this event recorded (audit_rows was altered): " +
				firstStateDifference(recorded[seq], indexed[seq])}, nil
		}
	}
	// The digests differed, so some event must; reaching here means the
	// index changed while it was read twice.
	return &audit.Break{Seq: from + 1, Reason: "the row index changed while it was being verified"}, nil
}

// firstStateDifference says where two states texts first differ.
func firstStateDifference(recorded, indexed []byte) string {
	r, rerr := audit.ParseStates(recorded)
	x, xerr := audit.ParseStates(indexed)
	if rerr != nil || xerr != nil {
		return fmt.Sprintf("its states do not read (%v)", errors.Join(rerr, xerr))
	}
	for i := 0; ; i++ {
		switch {
		case i == len(r) && i == len(x):
			return "they differ in bytes only"
		case i == len(x) || (i < len(r) && audit.CompareStates(r[i], x[i]) < 0):
			return fmt.Sprintf("the event recorded %s %s, and the index lacks it", r[i].Table, r[i].Key)
		case i == len(r) || audit.CompareStates(r[i], x[i]) > 0:
			return fmt.Sprintf("the index has %s %s, which the event did not record", x[i].Table, x[i].Key)
		case r[i].Hash != x[i].Hash:
			return fmt.Sprintf("the event recorded %s %s as %s, the index as %s", r[i].Table, r[i].Key, r[i].Hash, x[i].Hash)
		}
	}
}
