package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"
)

// sendMail makes one SMTP delivery of m to its addresses: STARTTLS when
// the server offers it (and then a failed handshake is an error, never a
// fallback to plain text), no authentication (a relay that trusts the
// network, as mail servers next to an application usually do).
func (s *Sender) sendMail(ctx context.Context, m Message, key string, now time.Time) error {
	from, err := mail.ParseAddress(s.SMTP.From)
	if err != nil {
		return Permanent(fmt.Errorf("the sender address %q is not an email address", s.SMTP.From))
	}
	var to []string
	for _, a := range m.To {
		addr, err := mail.ParseAddress(a)
		if err != nil {
			return Permanent(fmt.Errorf("the recipient address %q is not an email address", a))
		}
		to = append(to, addr.Address)
	}
	if len(to) == 0 {
		return Permanent(errors.New("the recipient has no email address"))
	}
	body := EmailMessage(m, key, from.Address, to, now, s.BaseURL)
	host, _, err := net.SplitHostPort(s.SMTP.Addr)
	if err != nil {
		return Permanent(fmt.Errorf("the SMTP server %q is not HOST:PORT", s.SMTP.Addr))
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.SMTP.Addr)
	if err != nil {
		return fmt.Errorf("connect to the SMTP server: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("SMTP greeting: %w", err)
	}
	defer c.Close()
	if err := s.smtpSession(c, host, from.Address, to, body); err != nil {
		var te *textproto.Error
		if errors.As(err, &te) && te.Code >= 500 {
			return Permanent(err)
		}
		return err
	}
	return nil
}

func (s *Sender) smtpSession(c *smtp.Client, host, from string, to []string, body []byte) error {
	if err := c.Hello(or(s.SMTP.Hello, "localhost")); err != nil {
		return fmt.Errorf("EHLO: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
		if s.SMTP.TLS != nil {
			cfg = s.SMTP.TLS.Clone()
			if cfg.ServerName == "" {
				cfg.ServerName = host
			}
		}
		if err := c.StartTLS(cfg); err != nil {
			return fmt.Errorf("STARTTLS: %w", err)
		}
	}
	if err := c.Mail(from); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	for _, a := range to {
		if err := c.Rcpt(a); err != nil {
			return fmt.Errorf("RCPT TO %s: %w", a, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("end of message: %w", err)
	}
	return c.Quit()
}

// EmailMessage renders m as an RFC 5322 message with CRLF line ends:
// headers (From, To, Subject, Date, Message-ID derived from key), then a
// multipart/alternative body with a plain-text and an HTML part, both
// quoted-printable UTF-8. baseURL, when set, makes the page link absolute.
func EmailMessage(m Message, key, from string, to []string, now time.Time, baseURL string) []byte {
	r := Render(m)
	sum := sha256.Sum256([]byte(key))
	boundary := "blameful-" + hex.EncodeToString(sum[:12])
	domain := "blameful.invalid"
	if _, d, ok := strings.Cut(from, "@"); ok && d != "" {
		domain = d
	}
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, oneLine(v)) }
	header("From", (&mail.Address{Name: "blameful", Address: from}).String())
	header("To", strings.Join(to, ", "))
	header("Subject", mime.QEncoding.Encode("utf-8", "[blameful] "+r.Title))
	header("Date", now.UTC().Format(time.RFC1123Z))
	header("Message-ID", "<"+key+"@"+domain+">")
	header("Auto-Submitted", "auto-generated")
	header("X-Blameful-Delivery", key)
	header("X-Blameful-Event", m.Kind)
	header("MIME-Version", "1.0")
	header("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
	b.WriteString("\r\n")
	link := pageURL(baseURL, r.Path)
	part := func(ctype, content string) {
		fmt.Fprintf(&b, "--%s\r\nContent-Type: %s; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", boundary, ctype)
		qp := quotedprintable.NewWriter(&b)
		_, _ = qp.Write([]byte(strings.ReplaceAll(content, "\n", "\r\n")))
		_ = qp.Close()
		b.WriteString("\r\n")
	}
	part("text/plain", plainText(r, link, key))
	part("text/html", htmlText(r, link, key))
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.Bytes()
}

// oneLine keeps a header value on its line: payload text must not start
// a header of its own.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

func plainText(r Rendered, link, key string) string {
	var b strings.Builder
	b.WriteString(r.Title + "\n\n")
	if r.Text != "" {
		b.WriteString(r.Text + "\n\n")
	}
	for _, f := range r.Fields {
		fmt.Fprintf(&b, "%s: %s\n", f.Label, f.Value)
	}
	if link != "" {
		fmt.Fprintf(&b, "\n%s\n", link)
	}
	fmt.Fprintf(&b, "\n-- \nSent by blameful. Delivery %s.\n", key)
	return b.String()
}

func htmlText(r Rendered, link, key string) string {
	e := html.EscapeString
	var b strings.Builder
	b.WriteString("<!doctype html>\n<html><body style=\"font-family: sans-serif\">\n")
	fmt.Fprintf(&b, "<h2>%s</h2>\n", e(r.Title))
	if r.Text != "" {
		fmt.Fprintf(&b, "<p>%s</p>\n", strings.ReplaceAll(e(r.Text), "\n", "<br>\n"))
	}
	if len(r.Fields) > 0 {
		b.WriteString("<table>\n")
		for _, f := range r.Fields {
			fmt.Fprintf(&b, "<tr><th align=\"left\">%s</th><td>%s</td></tr>\n", e(f.Label), e(f.Value))
		}
		b.WriteString("</table>\n")
	}
	if link != "" {
		fmt.Fprintf(&b, "<p><a href=\"%s\">Open in blameful</a></p>\n", e(link))
	}
	fmt.Fprintf(&b, "<p style=\"color: #666; font-size: small\">Sent by blameful. Delivery %s.</p>\n</body></html>\n", e(key))
	return b.String()
}
