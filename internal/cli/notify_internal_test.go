package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"blameful.dev/blameful/internal/notify"
)

// TestNotifyFlags: flags and BLAMEFUL_* variables make the sender, flags
// winning; every mistake is named by its flag, all at once.
func TestNotifyFlags(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	short := filepath.Join(dir, "short")
	if err := os.WriteFile(secret, []byte("a-webhook-secret-of-length\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(short, []byte("tiny\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	parse := func(envs map[string]string, args ...string) (*notify.Sender, error) {
		t.Helper()
		e := env{getenv: func(k string) string { return envs[k] }, stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
		fs := flagSet(e, "serve", "[flags]")
		nf := addNotifyFlags(e, fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return nf.sender()
	}

	s, err := parse(nil)
	if err != nil || len(s.Configured()) != 0 || s.AllowPrivate || s.Attempts() != notify.DefaultMaxAttempts {
		t.Errorf("no settings: %+v, %v", s, err)
	}
	s, err = parse(map[string]string{"BLAMEFUL_NOTIFY_SLACK": "https://hooks.slack.com/services/T/B/X", "BLAMEFUL_SMTP": "mail.example.com:587",
		"BLAMEFUL_SMTP_FROM": "blameful@example.com", "BLAMEFUL_NOTIFY_WEBHOOK": "https://hooks.example.com/blameful",
		"BLAMEFUL_WEBHOOK_SECRET_FILE": secret, "BLAMEFUL_NOTIFY_ALLOW_PRIVATE": "true", "BLAMEFUL_NOTIFY_MAX_ATTEMPTS": "5"},
		"--smtp", "relay.example.com:25")
	if err != nil || len(s.Configured()) != 3 || s.SMTP.Addr != "relay.example.com:25" || string(s.WebhookSecret) != "a-webhook-secret-of-length" ||
		!s.AllowPrivate || s.Attempts() != 5 {
		t.Errorf("from the environment: %+v, %v", s, err)
	}

	_, err = parse(nil, "--notify-slack", "hooks.slack.com/x", "--smtp", "mail.example.com", "--notify-webhook", "https://h.example.com",
		"--webhook-secret-file", short, "--notify-max-attempts", "0")
	for _, flag := range []string{"notify-slack", "smtp", "smtp-from", "webhook-secret-file", "notify-max-attempts"} {
		if err == nil || !strings.Contains(err.Error(), "--"+flag) && !strings.Contains(err.Error(), flag) {
			t.Errorf("the error does not name --%s: %v", flag, err)
		}
	}
	if _, err := parse(nil, "--notify-webhook", "https://h.example.com"); err == nil || !strings.Contains(err.Error(), "webhook-secret-file") {
		t.Errorf("a webhook without a secret: %v", err)
	}
	if _, err := parse(nil, "--smtp-from", "a@example.com"); err == nil {
		t.Error("--smtp-from without --smtp was accepted")
	}
}
