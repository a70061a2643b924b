package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// maxRedirects is how many redirects an outbound request follows.
const maxRedirects = 3

// BlockedError is the refusal of an outbound connection to an address
// that only AllowPrivate admits.
type BlockedError struct {
	Addr   netip.Addr
	Reason string
}

func (e *BlockedError) Error() string {
	return fmt.Sprintf("refusing to connect to %s: a %s address (allow it with --notify-allow-private)", e.Addr, e.Reason)
}

// blockedRanges are the ranges net/netip has no predicate for.
var blockedRanges = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "this-network"},
	{netip.MustParsePrefix("100.64.0.0/10"), "carrier-grade NAT"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("255.255.255.255/32"), "broadcast"},
}

// blocked says why a connection to addr is refused, or "" when it is not.
func blocked(addr netip.Addr) string {
	addr = addr.Unmap()
	switch {
	case addr.IsLoopback():
		return "loopback"
	case addr.IsUnspecified():
		return "unspecified"
	case addr.IsLinkLocalUnicast():
		return "link-local"
	case addr.IsPrivate():
		return "private"
	case addr.IsMulticast(), addr.IsLinkLocalMulticast(), addr.IsInterfaceLocalMulticast():
		return "multicast"
	}
	for _, r := range blockedRanges {
		if r.prefix.Contains(addr) {
			return r.reason
		}
	}
	return ""
}

// guard is a dialer's Control: it runs after DNS resolution, with the
// address about to be connected to, so a name resolving to a private
// address and a redirect to one are caught alike.
func (s *Sender) guard(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("refusing to connect to %q: not an IP address and port", address)
	}
	if s.exempt != nil && s.exempt(ap) {
		return nil
	}
	if why := blocked(ap.Addr()); why != "" {
		return &BlockedError{Addr: ap.Addr().Unmap(), Reason: why}
	}
	return nil
}

// httpClient returns the sender's client: its own transport, no proxy,
// the guard on every connection unless AllowPrivate, and few redirects.
func (s *Sender) httpClient() *http.Client {
	s.once.Do(func() {
		d := &net.Dialer{Timeout: 10 * time.Second}
		if !s.AllowPrivate {
			d.Control = s.guard
		}
		tr := &http.Transport{
			Proxy:                 nil, // a proxy would hide the real target from the guard
			DialContext:           d.DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 20 * time.Second,
			MaxIdleConns:          4,
			IdleConnTimeout:       30 * time.Second,
			ForceAttemptHTTP2:     true,
		}
		s.client = &http.Client{Transport: tr, CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("stopped after %d redirects", maxRedirects)
			}
			return nil
		}}
	})
	return s.client
}

// post sends body as JSON to target with extra headers. A 2xx answer is
// success; a 4xx other than 408, 425 and 429 is permanent, as is a
// refused address or a URL that is not http(s).
func (s *Sender) post(ctx context.Context, target string, body []byte, h http.Header) error {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Permanent(errors.New("the target is not an http(s) URL"))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return Permanent(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "blameful-notify")
	res, err := s.httpClient().Do(req)
	if err != nil {
		var b *BlockedError
		if errors.As(err, &b) {
			return Permanent(b)
		}
		// The URL may hold a secret (Slack's does): say where without it.
		return fmt.Errorf("POST to %s: %w", u.Host, unwrapURL(err))
	}
	defer res.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		return nil
	}
	err = fmt.Errorf("POST to %s: %s", u.Host, res.Status)
	if snippet = bytes.TrimSpace(snippet); len(snippet) > 0 {
		err = fmt.Errorf("%w: %s", err, snippet)
	}
	switch {
	case res.StatusCode == 408 || res.StatusCode == 425 || res.StatusCode == 429:
		return err
	case res.StatusCode >= 400 && res.StatusCode < 500:
		return Permanent(err)
	}
	return err
}

// unwrapURL drops url.Error's wrapping, which repeats the whole URL.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
