package org

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseRef(t *testing.T) {
	tests := []struct {
		in, kind, want string
		bad            bool
	}{
		{in: "user:default/ada", want: "user:default/ada"},
		{in: "User:Ada", want: "user:default/ada"},
		{in: "ada", kind: "user", want: "user:default/ada"},
		{in: "payments", kind: "group", want: "group:default/payments"},
		{in: "development/guest", kind: "user", want: "user:development/guest"},
		{in: "component:checkout", want: "component:default/checkout"},
		{in: "breanna.davison", kind: "user", want: "user:default/breanna.davison"},
		{in: "ada", bad: true},                     // no kind
		{in: "user:", bad: true},                   // no name
		{in: "user:a..b", bad: true},               // doubled separator
		{in: "user:-ada", bad: true},               // leading separator
		{in: "user:default/ada/x", bad: true},      // extra slash
		{in: "us er:ada", bad: true},               // space in kind
		{in: "user:group:default/a, b", bad: true}, // two refs in one
	}
	for _, tt := range tests {
		got, err := ParseRef(tt.in, tt.kind)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseRef(%q) = %q, want error", tt.in, got)
			}
			continue
		}
		if err != nil || string(got) != tt.want {
			t.Errorf("ParseRef(%q, %q) = %q, %v; want %q", tt.in, tt.kind, got, err, tt.want)
		}
	}
	r := MustRef("component:default/checkout")
	if r.Kind() != "component" || r.Namespace() != "default" || r.Name() != "checkout" || r.Short() != "component:checkout" {
		t.Errorf("parts of %s: %q %q %q %q", r, r.Kind(), r.Namespace(), r.Name(), r.Short())
	}
}

var (
	t0  = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
)

func TestReconcile(t *testing.T) {
	checkout := MustRef("component:checkout")
	pay, shop := MustRef("group:payments"), MustRef("group:shop")
	never := func(Relation, Ref) bool { return false }
	always := func(Relation, Ref) bool { return true }

	t.Run("first import holds from the beginning", func(t *testing.T) {
		p := Reconcile("org", nil, []Claim{{Relation: OwnedBy, Subject: checkout, Object: pay}}, never, now)
		want := Plan{Open: []Edge{{Relation: OwnedBy, Subject: checkout, Object: pay, Source: "org"}}}
		if d := cmp.Diff(want, p); d != "" {
			t.Fatal(d)
		}
	})
	t.Run("same claims again change nothing", func(t *testing.T) {
		existing := []Edge{{ID: "e1", Relation: OwnedBy, Subject: checkout, Object: pay, Source: "org"}}
		p := Reconcile("org", existing, []Claim{{Relation: OwnedBy, Subject: checkout, Object: pay}}, always, now)
		if !p.IsEmpty() {
			t.Fatalf("want empty plan, got %+v", p)
		}
	})
	t.Run("changed owner closes the old and opens the new at now", func(t *testing.T) {
		existing := []Edge{{ID: "e1", Relation: OwnedBy, Subject: checkout, Object: pay, Source: "org"}}
		p := Reconcile("org", existing, []Claim{{Relation: OwnedBy, Subject: checkout, Object: shop}}, always, now)
		want := Plan{
			Close: []Edge{{ID: "e1", Relation: OwnedBy, Subject: checkout, Object: pay, Source: "org", To: now}},
			Open:  []Edge{{Relation: OwnedBy, Subject: checkout, Object: shop, Source: "org", From: now}},
		}
		if d := cmp.Diff(want, p); d != "" {
			t.Fatal(d)
		}
	})
	t.Run("an explicit since moves both ends", func(t *testing.T) {
		since := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
		existing := []Edge{{ID: "e1", Relation: OwnedBy, Subject: checkout, Object: pay, Source: "org"}}
		p := Reconcile("org", existing, []Claim{{Relation: OwnedBy, Subject: checkout, Object: shop, Since: since}}, always, now)
		if len(p.Close) != 1 || !p.Close[0].To.Equal(since) || len(p.Open) != 1 || !p.Open[0].From.Equal(since) {
			t.Fatalf("got %+v", p)
		}
	})
	t.Run("an explicit since corrects an unchanged owner", func(t *testing.T) {
		since := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
		existing := []Edge{{ID: "e1", Relation: OwnedBy, Subject: checkout, Object: pay, Source: "org", From: t0}}
		p := Reconcile("org", existing, []Claim{{Relation: OwnedBy, Subject: checkout, Object: pay, Since: since}}, always, now)
		if len(p.Correct) != 1 || !p.Correct[0].From.Equal(since) || len(p.Open)+len(p.Close) != 0 {
			t.Fatalf("got %+v", p)
		}
	})
	t.Run("edges of other sources are left alone", func(t *testing.T) {
		existing := []Edge{{ID: "e1", Relation: OwnedBy, Subject: checkout, Object: pay, Source: "backstage"}}
		p := Reconcile("org", existing, nil, always, now)
		if !p.IsEmpty() {
			t.Fatalf("got %+v", p)
		}
	})
}

func TestChartAsOf(t *testing.T) {
	eng, pay, shop := MustRef("group:eng"), MustRef("group:payments"), MustRef("group:shop")
	ada, bob := MustRef("user:ada"), MustRef("user:bob")
	moved := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	edges := []Edge{
		{Relation: ChildOf, Subject: pay, Object: eng},
		{Relation: ChildOf, Subject: shop, Object: eng},
		{Relation: Leads, Subject: ada, Object: pay, To: moved},
		{Relation: Leads, Subject: bob, Object: pay, From: moved},
		{Relation: MemberOf, Subject: ada, Object: pay},
	}
	teams := []Team{{Ref: eng}, {Ref: pay}, {Ref: shop}}
	before := NewChart(moved.Add(-time.Hour), teams, nil, edges, []Ref{eng})
	after := NewChart(moved, teams, nil, edges, []Ref{eng})
	if tm, _ := before.Team(pay); tm.Leader() != ada {
		t.Errorf("leader before the change = %q, want ada", tm.Leader())
	}
	if tm, _ := after.Team(pay); tm.Leader() != bob {
		t.Errorf("leader from the change = %q, want bob", tm.Leader())
	}
	if got, ok := after.LowestCommonAncestor([]Ref{pay, shop}); !ok || got != eng {
		t.Errorf("LCA(payments, shop) = %q, %v", got, ok)
	}
	if got, ok := after.LowestCommonAncestor([]Ref{pay}); !ok || got != pay {
		t.Errorf("LCA(payments) = %q", got)
	}
	if tm, _ := after.Team(shop); !tm.IsDefunct() {
		t.Errorf("a team with no leader or members is defunct")
	}
}

func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"user:default/ada", "ada", "component:checkout", "a:b/c/d", "UPPER:Case", ""} {
		f.Add(s, "user")
	}
	f.Fuzz(func(t *testing.T, s, kind string) {
		r, err := ParseRef(s, kind)
		if err != nil {
			return
		}
		// A parsed reference is canonical: parsing it again gives itself.
		again, err := ParseRef(string(r), "")
		if err != nil || again != r {
			t.Fatalf("%q parsed to %q, which re-parses to %q, %v", s, r, again, err)
		}
	})
}
