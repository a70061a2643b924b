package bench

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestFloorAnswersLikeProduct holds the API read's floor to its promise:
// for every incident of the demo (alerts, external keys and all), the
// floor's JSON means the same as the product's, times compared as instants
// (the floor writes them as the database holds them).
func TestFloorAnswersLikeProduct(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the demo")
	}
	dsn := storetest.DSN(t, store.SQLite)
	header, paths := demoServerData(t, dsn)
	product := startChild(t, "app", dsn)
	floor := startChild(t, "floor", dsn)
	get := func(base string, h http.Header, path string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		if h != nil {
			req.Header = h.Clone()
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s%s: %s %s", base, path, res.Status, body)
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
		return instants(m).(map[string]any)
	}
	alerts := 0
	for _, p := range paths {
		want, got := get(product.base, header, p), get(floor.base, nil, p)
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("%s:\nproduct %v\nfloor   %v", p, want, got)
		}
		if keys, _ := want["external_keys"].([]any); len(keys) > 0 {
			alerts++
		}
	}
	if alerts == 0 {
		t.Error("no incident of the demo has external keys: the comparison misses them")
	}
}

// instants rewrites every string that is an RFC 3339 time as the same
// instant in one layout.
func instants(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = instants(e)
		}
	case []any:
		for i, e := range x {
			x[i] = instants(e)
		}
	case string:
		if strings.Count(x, "-") >= 2 && strings.Contains(x, "T") {
			if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
				return t.UTC().Format(time.RFC3339Nano)
			}
		}
	}
	return v
}
