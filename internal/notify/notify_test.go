package notify

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"testing"
	"time"
)

var at = time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)

var reminder = Message{ID: "0193aaaa-0000-7000-8000-000000000001", Kind: "followup.reminder", Recipient: "user:default/ada",
	Payload:   []byte(`{"followup":"FU-2026-0007","title":"Add an alert <b>now</b> & *soon*","due":"2026-11-23","owner":"user:default/ada","incident":"INC-2026-0042","days":3}`),
	CreatedAt: at, To: []string{"ada@example.com"}}

// TestWebhookSignature: a receiver verifies what the sender signed, and
// rejects a replay of it later, a changed body, another secret and a
// malformed header.
func TestWebhookSignature(t *testing.T) {
	secret := []byte("s3cret")
	var got struct {
		header, delivery, event string
		body                    []byte
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.header, got.delivery, got.event = r.Header.Get("Blameful-Signature"), r.Header.Get("Blameful-Delivery"), r.Header.Get("Blameful-Event")
		got.body, _ = io.ReadAll(r.Body)
	}))
	defer srv.Close()
	s := &Sender{WebhookURL: srv.URL, WebhookSecret: secret, AllowPrivate: true}
	if err := s.Send(context.Background(), Webhook, reminder, at); err != nil {
		t.Fatal(err)
	}
	if got.delivery != Key(reminder.ID, Webhook) || got.event != "followup.reminder" {
		t.Errorf("headers: delivery %q event %q", got.delivery, got.event)
	}
	var env Envelope
	if err := json.Unmarshal(got.body, &env); err != nil || env.Delivery != got.delivery || env.Kind != reminder.Kind ||
		!strings.Contains(string(env.Payload), "FU-2026-0007") {
		t.Errorf("envelope %+v: %v", env, err)
	}
	if err := Verify(secret, got.header, got.body, at.Add(30*time.Second), DefaultTolerance); err != nil {
		t.Errorf("a genuine request: %v", err)
	}
	bad := []struct {
		name   string
		secret []byte
		header string
		body   []byte
		now    time.Time
	}{
		{"replayed six minutes later", secret, got.header, got.body, at.Add(6 * time.Minute)},
		{"from the future", secret, got.header, got.body, at.Add(-6 * time.Minute)},
		{"body changed", secret, got.header, append([]byte(" "), got.body...), at},
		{"another secret", []byte("other"), got.header, got.body, at},
		{"no header", secret, "", got.body, at},
		{"no signature", secret, "t=" + strings.Split(strings.TrimPrefix(got.header, "t="), ",")[0], got.body, at},
		{"timestamp moved", secret, strings.Replace(got.header, "t=", "t=1", 1), got.body, at},
	}
	for _, b := range bad {
		if err := Verify(b.secret, b.header, b.body, b.now, DefaultTolerance); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: Verify = %v, want ErrSignature", b.name, err)
		}
	}
	// Rotation: either of two signatures may match.
	rotated := Sign([]byte("old"), got.body, at) + ",v1=" + strings.Split(got.header, "v1=")[1]
	if err := Verify(secret, rotated, got.body, at, DefaultTolerance); err != nil {
		t.Errorf("a second v1 for the current secret: %v", err)
	}
}

// TestSlackMessage: Block Kit with a header, the text, fields, a button
// to the page and the key in a context line; payload text cannot make
// links or mentions; a private message shows nothing of its payload.
func TestSlackMessage(t *testing.T) {
	b, err := SlackMessage(reminder, "KEY", "https://blameful.example/")
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Text   string
		Blocks []map[string]any
	}
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, bl := range p.Blocks {
		types = append(types, bl["type"].(string))
	}
	if strings.Join(types, ",") != "header,section,section,actions,context" {
		t.Errorf("blocks %v", types)
	}
	s := string(b)
	for _, want := range []string{`"Follow-up FU-2026-0007 is due on 2026-11-23"`, `&lt;b&gt;now&lt;/b&gt; &amp;`, `"url":"https://blameful.example/incidents/INC-2026-0042"`,
		"*Owner*\\nuser:default/ada", "delivery KEY"} {
		if !strings.Contains(s, want) {
			t.Errorf("the Slack message lacks %s:\n%s", want, s)
		}
	}
	hr := Message{ID: "m2", Kind: "assessment.integrity", Recipient: "role:hr", Payload: []byte(`{"incident":"INC-1","subject":"user:default/mallory","level":3}`)}
	b, _ = SlackMessage(hr, "K2", "")
	if strings.Contains(string(b), "mallory") || strings.Contains(string(b), `"level"`) {
		t.Errorf("a private message shows its payload on Slack: %s", b)
	}
	// An unknown kind is a plain message of its fields.
	b, _ = SlackMessage(Message{ID: "m3", Kind: "something.new", Payload: []byte(`{"what":"a thing","n":2,"list":[1,2]}`)}, "K3", "")
	for _, want := range []string{`"blameful: something.new"`, "*What*\\na thing", "*N*\\n2", "*List*\\n[1,2]"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("unknown kind lacks %s: %s", want, b)
		}
	}
	// A weekly summary that is Block Kit already goes as it is.
	weekly := Message{ID: "m4", Kind: "review.weekly", Payload: []byte(`{"text":"Review 2026-W47","blocks":[{"type":"header","text":{"type":"plain_text","text":"Review 2026-W47"}}]}`)}
	b, _ = SlackMessage(weekly, "K4", "")
	if !strings.HasPrefix(string(b), `{"text":"Review 2026-W47","blocks":[{"type":"header"`) || !strings.Contains(string(b), "delivery K4") {
		t.Errorf("weekly: %s", b)
	}
}

