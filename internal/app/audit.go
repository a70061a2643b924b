package app

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"time"

	"blameful.dev/blameful/internal/audit"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/integrity"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
)

// MaxRowFindings caps the row findings a verification lists.
const MaxRowFindings = 100

// CheckpointFile is a file of signed checkpoints kept outside the
// database. Name is used in messages only.
type CheckpointFile struct {
	Name        string
	Checkpoints []audit.SignedCheckpoint
}

// VerifyOption adds a check to VerifyAudit.
type VerifyOption func(*verifyConfig)

type verifyConfig struct {
	key    ed25519.PublicKey
	files  []CheckpointFile
	flag   bool
	record bool
}

// FlagBreak makes VerifyAudit raise an I6 integrity flag when it finds a
// break or rows that are not what the chain recorded, for the weekly
// review. The flag is keyed by the break's event, or by the first such row,
// so verifying the same damage again raises nothing new.
func FlagBreak() VerifyOption { return func(c *verifyConfig) { c.flag = true } }

// Record makes VerifyAudit keep what it found, when it started, how long it
// took and who asked, as the last verification the audit page shows
// (LastAuditRun). With FlagBreak, the run and its I6 flag are stored in one
// transaction.
func Record() VerifyOption { return func(c *verifyConfig) { c.record = true } }

// AgainstCheckpoints makes VerifyAudit also hold the chain to signed
// checkpoints: the chain must still reach each checkpoint's event, with the
// hash the checkpoint signed. Every checkpoint must be signed with key, the
// trusted public key; one that is not makes VerifyAudit fail.
func AgainstCheckpoints(key ed25519.PublicKey, files ...CheckpointFile) VerifyOption {
	return func(c *verifyConfig) {
		c.key = key
		c.files = append(c.files, files...)
	}
}

// anchor is a checkpoint whose signature verified, and where it came from.
type anchor struct {
	audit.SignedCheckpoint
	file string
}

func (an anchor) String() string {
	return fmt.Sprintf("%s, signed %s", an.file, an.At.Format(time.RFC3339))
}

// verifyBatch is how many events are read per transaction while verifying,
// so a long chain never holds one read open for minutes: the size of a span
// (auditspan.go). A multiple of audit.StateBlock, so that the spans' row
// states fold in whole blocks; eight blocks make about six spans a core on
// the benchmark's chain of 200,000 events, which keeps the cores evenly
// busy to the end.
const verifyBatch = 8 * audit.StateBlock

// batchOf is the app's verify batch: verifyBatch unless a test set it.
func (a *App) batchOf() int {
	if a.verifyBatch > 0 {
		return a.verifyBatch
	}
	return verifyBatch
}

