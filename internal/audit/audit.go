// Package audit is the tamper-evident record of every write.
//
// Each Event is linked to the one before it: Hash = SHA-256(PrevHash ‖
// Encode(event)), where Encode is a canonical, versioned, length-prefixed
// encoding of the event's fields, sequence number included. Changing,
// removing, reordering or inserting an event breaks the link at that event or
// the one after it, which Verify reports. Data is hashed as the exact bytes
// stored, so it must be kept byte for byte.
//
// The package is pure: it neither reads the clock nor touches the database.
package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Version is the encoding version written into new events. A change to
// Encode gets a new version; Verify keeps reading old ones.
const Version = 1

// Genesis is the PrevHash of the first event.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// ErrChainBroken is wrapped by Verify's error when a link does not hold.
var ErrChainBroken = errors.New("audit chain broken")

// Entry is what a write records: who did what to which subject, with the
// before and after as Data (JSON bytes).
type Entry struct {
	ID      string
	At      time.Time
	Actor   string
	Action  string
	Subject string
	Data    []byte
}

// Event is an Entry placed in the chain.
type Event struct {
	Entry
	Seq      int64
	Version  int
	PrevHash string
	Hash     string
}

// Head is the last event's position: its sequence number and hash.
type Head struct {
	Seq  int64
	Hash string
}

// Encode returns the canonical bytes of an event for hashing: a magic
// prefix and the version, then each field as a uvarint length followed by
// its bytes, in a fixed order. Times are RFC 3339 in UTC with nanoseconds,
// as stored.
func Encode(e Event) []byte {
	fields := [][]byte{
		[]byte(strconv.FormatInt(e.Seq, 10)),
		[]byte(e.ID),
		[]byte(e.At.UTC().Format(time.RFC3339Nano)),
		[]byte(e.Actor),
		[]byte(e.Action),
		[]byte(e.Subject),
		e.Data,
	}
	n := len(magic) + 1
	for _, f := range fields {
		n += binary.MaxVarintLen64 + len(f)
	}
	buf := make([]byte, 0, n)
	buf = append(buf, magic...)
	buf = append(buf, byte(e.Version))
	for _, f := range fields {
		buf = binary.AppendUvarint(buf, uint64(len(f)))
		buf = append(buf, f...)
	}
	return buf
}

const magic = "blameful-audit\x00"

// HashOf computes an event's hash from its PrevHash and encoding.
func HashOf(e Event) string {
	prev, err := hex.DecodeString(e.PrevHash)
	if err != nil {
		prev = []byte(e.PrevHash) // a malformed stored hash still hashes, and then mismatches
	}
	h := sha256.New()
	h.Write(prev)
	h.Write(Encode(e))
	return hex.EncodeToString(h.Sum(nil))
}

// Link places entry after head: the next sequence number, head's hash as
// PrevHash, and the new Hash. The time is truncated to microseconds, the
// precision both databases keep.
func Link(head Head, entry Entry) Event {
	entry.At = entry.At.UTC().Truncate(time.Microsecond)
	e := Event{Entry: entry, Seq: head.Seq + 1, Version: Version, PrevHash: head.Hash}
	e.Hash = HashOf(e)
	return e
}

// Break describes the first link that does not hold.
type Break struct {
	Seq    int64
	Reason string
}

func (b *Break) Error() string { return fmt.Sprintf("event %d: %s", b.Seq, b.Reason) }

// Unwrap makes errors.Is(err, ErrChainBroken) hold.
func (b *Break) Unwrap() error { return ErrChainBroken }

// Verifier checks events one at a time, in sequence order, so a chain of any
// length is verified in constant memory.
type Verifier struct {
	head  Head
	count int64
}

// NewVerifier starts at the genesis.
func NewVerifier() *Verifier { return &Verifier{head: Head{Hash: Genesis}} }

// Next checks e against everything seen so far and returns a *Break
// (wrapping ErrChainBroken) at the first event that does not follow.
func (v *Verifier) Next(e Event) error {
	switch {
	case e.Seq != v.head.Seq+1:
		return &Break{Seq: v.head.Seq + 1, Reason: fmt.Sprintf("expected event %d, found %d (an event is missing or out of order)", v.head.Seq+1, e.Seq)}
	case e.Version != Version:
		return &Break{Seq: e.Seq, Reason: fmt.Sprintf("unknown encoding version %d", e.Version)}
	case e.PrevHash != v.head.Hash:
		return &Break{Seq: e.Seq, Reason: "its previous hash does not match the event before it"}
	case HashOf(e) != e.Hash:
		return &Break{Seq: e.Seq, Reason: "its content does not match its hash (it was changed after it was written)"}
	}
	v.head = Head{Seq: e.Seq, Hash: e.Hash}
	v.count++
	return nil
}

// Head returns the last verified position.
func (v *Verifier) Head() Head { return v.head }

// Count returns how many events were verified.
func (v *Verifier) Count() int64 { return v.count }
