package store

import (
	"database/sql"
	"strings"
)

// describeQueries list the schema's tables, columns and indexes; the two
// engines keep this in different catalogs. A text index is an FTS5 virtual
// table on SQLite (with shadow tables of its own) and a GIN index on
// PostgreSQL: both are described as the index they are.
var describeQueries = map[Engine]struct{ columns, indexes string }{
	SQLite: {
		columns: `SELECT m.name, p.name, lower(p.type), p."notnull" = 0
FROM sqlite_master m JOIN pragma_table_info(m.name) p
WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
    AND m.name NOT IN (SELECT name FROM pragma_table_list WHERE type IN ('virtual', 'shadow'))
ORDER BY m.name, p.name`,
		indexes: `SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'
UNION SELECT name FROM pragma_table_list WHERE type = 'virtual' AND schema = 'main'
ORDER BY name`,
	},
	Postgres: {
		columns: `SELECT table_name, column_name, lower(data_type), is_nullable = 'YES'
FROM information_schema.columns WHERE table_schema = current_schema()
ORDER BY table_name, column_name`,
		indexes: `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'
ORDER BY indexname`,
	},
}

// Describe calls fn for every table (column ""; typ "table"), every column
// of it, and every named index (column ""; typ "index"), in name order.
// Schema snapshot tests use it.
func (tx *Tx) Describe(fn func(table, column, typ string, nullable bool)) error {
	q := describeQueries[tx.engine]
	last := ""
	err := tx.each("describe columns", q.columns, nil, func(rows *sql.Rows) error {
		var table, col, typ string
		var nullable bool
		if err := rows.Scan(&table, &col, &typ, &nullable); err != nil {
			return err
		}
		if table != last {
			fn(table, "", "table", false)
			last = table
		}
		fn(table, col, strings.TrimSpace(typ), nullable)
		return nil
	})
	if err != nil {
		return err
	}
	return tx.each("describe indexes", q.indexes, nil, func(rows *sql.Rows) error {
		var name string
		err := rows.Scan(&name)
		fn(name, "", "index", false)
		return err
	})
}
