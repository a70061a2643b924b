package store_test

import (
	"testing"

	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestPlanWithValues: on PostgreSQL the transaction that asks plans every
// statement with its values, and the next transaction on the same pool
// is back to PostgreSQL's default; on SQLite nothing changes.
func TestPlanWithValues(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		want := map[store.Engine][3]string{store.SQLite: {"", "", ""}, store.Postgres: {"auto", "force_custom_plan", "auto"}}[db.Engine()]
		var got [3]string
		err := db.View(ctx, func(tx *store.Tx) (err error) {
			if got[0], err = tx.PlanCacheMode(); err != nil {
				return err
			}
			if err := tx.PlanWithValues(); err != nil {
				return err
			}
			got[1], err = tx.PlanCacheMode()
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// The read pool holds few connections: some later transaction runs
		// on the same one.
		for range 8 {
			if err := db.View(ctx, func(tx *store.Tx) (err error) { got[2], err = tx.PlanCacheMode(); return err }); err != nil {
				t.Fatal(err)
			}
			if got[2] != want[2] {
				break
			}
		}
		if got != want {
			t.Errorf("plan_cache_mode before, after asking, in a later transaction: %q, want %q", got, want)
		}
	})
}
