package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/accountability"
	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/cli"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

func TestPrintable(t *testing.T) {
	tests := []struct {
		name, in, line, text string
	}{
		{"plain", "Checkout down — 5xx, ünïcode, \\ and \"quotes\"", "Checkout down — 5xx, ünïcode, \\ and \"quotes\"", "Checkout down — 5xx, ünïcode, \\ and \"quotes\""},
		{"empty", "", "", ""},
		{"ESC sequence", "a\x1b[2Jb", `a\x1b[2Jb`, `a\x1b[2Jb`},
		{"OSC title", "\x1b]0;owned\x07", `\x1b]0;owned\x07`, `\x1b]0;owned\x07`},
		{"NUL and DEL", "a\x00b\x7f", `a\x00b\x7f`, `a\x00b\x7f`},
		{"newline and tab", "a\nb\tc", `a\nb\tc`, "a\nb\tc"},
		{"carriage return", "a\rb\r\nc", `a\rb\r\nc`, "a\\rb\nc"},
		{"C1 CSI", "a\u009b31mb\u0085", `a\u009b31mb\u0085`, `a\u009b31mb\u0085`},
		{"bidi overrides and isolates", "\u202aa\u202eb\u2066c\u2069", `\u202aa\u202eb\u2066c\u2069`, `\u202aa\u202eb\u2066c\u2069`},
		{"invalid UTF-8", "a\x9bb\xff", `a\x9bb\xff`, `a\x9bb\xff`},
		{"a U+FFFD that was typed", "a\uFFFDb", "a\uFFFDb", "a\uFFFDb"},
		{"at both ends", "\x1bmiddle\u202e", `\x1bmiddle\u202e`, `\x1bmiddle\u202e`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cli.Printable(tt.in); got != tt.line {
				t.Errorf("Printable(%q) = %q, want %q", tt.in, got, tt.line)
			}
			if got := cli.PrintableText(tt.in); got != tt.text {
				t.Errorf("PrintableText(%q) = %q, want %q", tt.in, got, tt.text)
			}
		})
	}
	if got, want := cli.PrintableBlock("one\r\ntwo\x1b\n", "  "), "one\n  two\\x1b"; got != want {
		t.Errorf("PrintableBlock = %q, want %q", got, want)
	}
}

func TestPrintableJSON(t *testing.T) {
	in := map[string]string{"title": "a\x1b\x7f\u009b\u202e\u2069b\u2028"}
	js, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	got := cli.PrintableJSON(js)
	if want := `{"title":"a\u001b\u007f\u009b\u202e\u2069b\u2028"}`; string(got) != want {
		t.Errorf("PrintableJSON = %s, want %s", got, want)
	}
	var back map[string]string
	if err := json.Unmarshal(got, &back); err != nil || back["title"] != in["title"] {
		t.Errorf("escaped JSON decodes to %q (%v), want %q", back["title"], err, in["title"])
	}
}

// Text planted in the database the way a member (or an import file) could
// put it there: control sequences, C1 controls, bidi overrides, and a
// newline that would forge a line of its own.
const (
	evilLine    = "Card\x1b[2Jpay\u009b31m\u202eoff\x07\nDecided: nobody\x7f"
	evilLineOut = `Card\x1b[2Jpay\u009b31m\u202eoff\x07\nDecided: nobody\x7f`
	evilBody    = "first\x1b]0;owned\x07\r\nsecond\tline\u2066"
)

// TestStoredTextIsEscaped plants control characters in every kind of text
// the command line prints, and checks that no printer passes one through.
// It runs on SQLite only: the escaping is the printers', whatever the
// engine.
func TestStoredTextIsEscaped(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "blameful.db")
	env := map[string]string{"BLAMEFUL_DB": dsn}
	ids := plantText(t, env)
	inc, orphan := ids[0], ids[1]

	tests := []struct {
		args []string
		want []string // besides no raw controls
	}{
		{[]string{"incident", "show", inc}, []string{evilLineOut, "justification: first\\x1b]0;owned\\x07\n    second\tline\\u2066"}},
		{[]string{"incident", "list"}, []string{evilLineOut}},
		{[]string{"postmortem", "show", inc}, []string{evilLineOut, "Summary:\n  first\\x1b]0;owned\\x07\n  second\tline\\u2066\n"}},
		{[]string{"followup", "list"}, []string{evilLineOut}},
		{[]string{"assessment", "show", inc}, []string{"— first\\x1b]0;owned\\x07\n    second", "heard by user:default/cto (pending): first\\x1b"}},
		{[]string{"ledger", "user:cto"}, []string{orphan + " SEV3 " + evilLineOut, "due 2020-01-01, group:default/payments: " + evilLineOut, orphan + ": " + evilLineOut}},
		{[]string{"integrity", "list"}, []string{"  I6  open      " + inc + "  " + evilLineOut}},
		{[]string{"review", "week"}, []string{`Card\x1b\[2Jpay\u009b31m\u202eoff\x07 Decided: nobody\x7f`}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[:2], " "), func(t *testing.T) {
			code, out, errOut := run(t, env, tt.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if r, ok := rawControl(out, true); ok {
				t.Errorf("prints %U raw:\n%s", r, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("lacks %q:\n%s", w, out)
				}
			}
		})
	}

	// JSON escapes every control, and still carries the text unchanged.
	for _, args := range [][]string{{"review", "week", "--format", "json"}, {"person", "export", "user:ada"}} {
		t.Run(strings.Join(args[:2], " ")+" as JSON", func(t *testing.T) {
			code, out, errOut := run(t, env, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if r, ok := rawControl(out, false); ok {
				t.Errorf("prints %U raw:\n%s", r, out)
			}
			var doc any
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			if !holds(doc, evilLine) {
				t.Errorf("the planted text does not come back from the JSON:\n%s", out)
			}
		})
	}

	// An error message carrying stored or typed text is escaped too.
	code, _, errOut := run(t, env, "ledger", "user:no\x1b[2Jbody")
	if code != 1 {
		t.Errorf("ledger of a bad ref: exit %d", code)
	}
	if r, ok := rawControl(errOut, true); ok {
		t.Errorf("error prints %U raw: %q", r, errOut)
	}
}