// VerifyAudit walks the whole chain from the first event and reports the
// first broken link, in the chain itself, against its recorded head, or
// against the checkpoints of AgainstCheckpoints. When the chain holds, it
// then holds the current rows to it: the row index must hold exactly the
// states the events recorded (else that is the break), and every unit of
// every accountable table must be in the last state recorded for it (each
// that is not is a row finding, and makes OK false). A checkpoint that
// does not verify with the trusted key is an errs.Invalid error naming its
// file: a checkpoint is never skipped. Only those CanVerifyAudit admits
// may verify; anyone else gets its error.
func (a *App) VerifyAudit(ctx context.Context, actor org.Actor, opts ...VerifyOption) (audit.Outcome, error) {
	if err := mayVerify(actor); err != nil {
		return audit.Outcome{}, err
	}
	started := a.now()
	var cfg verifyConfig
	for _, o := range opts {
		o(&cfg)
	}
	anchors, err := trustedAnchors(cfg)
	if err != nil {
		return audit.Outcome{}, err
	}
	hashAt := make(map[int64]string, len(anchors))
	for _, an := range anchors {
		hashAt[an.Seq] = ""
	}
	// The rows are checked while the chain is walked, both split into
	// parts done side by side (auditspan.go, auditrows.go). Both stop at
	// the head as recorded now: the rows are held to the row index up to
	// it, and the walk folds the states the same events recorded, to
	// compare.
	var head audit.Head
	if err := a.db.View(ctx, func(tx *store.Tx) (err error) {
		head, err = tx.AuditHead()
		return err
	}); err != nil {
		return audit.Outcome{}, err
	}
	states := audit.StateDigests{Block: stateBlock(int64(a.batchOf()))}
	rowsCtx, stopRows := context.WithCancel(ctx)
	defer stopRows()
	rowsDone := make(chan rowCheck, 1)
	go func() { rowsDone <- a.checkRowState(rowsCtx, head.Seq, states.BlockSize()) }()
	res, err := a.walkSpans(ctx, hashAt, &states, head.Seq)
	if err == nil && res.Break == nil {
		// The events appended since the head was read, and the rest of a
		// chain that ended short of it.
		res, err = a.walkAudit(ctx, hashAt, res)
	}
	if err == nil && res.Break == nil {
		err = a.checkHead(ctx, &res)
	}
	if err == nil {
		matchAnchors(&res, anchors, hashAt)
	}
	if err != nil || res.Break != nil {
		stopRows() // a broken chain vouches for no row
	}
	rows := <-rowsDone
	if err != nil {
		return res, err
	}
	if res.Break == nil {
		if err := a.useRowCheck(ctx, &res, &states, rows); err != nil {
			return res, err
		}
	}
	res.OK = res.Break == nil && res.RowFindingCount == 0
	flag := !res.OK && cfg.flag
	if !flag && !cfg.record {
		return res, nil
	}
	run := audit.Run{ID: a.newID(), At: started.UTC().Truncate(time.Microsecond), Took: a.now().Sub(started),
		By: string(actor.Ref), Outcome: res}
	err = a.db.Update(ctx, func(tx *store.Tx) error {
		if flag {
			if err := a.flagVerification(tx, res); err != nil {
				return fmt.Errorf("raise the I6 flag: %w", err)
			}
		}
		if cfg.record {
			return tx.CreateAuditRun(run)
		}
		return nil
	})
	return res, err
}

// flagVerification raises the I6 flag for what a failed verification
// found: its break, else the rows that are not as recorded (the first ten
// as evidence). Its audit event lands on the chain as it now stands.
func (a *App) flagVerification(tx *store.Tx, res audit.Outcome) error {
	if res.Break != nil {
		return a.raise(tx, org.System("audit-verify"), integrity.Tampering(res.Break.Seq, res.Break.Reason, a.Now()))
	}
	var rows []integrity.Evidence
	for _, f := range res.RowFindings[:min(len(res.RowFindings), 10)] {
		rows = append(rows, integrity.Evidence{Ref: f.Table + " " + f.Key, Detail: f.String()})
	}
	return a.raise(tx, org.System("audit-verify"), integrity.RowTampering(rows, res.RowFindingCount, a.Now()))
}

// CanVerifyAudit reports whether actor may verify the audit log and see
// how its last verification and checkpoint stand: any authenticated actor,
// since the standing of the log is every member's business (a break raises
// an I6 flag they all see) and what a verification shows is positions,
// hashes, table names and row keys, never a row's content.
func CanVerifyAudit(actor org.Actor) bool { return mayVerify(actor) == nil }

// mayVerify is CanVerifyAudit with the refusal to return.
func mayVerify(actor org.Actor) error { return require(actor) }

// AuditStatus is how the audit log stands without walking it: its last
// recorded verification, its last signed checkpoint, and its head now.
type AuditStatus struct {
	// Last is the last verification recorded (Record), nil if none was.
	Last *audit.Run
	// Checkpoint is the last checkpoint signed into this database, nil
	// if none was.
	Checkpoint *audit.SignedCheckpoint
	// Head is the chain's last event now; the events after Last.Head were
	// written since it and are not vouched for yet.
	Head audit.Head
}

// AuditStatus returns the log's standing as last verified. It reads three
// rows, so a page may show it on every view. Only those CanVerifyAudit
// admits may read it; anyone else gets the same error VerifyAudit gives.
func (a *App) AuditStatus(ctx context.Context, actor org.Actor) (AuditStatus, error) {
	if err := mayVerify(actor); err != nil {
		return AuditStatus{}, err
	}
	var st AuditStatus
	err := a.db.View(ctx, func(tx *store.Tx) (err error) {
		if st.Head, err = tx.AuditHead(); err != nil {
			return err
		}
		if st.Checkpoint, err = lastCheckpoint(tx); err != nil {
			return err
		}
		run, err := tx.LastAuditRun()
		switch {
		case err == nil:
			st.Last = &run
		case !errors.Is(err, errs.NotFound):
			return err
		}
		return nil
	})
	return st, err
}

