// Package notify delivers blameful's notifications outside the database:
// to a Slack incoming webhook as Block Kit messages, by email over SMTP,
// and to a signed outbound webhook. It is an outbound client only: the app
// decides what to send and to whom (it resolves a recipient reference to
// email addresses), keeps the delivery state, and retries; this package
// renders a message for a channel and makes one attempt.
//
// # Channels
//
// Slack gets every message except audit checkpoints, which are noise in a
// chat; a message addressed to a role (HR's notices) carries private facts
// and reaches Slack only as a notice that something is waiting, with no
// fields. Email goes to the addresses the app resolved; a message with none
// does not go by email. The webhook gets every message, checkpoints
// included, with its whole payload: treat its receiver as trusted as an
// administrator. GitHub (github.go) is a channel of another sort: it takes
// only the messages that ask for an issue (KindGitHubIssue), and they go
// nowhere else; its try creates the issue and returns it, so the app can
// link the follow-up. GitHub has no idempotency key, so the rare retry of
// a try whose answer was lost makes a second issue.
//
// # Idempotency
//
// Delivery is at least once, so a receiver may see a message twice. Each
// message has, per channel, a stable key (Key: the outbox message id, a
// dot, the channel) that every try of it carries: the webhook's
// Blameful-Delivery header, the email's Message-ID (<KEY@domain of the
// sender>), and the context line of a Slack message. A receiver drops a
// key it has already seen.
//
// # Webhook signature
//
// A webhook request is a POST of a JSON envelope (Envelope) with the
// headers
//
//	Blameful-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//	Blameful-Delivery:  <idempotency key>
//	Blameful-Event:     <message kind>
//
// A receiver recomputes the HMAC over the timestamp, a dot and the raw
// body, compares in constant time, and rejects a timestamp more than five
// minutes from its own clock, which stops a captured request from being
// replayed later. Verify does all of that.
//
// # Outbound safety
//
// Slack, webhook and GitHub requests go through a dialer that checks the address
// it actually connects to, after DNS resolution and on every redirect:
// loopback, link-local, private (RFC 1918, ULA), carrier-grade NAT,
// unspecified and multicast addresses are refused unless AllowPrivate is
// set. Proxies from the environment are not used, so the check always
// sees the real target. At most three redirects are followed.
package notify
