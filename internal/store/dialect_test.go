package store

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"blameful.dev/blameful/internal/org"
)

func TestBind(t *testing.T) {
	sq := dialect{SQLite}
	tests := []struct{ in, want string }{
		{"SELECT * FROM t WHERE a = $1 AND b = $2", "SELECT * FROM t WHERE a = ?1 AND b = ?2"},
		{"SELECT '$1', \"$2\" FROM t WHERE a = $10", "SELECT '$1', \"$2\" FROM t WHERE a = ?10"},
		{"SELECT 1 -- costs $3\nFROM t WHERE x = $1", "SELECT 1 -- costs $3\nFROM t WHERE x = ?1"},
		{"SELECT 'it''s $1' WHERE y = $2", "SELECT 'it''s $1' WHERE y = ?2"},
		{"SELECT $ FROM t", "SELECT $ FROM t"},
	}
	for _, tt := range tests {
		if got := sq.bind(tt.in); got != tt.want {
			t.Errorf("bind(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if q := "WHERE a = $1"; (dialect{Postgres}).bind(q) != q {
		t.Error("PostgreSQL queries must pass through unchanged")
	}
}

func FuzzBind(f *testing.F) {
	f.Add("SELECT $1, '$2', \"$3\" -- $4\n")
	f.Fuzz(func(t *testing.T, q string) {
		out := dialect{SQLite}.bind(q)
		if len(out) != len(q) {
			t.Fatalf("bind changed the length: %q -> %q", q, out)
		}
	})
}

// A long list of references goes to PostgreSQL as one array, and the
// statement that carries it runs unnamed, planned with the array's value
// each time (refArray); nothing else changes how a statement runs.
func TestLongRefListsArePlannedEachTime(t *testing.T) {
	refs := []org.Ref{"user:default/ada", "group:default/payments"}
	pg := dialect{Postgres}.refsArg(refs)
	got := planEachTime([]any{"open", pg})
	if len(got) != 3 || got[0] != pgx.QueryExecModeDescribeExec || got[2].(refArray)[1] != "group:default/payments" {
		t.Errorf("PostgreSQL's array: args %v", got)
	}
	for _, args := range [][]any{{"open", dialect{SQLite}.refsArg(refs)}, {"open", []string{"a"}}, nil} {
		if got := planEachTime(args); len(got) != len(args) {
			t.Errorf("planEachTime(%v) = %v: only a reference array changes the mode", args, got)
		}
	}
}