// trustedAnchors checks every checkpoint's signature and returns them in
// seq order.
func trustedAnchors(cfg verifyConfig) ([]anchor, error) {
	var out []anchor
	for _, f := range cfg.files {
		for i, s := range f.Checkpoints {
			if err := s.Verify(cfg.key); err != nil {
				return nil, fmt.Errorf("checkpoint file %s: checkpoint %d (of event %d) is refused: %w", f.Name, i+1, s.Seq, err)
			}
			out = append(out, anchor{SignedCheckpoint: s, file: f.Name})
		}
	}
	slices.SortStableFunc(out, func(x, y anchor) int { return cmp.Compare(x.Seq, y.Seq) })
	return out, nil
}

// walkAudit goes on verifying the chain from where res ends, which holds,
// one batch per read, to the last event there is, and fills in hashAt for
// the sequence numbers it holds as keys.
func (a *App) walkAudit(ctx context.Context, hashAt map[int64]string, res audit.Outcome) (audit.Outcome, error) {
	v := audit.NewVerifierAfter(res.Head)
	for {
		before := v.Count()
		var broken error
		err := a.db.WalkAudit(ctx, v.Head().Seq, a.batchOf(), func(e *audit.Event) error {
			if err := v.NextRef(e); err != nil {
				broken = err
				return errStop
			}
			if _, ok := hashAt[e.Seq]; ok {
				hashAt[e.Seq] = e.Hash
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			return res, err
		}
		res.Head = v.Head()
		res.Events = res.Head.Seq
		if broken != nil {
			var b *audit.Break
			errors.As(broken, &b)
			res.Break = b
			return res, nil
		}
		if v.Count()-before < int64(a.batchOf()) {
			return res, nil
		}
	}
}

var errStop = errors.New("stop")

// checkHead compares the end of the walked chain with the recorded head: a
// chain cut short, or a head rewound to hide it, shows here.
func (a *App) checkHead(ctx context.Context, res *audit.Outcome) error {
	var head audit.Head
	if err := a.db.View(ctx, func(tx *store.Tx) (err error) {
		head, err = tx.AuditHead()
		return err
	}); err != nil {
		return err
	}
	switch {
	case head.Seq > res.Head.Seq:
		res.Break = &audit.Break{Seq: res.Head.Seq + 1, Reason: fmt.Sprintf("the chain ends at event %d but its head records %d events (events were removed)", res.Head.Seq, head.Seq)}
	case head.Seq < res.Head.Seq || head.Hash != res.Head.Hash:
		res.Break = &audit.Break{Seq: head.Seq, Reason: "the recorded head does not match the chain's last event"}
	}
	return nil
}

// matchAnchors holds the walked chain to the checkpoints, in seq order, up
// to the first break found so far. A checkpoint beyond the chain's end
// means events were removed; one whose event has another hash means the
// history up to it was rewritten, somewhere after the last checkpoint that
// still matched.
func matchAnchors(res *audit.Outcome, anchors []anchor, hashAt map[int64]string) {
	good := audit.Head{Hash: audit.Genesis}
	var goodFrom string
	for _, an := range anchors {
		if res.Break != nil && an.Seq >= res.Break.Seq {
			return // the break comes first; nothing after it is vouched for
		}
		if an.Seq > res.Head.Seq {
			res.Break = &audit.Break{Seq: res.Head.Seq + 1, Reason: fmt.Sprintf(
				"the chain has %d events but a signed checkpoint (%s) vouches for %d: events were removed",
				res.Head.Seq, an, an.Seq)}
			return
		}
		if hashAt[an.Seq] != an.Hash {
			since := "no earlier checkpoint matches, so the change lies in events 1 to " + fmt.Sprint(an.Seq)
			if good.Seq > 0 {
				since = fmt.Sprintf("the checkpoint of event %d (%s) still matches, so the change lies in events %d to %d",
					good.Seq, goodFrom, good.Seq+1, an.Seq)
			}
			res.Break = &audit.Break{Seq: an.Seq, Reason: fmt.Sprintf(
				"its hash differs from the signed checkpoint (%s): the history up to event %d was rewritten; %s",
				an, an.Seq, since)}
			res.Events, res.Head = good.Seq, good
			return
		}
		good, goodFrom = audit.Head{Seq: an.Seq, Hash: an.Hash}, an.String()
		res.Checkpoints++
	}
}
