package bench

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// TestLanesReadPathsOfTheirOwn holds the load harness to what compare
// relies on for a cold file: the product's loader and the floor's never
// ask for the same path, and no loader asks for a path twice while there
// are paths it has not asked for.
func TestLanesReadPathsOfTheirOwn(t *testing.T) {
	var mu sync.Mutex
	asked := map[string]map[string]int{}
	server := func(name string) *httptest.Server {
		asked[name] = map[string]int{}
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			asked[name][r.URL.Path]++
			mu.Unlock()
		}))
		t.Cleanup(s.Close)
		return s
	}
	paths := make([]string, 1000)
	for i := range paths {
		paths[i] = fmt.Sprintf("/p/%d", i)
	}
	a := newLoader(server("a").URL, nil, 4)
	b := newLoader(server("b").URL, nil, 4)
	defer a.close()
	defer b.close()
	a.lane, a.lanes = 0, 2
	b.lane, b.lanes = 1, 2
	for _, total := range []int{32, 100, 200} { // 332 each, of 500 a lane
		for _, l := range []*loader{a, b} {
			if r, err := l.round(total, paths, 10*time.Second); err != nil || r.requests != total {
				t.Fatalf("round of %d: %d requests, %v", total, r.requests, err)
			}
		}
	}
	for name, got := range asked {
		if len(got) != 332 {
			t.Errorf("loader %s asked for %d distinct paths in 332 requests", name, len(got))
		}
	}
	for p := range asked["a"] {
		if asked["b"][p] > 0 {
			t.Fatalf("both loaders asked for %s", p)
		}
	}
}