// TestEmailMessage: the message parses as mail, with the headers and a
// multipart/alternative body of a text and an HTML part, and payload text
// cannot break out of the Subject or into the HTML.
func TestEmailMessage(t *testing.T) {
	m := reminder
	m.Payload = []byte(`{"followup":"FU-1\r\nBcc: victim@example.com","title":"<script>x</script>","days":0,"incident":"INC-2026-0042"}`)
	raw := EmailMessage(m, Key(m.ID, Email), "blameful@example.org", m.To, at, "https://b.example")
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	subject, _ := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if h.Get("Bcc") != "" || !strings.HasPrefix(subject, "[blameful] Follow-up FU-1  Bcc:") {
		t.Errorf("Subject %q, Bcc %q", h.Get("Subject"), h.Get("Bcc"))
	}
	if h.Get("Message-ID") != "<"+m.ID+".email@example.org>" || h.Get("To") != "ada@example.com" || h.Get("Date") != "Fri, 20 Nov 2026 14:00:00 +0000" {
		t.Errorf("headers %v", h)
	}
	_, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	parts := map[string]string{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		b, _ := io.ReadAll(p) // multipart decodes quoted-printable
		parts[ct] = string(b)
	}
	if !strings.Contains(parts["text/plain"], "Follow-up FU-1") || !strings.Contains(parts["text/plain"], "https://b.example/incidents/INC-2026-0042") {
		t.Errorf("text part:\n%s", parts["text/plain"])
	}
	if !strings.Contains(parts["text/html"], "&lt;script&gt;") || strings.Contains(parts["text/html"], "<script>") {
		t.Errorf("HTML part:\n%s", parts["text/html"])
	}
}

// TestWeeklyDigestByEmail: a digest laid out as Slack blocks reaches the
// other channels as its words, without Slack's escapes.
func TestWeeklyDigestByEmail(t *testing.T) {
	m := Message{ID: "m5", Kind: "review.weekly", Recipient: "channel", Payload: []byte(`{"week":"2026-W47","link":"/reviews/2026-W47","incidents":3,` +
		`"blocks":[{"type":"header","text":{"type":"plain_text","text":"Incident review 2026-W47"}},` +
		`{"type":"section","text":{"type":"mrkdwn","text":"*Incidents (3)*\n• Checkout &lt;down&gt; &amp; slow"}}]}`)}
	r := Render(m)
	if r.Title != "Weekly incident review 2026-W47" || r.Path != "/reviews/2026-W47" || len(r.Fields) != 0 ||
		r.Text != "Incident review 2026-W47\n*Incidents (3)*\n• Checkout <down> & slow" {
		t.Errorf("rendered %+v", r)
	}
	b, _ := SlackMessage(m, "K5", "")
	if !strings.HasPrefix(string(b), `{"text":"Weekly incident review 2026-W47","blocks":[{"type":"header"`) {
		t.Errorf("Slack: %s", b)
	}
}

func TestBackoff(t *testing.T) {
	for _, tt := range []struct {
		attempt int
		want    time.Duration
	}{{1, 30 * time.Second}, {2, time.Minute}, {3, 2 * time.Minute}, {7, 32 * time.Minute}, {8, time.Hour}, {30, time.Hour}} {
		lo, mid, hi := Backoff(tt.attempt, 0), Backoff(tt.attempt, 0.5), Backoff(tt.attempt, math.Nextafter(1, 0))
		if mid != tt.want || lo != tt.want*8/10 || hi > tt.want*12/10 || hi < tt.want*119/100 {
			t.Errorf("Backoff(%d) = %v..%v..%v, want %v ±20%%", tt.attempt, lo, mid, hi, tt.want)
		}
	}
}
