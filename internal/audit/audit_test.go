package audit

import (
	"bytes"
	"errors"
	"testing"
	"time"
	"unsafe"
)

var at = time.Date(2026, 11, 20, 14, 0, 0, 123456000, time.UTC)

func chain(n int) []Event {
	head := Head{Hash: Genesis}
	var out []Event
	for i := range n {
		ev := Link(head, Entry{ID: string(rune('a' + i)), At: at.Add(time.Duration(i) * time.Second), Actor: "user:default/ada",
			Action: "incident.update", Subject: "INC-2026-0001", Data: []byte(`{"after":{"severity":"SEV2"}}`)})
		out = append(out, ev)
		head = Head{Seq: ev.Seq, Hash: ev.Hash}
	}
	return out
}

func verify(events []Event) error {
	v := NewVerifier()
	for _, e := range events {
		if err := v.Next(e); err != nil {
			return err
		}
	}
	return nil
}

func TestUntouchedChainVerifies(t *testing.T) {
	if err := verify(chain(5)); err != nil {
		t.Fatal(err)
	}
}

func TestEveryChangeIsDetectedAtItsEvent(t *testing.T) {
	tests := []struct {
		name   string
		tamper func([]Event) []Event
		seq    int64
	}{
		{"edit data", func(c []Event) []Event { c[2].Data = []byte(`{"after":{"severity":"SEV4"}}`); return c }, 3},
		{"edit actor", func(c []Event) []Event { c[1].Actor = "user:default/bob"; return c }, 2},
		{"edit time", func(c []Event) []Event { c[3].At = c[3].At.Add(time.Second); return c }, 4},
		{"delete", func(c []Event) []Event { return append(c[:2], c[3:]...) }, 3},
		{"reorder", func(c []Event) []Event { c[1], c[2] = c[2], c[1]; return c }, 2},
		{"renumber after delete", func(c []Event) []Event {
			c = append(c[:2], c[3:]...)
			c[2].Seq, c[3].Seq = 3, 4
			return c
		}, 3},
		{"rehash the edited event only", func(c []Event) []Event {
			c[2].Data = []byte(`{}`)
			c[2].Hash = HashOf(c[2])
			return c
		}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verify(tt.tamper(chain(5)))
			var b *Break
			if !errors.As(err, &b) || !errors.Is(err, ErrChainBroken) || b.Seq != tt.seq {
				t.Fatalf("got %v, want a break at event %d", err, tt.seq)
			}
		})
	}
}

func TestEncodingIsUnambiguous(t *testing.T) {
	// Moving bytes between fields must change the encoding.
	a := Event{Seq: 1, Entry: Entry{Actor: "ab", Action: "c"}, Version: Version}
	b := Event{Seq: 1, Entry: Entry{Actor: "a", Action: "bc"}, Version: Version}
	if bytes.Equal(Encode(a), Encode(b)) {
		t.Fatal("field boundaries are not encoded")
	}
}

func FuzzEncodeDistinguishes(f *testing.F) {
	f.Add(int64(1), "id", "actor", "action", "subject", []byte("{}"), "x")
	f.Fuzz(func(t *testing.T, seq int64, id, actor, action, subject string, data []byte, extra string) {
		e := Event{Seq: seq, Version: Version, Entry: Entry{ID: id, At: at, Actor: actor, Action: action, Subject: subject, Data: data}}
		changed := e
		changed.Subject += extra
		if extra != "" && bytes.Equal(Encode(e), Encode(changed)) {
			t.Fatal("a changed subject encodes the same")
		}
		if HashOf(e) != HashOf(e) {
			t.Fatal("hashing is not deterministic")
		}
	})
}

