// Package policy reads blameful's policy file: the numbers behind the rules
// that an organisation may tune — J1's guidance arithmetic and J5's fairness
// thresholds, A5's inherited window, F2's due dates, F5's postmortem
// deadline and I1's late-declaration limit.
//
// The built-in policy is default.yaml, embedded, so the defaults are
// written down exactly once. A policy file is read on top of it: it needs
// only the keys it changes. Unknown keys and out-of-range values are errors
// naming the line, found when the server starts rather than when a rule
// first fires.
package policy

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"blameful.dev/blameful/internal/accountability"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/integrity"
)

// DefaultYAML is the built-in policy file.
//
//go:embed default.yaml
var DefaultYAML []byte

// Policy is the parsed policy.
type Policy struct {
	Accountability    accountability.Policy
	Integrity         integrity.Policy
	Due               followup.DuePolicy
	Chase             followup.ChasePolicy
	InheritedDays     int
	PostmortemDueDays int
}

// file mirrors the YAML.
type file struct {
	Version  int `yaml:"version"`
	Guidance struct {
		Base        map[string]int `yaml:"base"`
		PriorFaults struct {
			WindowDays int `yaml:"window_days"`
			One        int `yaml:"one"`
			Many       int `yaml:"many"`
			ManyFrom   int `yaml:"many_from"`
		} `yaml:"prior_faults"`
		SeverityBonus   map[string]int `yaml:"severity_bonus"`
		InheritedRelief int            `yaml:"recently_inherited_relief"`
		PolicyViolation struct {
			MajorAtLeast       int      `yaml:"major_at_least"`
			MajorSevereAtLeast int      `yaml:"major_severe_at_least"`
			SevereFor          []string `yaml:"severe_for"`
			MinorAdds          int      `yaml:"minor_adds"`
		} `yaml:"policy_violation"`
		IntegrityAtLeast int `yaml:"integrity_violation_at_least"`
	} `yaml:"guidance"`
	Fairness struct {
		MinDecisions  int     `yaml:"min_decisions"`
		MeanDeviation float64 `yaml:"mean_deviation"`
	} `yaml:"fairness"`
	Attribution struct {
		InheritedDays int `yaml:"inherited_days"`
	} `yaml:"attribution"`
	FollowUps struct {
		DueDays             map[string]int `yaml:"due_days"`
		RemindDaysBefore    int            `yaml:"remind_days_before"`
		EscalateUpAfterDays int            `yaml:"escalate_up_after_days"`
	} `yaml:"follow_ups"`
	Postmortems struct {
		DueBusinessDays int `yaml:"due_business_days"`
	} `yaml:"postmortems"`
	Integrity struct {
		LateDeclarationMinutes int      `yaml:"late_declaration_minutes"`
		LateDeclarationFor     []string `yaml:"late_declaration_for"`
	} `yaml:"integrity"`
}

// Default returns the built-in policy. It panics if default.yaml is broken,
// which is a programmer error caught by any test.
func Default() Policy {
	p, err := Parse("default.yaml", nil)
	if err != nil {
		panic(fmt.Sprintf("policy: built-in default: %v", err))
	}
	return p
}

// Parse reads a policy file over the defaults. name is used in messages;
// empty data gives the defaults.
func Parse(name string, data []byte) (Policy, error) {
	var f file
	if err := decodeStrict(DefaultYAML, &f); err != nil {
		return Policy{}, fmt.Errorf("built-in policy: %w", err)
	}
	lists := [][]string{f.Guidance.PolicyViolation.SevereFor, f.Integrity.LateDeclarationFor}
	f.Guidance.PolicyViolation.SevereFor, f.Integrity.LateDeclarationFor = nil, nil
	if len(bytes.TrimSpace(data)) > 0 {
		if err := decodeStrict(data, &f); err != nil {
			return Policy{}, errs.E(errs.Invalid, "%s: %s", name, yamlMessage(err))
		}
		if f.Version != 1 {
			return Policy{}, errs.E(errs.Invalid, "%s: version must be 1, not %d", name, f.Version)
		}
	}
	// A list in the file replaces the default list rather than adding to it.
	if f.Guidance.PolicyViolation.SevereFor == nil {
		f.Guidance.PolicyViolation.SevereFor = lists[0]
	}
	if f.Integrity.LateDeclarationFor == nil {
		f.Integrity.LateDeclarationFor = lists[1]
	}
	p, problems := f.policy()
	problems = append(problems, p.Accountability.Validate()...)
	if len(problems) > 0 {
		return Policy{}, errs.E(errs.Invalid, "%s: %s", name, strings.Join(problems, "; "))
	}
	return p, nil
}

func decodeStrict(data []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(v)
	if errors.Is(err, io.EOF) { // an empty or all-comment document
		return nil
	}
	return err
}

