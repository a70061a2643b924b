-- 0034_assessments_created: everyone's dashboard lists the assessments of
-- the last year no level has been decided on, oldest first. With no index
-- on their creation, SQLite read every incident's decision in force to
-- look for an assessment of it: 65 ms in C at PRODUCT.md section 9's size
-- with no assessment at all. Read from here, the list is a range of the
-- assessments, in its order.
CREATE INDEX assessments_created ON assessments (created_at, id);