// A span verified on its own holds exactly when its events do, and hands
// its first link to whoever holds the spans together.
func TestSpanVerifier(t *testing.T) {
	c := chain(9)
	spans := [][]Event{c[:3], c[3:6], c[6:]}
	prev := Genesis
	for i, s := range spans {
		v := NewSpanVerifier(int64(3 * i))
		for _, e := range s {
			if err := v.Next(e); err != nil {
				t.Fatalf("span %d: %v", i, err)
			}
		}
		if link, ok := v.Link(); !ok || link != prev || v.Count() != 3 {
			t.Fatalf("span %d links to %q (%v), want %q", i, link, ok, prev)
		}
		prev = v.Head().Hash
	}
	// A first event that claims another predecessor, rehashed to agree,
	// holds in its span: only its link shows it.
	e := c[3]
	e.PrevHash = c[1].Hash
	e.Hash = HashOf(e)
	v := NewSpanVerifier(3)
	if err := v.Next(e); err != nil {
		t.Fatal(err)
	}
	if link, _ := v.Link(); link == c[2].Hash {
		t.Fatal("the forged link went unseen")
	}
	// A malformed first link breaks at once; a wrong first number too,
	// before any link is taken.
	e.PrevHash = "not a hash"
	if err := NewSpanVerifier(3).Next(e); !errors.Is(err, ErrChainBroken) {
		t.Fatalf("malformed link: %v", err)
	}
	v = NewSpanVerifier(4)
	if err := v.Next(c[3]); !errors.Is(err, ErrChainBroken) {
		t.Fatalf("wrong first event: %v", err)
	}
	if _, ok := v.Link(); ok {
		t.Fatal("a link was taken from an event out of place")
	}
	// NewVerifierAfter goes on from a verified head.
	v = NewVerifierAfter(Head{Seq: 6, Hash: c[5].Hash})
	for _, e := range c[6:] {
		if err := v.Next(e); err != nil {
			t.Fatal(err)
		}
	}
	if v.Head().Hash != c[8].Hash || NewVerifierAfter(Head{Seq: 6, Hash: c[4].Hash}).Next(c[6]) == nil {
		t.Fatal("continuing from a head")
	}
}

// TestVerifierKeepsNoStringOfTheEvent hands the verifiers each event with
// its strings in one buffer that is scribbled over once NextRef returns,
// as a reader reusing its memory does: the chain must verify all the same,
// and a span's Link and the Head must be what they were.
func TestVerifierKeepsNoStringOfTheEvent(t *testing.T) {
	events := chain(9)
	var buf []byte
	view := func(e Event) *Event {
		buf = buf[:0]
		fields := []*string{&e.ID, &e.Actor, &e.Action, &e.Subject, &e.PrevHash, &e.Hash}
		for _, f := range fields {
			buf = append(buf, *f...)
		}
		all := unsafe.String(unsafe.SliceData(buf), len(buf))
		for _, f := range fields {
			n := len(*f)
			*f, all = all[:n], all[n:]
		}
		return &e
	}
	scribble := func() {
		for i := range buf {
			buf[i] = 'x'
		}
	}
	whole, span := NewVerifier(), NewSpanVerifier(3)
	for _, e := range events {
		if err := whole.NextRef(view(e)); err != nil {
			t.Fatalf("whole chain: %v", err)
		}
		scribble()
		if e.Seq > 3 {
			if err := span.NextRef(view(e)); err != nil {
				t.Fatalf("span: %v", err)
			}
			scribble()
		}
	}
	last := events[len(events)-1]
	if h := whole.Head(); h.Seq != last.Seq || h.Hash != last.Hash {
		t.Errorf("whole chain's head %+v, want %d %s", h, last.Seq, last.Hash)
	}
	if h := span.Head(); h.Seq != last.Seq || h.Hash != last.Hash {
		t.Errorf("span's head %+v, want %d %s", h, last.Seq, last.Hash)
	}
	if link, ok := span.Link(); !ok || link != events[2].Hash {
		t.Errorf("span's link %q, %v; want %s", link, ok, events[2].Hash)
	}
	after := NewVerifierAfter(Head{Seq: 4, Hash: events[3].Hash})
	for _, e := range events[4:] {
		if err := after.NextRef(view(e)); err != nil {
			t.Fatalf("after event 4: %v", err)
		}
		scribble()
	}
	// A malformed head is kept as given, and matches no event.
	bad := NewVerifierAfter(Head{Seq: 4, Hash: "not a hash"})
	if err := bad.NextRef(view(events[4])); err == nil {
		t.Error("an event linked to a malformed head")
	}
	if h := bad.Head(); h.Hash != "not a hash" {
		t.Errorf("malformed head became %q", h.Hash)
	}
}