// yamlMessage shortens the YAML library's messages for people.
func yamlMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.ReplaceAll(msg, "unmarshal errors:\n  ", "")
	var out []string
	for _, line := range strings.Split(msg, "\n") {
		line = strings.TrimSpace(line)
		if m := unknownKey.FindStringSubmatch(line); m != nil {
			line = fmt.Sprintf("%s: unknown key %q (the keys are those of blameful policy show)", m[1], m[2])
		} else if m := wrongType.FindStringSubmatch(line); m != nil {
			got := m[3]
			if got == "" {
				got = map[string]string{"seq": "a list", "map": "a mapping", "str": "text"}[m[2]]
			}
			want := kinds[m[4]]
			if want == "" {
				want = "what this key takes"
			}
			line = fmt.Sprintf("%s: %s is not %s", m[1], got, want)
		}
		out = append(out, line)
	}
	return strings.Join(out, "; ")
}

var (
	unknownKey = regexp.MustCompile(`^(line \d+): field (\S+) not found in type`)
	wrongType  = regexp.MustCompile("^(line \\d+): cannot unmarshal !!(\\w+)(?: (.+))? into (\\S+)$")
	kinds      = map[string]string{"int": "a whole number", "float64": "a number", "[]string": "a list", "string": "text", "map[string]int": "a mapping of keys to whole numbers"}
)

func (f file) policy() (Policy, []string) {
	var problems []string
	sev := func(field, s string) incident.Severity {
		v, err := incident.ParseSeverity(s)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %q is not a severity", field, s))
		}
		return v
	}
	a := accountability.Policy{
		Base:            map[accountability.Expectation]int{},
		PriorOne:        f.Guidance.PriorFaults.One,
		PriorMany:       f.Guidance.PriorFaults.Many,
		PriorManyFrom:   f.Guidance.PriorFaults.ManyFrom,
		PriorWindowDays: f.Guidance.PriorFaults.WindowDays,
		SeverityBonus:   map[incident.Severity]int{},
		InheritedRelief: f.Guidance.InheritedRelief,
		MajorAtLeast:    f.Guidance.PolicyViolation.MajorAtLeast, MajorSevereAtLeast: f.Guidance.PolicyViolation.MajorSevereAtLeast,
		MinorAdd:             f.Guidance.PolicyViolation.MinorAdds,
		IntegrityAtLeast:     f.Guidance.IntegrityAtLeast,
		FairnessMinDecisions: f.Fairness.MinDecisions, FairnessMeanDeviation: f.Fairness.MeanDeviation,
	}
	for k, v := range f.Guidance.Base {
		e, err := accountability.ParseExpectation(k)
		if err != nil {
			problems = append(problems, fmt.Sprintf("guidance.base: %q is not yes, partially or no", k))
			continue
		}
		a.Base[e] = v
	}
	for k, v := range f.Guidance.SeverityBonus {
		a.SeverityBonus[sev("guidance.severity_bonus", k)] = v
	}
	for _, s := range f.Guidance.PolicyViolation.SevereFor {
		a.SevereFor = append(a.SevereFor, sev("guidance.policy_violation.severe_for", s))
	}
	ip := integrity.Policy{LateDeclaration: time.Duration(f.Integrity.LateDeclarationMinutes) * time.Minute}
	for _, s := range f.Integrity.LateDeclarationFor {
		ip.LateFor = append(ip.LateFor, sev("integrity.late_declaration_for", s))
	}
	if f.Integrity.LateDeclarationMinutes < 1 {
		problems = append(problems, "integrity.late_declaration_minutes: must be at least 1")
	}
	due := followup.DuePolicy{}
	for k, v := range f.FollowUps.DueDays {
		if v < 1 || v > 3650 {
			problems = append(problems, fmt.Sprintf("follow_ups.due_days.%s: %d must be from 1 to 3650", k, v))
		}
		due[sev("follow_ups.due_days", k)] = v
	}
	for _, s := range incident.Severities {
		if _, ok := due[s]; !ok {
			problems = append(problems, fmt.Sprintf("follow_ups.due_days: %s is missing", s))
		}
	}
	chase := followup.ChasePolicy{RemindDaysBefore: f.FollowUps.RemindDaysBefore, EscalateUpAfterDays: f.FollowUps.EscalateUpAfterDays}
	if chase.RemindDaysBefore < 0 || chase.RemindDaysBefore > 60 {
		problems = append(problems, fmt.Sprintf("follow_ups.remind_days_before: %d must be from 0 to 60", chase.RemindDaysBefore))
	}
	if chase.EscalateUpAfterDays < 2 || chase.EscalateUpAfterDays > 365 {
		problems = append(problems, fmt.Sprintf("follow_ups.escalate_up_after_days: %d must be from 2 to 365", chase.EscalateUpAfterDays))
	}
	if f.Attribution.InheritedDays < 1 {
		problems = append(problems, "attribution.inherited_days: must be at least 1 (to make inheriting no relief, set guidance.recently_inherited_relief to 0)")
	}
	if f.Postmortems.DueBusinessDays < 1 {
		problems = append(problems, "postmortems.due_business_days: must be at least 1")
	}
	return Policy{Accountability: a, Integrity: ip, Due: due, Chase: chase, InheritedDays: f.Attribution.InheritedDays,
		PostmortemDueDays: f.Postmortems.DueBusinessDays}, problems
}
