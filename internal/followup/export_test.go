package followup

import (
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/errs"
)

func TestParseRepo(t *testing.T) {
	ok := []string{"acme/checkout", "Codertocat/Hello-World", " a/b ", "octo-org/octo.repo_2", "a-b/.github"}
	for _, s := range ok {
		if got, err := ParseRepo(s); err != nil || got != strings.TrimSpace(s) {
			t.Errorf("ParseRepo(%q) = %q, %v", s, got, err)
		}
	}
	bad := []string{"", "acme", "acme/", "/checkout", "acme/check/out", "-acme/x", "acme-/x", "ac--me/x", "acme/..", "acme/.",
		"ac me/x", "acme/x y", strings.Repeat("a", 40) + "/x", "acme/" + strings.Repeat("x", 101), "acme/x\x00"}
	for _, s := range bad {
		if _, err := ParseRepo(s); errs.KindOf(err) != errs.Invalid || !strings.Contains(err.Error(), "repo") {
			t.Errorf("ParseRepo(%q): %v, want Invalid naming repo", s, err)
		}
	}
}

func TestParseLabels(t *testing.T) {
	got, err := ParseLabels([]string{" bug ", "", "bug", "SEV 2"})
	if err != nil || strings.Join(got, "|") != "bug|SEV 2" {
		t.Errorf("got %q, %v", got, err)
	}
	for name, in := range map[string][]string{
		"too long":  {strings.Repeat("x", MaxLabelBytes+1)},
		"two lines": {"a\nb"},
		"too many":  strings.Split("a,b,c,d,e,f,g,h,i,j,k", ","),
	} {
		if _, err := ParseLabels(in); errs.KindOf(err) != errs.Invalid {
			t.Errorf("%s: %v, want Invalid", name, err)
		}
	}
}

func TestSynced(t *testing.T) {
	now := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		from       Status
		action     string
		changed    bool
		to         Status
		wantReason string
	}{
		{"closed while open", Open, "closed", true, Done, "closed in GitHub: U"},
		{"closed while done", Done, "closed", false, Done, ""},
		{"closed while dropped", WontDo, "closed", false, WontDo, "dropped"},
		{"reopened while done", Done, "reopened", true, Open, "reopened in GitHub: U"},
		{"reopened while open", Open, "reopened", false, Open, ""},
		{"reopened while dropped", WontDo, "reopened", false, WontDo, "dropped"},
		{"edited", Open, "edited", false, Open, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := FollowUp{Status: tt.from}
			if tt.from == WontDo {
				f.Reason = "dropped"
			}
			changed := Synced(&f, tt.action, "U", now)
			if changed != tt.changed || f.Status != tt.to || f.Reason != tt.wantReason {
				t.Errorf("got %v %s %q, want %v %s %q", changed, f.Status, f.Reason, tt.changed, tt.to, tt.wantReason)
			}
			if f.Status == Done && changed && !f.ClosedAt.Equal(now) || f.Status == Open && !f.ClosedAt.IsZero() {
				t.Errorf("closed at %v", f.ClosedAt)
			}
		})
	}
}

func TestCheckExport(t *testing.T) {
	if err := CheckExport(nil); err != nil {
		t.Errorf("no prior export: %v", err)
	}
	for _, prior := range []Export{{FollowUp: "FU-2026-0001", Repo: "a/b", State: ExportPending},
		{FollowUp: "FU-2026-0001", Repo: "a/b", State: Exported, Number: 3, URL: "https://github.com/a/b/issues/3"}} {
		if err := CheckExport(&prior); errs.KindOf(err) != errs.Conflict {
			t.Errorf("%s: %v, want Conflict", prior.State, err)
		}
	}
}
