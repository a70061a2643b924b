package cli_test

import (
	"bytes"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"testing"

	"blameful.dev/blameful/internal/cli"
)

// TestHelp: help that was asked for goes to stdout with exit 0, and a
// verb's help shows that verb's flags only.
func TestHelp(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    []string // on stdout
		notWant []string // on stdout
	}{
		{"binary -h", []string{"-h"}, []string{"Usage: blameful COMMAND", "incident"}, nil},
		{"binary --help", []string{"--help"}, []string{"Usage: blameful COMMAND"}, nil},
		{"binary help", []string{"help"}, []string{"Usage: blameful COMMAND"}, nil},
		{"help names a command", []string{"help", "incident"}, []string{"Usage: blameful incident VERB", "show"}, nil},
		{"help names a verb", []string{"help", "incident", "show"}, []string{"Usage: blameful incident show ID"}, []string{"-title"}},
		{"command -h", []string{"incident", "-h"}, []string{"Usage: blameful incident VERB", "create", "list", "show"}, nil},
		{"command help", []string{"incident", "help"}, []string{"Usage: blameful incident VERB"}, nil},
		{"command help verb", []string{"incident", "help", "list"}, []string{"Usage: blameful incident list", "-limit"}, nil},
		{"verb -h", []string{"incident", "show", "-h"}, []string{"Usage: blameful incident show ID", "-db"}, []string{"-title", "-limit"}},
		{"verb -h after an argument", []string{"incident", "show", "INC-2026-0001", "-h"}, []string{"Usage: blameful incident show"}, nil},
		{"verb --help", []string{"audit", "verify", "--help"}, []string{"Usage: blameful audit verify", "-checkpoint", "-public-key"}, []string{"  -key", "  -out"}},
		{"postmortem show: its own flags only", []string{"postmortem", "show", "-h"}, []string{"Usage: blameful postmortem show ID", "-db"}, []string{"-party", "-justification", "-to "}},
		{"postmortem decide: its own flags only", []string{"postmortem", "decide", "-h"}, []string{"-party", "-justification"}, []string{"-to "}},
		{"followup list: its own flags only", []string{"followup", "list", "-h"}, []string{"-overdue", "-incident"}, []string{"-title", "-owner", "-due"}},
		{"person export: its own flags only", []string{"person", "export", "-h"}, []string{"Usage: blameful person export REF"}, []string{"-reason"}},
		{"version -h", []string{"version", "-h"}, []string{"Usage: blameful version"}, []string{"blameful dev", "revision"}},
		{"policy show -h", []string{"policy", "show", "-h"}, []string{"Usage: blameful policy show"}, []string{"guidance"}},
		{"policy check -h", []string{"policy", "check", "-h"}, []string{"Usage: blameful policy check [FILE]"}, nil},
		{"command without verbs", []string{"fairness", "--help"}, []string{"Usage: blameful fairness", "-db"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, nil, tt.args...)
			if code != 0 || errOut != "" {
				t.Fatalf("blameful %s: exit %d, stderr %q; want 0 and nothing", strings.Join(tt.args, " "), code, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("stdout has %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestHelpEveryVerb walks every command and every verb: -h prints its
// usage to stdout, nothing to stderr, and exits 0, without touching a
// database.
func TestHelpEveryVerb(t *testing.T) {
	verbs := cli.Verbs()
	names := make([]string, 0, len(verbs))
	for n := range verbs {
		names = append(names, n)
	}
	sort.Strings(names)
	env := map[string]string{"BLAMEFUL_DB": "sqlite:" + t.TempDir() + "/never-created.db"}
	check := func(args ...string) {
		t.Helper()
		code, out, errOut := run(t, env, args...)
		want := "Usage: blameful " + strings.Join(args[:len(args)-1], " ")
		if code != 0 || errOut != "" || !strings.HasPrefix(out, want) {
			t.Errorf("blameful %s: exit %d, stdout %q, stderr %q; want 0, %q…, nothing", strings.Join(args, " "), code, out, errOut, want)
		}
	}
	for _, name := range names {
		check(name, "-h")
		for _, v := range verbs[name] {
			check(name, v, "-h")
			check(name, v, "--help")
		}
	}
}

// TestUsageErrors: a mistake still gets the usage on stderr, nothing on
// stdout, and exit 2.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // on stderr
	}{
		{"no arguments", nil, "Usage: blameful COMMAND"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"help for an unknown command", []string{"help", "frobnicate"}, `unknown command "frobnicate"`},
		{"no verb", []string{"incident"}, "Usage: blameful incident VERB"},
		{"unknown verb", []string{"incident", "explode"}, `unknown verb "explode"`},
		{"unknown flag", []string{"incident", "create", "--no-such-flag"}, "flag provided but not defined: -no-such-flag"},
		{"another verb's flag", []string{"postmortem", "show", "INC-2026-0001", "--party", "user:ada"}, "flag provided but not defined: -party"},
		{"missing argument", []string{"incident", "show"}, "Usage: blameful incident show ID"},
		{"unexpected argument", []string{"version", "extra"}, `unexpected argument "extra"`},
		{"unknown import", []string{"import", "nothing"}, `unknown verb "nothing"`},
		{"policy check of nothing", []string{"policy", "check"}, "Usage: blameful policy check"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, nil, tt.args...)
			if code != 2 || out != "" || !strings.Contains(errOut, tt.want) {
				t.Errorf("blameful %s: exit %d, stdout %q, stderr %q; want 2, nothing, %q", strings.Join(tt.args, " "), code, out, errOut, tt.want)
			}
		})
	}
}

// TestVersion: version prints the version, then what Go recorded of the
// build; -ldflags "-X …cli.Version=v1.2.3" still sets the first line.
func TestVersion(t *testing.T) {
	code, out, errOut := run(t, nil, "version")
	if code != 0 || errOut != "" || !strings.HasPrefix(out, "blameful ") ||
		!strings.Contains(out, "go         "+runtime.Version()) || !strings.Contains(out, "revision") {
		t.Errorf("version: exit %d, stderr %q:\n%s", code, errOut, out)
	}

	saved := cli.Version
	cli.Version = "v1.2.3"
	t.Cleanup(func() { cli.Version = saved })
	if _, out, _ := run(t, nil, "version"); !strings.HasPrefix(out, "blameful v1.2.3\n") {
		t.Errorf("version with Version set at link time:\n%s", out)
	}
}

func TestWriteVersion(t *testing.T) {
	main := debug.Module{Path: "blameful.dev/blameful", Version: "(devel)"}
	tests := []struct {
		name     string
		settings []debug.BuildSetting
		want     []string
	}{
		{"clean checkout", []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "4374d43e"}, {Key: "vcs.time", Value: "2026-11-30T16:00:00Z"}, {Key: "vcs.modified", Value: "false"}},
			[]string{"blameful dev\n", "  module     blameful.dev/blameful (devel)\n", "  revision   4374d43e\n", "  committed  2026-11-30T16:00:00Z\n", "  go         go1.99.0 "}},
		{"uncommitted changes", []debug.BuildSetting{{Key: "vcs.revision", Value: "4374d43e"}, {Key: "vcs.modified", Value: "true"}},
			[]string{"  revision   4374d43e (modified)\n"}},
		{"no VCS stamp", nil, []string{"  revision   unknown (built without VCS information)\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			cli.WriteVersion(&b, "dev", &debug.BuildInfo{GoVersion: "go1.99.0", Main: main, Settings: tt.settings})
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("lacks %q:\n%s", w, b.String())
				}
			}
		})
	}
}
