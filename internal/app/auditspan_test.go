package app_test

import (
	"fmt"
	"strings"
	"testing"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/audit"
)

// spanSize is the span verify uses in TestSpansKeepTheWholeChain: small, so
// that a history of a few dozen events has several spans and every attack
// can be placed inside one, at its first or last event, or across two.
const spanSize = 5

// TestSpansKeepTheWholeChain: verifying the chain in spans side by side
// finds every attack at the event the one-reader walk found it at, with the
// same reason, wherever it falls against the spans' boundaries; and a row
// changed behind the product's back is still named. On both engines.
func TestSpansKeepTheWholeChain(t *testing.T) {
	// Span k (from 0) holds events k*spanSize+1 to (k+1)*spanSize.
	const (
		inside = 3*spanSize + 3 // the middle of the fourth span
		first  = 3*spanSize + 1 // its first event
		last   = 4 * spanSize   // its last event
	)
	tests := []struct {
		name   string
		attack func(t *testing.T, x *tampered)
		at     int64
		reason string
	}{
		{"edit an event inside a span", editData(inside), inside, "changed after it was written"},
		{"edit the first event of a span", editData(first), first, "changed after it was written"},
		{"edit the last event of a span", editData(last), last, "changed after it was written"},
		{"edit and rehash the last event of a span", func(t *testing.T, x *tampered) {
			// Its own span holds; the link from the next span's first
			// event does not, which only stitching the spans can see.
			e := x.events[last-1]
			e.Data = []byte(`{}`)
			e.Hash = audit.HashOf(e)
			x.exec(t, `UPDATE audit_events SET data = $1, hash = $2 WHERE seq = $3`, string(e.Data), e.Hash, last)
		}, last + 1, "previous hash does not match"},
		{"delete an event inside a span", deleteEvent(inside), inside, "missing or out of order"},
		{"delete the first event of a span", deleteEvent(first), first, "missing or out of order"},
		{"delete the last event of a span", deleteEvent(last), last, "missing or out of order"},
		{"swap two events inside a span", swap(inside), inside, "previous hash does not match"},
		{"swap two events across spans", swap(last), last, "previous hash does not match"},
		{"point the first link elsewhere", func(t *testing.T, x *tampered) {
			// The first event of a span claims another predecessor, and
			// its hash is made to agree.
			e := x.events[first-1]
			e.PrevHash = strings.Repeat("ab", 32)
			e.Hash = audit.HashOf(e)
			x.exec(t, `UPDATE audit_events SET prev_hash = $1, hash = $2 WHERE seq = $3`, e.PrevHash, e.Hash, first)
		}, first, "previous hash does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			newTampered(t, func(t *testing.T, x *tampered) {
				if x.n() < last+spanSize {
					t.Fatalf("a history of %d events is too short for the spans", x.n())
				}
				tt.attack(t, x)
				for _, batch := range []int{spanSize, 1, int(x.n())} {
					v, err := app.New(x.db, app.WithVerifyBatch(batch)).VerifyAudit(ctx, apptest.Admin())
					if err != nil {
						t.Fatal(err)
					}
					t.Run(fmt.Sprint("spans of ", batch), func(t *testing.T) {
						wantBreak(t, v, tt.at, tt.reason)
						if v.Events != tt.at-1 || v.Head.Seq != tt.at-1 {
							t.Errorf("vouched for %d events up to %+v, want %d", v.Events, v.Head, tt.at-1)
						}
					})
				}
			})
		})
	}
	t.Run("edit a row", func(t *testing.T) {
		t.Parallel()
		newTampered(t, func(t *testing.T, x *tampered) {
			id := x.query(t, `SELECT id FROM incidents ORDER BY id LIMIT 1`)
			x.exec(t, `UPDATE incidents SET severity = 'SEV4' WHERE id = $1`, id)
			for _, batch := range []int{spanSize, 1, int(x.n())} {
				v, err := app.New(x.db, app.WithVerifyBatch(batch)).VerifyAudit(ctx, apptest.Admin())
				if err != nil {
					t.Fatal(err)
				}
				if v.OK || v.Break != nil || !v.RowsChecked || v.RowFindingCount != 1 || v.RowFindings[0].Key != id ||
					v.RowFindings[0].Problem != audit.RowChanged || v.Events != x.n() {
					t.Fatalf("spans of %d: %+v", batch, v)
				}
			}
		})
	})
	t.Run("untouched", func(t *testing.T) {
		t.Parallel()
		newTampered(t, func(t *testing.T, x *tampered) {
			for _, batch := range []int{spanSize, 1, 2, int(x.n()) - 1, int(x.n()), 0} {
				v, err := app.New(x.db, app.WithVerifyBatch(batch)).VerifyAudit(ctx, apptest.Admin(), x.withCheckpoints(t))
				if err != nil || !v.OK || v.Events != x.n() || v.Head.Hash != x.last.Hash || v.Checkpoints != 2 || !v.RowsChecked {
					t.Fatalf("spans of %d: %v %+v", batch, err, v)
				}
			}
		})
	})
}

func editData(seq int64) func(*testing.T, *tampered) {
	return func(t *testing.T, x *tampered) {
		x.exec(t, `UPDATE audit_events SET data = '{}' WHERE seq = $1`, seq)
	}
}

func deleteEvent(seq int64) func(*testing.T, *tampered) {
	return func(t *testing.T, x *tampered) {
		x.exec(t, `DELETE FROM audit_events WHERE seq = $1`, seq)
	}
}

// swap exchanges the events at seq and seq+1, numbers and all.
func swap(seq int64) func(*testing.T, *tampered) {
	return func(t *testing.T, x *tampered) {
		x.exec(t, `UPDATE audit_events SET seq = -1 WHERE seq = $1`, seq)
		x.exec(t, `UPDATE audit_events SET seq = $1 WHERE seq = $2`, seq, seq+1)
		x.exec(t, `UPDATE audit_events SET seq = $1 WHERE seq = -1`, seq+1)
	}
}