// plantText makes an organisation, two incidents (one on an owned
// component, one on an orphan, so A4), a decision with a justification,
// an assessment with a decision and an appeal, a follow-up, an integrity
// flag and a fairness flag, and then overwrites their text with controls
// behind the product's back. It returns the two incidents' IDs.
func plantText(t *testing.T, env map[string]string) [2]string {
	t.Helper()
	dsn := env["BLAMEFUL_DB"]
	mustRun := func(args ...string) string {
		t.Helper()
		code, out, errOut := run(t, env, args...)
		if code != 0 {
			t.Fatalf("blameful %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		return strings.TrimSpace(out)
	}
	orgPath := filepath.Join(t.TempDir(), "org.yaml")
	if err := os.WriteFile(orgPath, []byte(orgFile+"  - {id: component:orphan}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun("import", "org", orgPath)
	started := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	inc := mustRun("incident", "create", "--title", "Checkout down", "--severity", "SEV2", "--started-at", started, "--entity", "component:checkout*")
	orphan := mustRun("incident", "create", "--title", "Orphan down", "--severity", "SEV3", "--started-at", started, "--entity", "component:orphan*")
	mustRun("postmortem", "decide", inc, "--party", "user:ada", "--justification", "plain")
	mustRun("postmortem", "decide", orphan, "--party", "user:cto")
	mustRun("followup", "create", "--incident", inc, "--title", "plain", "--owner", "group:payments")
	decideAndAppeal(t, dsn, incident.ID(inc))

	evidence, err := json.Marshal([]map[string]string{{"kind": "audit", "at": "2026-01-01T00:00:00Z", "detail": evilLine}})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`UPDATE incidents SET title = ?`, []any{evilLine}},
		{`UPDATE postmortems SET summary = ?`, []any{evilBody}},
		{`UPDATE attributions SET justification = ?`, []any{evilBody}},
		{`UPDATE assessment_decisions SET justification = ?`, []any{evilBody}},
		{`UPDATE appeals SET reason = ?`, []any{evilBody}},
		{`UPDATE followups SET title = ?, due = '2020-01-01'`, []any{evilLine}},
		{`UPDATE people SET name = ? WHERE ref = 'user:default/ada'`, []any{evilLine}},
		{`INSERT INTO fairness_flags (id, rule, about, raised_to, incident, detail, created_at)
		  VALUES ('fairness-1', 'A8', 'user:default/cto', 'user:default/cto', ?, ?, '2026-01-01T00:00:00.000000Z')`, []any{orphan, evilLine}},
		{`INSERT INTO integrity_flags (id, rule, incident, key, suspect, evidence, state, raised_at)
		  VALUES ('flag-1', 'I6', ?, 'planted', '', ?, 'open', '2026-01-01T00:00:00.000000Z')`, []any{inc, string(evidence)}},
	} {
		storetest.Exec(t, dsn, q.sql, q.args...)
	}
	return [2]string{inc, orphan}
}

// decideAndAppeal has the decider (ada's leader) decide the assessment at
// guidance, once judged, and ada appeal it, through the app as the API would.
func decideAndAppeal(t *testing.T, dsn string, id incident.ID) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a := app.New(db)
	v, err := a.Assessment(ctx, org.System("test"), id)
	if err != nil {
		t.Fatal(err)
	}
	lead := org.Actor{Ref: v.Decider, Roles: []org.Role{org.RoleMember, org.RoleLeader}}
	expected := accountability.Expected
	if v, err = a.SetFactors(ctx, lead, id, app.FactorsInput{ExpectedToPrevent: &expected}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.DecideAssessment(ctx, lead, id, v.Guidance.Level, "plain"); err != nil {
		t.Fatal(err)
	}
	ada := org.Actor{Ref: v.Subject, Roles: []org.Role{org.RoleMember}}
	if _, err := a.Appeal(ctx, ada, id, "plain"); err != nil {
		t.Fatal(err)
	}
}

// rawControl returns the first character in s that a terminal could obey
// or that reorders text: a C0 control other than newline and tab (when
// lines is set; JSON may not even hold those raw), DEL, a C1 control, a
// bidi control, or a byte of invalid UTF-8.
func rawControl(s string, lines bool) (rune, bool) {
	for i, r := range s {
		switch {
		case r == '\uFFFD' && !strings.HasPrefix(s[i:], "\uFFFD"):
			return rune(s[i]), true
		case lines && (r == '\n' || r == '\t'):
		case !lines && r == '\n':
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return r, true
		}
	}
	return 0, false
}

// holds reports whether the decoded JSON v has the string s anywhere.
func holds(v any, s string) bool {
	switch v := v.(type) {
	case string:
		return v == s
	case []any:
		for _, x := range v {
			if holds(x, s) {
				return true
			}
		}
	case map[string]any:
		for _, x := range v {
			if holds(x, s) {
				return true
			}
		}
	}
	return false
}
