package app

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"blameful.dev/blameful/internal/audit"
	"blameful.dev/blameful/internal/blame"
	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestSurroundingsMatchTheWalk checks that facts read in one statement and
// walked in memory, and facts walked over the in-memory copy of the whole
// org, are exactly the facts the level-by-level walk reads,
// over a random org with history, cycles, unknown refs, people owners,
// several parents and several roots.
func TestSurroundingsMatchTheWalk(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		rnd := rand.New(rand.NewPCG(3, 4))
		base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		at := func() time.Time { return base.Add(time.Duration(rnd.IntN(365*24)) * time.Hour) }
		n := 0
		var refs []org.Ref
		err := db.Update(ctx, func(tx *store.Tx) error {
			tx.RecordAudit(audit.Entry{ID: "generated-org", At: base, Actor: "system:default/test", Action: "test.generate"})
			edge := func(rel org.Relation, s, o org.Ref) error {
				n++
				e := org.Edge{ID: fmt.Sprintf("e%05d", n), Relation: rel, Subject: s, Object: o, Source: fmt.Sprintf("s%d", n)}
				switch rnd.IntN(4) {
				case 0: // closed in the past
					e.From, e.To = at(), time.Time{}
					e.To = e.From.Add(time.Duration(1+rnd.IntN(200*24)) * time.Hour)
				case 1:
					e.From = at()
				}
				return tx.OpenEdge(e, base)
			}
			team := func(i int) org.Ref { return org.Ref(fmt.Sprintf("group:default/t%d", i)) }
			person := func(i int) org.Ref { return org.Ref(fmt.Sprintf("user:default/p%d", i)) }
			ent := func(i int) org.Ref {
				return org.Ref(fmt.Sprintf("%s:default/x%d", []string{"component", "resource", "system", "provider"}[i%4], i))
			}
			for i := range 30 {
				if err := tx.SaveTeam(org.Team{Ref: team(i), Name: fmt.Sprint(i)}, base); err != nil {
					return err
				}
				for range rnd.IntN(3) { // none (a root), one or two parents
					if p := rnd.IntN(30); p != i {
						if err := edge(org.ChildOf, team(i), team(p)); err != nil {
							return err
						}
					}
				}
			}
			for i := range 60 {
				p := org.Person{Ref: person(i), Name: fmt.Sprint(i)}
				if rnd.IntN(8) == 0 {
					p.Left = at()
				}
				if err := tx.SavePerson(p, base); err != nil {
					return err
				}
				if err := edge(org.MemberOf, person(i), team(rnd.IntN(32))); err != nil { // some teams are unknown
					return err
				}
				if rnd.IntN(4) == 0 {
					if err := edge(org.Leads, person(i), team(rnd.IntN(30))); err != nil {
						return err
					}
				}
			}
			for i := range 150 {
				if rnd.IntN(10) > 0 {
					if err := tx.SaveEntity(catalog.Entity{Ref: ent(i), Kind: catalog.Kind(ent(i).Kind()), Title: fmt.Sprint(i)}, base); err != nil {
						return err
					}
				}
				refs = append(refs, ent(i))
				for range rnd.IntN(3) {
					var o org.Ref
					switch rnd.IntN(4) {
					case 0:
						o = person(rnd.IntN(62))
					default:
						o = team(rnd.IntN(32))
					}
					if err := edge(org.OwnedBy, ent(i), o); err != nil {
						return err
					}
				}
				for range rnd.IntN(2) {
					if err := edge(org.PartOf, ent(i), ent(rnd.IntN(150))); err != nil {
						return err
					}
				}
				for range rnd.IntN(4) {
					if err := edge(org.DependsOn, ent(i), ent(rnd.IntN(155))); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		a := New(db)
		walk := func(tx *store.Tx, in *incident.Incident) (blame.Facts, error) {
			f := blame.Facts{Incident: in.ID, Severity: in.Severity, StartedAt: in.StartedAt, Failed: in.Entities,
				Entities: map[org.Ref]catalog.EntityAt{}, InheritedDays: a.cfg.InheritedDays}
			src := tables{tx, in.StartedAt}
			if err := walkEntities(src, f.Entities, in.EntityRefs(), in.StartedAt); err != nil {
				return f, err
			}
			c, err := chartWith(src, ownersOf(f.Entities), in.StartedAt)
			f.Chart = c
			return f, err
		}
		snap, err := loadOrgSnapshot(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		// The copy answers edge filters as the tables do, in their order
		// (drift reads its edges through it).
		var all []org.Ref
		for i := range 32 {
			all = append(all, org.Ref(fmt.Sprintf("group:default/t%d", i)))
		}
		for i := range 62 {
			all = append(all, org.Ref(fmt.Sprintf("user:default/p%d", i)))
		}
		all = append(all, refs...)
		relations := []org.Relation{org.OwnedBy, org.PartOf, org.DependsOn, org.ChildOf, org.Leads, org.MemberOf}
		err = db.View(ctx, func(tx *store.Tx) error {
			for i := range 200 {
				var f store.EdgeFilter
				switch pickRefs := rnd.IntN(3); {
				case pickRefs == 0 && i > 0:
				case pickRefs == 1:
					for range 1 + rnd.IntN(6) {
						f.Subjects = append(f.Subjects, all[rnd.IntN(len(all))])
					}
				default:
					for range 1 + rnd.IntN(6) {
						f.Objects = append(f.Objects, all[rnd.IntN(len(all))])
					}
				}
				for _, r := range relations {
					if rnd.IntN(3) == 0 {
						f.Relations = append(f.Relations, r)
					}
				}
				if rnd.IntN(2) == 0 {
					f.At = at()
				}
				f.OnlyOpen = rnd.IntN(5) == 0
				if rnd.IntN(8) == 0 {
					f.Source = fmt.Sprintf("s%d", 1+rnd.IntN(n))
				}
				want, err := tx.Edges(f)
				if err != nil {
					return err
				}
				got, err := snapEdges{snap}.Edges(f)
				if err != nil {
					return err
				}
				if diff := cmp.Diff(want, got, cmpopts.EquateEmpty(), cmpopts.IgnoreFields(org.Edge{}, "ID")); diff != "" {
					t.Errorf("edges of %+v differ (-tables +memory):\n%s", f, diff)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 300 {
			in := incident.Incident{ID: incident.ID(fmt.Sprint(i)), Severity: incident.SEV2, StartedAt: at().Add(time.Duration(rnd.IntN(3600)) * time.Second)}
			for range 1 + rnd.IntN(3) {
				r := refs[rnd.IntN(len(refs))]
				if rnd.IntN(20) == 0 {
					r = "component:default/nowhere"
				}
				in.Entities = append(in.Entities, incident.FailedEntity{Ref: r})
			}
			err := db.View(ctx, func(tx *store.Tx) error {
				want, err := walk(tx, &in)
				if err != nil {
					return err
				}
				whole, err := orgTables(tx, in.StartedAt)
				if err != nil {
					return err
				}
				if diff := cmp.Diff(whole, snapAt{snap, in.StartedAt}.wholeOrg(), cmpopts.EquateEmpty(), ignoreChartIndexes); diff != "" {
					t.Errorf("incident %d: the whole org at its start differs (-tables +memory):\n%s", i, diff)
				}
				for _, from := range []struct {
					name string
					snap *orgSnapshot
				}{{"surroundings", nil}, {"memory", snap}} {
					got, err := a.factsFrom(tx, orgView{tx, from.snap}, &in)
					if err != nil {
						return err
					}
					if diff := cmp.Diff(want, got, cmpopts.EquateEmpty(), ignoreChartIndexes); diff != "" {
						t.Errorf("incident %d: facts differ (-walk +%s):\n%s", i, from.name, diff)
					}
					if blame.Suggest(got).Party != blame.Suggest(want).Party {
						t.Errorf("incident %d: suggestions differ (walk, %s)", i, from.name)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}

// ignoreChartIndexes leaves out of a comparison of charts the indexes
// NewChart derives from their teams, which are compared.
var ignoreChartIndexes = cmpopts.IgnoreUnexported(org.Chart{})
