package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strconv"
	"strings"
	"time"
)

// RowState is what an event records of one unit of an accountable table as
// its write left it. A unit is one row, keyed by its primary key, or for a
// table of child rows (an incident's failed entities) every row under one
// parent key. Hash is the hex SHA-256 of the unit's rows in their canonical
// encoding (RowHasher), or Gone when the write left no row under Key.
type RowState struct {
	Table string
	Key   string
	Hash  string
}

// Gone is the Hash of a unit that has no rows.
const Gone = "gone"

// CompareStates orders states by table, then key, byte by byte: the order
// of the lines of EncodeStates.
func CompareStates(a, b RowState) int {
	if c := strings.Compare(a.Table, b.Table); c != 0 {
		return c
	}
	return strings.Compare(a.Key, b.Key)
}

// EncodeStates returns the canonical text of states, which an event
// carries as its States: one line per state (AppendState), sorted by
// CompareStates. It does not change states.
func EncodeStates(states []RowState) []byte {
	sorted := slices.Clone(states)
	slices.SortFunc(sorted, CompareStates)
	n := 0
	for _, s := range sorted {
		n += len(s.Table) + len(s.Key) + len(s.Hash) + 6
	}
	dst := make([]byte, 0, n)
	for _, s := range sorted {
		dst = AppendState(dst, s)
	}
	return dst
}

// AppendState appends one line of the states text: the table, the key in
// Go's quoted form, and the hash, separated by spaces and ended by a
// newline. Quoting keeps the text unambiguous whatever a key holds (a
// quoted key has no raw space or newline), so two different lists of
// states never encode alike.
func AppendState(dst []byte, s RowState) []byte {
	dst = append(dst, s.Table...)
	dst = append(dst, ' ')
	dst = strconv.AppendQuote(dst, s.Key)
	dst = append(dst, ' ')
	dst = append(dst, s.Hash...)
	return append(dst, '\n')
}

// AppendStateText is AppendState for a state given as bytes, which saves
// making strings of them: the same line, byte for byte.
func AppendStateText(dst, table, key, hash []byte) []byte {
	dst = append(append(dst, table...), ' ')
	if plain(key) {
		dst = append(append(append(dst, '"'), key...), '"')
	} else {
		dst = strconv.AppendQuote(dst, string(key))
	}
	return append(append(append(dst, ' '), hash...), '\n')
}

