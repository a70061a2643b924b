package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"blameful.dev/blameful/internal/importer"
	"blameful.dev/blameful/internal/org"
)

// CodeownersFile is the CODEOWNERS file imported for one repository.
type CodeownersFile struct {
	// Repo is the repository's canonical name ("owner/name").
	Repo  string
	Rules []importer.OwnerRule
	// Unknown are the owners the file names that matched nobody in the
	// org when it was imported, as written.
	Unknown    []string
	ImportedAt time.Time
	ImportedBy org.Ref
}

// CodeownersRepo is one imported repository, without its rules.
type CodeownersRepo struct {
	Repo       string
	Rules      int
	Unknown    int
	ImportedAt time.Time
	ImportedBy org.Ref
}

// ReplaceCodeowners stores a repository's CODEOWNERS file, replacing the
// rules imported for it before, whatever they were.
func (tx *Tx) ReplaceCodeowners(f CodeownersFile) error {
	tx.touch("codeowners", f.Repo)
	tx.touch("codeowners_rules", f.Repo)
	unknown, err := jsonList(f.Unknown)
	if err != nil {
		return err
	}
	if _, err := tx.exec("replace the rules of "+f.Repo, `DELETE FROM codeowners_rules WHERE repo = $1`, f.Repo); err != nil {
		return err
	}
	_, err = tx.exec("record the CODEOWNERS of "+f.Repo, `
INSERT INTO codeowners (repo, unknown_owners, imported_at, imported_by) VALUES ($1, $2, $3, $4)
ON CONFLICT (repo) DO UPDATE SET unknown_owners = excluded.unknown_owners, imported_at = excluded.imported_at,
    imported_by = excluded.imported_by`,
		f.Repo, unknown, tx.t(f.ImportedAt), string(f.ImportedBy))
	if err != nil {
		return err
	}
	// A hundred rules a statement: a 10,000-rule file is 100 round trips.
	const perInsert = 100
	for start := 0; start < len(f.Rules); start += perInsert {
		chunk := f.Rules[start:min(start+perInsert, len(f.Rules))]
		var q strings.Builder
		q.WriteString(`INSERT INTO codeowners_rules (repo, position, line, pattern, owners, refs, text) VALUES `)
		args := make([]any, 0, 7*len(chunk))
		for i, r := range chunk {
			owners, err := jsonList(r.Owners)
			if err != nil {
				return err
			}
			refs, err := jsonList(r.Refs)
			if err != nil {
				return err
			}
			if i > 0 {
				q.WriteString(", ")
			}
			n := 7 * i
			fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7)
			args = append(args, f.Repo, start+i, r.Line, r.Pattern, owners, refs, r.Text)
		}
		if _, err := tx.exec("record the rules of "+f.Repo, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// jsonList encodes a list as a JSON array, [] when empty.
func jsonList[T any](xs []T) (string, error) {
	if len(xs) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(xs)
	return string(b), err
}

// Codeowners returns the CODEOWNERS file imported for repo (its canonical
// name); NotFound when none was.
func (tx *Tx) Codeowners(repo string) (CodeownersFile, error) {
	f := CodeownersFile{Repo: repo}
	var unknown, by string
	err := tx.get("no CODEOWNERS imported for "+repo, `SELECT unknown_owners, imported_at, imported_by FROM codeowners WHERE repo = $1`,
		[]any{repo}, &unknown, tm(&f.ImportedAt), &by)
	if err != nil {
		return f, err
	}
	f.ImportedBy = org.Ref(by)
	if err := json.Unmarshal([]byte(unknown), &f.Unknown); err != nil {
		return f, fmt.Errorf("unknown owners of %s: %w", repo, err)
	}
	if len(f.Unknown) == 0 {
		f.Unknown = nil
	}
	rules, err := tx.codeownersRules(`WHERE repo = $1`, repo)
	for _, r := range rules {
		f.Rules = append(f.Rules, r.OwnerRule)
	}
	return f, err
}

// AllCodeowners returns every imported CODEOWNERS file, by repository,
// with their rules (Unknown and the import's time and actor left out).
func (tx *Tx) AllCodeowners() ([]CodeownersFile, error) {
	repos, err := tx.CodeownersRepos()
	if err != nil || len(repos) == 0 {
		return nil, err
	}
	rules, err := tx.codeownersRules("")
	if err != nil {
		return nil, err
	}
	out := make([]CodeownersFile, len(repos))
	at := map[string]int{}
	for i, r := range repos {
		out[i].Repo = r.Repo
		at[r.Repo] = i
	}
	for _, r := range rules {
		f := &out[at[r.repo]]
		f.Rules = append(f.Rules, r.OwnerRule)
	}
	return out, nil
}

type repoRule struct {
	repo string
	importer.OwnerRule
}

// codeownersRules reads rules, by repository and position.
func (tx *Tx) codeownersRules(where string, args ...any) ([]repoRule, error) {
	var out []repoRule
	q := `SELECT repo, line, pattern, owners, refs, text FROM codeowners_rules ` + where + ` ORDER BY repo, position`
	err := tx.each("list CODEOWNERS rules", q, args, func(rows *sql.Rows) error {
		var r repoRule
		var owners, refs string
		if err := rows.Scan(&r.repo, &r.Line, &r.Pattern, &owners, &refs, &r.Text); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(owners), &r.Owners); err != nil {
			return fmt.Errorf("owners of %s line %d: %w", r.repo, r.Line, err)
		}
		if err := json.Unmarshal([]byte(refs), &r.Refs); err != nil {
			return fmt.Errorf("owner references of %s line %d: %w", r.repo, r.Line, err)
		}
		if len(r.Owners) == 0 {
			r.Owners = nil
		}
		if len(r.Refs) == 0 {
			r.Refs = nil
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// CodeownersRepos lists the repositories with an imported CODEOWNERS
// file, by name, with their rule counts.
func (tx *Tx) CodeownersRepos() ([]CodeownersRepo, error) {
	var out []CodeownersRepo
	err := tx.each("list CODEOWNERS repositories", `
SELECT c.repo, c.unknown_owners, c.imported_at, c.imported_by, (SELECT COUNT(*) FROM codeowners_rules r WHERE r.repo = c.repo)
FROM codeowners c ORDER BY c.repo`, nil, func(rows *sql.Rows) error {
		var r CodeownersRepo
		var unknown, by string
		if err := rows.Scan(&r.Repo, &unknown, tm(&r.ImportedAt), &by, &r.Rules); err != nil {
			return err
		}
		var list []string
		if err := json.Unmarshal([]byte(unknown), &list); err != nil {
			return fmt.Errorf("unknown owners of %s: %w", r.Repo, err)
		}
		r.Unknown, r.ImportedBy = len(list), org.Ref(by)
		out = append(out, r)
		return nil
	})
	return out, err
}

// OwnersOf returns the rule of repo's CODEOWNERS that decides the owners
// of path (the last matching one; see importer.Codeowners.Match), and
// false when no rule matches. NotFound when no CODEOWNERS was imported
// for repo (its canonical name).
func (tx *Tx) OwnersOf(repo, path string) (importer.OwnerRule, bool, error) {
	f, err := tx.Codeowners(repo)
	if err != nil {
		return importer.OwnerRule{}, false, err
	}
	r, ok := importer.Codeowners{Rules: f.Rules}.Match(path)
	return r, ok, nil
}
