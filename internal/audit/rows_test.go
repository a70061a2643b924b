package audit

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestStatesRoundTrip(t *testing.T) {
	states := []RowState{
		{Table: "people", Key: "user:default/ada", Hash: Gone},
		{Table: "incidents", Key: "INC-2026-0002", Hash: Genesis},
		{Table: "incidents", Key: "INC-2026-0001", Hash: Genesis},
		{Table: "edges", Key: "a key with \"quotes\", spaces\nand a newline", Hash: Gone},
	}
	text := EncodeStates(states)
	got, err := ParseStates(text)
	if err != nil {
		t.Fatal(err)
	}
	want := []RowState{states[3], states[2], states[1], states[0]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s\n%s", diff, text)
	}
	if bytes.Count(text, []byte{'\n'}) != len(states) {
		t.Fatalf("a key's newline reached the text:\n%s", text)
	}
	for _, bad := range []string{"incidents \"x\" gone", "incidents\n", "incidents \"x\n", "incidents \"x\" \n"} {
		if _, err := ParseStates([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// Moving bytes between a key and its neighbours must change the text.
func FuzzStatesAreUnambiguous(f *testing.F) {
	f.Add("incidents", "INC-1", "x", "y")
	f.Fuzz(func(t *testing.T, table, k1, k2, extra string) {
		if strings.ContainsAny(table, " \n") || table == "" || k1 == k2 {
			return
		}
		a := EncodeStates([]RowState{{table, k1, Gone}, {table, k2, Gone}})
		b := EncodeStates([]RowState{{table, k1 + extra, Gone}, {table, k2, Gone}})
		if extra != "" && bytes.Equal(a, b) {
			t.Fatal("a changed key encodes the same")
		}
		got, err := ParseStates(a)
		if err != nil || len(got) != 2 {
			t.Fatalf("%q: %v %v", a, got, err)
		}
	})
}

func rowHash(t *testing.T, rows ...[]any) string {
	t.Helper()
	h := NewRowHasher()
	for _, r := range rows {
		if err := h.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	return h.Sum()
}

// A row hashes alike whichever engine read it: SQLite returns times as
// their stored text and booleans as integers, PostgreSQL as time.Time and
// bool.
func TestRowHashIsEngineIndependent(t *testing.T) {
	when := time.Date(2026, 11, 20, 14, 0, 0, 123456000, time.FixedZone("x", 3600))
	sqlite := rowHash(t, []any{"INC-1", "2026-11-20T13:00:00.123456Z", int64(1), nil, []byte("text")})
	postgres := rowHash(t, []any{"INC-1", when, true, nil, "text"})
	if sqlite != postgres {
		t.Fatalf("sqlite %s, postgres %s", sqlite, postgres)
	}
	differ := map[string]string{
		"NULL and empty": rowHash(t, []any{"INC-1", "2026-11-20T13:00:00.123456Z", int64(1), "", []byte("text")}),
		"a value moved":  rowHash(t, []any{"INC-1", "2026-11-20T13:00:00.123456Z", int64(1), "t", []byte("ext")}),
		"one row more":   rowHash(t, []any{"INC-1", when, true, nil, "text"}, []any{"INC-1", when, true, nil, "text"}),
		"false":          rowHash(t, []any{"INC-1", when, false, nil, "text"}),
	}
	for name, h := range differ {
		if h == sqlite {
			t.Errorf("%s: hashes the same", name)
		}
	}
	h := NewRowHasher()
	if h.Sum() != Gone {
		t.Fatal("no rows is not Gone")
	}
	if err := h.Add([]any{1.5}); err == nil {
		t.Fatal("a float has no canonical encoding, but was accepted")
	}
	h.Reset()
	if err := h.Add([]any{"INC-1", when, true, nil, "text"}); err != nil || h.Sum() != sqlite {
		t.Fatalf("after Reset: %v %s", err, h.Sum())
	}
}

func TestJudgeRow(t *testing.T) {
	const a, b = "aa", "bb"
	tests := []struct {
		name              string
		seq               int64
		recorded, current string
		want              RowProblem
	}{
		{"as recorded", 5, a, a, ""},
		{"deleted as recorded", 5, Gone, Gone, ""},
		{"never there", 0, "", Gone, ""},
		{"edited", 5, a, b, RowChanged},
		{"put back", 5, Gone, a, RowChanged},
		{"deleted", 5, a, Gone, RowMissing},
		{"inserted", 0, "", a, RowUnrecorded},
		{"recorded after the end", 11, a, a, RowBeyondChain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, bad := JudgeRow("incidents", "INC-1", tt.seq, tt.recorded, tt.current, 10)
			if bad != (tt.want != "") || f.Problem != tt.want {
				t.Fatalf("got %v %q, want %q", bad, f.Problem, tt.want)
			}
			if bad && !strings.Contains(f.String(), "incidents INC-1: ") {
				t.Fatalf("%q does not name the row", f)
			}
		})
	}
}

// V1 events cannot carry states: version 1 does not hash them.
func TestVersion1CannotCarryStates(t *testing.T) {
	e := Event{Seq: 1, Version: 1, PrevHash: Genesis, Entry: Entry{ID: "a", At: at, States: []byte("incidents \"x\" gone\n")}}
	e.Hash = HashOf(e)
	var b *Break
	if err := NewVerifier().Next(e); !errors.As(err, &b) || !strings.Contains(b.Reason, "version 1") {
		t.Fatalf("got %v", err)
	}
	// Version 2 hashes them: changing them breaks the event.
	e.Version = 2
	e.Hash = HashOf(e)
	e.States = []byte("incidents \"y\" gone\n")
	if err := NewVerifier().Next(e); !errors.As(err, &b) || !strings.Contains(b.Reason, "changed after it was written") {
		t.Fatalf("got %v", err)
	}
}

func TestStateDigests(t *testing.T) {
	var x, y StateDigests
	if got := x.FirstDifference(&y); got != -1 {
		t.Fatalf("empty: %d", got)
	}
	x, y = StateDigests{}, StateDigests{}
	for _, seq := range []int64{1, 7, StateBlock, 3*StateBlock + 2} {
		x.Add(seq, []byte("s"))
		y.Add(seq, []byte("s"))
	}
	if got := x.FirstDifference(&y); got != -1 {
		t.Fatalf("equal: %d", got)
	}
	for name, tt := range map[string]struct {
		seqs  []int64
		block int64
	}{
		"one missing in block 3": {[]int64{1, 7, StateBlock}, 3},
		"one moved to block 1":   {[]int64{1, 7, StateBlock + 1, 3*StateBlock + 2}, 0},
		"one more in block 5":    {[]int64{1, 7, StateBlock, 3*StateBlock + 2, 5*StateBlock + 1}, 5},
	} {
		t.Run(name, func(t *testing.T) {
			var a, b StateDigests
			for _, seq := range []int64{1, 7, StateBlock, 3*StateBlock + 2} {
				a.Add(seq, []byte("s"))
			}
			for _, seq := range tt.seqs {
				b.Add(seq, []byte("s"))
			}
			if got := a.FirstDifference(&b); got != tt.block {
				t.Fatalf("got block %d, want %d", got, tt.block)
			}
		})
	}
}

// The byte-level ways in (AppendStateText, StartRow … EndRow, Is) must give
// exactly what the value-level ones give.
func TestTextFormsMatch(t *testing.T) {
	for _, key := range []string{"INC-2026-0001", "", `a "quoted" key`, "back\\slash", "tab\there", "naïve ✓", "\x00\xff", "line\nbreak"} {
		s := RowState{Table: "incidents", Key: key, Hash: "ab12"}
		if got, want := AppendStateText(nil, []byte(s.Table), []byte(s.Key), []byte(s.Hash)), AppendState(nil, s); !bytes.Equal(got, want) {
			t.Errorf("key %q: %q, want %q", key, got, want)
		}
	}
	at := time.Date(2026, 11, 20, 14, 0, 0, 123456000, time.UTC)
	rows := [][]any{{"INC-1", int64(42), true, nil, at}, {"INC-1", int64(-7), false, "x", at.Add(time.Second)}}
	texts := [][][]byte{{[]byte("INC-1"), []byte("42"), []byte("1"), nil, []byte("2026-11-20T14:00:00.123456Z")},
		{[]byte("INC-1"), []byte("-7"), []byte("0"), []byte("x"), []byte("2026-11-20T14:00:01.123456Z")}}
	a, b := NewRowHasher(), NewRowHasher()
	if !b.Is([]byte(Gone)) || b.Is([]byte("x")) {
		t.Fatal("a unit without rows is not Gone")
	}
	for i := range rows {
		if err := a.Add(rows[i]); err != nil {
			t.Fatal(err)
		}
		b.StartRow(len(texts[i]))
		for _, v := range texts[i] {
			if v == nil {
				b.Null()
			} else {
				b.Text(v)
			}
		}
		b.EndRow()
		sum := a.Sum()
		if b.Sum() != sum || !b.Is([]byte(sum)) || b.Is([]byte(Gone)) {
			t.Fatalf("after row %d: %s, want %s", i, b.Sum(), sum)
		}
	}
}
