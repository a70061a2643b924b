package cli

import (
	"fmt"
	"net/url"
	"strings"
)

// progress returns a reporter for long work: on a terminal it redraws one
// line with a bar, elsewhere it prints a line at each tenth of the way.
func progress(e env, what string) func(done, total int) {
	tty := isTerminal(e.stderr)
	last := -1
	return func(done, total int) {
		if total <= 0 {
			return
		}
		pct := done * 100 / total
		switch {
		case tty:
			// \x1b[K clears what a longer line drawn before left behind.
			fmt.Fprintf(e.stderr, "\r%s\x1b[K", progressBar(what, done, total))
			if done == total {
				fmt.Fprintln(e.stderr)
			}
		case pct/10 != last/10 || done == total:
			if pct != last {
				fmt.Fprintf(e.stderr, "%s: %d/%d (%d%%)\n", what, done, total, pct)
			}
		}
		last = pct
	}
}

// progressBar is a terminal's progress line: "what [####------] 4/10 (40%)".
func progressBar(what string, done, total int) string {
	const width = 24
	done = min(max(done, 0), total)
	filled := done * width / total
	return fmt.Sprintf("%s [%s%s] %d/%d (%d%%)", what, strings.Repeat("#", filled), strings.Repeat("-", width-filled),
		done, total, done*100/total)
}

// redactDSN hides a PostgreSQL password when printing a DSN.
func redactDSN(dsn string) string {
	if !strings.HasPrefix(dsn, "postgres") {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://…"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
