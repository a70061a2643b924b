package app_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/notify"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
	"blameful.dev/blameful/internal/testbin"
)

// These tests send email to a real mail server: Mailpit, built once into
// the user's cache and started per test on free loopback ports, then read
// back through its HTTP API. Without Go's module proxy the build fails:
// the tests are then skipped, unless CI=true, where they must run.

// mailpit is the real mail server the email tests send to.
var mailpitProgram = testbin.Program{Module: "github.com/axllent/mailpit@v1.33.1", Dir: "mailpit-v1.33.1", Name: "mailpit"}

func mailpitBinary(t *testing.T) string { return testbin.Path(t, mailpitProgram) }

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// mailpit is a running Mailpit: its SMTP address and its API's base URL.
type mailpit struct {
	smtp, api string
}

// startMailpit runs Mailpit; with tlsFiles (certificate, key) it offers
// STARTTLS and refuses mail without it. It is stopped, by its process,
// when the test ends.
func startMailpit(t *testing.T, tlsFiles ...string) mailpit {
	t.Helper()
	bin := mailpitBinary(t)
	mp := mailpit{smtp: freeAddr(t), api: "http://" + freeAddr(t)}
	args := []string{"--smtp", mp.smtp, "--listen", strings.TrimPrefix(mp.api, "http://"), "--database", filepath.Join(t.TempDir(), "mailpit.db"),
		"--disable-version-check", "--smtp-disable-rdns", "--quiet"}
	if len(tlsFiles) == 2 {
		args = append(args, "--smtp-tls-cert", tlsFiles[0], "--smtp-tls-key", tlsFiles[1], "--smtp-require-starttls")
	}
	cmd := exec.Command(bin, args...)
	if testing.Verbose() {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(mp.api + "/api/v1/messages")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return mp
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("Mailpit did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// mailpitMessage is what Mailpit's API tells of one message.
type mailpitMessage struct {
	ID        string
	MessageID string
	Subject   string
	From      struct{ Address string }
	To        []struct{ Name, Address string }
	Text      string
	HTML      string
}

func (mp mailpit) messages(t *testing.T) []mailpitMessage {
	t.Helper()
	var list struct {
		Messages []mailpitMessage `json:"messages"`
	}
	getJSON(t, mp.api+"/api/v1/messages", &list)
	var out []mailpitMessage
	for _, m := range list.Messages {
		var full mailpitMessage
		getJSON(t, mp.api+"/api/v1/message/"+m.ID, &full)
		out = append(out, full)
	}
	return out
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// their files and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestEmailThroughMailpit: a follow-up reminder for Ada is delivered by
// email to a real mail server, once over STARTTLS (which that server
// requires) and once to a server that does not offer it, and read back:
// subject, recipient, Message-ID from the idempotency key, and both the
// text and the HTML part. A second pass sends nothing more.
func TestEmailThroughMailpit(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	type mailCase struct {
		name     string
		starttls bool
		engine   store.Engine
	}
	var cases []mailCase
	for _, e := range storetest.Engines(t) {
		cases = append(cases, mailCase{"STARTTLS required/" + string(e), true, e}, mailCase{"no STARTTLS offered/" + string(e), false, e})
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			var mp mailpit
			s := &notify.Sender{SMTP: notify.SMTP{From: "blameful@example.org"}, BaseURL: "https://blameful.example"}
			if tt.starttls {
				mp = startMailpit(t, certFile, keyFile)
				s.SMTP.TLS = &tls.Config{RootCAs: pool}
			} else {
				mp = startMailpit(t)
			}
			s.SMTP.Addr = mp.smtp
			db := storetest.Open(t, tt.engine)
			a, _ := apptest.New(t, db)
			now := apptest.Start
			ids := enqueue(t, db, 1, "followup.reminder", "user:default/ada", now)
			rep := deliver(t, a, s, now)
			if rep.Delivered != 1 {
				t.Fatalf("report %+v; deliveries %+v", rep, deliveries(t, a, ""))
			}
			deliver(t, a, s, now.Add(time.Hour))

			msgs := mp.messages(t)
			if len(msgs) != 1 {
				t.Fatalf("Mailpit holds %d messages, want 1", len(msgs))
			}
			m := msgs[0]
			if m.Subject != "[blameful] Follow-up FU-2026-0001 is due on 2026-11-23" {
				t.Errorf("Subject %q", m.Subject)
			}
			if len(m.To) != 1 || m.To[0].Address != "ada@example.com" || m.From.Address != "blameful@example.org" {
				t.Errorf("To %+v, From %+v", m.To, m.From)
			}
			if want := notify.Key(ids[0], notify.Email) + "@example.org"; m.MessageID != want {
				t.Errorf("Message-ID %q, want %q", m.MessageID, want)
			}
			for _, want := range []string{"Add an alert", "Owner: user:default/ada", "https://blameful.example/incidents/INC-2026-0001"} {
				if !strings.Contains(m.Text, want) {
					t.Errorf("the text part lacks %q:\n%s", want, m.Text)
				}
			}
			for _, want := range []string{"<h2>Follow-up FU-2026-0001 is due on 2026-11-23</h2>", `<a href="https://blameful.example/incidents/INC-2026-0001">`} {
				if !strings.Contains(m.HTML, want) {
					t.Errorf("the HTML part lacks %q:\n%s", want, m.HTML)
				}
			}
		})
	}
	// The same server refuses a client that cannot verify its certificate:
	// STARTTLS never falls back to plain text.
	t.Run("untrusted certificate", func(t *testing.T) {
		mp := startMailpit(t, certFile, keyFile)
		s := &notify.Sender{SMTP: notify.SMTP{Addr: mp.smtp, From: "blameful@example.org"}}
		err := s.Send(context.Background(), notify.Email, notify.Message{ID: "m", Kind: "k", Payload: []byte(`{}`), To: []string{"ada@example.com"}}, time.Now())
		if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
			t.Errorf("Send = %v, want a STARTTLS failure", err)
		}
		if n := len(mp.messages(t)); n != 0 {
			t.Errorf("Mailpit got %d messages", n)
		}
	})
}