// plain reports whether strconv.Quote would only put quotes around key:
// printable ASCII without a quote or a backslash.
func plain(key []byte) bool {
	for _, c := range key {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// ParseStates reads a states text back into its states, in its order.
func ParseStates(text []byte) ([]RowState, error) {
	var out []RowState
	for len(text) > 0 {
		line, rest, ok := bytes.Cut(text, []byte{'\n'})
		if !ok {
			return nil, errors.New("row states: the last line has no newline")
		}
		text = rest
		table, quoted, ok := strings.Cut(string(line), " ")
		if !ok {
			return nil, fmt.Errorf("row states: line %q has no key", line)
		}
		q, err := strconv.QuotedPrefix(quoted)
		if err != nil {
			return nil, fmt.Errorf("row states: line %q: %w", line, err)
		}
		key, _ := strconv.Unquote(q)
		h, ok := strings.CutPrefix(quoted[len(q):], " ")
		if !ok || h == "" {
			return nil, fmt.Errorf("row states: line %q has no hash", line)
		}
		out = append(out, RowState{Table: table, Key: key, Hash: h})
	}
	return out, nil
}

// rowTimeLayout is how a time is encoded in a row's state: UTC with
// microseconds, the precision both databases keep, and the exact text in
// which SQLite stores a time, so a SQLite time hashes as stored.
const rowTimeLayout = "2006-01-02T15:04:05.000000Z"

const rowMagic = "blameful-row\x00\x01"

// RowHasher computes a unit's state hash. Each row is given as the values
// of the table's columns in a fixed order, as database drivers return them:
// nil (NULL), string or []byte (text, as it is), int64 (in decimal), bool
// (1 or 0, as SQLite keeps a boolean) or time.Time (rowTimeLayout). So a
// unit hashes alike on both engines. A RowHasher is reused from unit to
// unit and is not safe for concurrent use.
type RowHasher struct {
	h    hash.Hash
	buf  []byte
	val  []byte
	rows int
}

// NewRowHasher returns a RowHasher ready for a unit's first row.
func NewRowHasher() *RowHasher { return &RowHasher{h: sha256.New()} }

// Reset starts a new unit.
func (r *RowHasher) Reset() {
	r.h.Reset()
	r.rows = 0
}

// Add adds one row of the unit. Rows must come in the table's fixed order
// within the unit. A value of a type not listed on RowHasher is an error.
func (r *RowHasher) Add(values []any) error {
	b := r.buf[:0]
	if r.rows == 0 {
		b = append(b, rowMagic...)
	}
	b = append(b, 'r')
	b = binary.AppendUvarint(b, uint64(len(values)))
	for i, v := range values {
		if v == nil {
			b = append(b, 0)
			continue
		}
		val := r.val[:0]
		switch v := v.(type) {
		case string:
			val = append(val, v...)
		case []byte:
			val = append(val, v...)
		case int64:
			val = strconv.AppendInt(val, v, 10)
		case bool:
			val = append(val, "01"[boolIndex(v)])
		case time.Time:
			val = v.UTC().AppendFormat(val, rowTimeLayout)
		default:
			return fmt.Errorf("row state: column %d holds a %T, which has no canonical encoding", i+1, v)
		}
		r.val = val
		b = append(b, 1)
		b = binary.AppendUvarint(b, uint64(len(val)))
		b = append(b, val...)
	}
	r.buf = b
	r.h.Write(b)
	r.rows++
	return nil
}

// StartRow begins a row of columns values given one at a time, as Text
// and Null, and ended by EndRow: Add for a reader that holds each value as
// the bytes the database stores, which saves making each a Go value first.
// A value's bytes are what Add would encode it as: text as it is, an
// integer (or a boolean, 0 or 1) in decimal, a time in rowTimeLayout,
// which is how SQLite stores them all.
func (r *RowHasher) StartRow(columns int) {
	b := r.buf[:0]
	if r.rows == 0 {
		b = append(b, rowMagic...)
	}
	b = append(b, 'r')
	r.buf = binary.AppendUvarint(b, uint64(columns))
}

// Text adds a value of the row begun by StartRow.
func (r *RowHasher) Text(v []byte) {
	r.buf = append(binary.AppendUvarint(append(r.buf, 1), uint64(len(v))), v...)
}

// Null adds a NULL to the row begun by StartRow.
func (r *RowHasher) Null() { r.buf = append(r.buf, 0) }

// EndRow ends the row begun by StartRow.
func (r *RowHasher) EndRow() {
	r.h.Write(r.buf)
	r.rows++
}

// Is reports whether the unit's state hash is state (Sum() == string(state))
// without allocating.
func (r *RowHasher) Is(state []byte) bool {
	if r.rows == 0 {
		return string(state) == Gone
	}
	var sum [sha256.Size]byte
	var hx [2 * sha256.Size]byte
	hex.Encode(hx[:], r.h.Sum(sum[:0]))
	return string(hx[:]) == string(state)
}

func boolIndex(v bool) int {
	if v {
		return 1
	}
	return 0
}

// Sum returns the unit's state hash: Gone when no row was added.
func (r *RowHasher) Sum() string {
	if r.rows == 0 {
		return Gone
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(r.h.Sum(sum[:0]))
}

// RowProblem names how a unit differs from what the audit log recorded.
type RowProblem string

// The row problems. They are stored in integrity flags and shown by the
// API, so their values are stable.
const (
	// RowChanged: the unit differs from the state its last event recorded.
	RowChanged RowProblem = "changed"
	// RowMissing: its last event recorded rows, and there are none.
	RowMissing RowProblem = "missing"
	// RowUnrecorded: it has rows, and no event recorded it.
	RowUnrecorded RowProblem = "unrecorded"
	// RowBeyondChain: the last event that recorded it lies beyond the
	// chain's end, so events were removed (or the record was forged).
	RowBeyondChain RowProblem = "beyond_chain"
)

// RowFinding is one unit of an accountable table that is not what the
// audit log says the product left it as.
type RowFinding struct {
	Table   string
	Key     string
	Problem RowProblem
	// Seq is the last event that recorded the unit; 0 when none did.
	Seq int64
	// Recorded is the state that event recorded ("" when none did), and
	// Current the unit's state now; either may be Gone.
	Recorded, Current string
	// Head is the chain's last event when the unit was compared.
	Head int64
}

// JudgeRow compares a unit's current state with the latest state recorded
// for it, by event seq (0 and "" when there is none), with head the
// chain's last event as of the same reading. It returns the finding when
// they disagree.
func JudgeRow(table, key string, seq int64, recorded, current string, head int64) (RowFinding, bool) {
	f := RowFinding{Table: table, Key: key, Seq: seq, Recorded: recorded, Current: current, Head: head}
	switch {
	case seq > head:
		f.Problem = RowBeyondChain
	case seq == 0 && current == Gone:
		return f, false
	case seq == 0:
		f.Problem = RowUnrecorded
	case recorded == current:
		return f, false
	case current == Gone:
		f.Problem = RowMissing
	default:
		f.Problem = RowChanged
	}
	return f, true
}

// String says what is wrong, naming the row.
func (f RowFinding) String() string {
	row := f.Table + " " + f.Key
	switch f.Problem {
	case RowChanged:
		if f.Recorded == Gone {
			return fmt.Sprintf("%s: exists, but event %d recorded it as deleted: it was put back behind the product's back", row, f.Seq)
		}
		return fmt.Sprintf("%s: changed behind the product's back: it is not the state event %d recorded", row, f.Seq)
	case RowMissing:
		return fmt.Sprintf("%s: missing: event %d recorded it, and it was deleted behind the product's back", row, f.Seq)
	case RowUnrecorded:
		return fmt.Sprintf("%s: not written by the product: no event records it", row)
	case RowBeyondChain:
		return fmt.Sprintf("%s: last recorded by event %d, beyond the chain's end at event %d: events were removed", row, f.Seq, f.Head)
	}
	return fmt.Sprintf("%s: %s", row, f.Problem)
}

// StateBlock is how many sequence numbers one digest of StateDigests
// covers.
const StateBlock = 4096

// StateDigests folds the States of events, in sequence order, into one
// SHA-256 per block of Block sequence numbers (StateBlock when 0).
// Verifying computes it once from the chain and once from the row index,
// then compares them block by block: memory grows by 32 bytes a block, and
// a difference is narrowed to one block, which is small enough to read
// again and compare line by line. Spans of the chain folded apart, each
// into digests of its own, are joined with Merge when the spans start on
// block boundaries. The zero value is ready to use.
type StateDigests struct {
	// Block is how many sequence numbers a digest covers; set it before
	// the first Add, alike on both sides of a comparison.
	Block int64
	sums  [][sha256.Size]byte
	h     hash.Hash
	block int64
	open  bool
	num   [2 * binary.MaxVarintLen64]byte
}

// BlockSize returns how many sequence numbers one digest covers.
func (d *StateDigests) BlockSize() int64 {
	if d.Block > 0 {
		return d.Block
	}
	return StateBlock
}

// Add folds the states text of event seq. Calls must come in increasing
// seq; events without states need no call.
func (d *StateDigests) Add(seq int64, states []byte) {
	b := (seq - 1) / d.BlockSize()
	if d.open && b != d.block {
		d.close()
	}
	if !d.open {
		if d.h == nil {
			d.h = sha256.New()
		}
		d.h.Reset()
		d.block, d.open = b, true
	}
	n := binary.PutUvarint(d.num[:], uint64(seq))
	n += binary.PutUvarint(d.num[n:], uint64(len(states)))
	d.h.Write(d.num[:n])
	d.h.Write(states)
}

func (d *StateDigests) close() {
	for int64(len(d.sums)) <= d.block {
		d.sums = append(d.sums, [sha256.Size]byte{})
	}
	d.h.Sum(d.sums[d.block][:0])
	d.open = false
}

// Merge folds o, the digests of a later or earlier span of events, into
// d. The two must have the same block size and cover different blocks:
// spans that start on block boundaries. o is closed and not changed
// otherwise.
func (d *StateDigests) Merge(o *StateDigests) {
	if o.open {
		o.close()
	}
	if d.open {
		d.close()
	}
	var zero [sha256.Size]byte
	for b, s := range o.sums {
		if s == zero {
			continue // no states in the block, or a block of another span
		}
		for len(d.sums) <= b {
			d.sums = append(d.sums, zero)
		}
		d.sums[b] = s
	}
}

// FirstDifference closes both digests and returns the first block in
// which they differ, or -1 when they agree. Block b covers sequence
// numbers b*BlockSize()+1 to (b+1)*BlockSize().
func (d *StateDigests) FirstDifference(o *StateDigests) int64 {
	for _, x := range []*StateDigests{d, o} {
		if x.open {
			x.close()
		}
	}
	for b := range max(len(d.sums), len(o.sums)) {
		var x, y [sha256.Size]byte
		if b < len(d.sums) {
			x = d.sums[b]
		}
		if b < len(o.sums) {
			y = o.sums[b]
		}
		if x != y {
			return int64(b)
		}
	}
	return -1
}
