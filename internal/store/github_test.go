package store_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestClaimReceipt: a key is received once, and of several transactions
// claiming it at the same moment exactly one does; the others wait for it
// and find it taken.
func TestClaimReceipt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for range 4 {
			wg.Go(func() {
				err := db.Update(ctx, func(tx *store.Tx) error {
					ok, err := tx.ClaimReceipt("github", "delivery:x", "", now)
					if err != nil || !ok {
						return err
					}
					time.Sleep(50 * time.Millisecond) // hold the claim uncommitted while the others try
					mu.Lock()
					won++
					mu.Unlock()
					return tx.SetReceiptOutcome("github", "delivery:x", "recorded")
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if won != 1 {
			t.Fatalf("%d transactions claimed the key, want 1", won)
		}
		err := db.View(ctx, func(tx *store.Tx) error {
			got, err := tx.Receipt("github", "delivery:x")
			if err != nil || got != "recorded" {
				t.Errorf("receipt %q %v", got, err)
			}
			if _, err := tx.Receipt("github", "delivery:y"); !errors.Is(err, errs.NotFound) {
				t.Errorf("an unknown key: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestEntitiesOfRepo: a repository is found among code paths regardless
// of case and form, LIKE's wildcards in its name match only themselves,
// and a longer name is another repository.
func TestEntitiesOfRepo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
		entities := map[string][]string{
			"component:default/a": {"github.com/Acme/Check_Out"},
			"component:default/b": {"https://github.com/acme/check_out/tree/main/"},
			"component:default/c": {"github.com/acme/check_out-v2"},
			"component:default/d": {"github.com/acme/checkxout"},
			"component:default/e": {"gitlab.com/acme/check_out"},
		}
		err := db.Update(ctx, func(tx *store.Tx) error {
			recorded(tx)
			for ref, paths := range entities {
				if err := tx.SaveEntity(catalog.Entity{Ref: org.Ref(ref), Kind: catalog.Component, Title: ref, CodePaths: paths}, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.View(ctx, func(tx *store.Tx) error {
			list, err := tx.EntitiesOfRepo("acme/check_out")
			if err != nil {
				return err
			}
			var got []string
			for _, e := range list {
				got = append(got, string(e.Ref))
			}
			if strings.Join(got, " ") != "component:default/a component:default/b" {
				t.Errorf("entities of acme/check_out: %v", got)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestMigration0018KeepsDeliveries: SQLite rebuilds the delivery table to
// admit the GitHub channel; the deliveries already there survive it, and
// a channel that does not exist is still refused.
func TestMigration0018KeepsDeliveries(t *testing.T) {
	dsn := storetest.DSN(t, store.SQLite)
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.MigrateTo(ctx, 17); err != nil {
		t.Fatal(err)
	}
	ts := "'2026-11-20T14:00:00.000000Z'"
	storetest.Exec(t, dsn, `INSERT INTO outbox (id, kind, recipient, payload, created_at, next_attempt_at, dispatched_at)
		VALUES ('m1', 'followup.reminder', 'user:default/ada', '{}', `+ts+`, `+ts+`, `+ts+`)`)
	storetest.Exec(t, dsn, `INSERT INTO outbox_deliveries (id, message, channel, state, attempts, next_attempt_at, last_error, created_at, updated_at)
		VALUES ('d1', 'm1', 'slack', 'pending', 2, `+ts+`, 'HTTP 500', `+ts+`, `+ts+`)`)
	if err := db.MigrateTo(ctx, 18); err != nil {
		t.Fatalf("migrate to 0018: %v", err)
	}
	err = db.View(ctx, func(tx *store.Tx) error {
		d, err := tx.Delivery("d1")
		if err != nil || d.Channel != "slack" || d.Attempts != 2 || d.LastError != "HTTP 500" || d.Message.ID != "m1" {
			t.Errorf("the delivery after 0018: %+v %v", d, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	err = db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.Enqueue(store.OutboxMessage{ID: "m3", Kind: "github_issue", Recipient: "github:acme/x", Payload: []byte(`{}`), CreatedAt: now}); err != nil {
			return err
		}
		_, err := tx.Dispatch("m3", []string{"d3"}, []string{"github"}, now)
		return err
	})
	if err != nil {
		t.Fatalf("a GitHub delivery: %v", err)
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.Enqueue(store.OutboxMessage{ID: "m4", Kind: "k", Recipient: "r", Payload: []byte(`{}`), CreatedAt: now}); err != nil {
			return err
		}
		_, err := tx.Dispatch("m4", []string{"d4"}, []string{"pigeon"}, now)
		return err
	})
	if errs.KindOf(err) != errs.Invalid {
		t.Errorf("an unknown channel: %v, want Invalid", err)
	}
}

// TestExportOfIssue: an exported follow-up is found by its repository,
// regardless of case, and issue number; a pending one is not.
func TestExportOfIssue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
		err := db.Update(ctx, func(tx *store.Tx) error {
			recorded(tx)
			if err := storeIncidentAndFollowUps(tx, now, "FU-2026-0001", "FU-2026-0002"); err != nil {
				return err
			}
			for _, e := range []followup.Export{
				{FollowUp: "FU-2026-0001", Tracker: followup.GitHub, Repo: "Acme/Shop", State: followup.Exported, Number: 4,
					URL: "https://github.com/Acme/Shop/issues/4", IssueState: "open", Message: "m1", RequestedBy: "user:default/ada",
					RequestedAt: now, ExportedAt: now},
				{FollowUp: "FU-2026-0002", Tracker: followup.GitHub, Repo: "acme/shop", State: followup.ExportPending, Message: "m2",
					RequestedBy: "user:default/ada", RequestedAt: now},
			} {
				if err := tx.CreateExport(&e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.View(ctx, func(tx *store.Tx) error {
			e, err := tx.ExportOfIssue(followup.GitHub, "acme/SHOP", 4)
			if err != nil || e.FollowUp != "FU-2026-0001" || !e.ExportedAt.Equal(now) {
				t.Errorf("issue 4: %+v %v", e, err)
			}
			if _, err := tx.ExportOfIssue(followup.GitHub, "acme/shop", 0); !errors.Is(err, errs.NotFound) {
				t.Errorf("a pending export found as an issue: %v", err)
			}
			if e, err := tx.ExportOfMessage("m2"); err != nil || e.State != followup.ExportPending {
				t.Errorf("by message: %+v %v", e, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.Update(ctx, func(tx *store.Tx) error {
			recorded(tx)
			e := followup.Export{FollowUp: "FU-2026-0001", Tracker: followup.GitHub, Repo: "x/y", State: followup.ExportPending, Message: "m9",
				RequestedBy: "user:default/ada", RequestedAt: now}
			return tx.CreateExport(&e)
		})
		if errs.KindOf(err) != errs.Conflict {
			t.Errorf("a second export of a follow-up: %v, want Conflict", err)
		}
	})
}

// storeIncidentAndFollowUps stores an incident with open follow-ups of
// the given ids.
func storeIncidentAndFollowUps(tx *store.Tx, now time.Time, ids ...followup.ID) error {
	in := sampleIncident("INC-2026-0001", now.Add(-time.Hour))
	if err := tx.CreateIncident(&in); err != nil {
		return err
	}
	for _, id := range ids {
		f := followup.FollowUp{ID: id, Incident: in.ID, Title: "Cap the pool", Owner: ref("group:payments"), Due: followup.Day(now).AddDate(0, 0, 30),
			Priority: followup.P2, Status: followup.Open, CreatedAt: now, CreatedBy: ref("user:ada")}
		if err := tx.CreateFollowUp(&f); err != nil {
			return err
		}
	}
	return nil
}
