package web_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"blameful.dev/blameful/internal/review"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestWeeklyReviewAsSlack: ?format=slack answers the review as the Block
// Kit summary the CLI prints, within Slack's limits.
func TestWeeklyReviewAsSlack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		week := review.WeekOf(h.clock.Now()).String()
		res := h.do(call{method: "GET", path: "/api/v1/reviews/weekly/" + week + "?format=slack"}).want(t, http.StatusOK)
		var m struct {
			Text   string
			Blocks []struct {
				Type string
				Text *struct{ Text string }
			}
		}
		if err := json.Unmarshal(res.body, &m); err != nil || len(m.Blocks) < 5 || len(m.Blocks) > 50 || m.Blocks[0].Type != "header" ||
			m.Blocks[0].Text.Text != "Incident review "+week {
			t.Errorf("the Slack summary: %s (%v)", res.body, err)
		}
		h.do(call{method: "GET", path: "/api/v1/reviews/weekly/" + week + "?format=teams", invalid: true}).want(t, 422)
	})
}
