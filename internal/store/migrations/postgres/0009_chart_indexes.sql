-- 0009_chart_indexes: indexes for the charts of the dashboard, the
-- follow-ups board and the team pages, so that each reads only what it
-- draws rather than the whole history.
--
-- The follow-up burn-down counts, at each of its weeks, the follow-ups open
-- then: those open now (found by followups_status_due) and those closed
-- since its first week, found here by when they closed.
CREATE INDEX followups_closed ON followups (closed_at);

-- A team's trend counts the incidents whose decision in force names it:
-- its decisions are found here, and their incidents through
-- incidents_attribution.
CREATE INDEX attributions_party ON attributions (party);
