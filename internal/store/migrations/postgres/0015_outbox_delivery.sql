-- 0015_outbox_delivery: the outbox's messages are delivered, at least once,
-- to every configured channel that applies (Slack, email, webhook). Each
-- message gets one delivery row per channel when a delivery pass first
-- sees it (dispatched_at then says so), and each row keeps its own state:
-- pending until the receiver accepts it (delivered) or it has failed too
-- often (dead). Delivery rows are bookkeeping, not accountable facts; the
-- message itself was written with the change that caused it, and an
-- administrator's retry is an audit event of its own.

-- When a delivery pass made the message's delivery rows; NULL until then.
ALTER TABLE outbox ADD COLUMN dispatched_at TIMESTAMPTZ;
-- The pass looks for undispatched messages, oldest first.
CREATE INDEX outbox_undispatched ON outbox (created_at) WHERE dispatched_at IS NULL;

-- One message on one channel. attempts counts the tries made (a try is
-- counted when it is claimed, so a process that dies mid-try still used
-- one); next_attempt_at is when the next may start. A pass claims a row by
-- setting claimed_until (a lease) and claim (its own token): no other pass
-- takes it until the lease runs out, so a crash releases it, and only the
-- claim's holder may record the outcome.
CREATE TABLE outbox_deliveries (
    id              TEXT PRIMARY KEY,
    message         TEXT NOT NULL REFERENCES outbox (id),
    channel         TEXT NOT NULL CHECK (channel IN ('slack', 'email', 'webhook')),
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    claimed_until   TIMESTAMPTZ,
    claim           TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT '',
    delivered_at    TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (message, channel)
);
-- What is due: pending rows by next attempt.
CREATE INDEX outbox_deliveries_due ON outbox_deliveries (next_attempt_at) WHERE state = 'pending';
-- The admin's list, newest first, by state.
CREATE INDEX outbox_deliveries_state ON outbox_deliveries (state, created_at);
