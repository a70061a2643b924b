package notify

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestGuardRefusesPrivateTargets: without AllowPrivate, no outbound
// request reaches loopback, private, link-local or unspecified addresses,
// by literal, by a name resolving to one, or by a redirect to one; each
// refusal is permanent. The receiver on loopback counts what arrives, so a
// guard that let one through would show.
func TestGuardRefusesPrivateTargets(t *testing.T) {
	var hits atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer recv.Close()
	port := recv.URL[strings.LastIndex(recv.URL, ":")+1:]
	// The redirector is the one address exempted; it sends every request
	// on to the loopback receiver.
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, recv.URL+"/hook", http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	redirAddr := netip.MustParseAddrPort(strings.TrimPrefix(redirector.URL, "http://"))

	targets := []struct {
		name, url, reason string
	}{
		{"loopback", recv.URL + "/hook", "loopback"},
		{"RFC 1918", "http://10.1.2.3:9/hook", "private"},
		{"RFC 1918 192.168", "http://192.168.0.10/hook", "private"},
		{"link-local metadata", "http://169.254.169.254/latest/meta-data", "link-local"},
		{"IPv6 loopback", "http://[::1]:" + port + "/hook", "loopback"},
		{"IPv6 ULA", "http://[fd00::1]:9/hook", "private"},
		{"IPv4-mapped loopback", "http://[::ffff:127.0.0.1]:" + port + "/hook", "loopback"},
		{"unspecified", "http://0.0.0.0:" + port + "/hook", "unspecified"},
		{"name resolving to loopback", "http://localhost:" + port + "/hook", "loopback"},
		{"redirect to loopback", redirector.URL + "/start", "loopback"},
	}
	for _, tt := range targets {
		t.Run(tt.name, func(t *testing.T) {
			s := &Sender{WebhookURL: tt.url, WebhookSecret: []byte("k"), Timeout: 5 * time.Second,
				exempt: func(ap netip.AddrPort) bool { return ap == redirAddr }}
			err := s.Send(context.Background(), Webhook, Message{ID: "m1", Kind: "test", Payload: []byte(`{}`)}, time.Now())
			var b *BlockedError
			if !errors.As(err, &b) || b.Reason != tt.reason {
				t.Fatalf("Send = %v, want a refusal of a %s address", err, tt.reason)
			}
			if !IsPermanent(err) {
				t.Errorf("a refused address is not permanent: %v", err)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the loopback receiver got %d requests through the guard", n)
	}

	// With AllowPrivate, the same receiver is reached, also by redirect.
	for _, u := range []string{recv.URL + "/hook", "http://localhost:" + port + "/hook", redirector.URL + "/start"} {
		s := &Sender{WebhookURL: u, WebhookSecret: []byte("k"), AllowPrivate: true}
		if err := s.Send(context.Background(), Webhook, Message{ID: "m1", Kind: "test", Payload: []byte(`{}`)}, time.Now()); err != nil {
			t.Errorf("AllowPrivate to %s: %v", u, err)
		}
	}
	if n := hits.Load(); n != 3 {
		t.Errorf("with AllowPrivate the receiver got %d requests, want 3", n)
	}
}

func TestBlockedRanges(t *testing.T) {
	tests := map[string]string{
		"127.0.0.1": "loopback", "10.0.0.1": "private", "172.16.5.4": "private", "192.168.1.1": "private",
		"169.254.169.254": "link-local", "100.64.0.1": "carrier-grade NAT", "0.0.0.0": "unspecified",
		"224.0.0.1": "multicast", "::1": "loopback", "fe80::1": "link-local", "fc00::1": "private",
		"ff02::1": "multicast", "::": "unspecified", "::ffff:10.0.0.1": "private",
		"8.8.8.8": "", "1.1.1.1": "", "2606:4700:4700::1111": "", "172.32.0.1": "",
	}
	for addr, want := range tests {
		if got := blocked(netip.MustParseAddr(addr)); got != want {
			t.Errorf("blocked(%s) = %q, want %q", addr, got, want)
		}
	}
}

// TestPostAnswers: 2xx is success, most 4xx are permanent, 5xx and 429
// are worth another try, and an error never repeats the URL's secret path.
func TestPostAnswers(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) }))
	defer srv.Close()
	s := &Sender{SlackURL: srv.URL + "/services/T000/B000/SECRETPATH", AllowPrivate: true}
	for _, tt := range []struct {
		status           int
		fails, permanent bool
	}{
		{200, false, false}, {204, false, false}, {400, true, true}, {404, true, true}, {410, true, true},
		{429, true, false}, {408, true, false}, {500, true, false}, {503, true, false},
	} {
		status = tt.status
		err := s.Send(context.Background(), Slack, Message{ID: "m", Kind: "k", Payload: []byte(`{"a":1}`)}, time.Now())
		if (err != nil) != tt.fails || IsPermanent(err) != tt.permanent {
			t.Errorf("answer %d: Send = %v (permanent %v)", tt.status, err, IsPermanent(err))
		}
		if err != nil && strings.Contains(err.Error(), "SECRETPATH") {
			t.Errorf("the error shows the URL's secret: %v", err)
		}
	}
	u, _ := url.Parse(srv.URL)
	s = &Sender{SlackURL: "ftp://" + u.Host + "/x", AllowPrivate: true}
	if err := s.Send(context.Background(), Slack, Message{ID: "m", Kind: "k"}, time.Now()); !IsPermanent(err) {
		t.Errorf("an ftp URL: %v, want a permanent error", err)
	}
}
