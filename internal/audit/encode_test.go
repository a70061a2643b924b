package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"testing"
	"time"
)

// Chains already stored must keep verifying, so the encoding and the hash
// of a version never change. The version 1 hashes were computed by the
// first implementation of Encode and HashOf, the version 2 ones by the
// first implementation with States.
func TestKnownHashes(t *testing.T) {
	datas := []string{`{"after":{"severity":"SEV2"}}`, ``, `{"x":"ü"}`}
	states := []string{"incidents \"INC-2026-0001\" " + Genesis + "\n", "", "people \"user:default/ada\" gone\n"}
	for _, tt := range []struct {
		version int
		want    []string
	}{
		{1, []string{
			"6b699cf90aa7ec5afdb9c010bcbb13ed6eefcb5a1e71bb0e8e70619fb0efeb43",
			"f4aa3bedd856d0f6e7cc2c8945cf978dd36c4820d59dccb4f42fb55b014e02f6",
			"4c18cd770f2a6842619ae3fb4d75a35df7aeaf9b2741738ad2986fcbe690590f",
		}},
		{2, []string{
			"7bd2c443e5a47a756dcab4860cef79196e35ce47601ae7e47cf9d1c334c302ec",
			"fae90eaad6725b3421834c924f452a4666c14d3f57858f81279f504c2ec08194",
			"86fc85654d9e54152621274a7ea80044a06fd26341ed11eb15bd691ff37203a0",
		}},
	} {
		head := Head{Hash: Genesis}
		v := NewVerifier()
		for i, d := range datas {
			e := Link(head, Entry{ID: fmt.Sprint("id-", i), At: at.Add(time.Duration(i) * 500 * time.Millisecond),
				Actor: "user:default/ada", Action: "incident.update", Subject: "INC-2026-0001", Data: []byte(d)})
			if tt.version == 1 {
				e.Version = 1
			} else {
				e.States = []byte(states[i])
			}
			e.Hash = HashOf(e)
			if e.Hash != tt.want[i] {
				t.Errorf("version %d: event %d hashes to %s, want %s", tt.version, e.Seq, e.Hash, tt.want[i])
			}
			if err := v.Next(e); err != nil {
				t.Fatal(err)
			}
			head = Head{Seq: e.Seq, Hash: e.Hash}
		}
	}
}

// referenceEncode and referenceHashOf are the first, plain implementation,
// kept to hold the optimised one to the same bytes.
func referenceEncode(e Event) []byte {
	fields := [][]byte{
		[]byte(strconv.FormatInt(e.Seq, 10)),
		[]byte(e.ID),
		[]byte(e.At.UTC().Format(time.RFC3339Nano)),
		[]byte(e.Actor),
		[]byte(e.Action),
		[]byte(e.Subject),
		e.Data,
	}
	if e.Version != 1 {
		fields = append(fields, e.States)
	}
	var buf []byte
	buf = append(buf, magic...)
	buf = append(buf, byte(e.Version))
	for _, f := range fields {
		buf = binary.AppendUvarint(buf, uint64(len(f)))
		buf = append(buf, f...)
	}
	return buf
}

func referenceHashOf(e Event) string {
	prev, err := hex.DecodeString(e.PrevHash)
	if err != nil {
		prev = []byte(e.PrevHash)
	}
	h := sha256.New()
	h.Write(prev)
	h.Write(referenceEncode(e))
	return hex.EncodeToString(h.Sum(nil))
}

func TestEncodingMatchesReference(t *testing.T) {
	east := time.FixedZone("east", 5*3600+1800)
	times := []time.Time{
		at, at.Truncate(time.Second), at.Add(time.Nanosecond), at.Add(120 * time.Millisecond),
		time.Date(2026, 1, 2, 3, 4, 5, 100000000, east), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 6, 1, 0, 0, 0, 0, time.UTC), {},
	}
	for i, tm := range times {
		for j, prev := range []string{Genesis, HashOf(Event{}), "not hex", "ABCDEF", "abc", ""} {
			e := Event{Seq: int64(i*1000 - 1), Version: 1 + j%2, PrevHash: prev, Entry: Entry{ID: "x", At: tm, Actor: "a", Subject: "s", Data: []byte("{}")}}
			if e.Version == 2 {
				e.States = []byte("incidents \"x\" gone\n")
			}
			if got, want := Encode(e), referenceEncode(e); !bytes.Equal(got, want) {
				t.Fatalf("time %v: encodes to\n%q, want\n%q", tm, got, want)
			}
			if got, want := HashOf(e), referenceHashOf(e); got != want {
				t.Fatalf("time %v, prev %q: hashes to %s, want %s", tm, prev, got, want)
			}
		}
	}
}

func FuzzEncodingMatchesReference(f *testing.F) {
	f.Add(int64(1), "id", int64(1763647200123456789), "actor", "action", "subject", []byte("{}"), Genesis, []byte("incidents \"INC-1\" gone\n"), true)
	f.Fuzz(func(t *testing.T, seq int64, id string, ns int64, actor, action, subject string, data []byte, prev string, states []byte, v1 bool) {
		e := Event{Seq: seq, Version: Version, PrevHash: prev, Entry: Entry{ID: id, At: time.Unix(0, ns).Add(time.Duration(seq) * time.Hour * 24 * 365), Actor: actor, Action: action, Subject: subject, Data: data, States: states}}
		if v1 {
			e.Version, e.States = 1, nil
		}
		if got, want := Encode(e), referenceEncode(e); !bytes.Equal(got, want) {
			t.Fatalf("encodes to\n%q, want\n%q", got, want)
		}
		if got, want := HashOf(e), referenceHashOf(e); got != want {
			t.Fatalf("hashes to %s, want %s", got, want)
		}
		// The Verifier's own hashing agrees with HashOf.
		e.Seq, e.PrevHash = 1, Genesis
		e.Hash = HashOf(e)
		if err := NewVerifier().Next(e); err != nil {
			t.Fatal(err)
		}
		e.Hash = referenceHashOf(e)[:63] + "X"
		if err := NewVerifier().Next(e); err == nil {
			t.Fatal("a wrong hash verifies")
		}
	})
}

func BenchmarkVerifier(b *testing.B) {
	events := chain(1000)
	b.ReportAllocs()
	for b.Loop() {
		v := NewVerifier()
		for i := range events {
			if err := v.NextRef(&events[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(events))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// A zero Verifier (not made by NewVerifier) still judges as HashOf does.
func TestZeroVerifier(t *testing.T) {
	e := Event{Seq: 1, Version: Version, Entry: Entry{ID: "a", At: at, Data: []byte("{}")}}
	e.Hash = HashOf(e)
	next := e
	next.Seq, next.PrevHash = 2, e.Hash
	next.Hash = HashOf(next)
	var v Verifier
	if err := v.Next(e); err != nil {
		t.Fatal(err)
	}
	if err := v.Next(next); err != nil || v.Count() != 2 {
		t.Fatalf("%v after %d events", err, v.Count())
	}
}
