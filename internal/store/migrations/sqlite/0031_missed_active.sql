-- 0031_missed_active: a leader's ledger counts the missed follow-ups of
-- every owner in the organisation that are not withdrawn. Through
-- missed_followups_owner that meant reading each one's row for
-- withdrawn_at: for the root leader of PRODUCT.md §9's set, 64,000 rows
-- of 159,000, most of the ledger's second. This index holds only the
-- ones not withdrawn, so the count reads it alone.
CREATE INDEX missed_followups_active_owner ON missed_followups (owner) WHERE withdrawn_at IS NULL;
