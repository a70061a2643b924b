package web

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
)

// TestEveryStringHasAMaximum walks the OpenAPI document and fails at any
// string schema (a property, a parameter, a body, a list's items) without
// a maxLength: every text the API takes or gives is bounded, and the
// bound is part of the contract.
func TestEveryStringHasAMaximum(t *testing.T) {
	var doc any
	if err := json.Unmarshal(openAPIJSON(), &doc); err != nil {
		t.Fatal(err)
	}
	strings := 0
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if isStringSchema(v["type"]) {
				strings++
				if n, ok := v["maxLength"].(float64); !ok || n < 1 {
					t.Errorf("%s: a string without maxLength", path)
				}
			}
			for k, c := range v {
				walk(path+"/"+k, c)
			}
		case []any:
			for i, c := range v {
				walk(fmt.Sprintf("%s/%d", path, i), c)
			}
		}
	}
	walk("", doc)
	if strings < 150 {
		t.Fatalf("only %d string schemas found; is the walk reading the document?", strings)
	}
}

// isStringSchema reports whether a schema's type is string, alone or among
// others ([string, "null"]).
func isStringSchema(typ any) bool {
	switch typ := typ.(type) {
	case string:
		return typ == "string"
	case []any:
		return slices.Contains(typ, any("string"))
	}
	return false
}
