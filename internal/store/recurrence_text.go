package store

import (
	"cmp"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// The text lookup of recurrence candidates (F6): among the most recent
// incidents of the window whose text holds any of the subject's rarer
// words, the best ranked.

// queryTerms is how many of the subject's words the text search uses.
const queryTerms = 10

// textScope is how many of the most recent matching documents the text
// search ranks. Ranking every document that shares a common word with the
// subject costs time in proportion to the whole history; the most recent
// textScope of them, in the window, cost the same however long it is.
const textScope = 250

// commonDocs is how many documents make a word common: a word in more
// incidents than that says little about which are alike (it acts as a
// stop word), and looking it up costs in proportion to how many hold it.
// On PostgreSQL the cut is the share commonShare of the documents, read
// from the planner's statistics of the column.
const (
	commonDocs  = 2000
	commonShare = 0.002
)

type textHit struct {
	id   string
	rank float64
}

// textCandidates returns, best first, the sideLimit best ranked incidents
// among the textScope latest that started in [from, to), other than
// subject, whose text holds any of terms that is not common.
func (tx *Tx) textCandidates(terms []string, from, to time.Time, subject string) ([]textHit, error) {
	if len(terms) == 0 {
		return nil, nil
	}
	if tx.engine == Postgres {
		return tx.textCandidatesPG(terms, from, to, subject)
	}
	rare, err := tx.rareTermsSQLite(terms)
	if err != nil || len(rare) == 0 {
		return nil, err
	}
	var hits []textHit
	err = tx.each("candidates by text", textSearchSQLite, []any{sqliteTextQuery(rare), tx.t(from), tx.t(to), subject},
		func(rows *sql.Rows) error {
			var h textHit
			var doc string
			if err := rows.Scan(&h.id, &doc); err != nil {
				return err
			}
			h.rank = textRank(rare, doc)
			hits = append(hits, h)
			return nil
		})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(hits, func(a, b textHit) int { return cmp.Compare(b.rank, a.rank) })
	return hits[:min(len(hits), sideLimit)], nil
}

// textSearchSQLite walks the index from the subject's own row backwards
// (rows are added as incidents are declared) and returns the documents,
// which textRank ranks: FTS5's bm25 first counts, for its IDF, every
// document holding each term, which costs time in proportion to the whole
// history. $1 is the query (sqliteTextQuery), [$2, $3) the window, $4 the
// subject.
var textSearchSQLite = `
SELECT s.incident, s.document
FROM (SELECT rowid AS rid FROM incident_search_document
      WHERE incident_search_document MATCH $1
        AND rowid <= COALESCE((SELECT rowid FROM incident_search WHERE incident = $4), 9223372036854775807)
      ORDER BY rowid DESC LIMIT ` + itoa(textScope) + `) f
JOIN incident_search s ON s.rowid = f.rid
JOIN incidents i ON i.id = s.incident
WHERE i.started_at >= $2 AND i.started_at < $3 AND i.id <> $4`

// rareWordsSQLite keeps the terms ($1, a JSON array) that fewer than
// commonDocs documents hold, counting each up to that, in their order.
var rareWordsSQLite = `
SELECT t.value FROM json_each($1) t
WHERE (SELECT count(*) FROM (SELECT 1 FROM incident_search_document
       WHERE incident_search_document MATCH '"' || t.value || '"' LIMIT ` + itoa(commonDocs) + `)) < ` + itoa(commonDocs) + `
ORDER BY t.key`

// rareTermsSQLite returns the terms that are not common among the
// documents, in their order, in one statement.
func (tx *Tx) rareTermsSQLite(terms []string) ([]string, error) {
	var out []string
	err := tx.each("weigh words", rareWordsSQLite, []any{tx.list(terms)}, func(rows *sql.Rows) error {
		var t string
		err := rows.Scan(&t)
		out = append(out, t)
		return err
	})
	return out, err
}

// textRank is the share of the terms a document holds (as a prefix of one
// of its words, which covers the plurals and endings the index stems), for
// SQLite's text search.
func textRank(terms []string, doc string) float64 {
	doc = " " + asciiLower(doc)
	n := 0
	for _, t := range terms {
		if strings.Contains(doc, " "+t) {
			n++
		}
	}
	return float64(n) / float64(len(terms))
}

// sqliteTextQuery writes terms (ASCII letters and digits only) as an FTS5
// OR query.
func sqliteTextQuery(terms []string) string {
	quoted := make([]string, len(terms))
	for i, t := range terms {
		quoted[i] = `"` + t + `"`
	}
	return strings.Join(quoted, " OR ")
}

// textSearchPG is PostgreSQL's text lookup. $1 holds the terms (a text
// array), $5 the common lexemes (commonLexemes). A term is stemmed as
// to_tsquery stems it, and left out when its lexeme is common. The GIN
// index of incident_search returns matches in no order, so the latest
// textScope incidents holding each lexeme are read from recurrence_keys
// ("w " and the lexeme, 0029), one backward range of its primary key per
// lexeme; the latest textScope of them all are ranked with ts_rank against
// the OR of the lexemes, in the terms' order. [$2, $3) is the window, $4
// the subject.
var textSearchPG = `
WITH words AS (
    SELECT l AS lexeme, n
    FROM unnest($1::text[]) WITH ORDINALITY AS t(term, n),
         unnest(tsvector_to_array(to_tsvector('english', t.term))) AS l
    WHERE l <> ALL ($5::text[])),
q AS (SELECT array_to_string(array_agg(quote_literal(lexeme) ORDER BY n), ' | ')::tsquery AS q FROM words)
SELECT s.incident, ts_rank(s.document, q.q) AS rank
FROM (
    SELECT DISTINCT k.incident, k.started_at
    FROM (SELECT DISTINCT lexeme FROM words) w,
    LATERAL (SELECT incident, started_at FROM recurrence_keys
             WHERE key = 'w ' || w.lexeme AND started_at >= $2 AND started_at < $3 AND incident <> $4
             ORDER BY started_at DESC, incident DESC
             LIMIT ` + itoa(textScope) + `) k
    ORDER BY k.started_at DESC, k.incident DESC
    LIMIT ` + itoa(textScope) + `
) recent
JOIN incident_search s ON s.incident = recent.incident, q
ORDER BY rank DESC, s.incident
LIMIT ` + itoa(sideLimit)

func (tx *Tx) textCandidatesPG(terms []string, from, to time.Time, subject string) ([]textHit, error) {
	common, err := tx.commonLexemes()
	if err != nil {
		return nil, err
	}
	var hits []textHit
	err = tx.each("candidates by text", textSearchPG, []any{terms, tx.t(from), tx.t(to), subject, common}, func(rows *sql.Rows) error {
		var h textHit
		err := rows.Scan(&h.id, &h.rank)
		hits = append(hits, h)
		return err
	})
	return hits, err
}

// commonLexemesPG lists the lexemes the planner's statistics of the search
// documents say are in more than commonShare of them. With no statistics
// yet, none is.
var commonLexemesPG = `
SELECT m.elem FROM pg_stats s, unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS m(elem, freq)
WHERE s.schemaname = current_schema() AND s.tablename = 'incident_search' AND s.attname = 'document'
  AND m.elem IS NOT NULL AND m.freq > ` + fmt.Sprint(commonShare)

// commonWordsFor is how long a server keeps the common lexemes it read.
// They come from the planner's statistics, which only ANALYZE (or
// autovacuum's) changes, so a minute's delay changes which words count as
// common no more often; reading them took 2 ms of every lookup at a
// million incidents (converting the statistics' arrays).
const commonWordsFor = time.Minute

// commonWords is the server's copy of the common lexemes (PostgreSQL).
type commonWords struct {
	mu     sync.Mutex
	read   time.Time
	values []string
}

// commonLexemes returns the common lexemes, from the copy when it is
// younger than commonWordsFor.
func (tx *Tx) commonLexemes() ([]string, error) {
	c := tx.words
	if c != nil {
		c.mu.Lock()
		defer c.mu.Unlock()
		if !c.read.IsZero() && time.Since(c.read) < commonWordsFor {
			return c.values, nil
		}
	}
	values := []string{}
	err := tx.each("weigh words", commonLexemesPG, nil, func(rows *sql.Rows) error {
		var v string
		err := rows.Scan(&v)
		values = append(values, v)
		return err
	})
	if err != nil {
		return nil, err
	}
	if c != nil {
		c.read, c.values = time.Now(), values
	}
	return values, nil
}
