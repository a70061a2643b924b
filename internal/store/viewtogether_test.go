package store_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"

	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestViewTogether: reads made together share one transaction; a read
// inside a read, reads made at once from two goroutines, and reads after
// a failed one or after a write get their own, and a read after a write
// sees it.
func TestViewTogether(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		txOf := func(ctx context.Context) (*sql.Tx, error) {
			var got *sql.Tx
			err := db.View(ctx, func(tx *store.Tx) error {
				got = tx.SQLTx()
				_, err := tx.AllPeople()
				return err
			})
			return got, err
		}
		people := func(ctx context.Context) int {
			t.Helper()
			var n int
			if err := db.View(ctx, func(tx *store.Tx) error {
				p, err := tx.AllPeople()
				n = len(p)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return n
		}
		err := db.ViewTogether(ctx, func(ctx context.Context) error {
			first, err := txOf(ctx)
			if err != nil {
				return err
			}
			// A read whose own context ends does not end the others'.
			short, cancel := context.WithCancel(ctx)
			second, err := txOf(short)
			cancel()
			if err != nil {
				return err
			}
			third, err := txOf(ctx)
			if err != nil {
				return err
			}
			if first != second || second != third {
				t.Errorf("reads made together ran in %p, %p and %p; want one transaction", first, second, third)
			}
			var inner *sql.Tx
			if err := db.View(ctx, func(*store.Tx) (err error) { inner, err = txOf(ctx); return err }); err != nil {
				return err
			}
			if inner == first {
				t.Error("a read inside a read shared the transaction it was inside")
			}
			var wg sync.WaitGroup
			errs := make([]error, 4)
			for i := range errs {
				wg.Go(func() { _, errs[i] = txOf(ctx) })
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				return err
			}
			failed := errors.New("a read failed")
			if err := db.View(ctx, func(*store.Tx) error { return failed }); !errors.Is(err, failed) {
				t.Errorf("a failing read returned %v", err)
			}
			after, err := txOf(ctx)
			if err != nil {
				return err
			}
			if after == first {
				t.Error("a read after a failed one shared the transaction the failure was in")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.ViewTogether(ctx, func(ctx context.Context) error {
			before := people(ctx)
			if err := db.Update(ctx, func(tx *store.Tx) error {
				recorded(tx)
				return tx.SavePerson(org.Person{Ref: ref("user:zed"), Name: "Zed"}, now)
			}); err != nil {
				return err
			}
			if got := people(ctx); got != before+1 {
				t.Errorf("after adding a person, a read made together sees %d people, want %d", got, before+1)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := txOf(ctx); err != nil {
			t.Fatalf("a read after the reads made together: %v", err)
		}
	})
}
