// Package audit is the tamper-evident record of every write.
//
// Each Event is linked to the one before it: Hash = SHA-256(PrevHash ‖
// Encode(event)), where Encode is a canonical, versioned, length-prefixed
// encoding of the event's fields, sequence number included. Changing,
// removing, reordering or inserting an event breaks the link at that event or
// the one after it, which Verify reports. Data is hashed as the exact bytes
// stored, so it must be kept byte for byte.
//
// From version 2 an event also carries States: the state hash of every
// accountable row its transaction wrote, as the write left it (see
// RowState). The chain thereby vouches for the current rows as well as for
// its own history: a row that differs from the state the last event writing
// it recorded was changed behind the product's back.
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
	"strings"
	"time"
)

// Version is the encoding version written into new events. A change to
// Encode gets a new version; Verify keeps reading old ones. Version 1 is
// the fields of Entry without States; version 2 adds States.
const Version = 2

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
	// States is the canonical text of the accountable rows the write left
	// (EncodeStates), hashed as the exact bytes stored. The store fills it
	// in on the last event of a transaction; it is empty on the others and
	// on every version 1 event.
	States []byte
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
// as stored. Version 1 ends with Data; later versions add States after it.
func Encode(e Event) []byte {
	n := len(magic) + 1 + 8*binary.MaxVarintLen64 + 20 + len(e.ID) + len(time.RFC3339Nano) +
		len(e.Actor) + len(e.Action) + len(e.Subject) + len(e.Data) + len(e.States)
	return AppendEncode(make([]byte, 0, n), &e)
}

// AppendEncode appends Encode(*e) to dst and returns the extended slice. It
// allocates nothing when dst has room, which is what the Verifier relies on.
func AppendEncode(dst []byte, e *Event) []byte {
	dst = append(dst, magic...)
	dst = append(dst, byte(e.Version))
	// The sequence number in decimal, then the time: both are short, so
	// they are formatted in place and their length put in front.
	var num [20]byte
	dst = appendField(dst, strconv.AppendInt(num[:0], e.Seq, 10))
	dst = appendString(dst, e.ID)
	var ts [40]byte
	dst = appendField(dst, appendTime(ts[:0], e.At))
	dst = appendString(dst, e.Actor)
	dst = appendString(dst, e.Action)
	dst = appendString(dst, e.Subject)
	dst = appendField(dst, e.Data)
	if e.Version == 1 {
		return dst
	}
	return appendField(dst, e.States)
}

func appendField(dst, f []byte) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(f))), f...)
}

func appendString(dst []byte, f string) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(f))), f...)
}

// appendTime appends t.UTC().Format(time.RFC3339Nano), byte for byte. Years
// 0 to 9999 are formatted here, since the general formatter dominates the
// cost of encoding an event; other years are left to it.
func appendTime(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(dst, time.RFC3339Nano)
	}
	hour, minute, sec := t.Clock()
	dst = append4(dst, year)
	dst = append(dst, '-')
	dst = append2(dst, int(month))
	dst = append(dst, '-')
	dst = append2(dst, day)
	dst = append(dst, 'T')
	dst = append2(dst, hour)
	dst = append(dst, ':')
	dst = append2(dst, minute)
	dst = append(dst, ':')
	dst = append2(dst, sec)
	if ns := t.Nanosecond(); ns != 0 {
		// Nine digits with the trailing zeros cut, as .999999999 does.
		var frac [10]byte
		frac[0] = '.'
		for i := 9; i >= 1; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		end := 10
		for frac[end-1] == '0' {
			end--
		}
		dst = append(dst, frac[:end]...)
	}
	return append(dst, 'Z')
}

func append2(dst []byte, v int) []byte { return append(dst, byte('0'+v/10), byte('0'+v%10)) }

