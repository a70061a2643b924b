-- 0016_codeowners: the CODEOWNERS files imported, one per repository, as
-- evidence of who owns which paths (issue 9).
--
-- codeowners holds one row per repository imported: when, by whom, and
-- the owners the file names that matched nobody in the org (a JSON array
-- of the owners as written). codeowners_rules holds the file's rules in
-- file order: the pattern and owners as written, the people and teams they
-- resolved to (a JSON array of references), the line and its number. An
-- import replaces a repository's rules wholesale. Both tables are
-- accountable (store/rowstate.go), keyed by repository.

CREATE TABLE codeowners (
    repo           TEXT PRIMARY KEY,
    unknown_owners TEXT NOT NULL DEFAULT '[]',
    imported_at    TEXT NOT NULL,
    imported_by    TEXT NOT NULL
);

CREATE TABLE codeowners_rules (
    repo     TEXT NOT NULL REFERENCES codeowners (repo),
    position INTEGER NOT NULL CHECK (position >= 0),
    line     INTEGER NOT NULL CHECK (line > 0),
    pattern  TEXT NOT NULL,
    owners   TEXT NOT NULL DEFAULT '[]',
    refs     TEXT NOT NULL DEFAULT '[]',
    text     TEXT NOT NULL,
    PRIMARY KEY (repo, position)
);
