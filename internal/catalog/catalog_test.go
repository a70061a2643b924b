package catalog

import (
	"testing"
	"time"

	"blameful.dev/blameful/internal/org"
)

func TestViewAsOf(t *testing.T) {
	co := org.MustRef("component:checkout")
	pay, shop := org.MustRef("group:payments"), org.MustRef("group:shop")
	handover := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	reimport := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	edges := []org.Edge{
		{Relation: org.OwnedBy, Subject: co, Object: pay, To: handover},
		{Relation: org.OwnedBy, Subject: co, Object: shop, From: handover, To: reimport, Source: "org"},
		// a second source re-asserting the same owner continues the run
		{Relation: org.OwnedBy, Subject: co, Object: shop, From: reimport, Source: "backstage"},
		{Relation: org.PartOf, Subject: co, Object: org.MustRef("system:store")},
	}
	e := Entity{Ref: co, Kind: Component}
	before := View(e, true, edges, handover.Add(-time.Minute))
	if len(before.Owners) != 1 || before.Owners[0].Owner != pay || !before.Owners[0].Since.IsZero() {
		t.Fatalf("before the handover: %+v", before.Owners)
	}
	after := View(e, true, edges, reimport.AddDate(0, 0, 10))
	if len(after.Owners) != 1 || after.Owners[0].Owner != shop || !after.Owners[0].Since.Equal(handover) {
		t.Fatalf("after: %+v, want shop since the handover", after.Owners)
	}
	if after.System != org.MustRef("system:store") {
		t.Fatalf("system = %q", after.System)
	}
}

func TestParseRef(t *testing.T) {
	if r, err := ParseRef("checkout"); err != nil || r != "component:default/checkout" {
		t.Fatalf("ParseRef(checkout) = %q, %v", r, err)
	}
	if _, err := ParseRef("user:ada"); err == nil {
		t.Fatal("a person is not an entity")
	}
}
