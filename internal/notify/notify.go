package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Channel is a way a message leaves blameful. Values are stored with each
// delivery.
type Channel string

// The channels.
const (
	Slack   Channel = "slack"
	Email   Channel = "email"
	Webhook Channel = "webhook"
)

// Channels lists every channel in the order deliveries are made.
var Channels = []Channel{Slack, Email, Webhook, GitHub}

// KindCheckpoint is the kind of audit checkpoint messages: they go to the
// webhook only.
const KindCheckpoint = "audit.checkpoint"

// DefaultMaxAttempts is how many tries a delivery gets before it is dead.
const DefaultMaxAttempts = 8

// Message is one outbox message as a channel sends it.
type Message struct {
	// ID is the outbox message's id; with the channel it makes the key.
	ID string
	// Kind says what happened ("followup.reminder", "audit.checkpoint").
	Kind string
	// Recipient is the reference the message is addressed to: a person, a
	// team, or a role ("role:hr").
	Recipient string
	// Payload is the message's JSON object.
	Payload   []byte
	CreatedAt time.Time
	// To holds the email addresses the app resolved the recipient to.
	To []string
}

// IsPrivate reports whether the message carries facts only its recipient
// may read: it is addressed to a role (HR's notices name subjects of
// assessments and integrity violations).
func (m Message) IsPrivate() bool { return strings.HasPrefix(m.Recipient, "role:") }

// Key returns the idempotency key of a message on a channel: the same on
// every try, different on each channel.
func Key(messageID string, ch Channel) string { return messageID + "." + string(ch) }

// SMTP is the email channel's server and sender.
type SMTP struct {
	// Addr is the server's HOST:PORT.
	Addr string
	// From is the sender's address.
	From string
	// TLS, when set, is the configuration STARTTLS uses (tests trust their
	// own certificate with it); its ServerName defaults to Addr's host.
	TLS *tls.Config
	// Hello is the name given in EHLO; "localhost" when empty.
	Hello string
}

// Sender holds the configured channels and makes delivery attempts. The
// zero value has no channel. A Sender is safe for concurrent use once
// configured; change no field after the first Send.
type Sender struct {
	// SlackURL is a Slack incoming webhook URL.
	SlackURL string
	// WebhookURL receives signed POSTs; WebhookSecret signs them.
	WebhookURL    string
	WebhookSecret []byte
	// SMTP, when Addr is set, sends email.
	SMTP SMTP
	// GitHubToken, when set, lets the GitHub channel create issues
	// (github.go) through GitHubAPI, DefaultGitHubAPI when empty.
	GitHubToken string
	GitHubAPI   string
	// AllowPrivate lets Slack and webhook requests reach loopback, private
	// and link-local addresses.
	AllowPrivate bool
	// BaseURL is where blameful's pages are, for links; none when empty.
	BaseURL string
	// MaxAttempts is the number of tries before a delivery is dead;
	// DefaultMaxAttempts when zero.
	MaxAttempts int
	// Timeout bounds one attempt; 20 seconds when zero.
	Timeout time.Duration

	once   sync.Once
	client *http.Client
	// exempt admits one address the guard would refuse (tests, which can
	// only run private receivers, of redirects from one to another).
	exempt func(netip.AddrPort) bool
}

// Configured returns the channels the sender has, in delivery order.
func (s *Sender) Configured() []Channel {
	var out []Channel
	if s == nil {
		return nil
	}
	if s.SlackURL != "" {
		out = append(out, Slack)
	}
	if s.SMTP.Addr != "" {
		out = append(out, Email)
	}
	if s.WebhookURL != "" {
		out = append(out, Webhook)
	}
	if s.GitHubToken != "" {
		out = append(out, GitHub)
	}
	return out
}

// Applies reports whether a message goes to a channel at all, judged by the
// message alone (whether the sender has the channel is Configured's
// question): checkpoints go only to the webhook, and email needs an
// address.
func Applies(ch Channel, m Message) bool {
	if m.Kind == KindGitHubIssue || ch == GitHub {
		// An issue to create is GitHub's business alone.
		return m.Kind == KindGitHubIssue && ch == GitHub
	}
	switch ch {
	case Slack:
		return m.Kind != KindCheckpoint
	case Email:
		return m.Kind != KindCheckpoint && len(m.To) > 0
	case Webhook:
		return true
	}
	return false
}

// Attempts returns MaxAttempts, or the default.
func (s *Sender) Attempts() int {
	if s.MaxAttempts > 0 {
		return s.MaxAttempts
	}
	return DefaultMaxAttempts
}

func (s *Sender) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return 20 * time.Second
}

// Send makes one attempt to deliver m on ch, at now (the webhook's
// signature time and the email's Date). A nil error means the receiver
// accepted it. An error for which IsPermanent is true will fail the same
// way on every try (a refused address, a 4xx answer).
func (s *Sender) Send(ctx context.Context, ch Channel, m Message, now time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	key := Key(m.ID, ch)
	switch ch {
	case Slack:
		if s.SlackURL == "" {
			return Permanent(errors.New("no Slack webhook is configured"))
		}
		body, err := SlackMessage(m, key, s.BaseURL)
		if err != nil {
			return Permanent(err)
		}
		return s.post(ctx, s.SlackURL, body, nil)
	case Email:
		if s.SMTP.Addr == "" {
			return Permanent(errors.New("no SMTP server is configured"))
		}
		return s.sendMail(ctx, m, key, now)
	case Webhook:
		if s.WebhookURL == "" {
			return Permanent(errors.New("no webhook is configured"))
		}
		body, err := WebhookBody(m, key)
		if err != nil {
			return Permanent(err)
		}
		h := http.Header{}
		h.Set("Blameful-Signature", Sign(s.WebhookSecret, body, now))
		h.Set("Blameful-Delivery", key)
		h.Set("Blameful-Event", m.Kind)
		return s.post(ctx, s.WebhookURL, body, h)
	case GitHub:
		_, err := s.CreateIssue(ctx, m)
		return err
	}
	return Permanent(fmt.Errorf("unknown channel %q", ch))
}

// Backoff returns how long to wait after the attempt-th failed try (1 for
// the first): 30 seconds doubled per try, at most an hour, spread by up to
// 20% either way by jitter, a number in [0, 1), so that many deliveries
// failing together do not all come back at the same moment.
func Backoff(attempt int, jitter float64) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	d = min(d, time.Hour)
	return time.Duration(float64(d) * (0.8 + 0.4*jitter))
}

// permanent marks an error that another try would meet again.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent marks err as one that trying again will not cure.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}
