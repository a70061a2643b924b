package app

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"blameful.dev/blameful/internal/audit"
	"blameful.dev/blameful/internal/store"
)

// The chain is verified in spans of consecutive events, several at once,
// each on a read transaction (and on PostgreSQL a connection) of its own:
// one reader cannot keep two cores busy. A span is verified on its own
// (audit.NewSpanVerifier): every event's hash is recomputed from its
// fields and the previous hash it stores, and every link inside the span
// is checked. What a span cannot check is its first link, to the event
// before it, which the span before ends with. Stitching checks those: the
// chain is whole from event 1 to the head exactly when every span holds,
// the first links to the genesis, and each other links to the last event
// of the span before, so the guarantee is the one walking the chain from
// the start gives, and the first break found is the one it would find.
//
// The spans end at the head as read before they start. Events are only
// ever appended, so those up to it stay put while the spans are read;
// whatever is appended meanwhile is walked after, from the stitched end,
// one reader again, as is the rest of a chain that ends short of the head.

// span is one span of the chain, after < seq <= upto, and what verifying
// it found.
type span struct {
	after, upto int64
	// link is the previous hash the span's first event claims, when
	// linked; the span before must end with it.
	link   string
	linked bool
	// last is the span's last event that holds, and count how many hold
	// (from its first event on).
	last  audit.Head
	count int64
	// broken is the first link inside the span that does not hold.
	broken *audit.Break
	// states folds the row states the span's events recorded.
	states audit.StateDigests
	// hashes are the hashes of the span's events that a checkpoint names.
	hashes map[int64]string
	err    error
}

// verifyWorkers is how many spans are verified at once: one per core, and
// at least two, so that on PostgreSQL one span is decoded while the
// server produces the next.
func verifyWorkers() int { return max(2, runtime.GOMAXPROCS(0)) }

// stateBlock is the block of audit.StateDigests for spans of size events:
// spans must start on block boundaries for their digests to merge.
func stateBlock(size int64) int64 {
	if size%audit.StateBlock == 0 {
		return audit.StateBlock
	}
	return size
}

// walkSpans verifies events 1 to upto in spans of a.batchOf() events, side
// by side, and stitches them in order up to the first break. It fills in
// hashAt for the sequence numbers it holds as keys and folds the row
// states the events recorded into states, whose Block must be
// stateBlock(a.batchOf()). The outcome's Head is where the stitched chain
// ends: at upto unless there is a break, or an event is missing at the end
// of a span (the walk from the head on finds that).
func (a *App) walkSpans(ctx context.Context, hashAt map[int64]string, states *audit.StateDigests, upto int64) (audit.Outcome, error) {
	size := int64(a.batchOf())
	spans := make([]span, 0, upto/size+1)
	for after := int64(0); after < upto; after += size {
		spans = append(spans, span{after: after, upto: min(after+size, upto)})
	}
	var (
		next atomic.Int64
		// stop is the first span found broken so far: spans after it
		// need not be read.
		stop atomic.Int64
		wg   sync.WaitGroup
	)
	stop.Store(int64(len(spans)))
	for range min(verifyWorkers(), len(spans)) {
		wg.Go(func() {
			r, err := a.db.AuditReader()
			if err != nil {
				// The span this worker would have read reports it.
				i := next.Add(1) - 1
				if i < int64(len(spans)) {
					spans[i].err = err
				}
				return
			}
			defer r.Close()
			for {
				i := next.Add(1) - 1
				if i >= int64(len(spans)) || i > stop.Load() {
					return
				}
				s := &spans[i]
				a.verifySpan(ctx, r, s, hashAt, states.BlockSize())
				if s.err == nil && s.broken == nil {
					continue
				}
				for cur := stop.Load(); i < cur && !stop.CompareAndSwap(cur, i); cur = stop.Load() {
				}
			}
		})
	}
	wg.Wait()
	return stitch(spans, hashAt, states)
}

// verifySpan verifies one span on its own. It only reads hashAt, which the
// spans share.
func (a *App) verifySpan(ctx context.Context, r *store.AuditReader, s *span, hashAt map[int64]string, block int64) {
	v := audit.NewSpanVerifier(s.after)
	s.states.Block = block
	s.err = r.WalkSpan(ctx, s.after, s.upto, func(e *audit.Event) error {
		if err := v.NextRef(e); err != nil {
			errors.As(err, &s.broken)
			return errStop
		}
		if _, ok := hashAt[e.Seq]; ok {
			if s.hashes == nil {
				s.hashes = map[int64]string{}
			}
			s.hashes[e.Seq] = strings.Clone(e.Hash) // e is the reader's until we return
		}
		if len(e.States) > 0 {
			s.states.Add(e.Seq, e.States)
		}
		return nil
	})
	if errors.Is(s.err, errStop) {
		s.err = nil
	}
	s.link, s.linked = v.Link()
	s.last, s.count = v.Head(), v.Count()
}

// stitch holds the spans together in order: each span's first event must
// link to the last event of the span before (the first span's to the
// genesis). It stops at the first break, or at a span that ends short of
// its end without one (an event is missing there; the walk from the
// stitched end names it as the chain's own order would).
func stitch(spans []span, hashAt map[int64]string, states *audit.StateDigests) (audit.Outcome, error) {
	good := audit.Head{Hash: audit.Genesis}
	var res audit.Outcome
	for i := range spans {
		s := &spans[i]
		if s.err != nil {
			return res, s.err
		}
		if s.linked && s.link != good.Hash {
			res.Break = &audit.Break{Seq: s.after + 1, Reason: "its previous hash does not match the event before it"}
			break
		}
		for seq, h := range s.hashes {
			hashAt[seq] = h
		}
		states.Merge(&s.states)
		if s.count > 0 {
			good = s.last
		}
		if s.broken != nil {
			res.Break = s.broken
			break
		}
		if s.count != s.upto-s.after {
			break
		}
	}
	res.Events, res.Head = good.Seq, good
	return res, nil
}
