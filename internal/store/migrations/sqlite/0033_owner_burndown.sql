-- 0033_owner_burndown: a leader's follow-up burn-down counts the open
-- follow-ups of their organisation's owners, most of them open for weeks
-- and overdue at every moment the chart shows. Found owner by owner, each
-- row had to be read from the table for its creation and closing; read
-- from followups_burndown instead, every open follow-up of every owner was
-- tested against the organisation's list, for a team of three as for the
-- root leader (1.4 s at PRODUCT.md section 9's size on SQLite). The index
-- of an owner's follow-ups by status and due date now holds both times
-- too, so one owner's open follow-ups due before a day are a range of it,
-- counted where they lie. It serves whatever the shorter index served.
DROP INDEX followups_owner_status_due;
CREATE INDEX followups_owner_status_due ON followups (owner, status, due, closed_at, created_at);
