package freeze

import (
	"testing"
	"time"

	"blameful.dev/blameful/internal/org"
)

// TestCovers: a freeze covers a change made inside its window to an entity
// it lists, or answered for by a team it lists, or anything when it covers
// everything; an approved exception keeps the coverage but breaks nothing.
func TestCovers(t *testing.T) {
	start := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	api, db := org.MustRef("component:checkout-api"), org.MustRef("resource:orders-db")
	payments, product := org.MustRef("group:payments"), org.MustRef("group:product")
	byTeam := Freeze{Start: start, End: start.Add(48 * time.Hour), Scope: []org.Ref{product}}
	byEntity := Freeze{Start: start, End: start.Add(48 * time.Hour), Scope: []org.Ref{api}}
	all := Freeze{Start: start, End: start.Add(48 * time.Hour), Everything: true}
	inside := Change{Entity: api, Actor: org.MustRef("user:bob"), At: start.Add(time.Hour)}
	answering := []org.Ref{payments, product}
	for _, tc := range []struct {
		name        string
		f           Freeze
		c           Change
		answering   []org.Ref
		covers, brk bool
	}{
		{"a team above the owner", byTeam, inside, answering, true, true},
		{"a team that did not answer for it", byTeam, inside, []org.Ref{org.MustRef("group:platform")}, false, false},
		{"the entity listed", byEntity, inside, nil, true, true},
		{"another entity", byEntity, Change{Entity: db, At: inside.At}, nil, false, false},
		{"everything", all, Change{Entity: db, At: inside.At}, nil, true, true},
		{"at the end, which is outside", all, Change{Entity: api, At: all.End}, nil, false, false},
		{"at the start, which is inside", all, Change{Entity: api, At: all.Start}, nil, true, true},
		{"before the window", byEntity, Change{Entity: api, At: start.Add(-time.Minute)}, nil, false, false},
		{"an approved exception", byEntity, Change{Entity: api, At: inside.At, ExceptionApprovedBy: org.MustRef("user:vp")}, nil, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.f.Covers(tc.c, tc.answering); got != tc.covers {
				t.Errorf("Covers = %v, want %v", got, tc.covers)
			}
			if got := tc.f.IsBrokenBy(tc.c, tc.answering); got != tc.brk {
				t.Errorf("IsBrokenBy = %v, want %v", got, tc.brk)
			}
		})
	}
}
