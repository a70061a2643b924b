package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"blameful.dev/blameful/internal/audit"
	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/postmortem"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

var (
	ctx = context.Background()
	now = time.Date(2026, 11, 20, 12, 30, 15, 123456000, time.UTC)
	ref = org.MustRef
)

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		n, err := db.Migrate(ctx)
		if err != nil || n != 0 {
			t.Fatalf("second migrate applied %d, err %v", n, err)
		}
		applied, known, err := db.SchemaVersion(ctx)
		if err != nil || applied != known || applied == 0 {
			t.Fatalf("schema version %d of %d, err %v", applied, known, err)
		}
	})
}

func TestPeopleTeamsEdgesAsOf(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		handover := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		err := db.Update(ctx, func(tx *store.Tx) error {
			recorded(tx)
			for _, p := range []org.Person{{Ref: ref("user:ada"), Name: "Ada", Email: "ada@example.com"}, {Ref: ref("user:bob"), Name: "Bob", Left: handover}} {
				if err := tx.SavePerson(p, now); err != nil {
					return err
				}
			}
			if err := tx.SaveTeam(org.Team{Ref: ref("group:payments"), Name: "Payments"}, now); err != nil {
				return err
			}
			if err := tx.SaveEntity(catalog.Entity{Ref: ref("component:checkout"), Kind: catalog.Component, CodePaths: []string{"svc/checkout"}}, now); err != nil {
				return err
			}
			edges := []org.Edge{
				{ID: "e1", Relation: org.OwnedBy, Subject: ref("component:checkout"), Object: ref("user:bob"), Source: "org", To: handover},
				{ID: "e2", Relation: org.OwnedBy, Subject: ref("component:checkout"), Object: ref("group:payments"), Source: "org", From: handover},
				{ID: "e3", Relation: org.Leads, Subject: ref("user:ada"), Object: ref("group:payments"), Source: "org"},
			}
			for _, e := range edges {
				if err := tx.OpenEdge(e, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.View(ctx, func(tx *store.Tx) error {
			before, err := tx.Edges(store.EdgeFilter{Subjects: []org.Ref{ref("component:checkout")}, Relations: []org.Relation{org.OwnedBy}, At: handover.Add(-time.Second)})
			if err != nil {
				return err
			}
			if len(before) != 1 || before[0].Object != ref("user:bob") {
				t.Errorf("owner before handover: %+v", before)
			}
			after, err := tx.Edges(store.EdgeFilter{Subjects: []org.Ref{ref("component:checkout")}, Relations: []org.Relation{org.OwnedBy}, At: handover})
			if err != nil {
				return err
			}
			if len(after) != 1 || after[0].Object != ref("group:payments") || !after[0].From.Equal(handover) {
				t.Errorf("owner at handover: %+v", after)
			}
			owned, err := tx.Entities(store.EntityFilter{Owner: ref("group:payments"), OwnedAt: now})
			if err != nil || len(owned) != 1 || owned[0].CodePaths[0] != "svc/checkout" {
				t.Errorf("entities owned by payments: %+v %v", owned, err)
			}
			bob, err := tx.Person(ref("user:bob"))
			if err != nil || !bob.Left.Equal(handover) {
				t.Errorf("bob: %+v %v", bob, err)
			}
			roots, err := tx.RootTeams(now)
			if err != nil || len(roots) != 1 || roots[0] != ref("group:payments") {
				t.Errorf("roots: %v %v", roots, err)
			}
			if _, err := tx.Person(ref("user:nobody")); !errors.Is(err, errs.NotFound) {
				t.Errorf("missing person: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// One open edge per fact and source.
		err = db.Update(ctx, func(tx *store.Tx) error {
			return tx.OpenEdge(org.Edge{ID: "e4", Relation: org.Leads, Subject: ref("user:ada"), Object: ref("group:payments"), Source: "org"}, now)
		})
		if !errors.Is(err, errs.Conflict) {
			t.Fatalf("duplicate open edge: %v, want conflict", err)
		}
	})
}

func sampleIncident(id incident.ID, started time.Time) incident.Incident {
	return incident.Incident{
		ID: id, Title: "Checkout errors", Severity: incident.SEV2, Status: incident.StatusOpen, Source: "manual",
		StartedAt: started, DeclaredAt: started.Add(10 * time.Minute), CreatedBy: ref("user:ada"),
		CreatedAt: now, UpdatedAt: now,
		Entities: []incident.FailedEntity{{Ref: ref("component:checkout"), Origin: true}, {Ref: ref("resource:orders-db")}},
	}
}

func TestIncidentRoundTripAndPaging(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var ids []incident.ID
		err := db.Update(ctx, func(tx *store.Tx) error {
			recorded(tx)
			for i := range 5 {
				n, err := tx.NextSequence("incident-2026")
				if err != nil {
					return err
				}
				in := sampleIncident(incident.FormatID(2026, n), now.Add(-time.Duration(i)*time.Hour))
				if err := tx.CreateIncident(&in); err != nil {
					return err
				}
				ids = append(ids, in.ID)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if ids[0] != "INC-2026-0001" || ids[4] != "INC-2026-0005" {
			t.Fatalf("ids %v", ids)
		}
		err = db.View(ctx, func(tx *store.Tx) error {
			got, err := tx.Incident(ids[0])
			if err != nil {
				return err
			}
			want := sampleIncident(ids[0], now)
			want.StartedAt = now.Truncate(time.Microsecond)
			want.DeclaredAt = want.StartedAt.Add(10 * time.Minute)
			want.CreatedAt, want.UpdatedAt = want.StartedAt, want.StartedAt
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("round trip (-want +got):\n%s", d)
			}
			page1, err := tx.Incidents(incident.Filter{Limit: 2})
			if err != nil {
				return err
			}
			page2, err := tx.Incidents(incident.Filter{Limit: 2, AfterStarted: page1[1].StartedAt, AfterID: page1[1].ID})
			if err != nil {
				return err
			}
			if len(page1) != 2 || len(page2) != 2 || page1[0].ID != ids[0] || page2[0].ID != ids[2] {
				t.Errorf("paging: %v then %v", idsOf(page1), idsOf(page2))
			}
			byEntity, err := tx.Incidents(incident.Filter{Entity: ref("resource:orders-db")})
			if err != nil || len(byEntity) != 5 || len(byEntity[0].Entities) != 2 {
				t.Errorf("by entity: %d %v", len(byEntity), err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func idsOf(list []incident.Incident) []incident.ID {
	var out []incident.ID
	for _, in := range list {
		out = append(out, in.ID)
	}
	return out
}

func TestFailedWriteLeavesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		in := sampleIncident("INC-2026-0001", now)
		in.Entities = append(in.Entities, incident.FailedEntity{Ref: ref("component:cart"), Origin: true}) // second origin
		err := db.Update(ctx, func(tx *store.Tx) error { return tx.CreateIncident(&in) })
		if !errors.Is(err, errs.Conflict) {
			t.Fatalf("two origins: %v, want a conflict from the unique index", err)
		}
		err = db.View(ctx, func(tx *store.Tx) error {
			_, err := tx.Incident(in.ID)
			return err
		})
		if !errors.Is(err, errs.NotFound) {
			t.Fatalf("the incident must not exist after the failed write: %v", err)
		}
	})
}

func TestTimelinePostmortemFollowUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		in := sampleIncident("INC-2026-0001", now.Add(-time.Hour))
		err := db.Update(ctx, func(tx *store.Tx) error {
			recorded(tx)
			if err := tx.CreateIncident(&in); err != nil {
				return err
			}
			e := incident.Entry{ID: "t1", Incident: in.ID, OccurredAt: now.Add(-50 * time.Minute), RecordedAt: now, Author: ref("user:ada"),
				Kind: incident.EntryAlert, Text: "5xx rate above 5%", UpdatedAt: now}
			if err := tx.CreateEntry(&e); err != nil {
				return err
			}
			rev, err := e.Delete(ref("user:bob"), now.Add(time.Minute))
			if err != nil {
				return err
			}
			if err := tx.UpdateEntry(&e, rev); err != nil {
				return err
			}
			pm := postmortem.Postmortem{Incident: in.ID, State: postmortem.Draft, Summary: "s", UpdatedAt: now, UpdatedBy: ref("user:ada"),
				Factors: []postmortem.Factor{{Text: "retry storm", Party: ref("group:platform")}}}
			if err := tx.SavePostmortem(&pm); err != nil {
				return err
			}
			fu := followup.FollowUp{ID: "FU-2026-0001", Incident: in.ID, Title: "Add a breaker", Owner: ref("group:payments"),
				Due: time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC), Priority: followup.P2, Status: followup.Open, CreatedAt: now, CreatedBy: ref("user:ada")}
			return tx.CreateFollowUp(&fu)
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.View(ctx, func(tx *store.Tx) error {
			visible, err := tx.Entries(in.ID, false)
			if err != nil || len(visible) != 0 {
				t.Errorf("visible entries after delete: %d %v", len(visible), err)
			}
			all, err := tx.Entries(in.ID, true)
			if err != nil || len(all) != 1 || !all[0].Deleted || all[0].Revision != 1 {
				t.Errorf("all entries: %+v %v", all, err)
			}
			revs, err := tx.Revisions(in.ID)
			if err != nil || len(revs) != 1 || revs[0].Text != "5xx rate above 5%" || revs[0].Action != "delete" {
				t.Errorf("revisions: %+v %v", revs, err)
			}
			pm, err := tx.Postmortem(in.ID)
			if err != nil || pm.Factors[0].Party != ref("group:platform") {
				t.Errorf("postmortem: %+v %v", pm, err)
			}
			due, err := tx.FollowUps(followup.Filter{Status: followup.Open, DueBefore: time.Date(2026, 12, 21, 0, 0, 0, 0, time.UTC)})
			if err != nil || len(due) != 1 || !due[0].Due.Equal(time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("follow-ups due: %+v %v", due, err)
			}
			// A long list of owners goes as one parameter, a short one as
			// placeholders: the same answer either way.
			for _, n := range []int{1, 63, 64, 65, 5000} {
				owners := []org.Ref{ref("group:payments")}
				for i := 1; i < n; i++ {
					owners = append(owners, org.Ref(fmt.Sprintf("group:default/t%05d", i)))
				}
				slices.Reverse(owners)
				fus, err := tx.FollowUps(followup.Filter{Owners: owners})
				count, cerr := tx.CountFollowUps(followup.Filter{Owners: owners})
				if err != nil || cerr != nil || len(fus) != 1 || count != 1 {
					t.Errorf("%d owners: %d follow-ups, count %d, %v %v", n, len(fus), count, err, cerr)
				}
				none, err := tx.FollowUps(followup.Filter{Owners: owners[:n-1]})
				if err != nil || len(none) != 0 {
					t.Errorf("%d other owners: %d follow-ups, %v", n-1, len(none), err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestAuditAppendsChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for i := range 3 {
			err := db.Update(ctx, func(tx *store.Tx) error {
				tx.RecordAudit(audit.Entry{ID: "ev" + string(rune('a'+i)), At: now, Actor: "user:default/ada",
					Action: "incident.create", Subject: "INC-2026-0001", Data: []byte(`{"b":1,"a":[1, 2]}`)})
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		v := audit.NewVerifier()
		err := db.View(ctx, func(tx *store.Tx) error { return tx.AuditEvents(0, 0, v.Next) })
		if err != nil || v.Count() != 3 {
			t.Fatalf("verify: %v after %d events", err, v.Count())
		}
	})
}

// TestIncidentTextSearch: the same incidents on both engines, ASCII
// letters matched regardless of case, LIKE's wildcards taken literally.
func TestIncidentTextSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		titles := []string{"Checkout API 5xx", "checkout latency", "Café menu down", "100% CPU on search", "Stripe_webhooks"}
		err := db.Update(ctx, func(tx *store.Tx) error {
			for i, title := range titles {
				in := incident.Incident{ID: incident.FormatID(2026, i+1), Title: title, Severity: incident.SEV3, Status: incident.StatusOpen,
					Source: "manual", StartedAt: time.Date(2026, 11, 1, i, 0, 0, 0, time.UTC), DeclaredAt: time.Date(2026, 11, 1, i, 5, 0, 0, time.UTC),
					CreatedBy: "user:default/ada", CreatedAt: time.Date(2026, 11, 1, i, 5, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 11, 1, i, 5, 0, 0, time.UTC)}
				if err := tx.CreateIncident(&in); err != nil {
					return err
				}
			}
			recorded(tx)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for q, want := range map[string]int{"CHECKOUT": 2, "café": 1, "CAFÉ": 0, "100%": 1, "%": 1, "e_w": 1, "_": 1, "nothing": 0} {
			var got []incident.Incident
			if err := db.View(ctx, func(tx *store.Tx) (err error) { got, err = tx.Incidents(incident.Filter{Text: q}); return err }); err != nil {
				t.Fatal(err)
			}
			if len(got) != want {
				t.Errorf("%q: %d incidents, want %d", q, len(got), want)
			}
		}
	})
}
