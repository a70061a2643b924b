package incident

import "time"

// AlertEvent is the alert behind a timeline entry of kind alert: which
// alert fired or resolved, as its sender identified it.
type AlertEvent struct {
	// Entry is the timeline entry that shows the event.
	Entry    string
	Incident ID
	// Source is the sender (alertmanager, pagerduty, …).
	Source string
	// Key identifies the event within its group; a sender's retry repeats
	// it and is not recorded twice.
	Key         string
	Fingerprint string
	// Status is "firing" or "resolved".
	Status string
	// At is when the alert fired or resolved; ReceivedAt when it arrived.
	At         time.Time
	Labels     map[string]string
	ReceivedAt time.Time
	// LabelText is Labels as stored (JSON, keys sorted) when it was
	// encoded already; the store encodes it otherwise.
	LabelText string
}

// AlertGroup ties a sender's group of alerts to an incident it opened.
// The current one takes the group's new alerts.
type AlertGroup struct {
	Source   string
	Key      string
	Incident ID
	Current  bool
	OpenedAt time.Time
	// ResolvedAt is when the whole group last resolved (zero while any of
	// its alerts fires).
	ResolvedAt time.Time
}
