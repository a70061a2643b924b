-- 0018_github: what blameful keeps of GitHub. Inbound, the webhook's
-- deliveries are received once: a receipt per delivery, and per deployment
-- status, is written in the same transaction as whatever the delivery
-- changed, so a replay (GitHub's "redeliver", or the same status sent
-- twice) finds its receipt and changes nothing. Outbound, a follow-up
-- exported to GitHub Issues keeps its link to the issue, pending until the
-- outbox's GitHub channel has created it.

-- One thing received from a source, under the source's own key: a
-- delivery ("delivery:<X-GitHub-Delivery>") or an object a delivery was
-- about ("deployment_status:<id>"). outcome says what was made of it.
-- Receipts are bookkeeping, not accountable facts: the facts they led to
-- (a change, a follow-up closed) carry their own audit events.
CREATE TABLE hook_receipts (
    source      TEXT NOT NULL,
    key         TEXT NOT NULL,
    received_at TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    PRIMARY KEY (source, key)
);

-- A follow-up exported to an external tracker (GitHub Issues for now),
-- one export per follow-up. state is 'pending' from the request until the
-- issue exists, then 'exported' with its number and URL; message is the
-- outbox message that creates it, whose delivery tells how it is going.
-- issue_state is the issue's state as GitHub last told us (open, closed).
-- An accountable table (store/rowstate.go).
CREATE TABLE followup_exports (
    followup     TEXT PRIMARY KEY REFERENCES followups (id),
    tracker      TEXT NOT NULL CHECK (tracker IN ('github')),
    repo         TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'exported')),
    issue_number INTEGER NOT NULL DEFAULT 0,
    url          TEXT NOT NULL DEFAULT '',
    issue_state  TEXT NOT NULL DEFAULT '',
    message      TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    exported_at  TEXT
);
-- The issues webhook finds the follow-up by repository and issue number;
-- GitHub's names are case-insensitive.
CREATE UNIQUE INDEX followup_exports_issue ON followup_exports (tracker, lower(repo), issue_number) WHERE state = 'exported';

-- The outbox gets a channel of its own for GitHub: a follow-up's issue
-- goes there and nowhere else. SQLite cannot change a CHECK constraint in
-- place, so the delivery table is rebuilt with the same columns and
-- indexes.
CREATE TABLE outbox_deliveries_new (
    id              TEXT PRIMARY KEY,
    message         TEXT NOT NULL REFERENCES outbox (id),
    channel         TEXT NOT NULL CHECK (channel IN ('slack', 'email', 'webhook', 'github')),
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_until   TEXT,
    claim           TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT '',
    delivered_at    TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (message, channel)
);
INSERT INTO outbox_deliveries_new SELECT id, message, channel, state, attempts, next_attempt_at, claimed_until, claim,
    last_error, delivered_at, created_at, updated_at FROM outbox_deliveries;
DROP TABLE outbox_deliveries;
ALTER TABLE outbox_deliveries_new RENAME TO outbox_deliveries;
CREATE INDEX outbox_deliveries_due ON outbox_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_deliveries_state ON outbox_deliveries (state, created_at);
-- A follow-up's export reads the deliveries of its message.
CREATE INDEX outbox_deliveries_message ON outbox_deliveries (message);
