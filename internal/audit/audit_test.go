package audit

import (
	"bytes"
	"errors"
	"testing"
	"time"
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
