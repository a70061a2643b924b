package cli

import (
	"net"
	"net/mail"
	"net/url"
	"strconv"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/notify"
)

// notifyFlags are the outbound notification settings serve and jobs run
// share: where the outbox's messages are delivered.
type notifyFlags struct {
	slack, smtp, smtpFrom, webhook, secretFile *string
	allowPrivate                               *bool
	maxAttempts                                *int
	githubToken, githubAPI                     *string
}

func addNotifyFlags(e env, fs *flags) *notifyFlags {
	attempts := notify.DefaultMaxAttempts
	if n, err := strconv.Atoi(e.getenv("BLAMEFUL_NOTIFY_MAX_ATTEMPTS")); err == nil {
		attempts = n
	}
	return &notifyFlags{
		slack: fs.String("notify-slack", e.getenv("BLAMEFUL_NOTIFY_SLACK"),
			"Slack incoming webhook URL that gets every notification but audit checkpoints (env BLAMEFUL_NOTIFY_SLACK)"),
		smtp: fs.String("smtp", e.getenv("BLAMEFUL_SMTP"),
			"HOST:PORT of the mail server to email people through, with STARTTLS when it offers it (env BLAMEFUL_SMTP)"),
		smtpFrom: fs.String("smtp-from", e.getenv("BLAMEFUL_SMTP_FROM"),
			"the address notification emails come from; required with --smtp (env BLAMEFUL_SMTP_FROM)"),
		webhook: fs.String("notify-webhook", e.getenv("BLAMEFUL_NOTIFY_WEBHOOK"),
			"URL that gets every notification as a signed JSON POST (env BLAMEFUL_NOTIFY_WEBHOOK)"),
		secretFile: fs.String("webhook-secret-file", e.getenv("BLAMEFUL_WEBHOOK_SECRET_FILE"),
			"file whose first line is the secret that signs webhook requests; required with --notify-webhook (env BLAMEFUL_WEBHOOK_SECRET_FILE)"),
		allowPrivate: fs.Bool("notify-allow-private", e.getenv("BLAMEFUL_NOTIFY_ALLOW_PRIVATE") == "true",
			"let Slack and webhook notifications reach loopback, private and link-local addresses (env BLAMEFUL_NOTIFY_ALLOW_PRIVATE=true)"),
		maxAttempts: fs.Int("notify-max-attempts", attempts,
			"tries before a notification's delivery is dead (env BLAMEFUL_NOTIFY_MAX_ATTEMPTS)"),
		githubToken: fs.String("github-token", e.getenv("BLAMEFUL_GITHUB_TOKEN"),
			"GitHub token that creates the issues of follow-ups exported to GitHub (needs Issues: write) (env BLAMEFUL_GITHUB_TOKEN)"),
		githubAPI: fs.String("github-api", envOr(e, "BLAMEFUL_GITHUB_API", notify.DefaultGitHubAPI),
			"GitHub's REST API, for GitHub Enterprise Server: https://HOST/api/v3 (env BLAMEFUL_GITHUB_API)"),
	}
}

// sender checks the settings and returns the sender they describe; with
// none set it has no channel, and delivery passes do nothing. Every
// problem is reported at once, naming its flag.
func (f *notifyFlags) sender() (*notify.Sender, error) {
	var p errs.Problems
	s := &notify.Sender{AllowPrivate: *f.allowPrivate, MaxAttempts: *f.maxAttempts}
	if *f.maxAttempts < 1 || *f.maxAttempts > 100 {
		p.Add("notify-max-attempts", "--notify-max-attempts must be from 1 to 100, not %d", *f.maxAttempts)
	}
	if *f.slack != "" {
		if !isHTTPURL(*f.slack) {
			p.Add("notify-slack", "--notify-slack is not an http(s) URL such as https://hooks.slack.com/services/…")
		}
		s.SlackURL = *f.slack
	}
	if *f.smtp != "" {
		if host, port, err := net.SplitHostPort(*f.smtp); err != nil || host == "" || port == "" {
			p.Add("smtp", "--smtp %q is not HOST:PORT, such as mail.example.com:587", *f.smtp)
		}
		if a, err := mail.ParseAddress(*f.smtpFrom); err != nil || a.Name != "" {
			p.Add("smtp-from", "--smtp-from %q is not an email address; --smtp needs one to send from", *f.smtpFrom)
		}
		s.SMTP = notify.SMTP{Addr: *f.smtp, From: *f.smtpFrom}
	} else if *f.smtpFrom != "" {
		p.Add("smtp", "--smtp-from is set but --smtp, the mail server, is not")
	}
	if *f.webhook != "" {
		if !isHTTPURL(*f.webhook) {
			p.Add("notify-webhook", "--notify-webhook %q is not an http(s) URL", *f.webhook)
		}
		s.WebhookURL = *f.webhook
		if *f.secretFile == "" {
			p.Add("webhook-secret-file", "--webhook-secret-file is required with --notify-webhook: requests are always signed")
		} else if secret, err := readPasswordFile(*f.secretFile); err != nil {
			msg := err.Error()
			if e, ok := errs.As(err); ok {
				msg = e.Message
			}
			p.Add("webhook-secret-file", "%s", msg)
		} else if len(secret) < 16 {
			p.Add("webhook-secret-file", "the webhook secret in %s is shorter than 16 characters", *f.secretFile)
		} else {
			s.WebhookSecret = []byte(secret)
		}
	} else if *f.secretFile != "" {
		p.Add("notify-webhook", "--webhook-secret-file is set but --notify-webhook is not")
	}
	if *f.githubAPI != "" && !isHTTPURL(*f.githubAPI) {
		p.Add("github-api", "--github-api %q is not an http(s) URL such as %s", *f.githubAPI, notify.DefaultGitHubAPI)
	}
	s.GitHubToken, s.GitHubAPI = *f.githubToken, *f.githubAPI
	if err := p.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
