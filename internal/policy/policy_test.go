package policy

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"blameful.dev/blameful/internal/accountability"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/integrity"
)

func TestDefaultIsProductMD(t *testing.T) {
	p := Default()
	if d := cmp.Diff(accountability.DefaultPolicy(), p.Accountability); d != "" {
		t.Errorf("guidance differs from PRODUCT.md's (-want +got):\n%s", d)
	}
	if d := cmp.Diff(integrity.DefaultPolicy(), p.Integrity); d != "" {
		t.Errorf("integrity differs (-want +got):\n%s", d)
	}
	if d := cmp.Diff(followup.DefaultDuePolicy(), p.Due); d != "" {
		t.Errorf("due dates differ (-want +got):\n%s", d)
	}
	if p.InheritedDays != 90 || p.PostmortemDueDays != 5 {
		t.Errorf("inherited %d, postmortem due %d", p.InheritedDays, p.PostmortemDueDays)
	}
}

func TestPartialFileOverrides(t *testing.T) {
	p, err := Parse("strict.yaml", []byte("version: 1\nguidance:\n  prior_faults:\n    one: 2\nintegrity:\n  late_declaration_minutes: 15\n  late_declaration_for: [SEV1]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Accountability.PriorOne != 2 || p.Accountability.PriorMany != 2 || p.Integrity.LateDeclaration != 15*time.Minute ||
		len(p.Integrity.LateFor) != 1 || p.Due[incident.SEV1] != 14 {
		t.Fatalf("got %+v", p)
	}
}

func TestBadFiles(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown key", "version: 1\nguidance:\n  prior_fault:\n    one: 2\n", `line 3: unknown key "prior_fault"`},
		{"text for a number", "version: 1\nfairness: {min_decisions: five}\n", "line 2: `five` is not a whole number"},
		{"list for a mapping", "version: 1\nfollow_ups: {due_days: [14]}\n", "line 2: a list is not a mapping"},
		{"wrong version", "version: 2\n", "version must be 1"},
		{"level out of range", "version: 1\nguidance:\n  policy_violation:\n    major_at_least: 7\n", "major_at_least: 7 is not a level"},
		{"bad severity", "version: 1\nfollow_ups:\n  due_days:\n    SEV7: 3\n", `"SEV7" is not a severity`},
		{"bad expectation", "version: 1\nguidance:\n  base:\n    maybe: 1\n", `"maybe"`},
		{"negative threshold", "version: 1\nfairness:\n  mean_deviation: -1\n", "fairness.mean_deviation"},
		{"not YAML", "version: [1\n", "strict.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("strict.yaml", []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "strict.yaml") {
				t.Fatalf("got %v, want an error naming the file and %q", err, tt.want)
			}
		})
	}
}

// TestReadmeShowsTheDefault keeps the README's policy section true.
func TestReadmeShowsTheDefault(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), string(DefaultYAML)) {
		t.Fatal("README.md does not show internal/policy/default.yaml verbatim; paste it into the policy section")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(string(DefaultYAML))
	f.Add("version: 1\nfairness: {min_decisions: 3}\n")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse("fuzz.yaml", []byte(s))
		if err != nil {
			return
		}
		if problems := p.Accountability.Validate(); len(problems) > 0 {
			t.Fatalf("accepted an invalid policy: %v", problems)
		}
	})
}