func append4(dst []byte, v int) []byte {
	return append(dst, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}

const magic = "blameful-audit\x00"

// HashOf computes an event's hash from its PrevHash and encoding.
func HashOf(e Event) string {
	var prev [sha256.Size]byte
	buf := make([]byte, 0, 256+len(e.Data)+len(e.States))
	if len(e.PrevHash) == hex.EncodedLen(sha256.Size) {
		if _, err := hex.Decode(prev[:], []byte(e.PrevHash)); err == nil {
			buf = append(buf, prev[:]...)
		} else {
			buf = append(buf, e.PrevHash...) // a malformed stored hash still hashes, and then mismatches
		}
	} else if p, err := hex.DecodeString(e.PrevHash); err == nil {
		buf = append(buf, p...)
	} else {
		buf = append(buf, e.PrevHash...)
	}
	sum := sha256.Sum256(AppendEncode(buf, &e))
	return hex.EncodeToString(sum[:])
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
// length is verified in constant memory. It reuses one buffer for the
// encoding, so a Verifier is not safe for concurrent use. It keeps no
// string of an event it is handed, so the event's strings may point into
// memory its reader reuses for the next event.
type Verifier struct {
	head  Head
	count int64
	// sum is the head's hash decoded: the bytes the next event's hash
	// starts with, and hex the same in lower-case hex, which the next
	// event's PrevHash must equal. Next checks an event's PrevHash before
	// it hashes, so sum always stands for the PrevHash being hashed. When
	// they stand for the head (summed), head.Hash is not kept: Head makes
	// it from hex.
	sum [sha256.Size]byte
	hex [2 * sha256.Size]byte
	buf []byte
	// summed says that sum and hex stand for the head's hash; when not,
	// head.Hash holds it.
	summed bool
	// span says that the first event's PrevHash is taken as claimed
	// (NewSpanVerifier), and link and linked keep it.
	span   bool
	link   string
	linked bool
}

// NewVerifier starts at the genesis.
func NewVerifier() *Verifier {
	v := &Verifier{summed: true}
	copy(v.hex[:], Genesis)
	return v
}

// NewVerifierAfter continues a chain verified up to h: the next event must
// be h.Seq+1 and link to h.Hash. A malformed h.Hash matches no event.
func NewVerifierAfter(h Head) *Verifier {
	v := &Verifier{head: h}
	v.setHead(h.Seq, h.Hash)
	return v
}

// NewSpanVerifier verifies the events after the event after on their own,
// as one span of a chain whose earlier events are verified elsewhere, so
// that spans can be verified side by side. The span's first event must be
// after+1; its PrevHash is taken as it claims (Link returns it) and every
// later link is checked as NewVerifier checks it. The chain is whole only
// if each span's Link equals the Hash of the event before it, which the
// span before ends with (Genesis for the first span): the caller holds
// the spans together that way.
func NewSpanVerifier(after int64) *Verifier {
	return &Verifier{head: Head{Seq: after}, span: true}
}

// Link returns the PrevHash the span's first event claims, and whether a
// first event got that far (its sequence number and version were right).
func (v *Verifier) Link() (string, bool) { return v.link, v.linked }

// setHead makes the event seq, whose hash is h, the head: as sum and hex
// when h is a lower-case hex SHA-256, else as head.Hash, a copy of h.
func (v *Verifier) setHead(seq int64, h string) {
	v.head.Seq = seq
	if v.summed = decodeHash(&v.sum, h); v.summed {
		copy(v.hex[:], h)
		v.head.Hash = ""
	} else {
		v.head.Hash = strings.Clone(h)
	}
}

// decodeHash decodes a lower-case hex SHA-256 into sum and reports
// whether it was one.
func decodeHash(sum *[sha256.Size]byte, h string) bool {
	if len(h) != hex.EncodedLen(sha256.Size) {
		return false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	_, err := hex.Decode(sum[:], []byte(h))
	return err == nil
}

// Next checks e against everything seen so far and returns a *Break
// (wrapping ErrChainBroken) at the first event that does not follow.
func (v *Verifier) Next(e Event) error { return v.next(&e) }

// NextRef is Next for an event passed by reference, which saves copying it.
// The Verifier keeps nothing of *e: the caller may reuse *e, its strings
// and its Data and States once NextRef returns.
func (v *Verifier) NextRef(e *Event) error { return v.next(e) }

func (v *Verifier) next(e *Event) error {
	switch {
	case e.Seq != v.head.Seq+1:
		return &Break{Seq: v.head.Seq + 1, Reason: fmt.Sprintf("expected event %d, found %d (an event is missing or out of order)", v.head.Seq+1, e.Seq)}
	case e.Version != Version && e.Version != 1:
		return &Break{Seq: e.Seq, Reason: fmt.Sprintf("unknown encoding version %d", e.Version)}
	case e.Version == 1 && len(e.States) > 0:
		// Version 1 does not hash States, so it cannot vouch for them.
		return &Break{Seq: e.Seq, Reason: "an event of encoding version 1 carries row states, which that version does not cover (they were added after it was written)"}
	}
	if v.span && v.count == 0 {
		// The first event of a span: its link is checked by whoever
		// verified the span before. A malformed one links to no event.
		v.link, v.linked = strings.Clone(e.PrevHash), true
		if v.setHead(v.head.Seq, e.PrevHash); !v.summed {
			return &Break{Seq: e.Seq, Reason: "its previous hash does not match the event before it"}
		}
	}
	if v.summed && e.PrevHash != string(v.hex[:]) || !v.summed && e.PrevHash != v.head.Hash {
		return &Break{Seq: e.Seq, Reason: "its previous hash does not match the event before it"}
	}
	if !v.summed {
		// Only a Verifier not made by NewVerifier gets here; its v.sum
		// does not stand for its head.
		if HashOf(*e) != e.Hash {
			return &Break{Seq: e.Seq, Reason: "its content does not match its hash (it was changed after it was written)"}
		}
		v.setHead(e.Seq, e.Hash)
		v.count = 1
		return nil
	}
	// HashOf(e) != e.Hash, without its allocations: e.PrevHash is the
	// head's hash, whose bytes are v.sum, and the hash is compared in the
	// lower-case hex HashOf returns.
	v.buf = AppendEncode(append(v.buf[:0], v.sum[:]...), e)
	sum := sha256.Sum256(v.buf)
	var hx [2 * sha256.Size]byte
	hex.Encode(hx[:], sum[:])
	if string(hx[:]) != e.Hash {
		return &Break{Seq: e.Seq, Reason: "its content does not match its hash (it was changed after it was written)"}
	}
	v.head.Seq, v.sum, v.hex = e.Seq, sum, hx
	v.count++
	return nil
}

// Head returns the last verified position.
func (v *Verifier) Head() Head {
	if v.summed {
		return Head{Seq: v.head.Seq, Hash: string(v.hex[:])}
	}
	return v.head
}

// Count returns how many events were verified.
func (v *Verifier) Count() int64 { return v.count }
