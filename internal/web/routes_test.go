package web

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
)

// TestEveryRouteIsDocumented fails when an /api/v1 route is missing from
// the OpenAPI document, or the document describes a route that is not
// served.
func TestEveryRouteIsDocumented(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIJSON(), &doc); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	served := map[string]bool{}
	for _, rt := range (&Server{}).routes() {
		method, path, ok := strings.Cut(rt.pattern, " ")
		if !ok || !strings.HasPrefix(path, "/api/v1/") {
			continue
		}
		key := method + " " + path
		served[key] = true
		if !documented[key] {
			t.Errorf("route %s is missing from openapi.yaml", key)
		}
	}
	var extra []string
	for key := range documented {
		if !served[key] {
			extra = append(extra, key)
		}
	}
	sort.Strings(extra)
	for _, key := range extra {
		t.Errorf("openapi.yaml documents %s, which is not served", key)
	}
	if len(served) < 25 {
		t.Fatalf("only %d API routes found; is routes() being read?", len(served))
	}
}
