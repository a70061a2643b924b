-- 0017_ingest: alerts from the tools that send them (issue 9).
--
-- alert_groups ties a sender's group of alerts (Alertmanager's or
-- Grafana's groupKey, a PagerDuty incident, an Opsgenie alias) to the
-- incidents it opened: the one marked current is where the group's alerts
-- go, until a person resolves it and the group fires again. At most one
-- current incident per group, so two servers taking the same first alert
-- at once cannot open two incidents: the second waits for the first and
-- then fails, and takes the first's incident when it retries.
--
-- alert_events are the alert timeline entries' alert facts: which alert
-- (fingerprint), which event of it (event_key, what a sender's retry
-- repeats, so it is recorded once), its labels as sorted JSON (recurrence
-- matching and ownership drift read them) and when it arrived.
--
-- Both are accountable (store/rowstate.go): groups keyed by incident,
-- events by their timeline entry. On SQLite the events are a WITHOUT ROWID
-- table: an alert storm writes one b-tree less per alert.

CREATE TABLE alert_groups (
    source      TEXT NOT NULL,
    group_key   TEXT NOT NULL,
    incident    TEXT NOT NULL REFERENCES incidents (id),
    current     INTEGER NOT NULL,
    opened_at   TEXT NOT NULL,
    resolved_at TEXT,
    PRIMARY KEY (source, group_key, incident)
);
CREATE UNIQUE INDEX alert_groups_current ON alert_groups (source, group_key) WHERE current = 1;
CREATE INDEX alert_groups_incident ON alert_groups (incident);

CREATE TABLE alert_events (
    entry       TEXT PRIMARY KEY REFERENCES timeline_entries (id),
    incident    TEXT NOT NULL REFERENCES incidents (id),
    source      TEXT NOT NULL,
    event_key   TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
    at          TEXT NOT NULL,
    labels      TEXT NOT NULL,
    received_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX alert_events_once ON alert_events (incident, event_key);
CREATE INDEX alert_events_fingerprint ON alert_events (fingerprint);

-- ingest_sources is, per source, when its last alert event was stored and
-- how many have been: derived data for the admins' integrations page,
-- written once per transaction rather than indexed per alert.
CREATE TABLE ingest_sources (
    source      TEXT PRIMARY KEY,
    last_at     TEXT NOT NULL,
    events      BIGINT NOT NULL
);
