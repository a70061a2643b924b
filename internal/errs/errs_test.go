package errs_test

import (
	"errors"
	"fmt"
	"testing"

	"blameful.dev/blameful/internal/errs"
)

func TestIsThroughWraps(t *testing.T) {
	base := errs.E(errs.NotFound, "no incident INC-2026-0001")
	err := fmt.Errorf("show incident: %w", base)
	if !errors.Is(err, errs.NotFound) {
		t.Fatalf("errors.Is(%v, NotFound) = false", err)
	}
	if errors.Is(err, errs.Conflict) {
		t.Fatalf("errors.Is(%v, Conflict) = true", err)
	}
	if got := errs.KindOf(err); got != errs.NotFound {
		t.Fatalf("KindOf = %q", got)
	}
	if got := errs.KindOf(errors.New("disk on fire")); got != errs.Internal {
		t.Fatalf("KindOf(plain) = %q, want internal", got)
	}
}

func TestProblems(t *testing.T) {
	var p errs.Problems
	if p.Err() != nil {
		t.Fatal("empty Problems must give nil")
	}
	p.Add("severity", "must be one of SEV1, SEV2, SEV3, SEV4")
	p.AddRule("A1", "party", "exactly one accountable party is required")
	p.Add("severity", "ignored second problem")
	e, ok := errs.As(p.Err())
	if !ok || e.Kind != errs.Invalid || e.Rule != "A1" || len(e.Fields) != 2 {
		t.Fatalf("got %#v", e)
	}
	if e.Fields["severity"] != "must be one of SEV1, SEV2, SEV3, SEV4" {
		t.Fatalf("first problem per field must win, got %q", e.Fields["severity"])
	}
}
