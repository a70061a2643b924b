package store_test

import (
	"context"
	"testing"
	"time"

	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestDeliveryClaims: a message is dispatched once; a claim takes what is
// due on its channels and counts a try; a leased delivery is not claimed again until the
// lease runs out; only the claim's holder records the outcome; the list
// filters by state and kind and pages by id.
func TestDeliveryClaims(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
		update := func(fn func(tx *store.Tx) error) {
			t.Helper()
			if err := db.Update(ctx, fn); err != nil {
				t.Fatal(err)
			}
		}
		update(func(tx *store.Tx) error {
			return tx.Enqueue(store.OutboxMessage{ID: "m1", Kind: "k.one", Recipient: "user:default/ada", Payload: []byte(`{}`), CreatedAt: now})
		})
		update(func(tx *store.Tx) error {
			msgs, err := tx.Undispatched(10)
			if err != nil || len(msgs) != 1 {
				t.Fatalf("undispatched %v, %v", msgs, err)
			}
			if ok, err := tx.Dispatch("m1", []string{"d1", "d2"}, []string{"webhook", "slack"}, now); !ok || err != nil {
				t.Fatalf("dispatch: %v %v", ok, err)
			}
			if ok, err := tx.Dispatch("m1", []string{"d3"}, []string{"email"}, now); ok || err != nil {
				t.Fatalf("a second dispatch: %v %v", ok, err)
			}
			msgs, err = tx.Undispatched(10)
			if err != nil || len(msgs) != 0 {
				t.Fatalf("undispatched after dispatch: %v, %v", msgs, err)
			}
			return nil
		})
		var got []store.Delivery
		update(func(tx *store.Tx) (err error) {
			got, err = tx.ClaimDeliveries(now, time.Minute, "c0", []string{"email"}, 10)
			return err
		})
		if len(got) != 0 {
			t.Fatalf("a pass with email only claimed %+v", got)
		}
		update(func(tx *store.Tx) (err error) {
			got, err = tx.ClaimDeliveries(now, time.Minute, "c1", []string{"webhook", "slack"}, 1)
			return err
		})
		if len(got) != 1 || got[0].Attempts != 1 || got[0].Message.Kind != "k.one" || !got[0].ClaimedUntil.Equal(now.Add(time.Minute)) {
			t.Fatalf("first claim: %+v", got)
		}
		first := got[0].ID
		update(func(tx *store.Tx) (err error) {
			got, err = tx.ClaimDeliveries(now.Add(30*time.Second), time.Minute, "c2", []string{"slack", "webhook"}, 10)
			return err
		})
		if len(got) != 1 || got[0].ID == first {
			t.Fatalf("the second claim took %+v while %s was leased", got, first)
		}
		update(func(tx *store.Tx) error {
			if ok, err := tx.FinishDelivery(first, "c2", store.DeliveryDelivered, time.Time{}, "", now); ok || err != nil {
				t.Errorf("another claim recorded an outcome: %v %v", ok, err)
			}
			return nil
		})
		// The lease runs out: the first delivery is claimed again, and its
		// old claim can no longer record anything.
		update(func(tx *store.Tx) (err error) {
			got, err = tx.ClaimDeliveries(now.Add(2*time.Minute), time.Minute, "c3", []string{"email", "slack", "webhook"}, 10)
			return err
		})
		if len(got) != 2 || got[0].ID != first && got[1].ID != first {
			t.Fatalf("after the lease: %+v", got)
		}
		update(func(tx *store.Tx) error {
			if ok, _ := tx.FinishDelivery(first, "c1", store.DeliveryDelivered, time.Time{}, "", now); ok {
				t.Error("an expired claim recorded an outcome")
			}
			if ok, err := tx.FinishDelivery(first, "c3", store.DeliveryPending, now.Add(time.Hour), "500", now.Add(2*time.Minute)); !ok || err != nil {
				t.Errorf("the holder's outcome: %v %v", ok, err)
			}
			return nil
		})
		err := db.View(ctx, func(tx *store.Tx) error {
			for state, want := range map[string]int{"": 2, store.DeliveryFailed: 1, store.DeliveryPending: 2, store.DeliveryDead: 0} {
				list, err := tx.Deliveries(store.DeliveryFilter{State: state, Kind: "k.one"})
				if err != nil || len(list) != want {
					t.Errorf("state %q: %d deliveries, want %d (%v)", state, len(list), want, err)
				}
			}
			if list, _ := tx.Deliveries(store.DeliveryFilter{Kind: "other"}); len(list) != 0 {
				t.Errorf("kind filter: %+v", list)
			}
			page, _ := tx.Deliveries(store.DeliveryFilter{Limit: 1})
			rest, _ := tx.Deliveries(store.DeliveryFilter{Before: page[0].ID})
			if len(page) != 1 || len(rest) != 1 || rest[0].ID >= page[0].ID {
				t.Errorf("paging: %+v then %+v", page, rest)
			}
			d, err := tx.Delivery(first)
			if err != nil || d.LastError != "500" || d.Attempts != 2 || !d.NextAttempt.Equal(now.Add(time.Hour)) || !d.ClaimedUntil.IsZero() {
				t.Errorf("the failed delivery: %+v, %v", d, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
