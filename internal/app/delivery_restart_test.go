package app_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/notify"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// openShared opens (and migrates) the database at dsn as another process
// would, with its own pool.
func openShared(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestDeliveryRestartMidQueue: a server delivering a queue of 50 stops
// halfway, in the middle of a try (the receiver has the message, the
// server never records it) and with a batch claimed and not tried at all;
// a new server on the same database delivers the rest. Every message
// arrives; the only duplicates are of the try cut short, with its key.
func TestDeliveryRestartMidQueue(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			dsn := storetest.DSN(t, engine)
			now := apptest.Start
			db1 := openShared(t, dsn)
			ids := enqueue(t, db1, 50, "followup.reminder", "user:default/ada", now)
			recv := newReceiver(t, 0)
			recv.at(now)
			s := recv.sender()

			ctx, stop := context.WithCancel(context.Background())
			recv.onAccept = func(n int) {
				if n == 20 {
					stop() // the server goes down while the receiver answers
				}
			}
			first := app.New(db1, app.WithClock(func() time.Time { return now }))
			if _, err := first.DeliverOutbox(ctx, s, now); !errors.Is(err, context.Canceled) {
				t.Fatalf("the first server's pass ended with %v, want it cut short", err)
			}
			// And a pass that claimed a batch, then died before trying it.
			err := db1.Update(context.Background(), func(tx *store.Tx) error {
				_, err := tx.ClaimDeliveries(now, 5*time.Minute, "crashed-pass", []string{"webhook"}, 5)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			db1.Close()
			before, _ := recv.accepted()

			db2 := openShared(t, dsn)
			defer db2.Close()
			second := app.New(db2, app.WithClock(func() time.Time { return now }))
			rep := deliver(t, second, s, now)
			// Claims still leased are left alone until their lease ends.
			if rep.Delivered == 0 || rep.Delivered+len(before) >= 50 {
				t.Errorf("the second server delivered %d at once, with %d delivered before", rep.Delivered, len(before))
			}
			later := now.Add(6 * time.Minute)
			recv.at(later)
			deliver(t, second, s, later)

			keys, requests := recv.accepted()
			dups := 0
			for _, id := range ids {
				n := keys[notify.Key(id, notify.Webhook)]
				if n == 0 {
					t.Errorf("message %s never arrived", id)
				}
				dups += n - 1
			}
			if len(keys) != 50 || dups > 1 || requests != 50+dups {
				t.Errorf("receiver: %d keys, %d duplicates, %d requests", len(keys), dups, requests)
			}
			if left := deliveries(t, second, "pending"); len(left) != 0 {
				t.Errorf("%d deliveries still pending", len(left))
			}
			if done := deliveries(t, second, "delivered"); len(done) != 50 {
				t.Errorf("%d deliveries delivered, want 50", len(done))
			}
		})
	}
}

// TestDeliveryTwoServersAtOnce: two servers with their own pools deliver
// one queue at the same moment; each message reaches the receiver once.
func TestDeliveryTwoServersAtOnce(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			dsn := storetest.DSN(t, engine)
			now := apptest.Start
			dbs := []*store.DB{openShared(t, dsn), openShared(t, dsn)}
			for _, db := range dbs {
				defer db.Close()
			}
			ids := enqueue(t, dbs[0], 60, "followup.escalation", "user:default/bob", now)
			recv := newReceiver(t, 0)
			recv.delay = 2 * time.Millisecond // so that the passes overlap
			recv.at(now)
			s := recv.sender()
			reports := make([]app.DeliveryReport, 2)
			var wg sync.WaitGroup
			for i, db := range dbs {
				a := app.New(db, app.WithClock(func() time.Time { return now }))
				wg.Go(func() {
					rep, err := a.DeliverOutbox(context.Background(), s, now)
					if err != nil {
						t.Errorf("server %d: %v", i, err)
					}
					reports[i] = rep
				})
			}
			wg.Wait()
			keys, requests := recv.accepted()
			if len(keys) != len(ids) || requests != len(ids) {
				t.Errorf("receiver: %d keys in %d requests, want %d once each", len(keys), requests, len(ids))
			}
			for k, n := range keys {
				if n != 1 {
					t.Errorf("%s arrived %d times", k, n)
				}
			}
			if reports[0].Delivered+reports[1].Delivered != len(ids) {
				t.Errorf("reports %+v", reports)
			}
			t.Logf("%s: the servers delivered %d and %d", engine, reports[0].Delivered, reports[1].Delivered)
		})
	}
}
