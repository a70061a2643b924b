-- 0006_accounts: people log in to the web pages with an email and a
-- password (PRODUCT.md section 6, local accounts), and stay logged in
-- through a session kept here.
--
-- None of these tables is accountable (store/rowstate.go): like API
-- tokens they are credentials. Creating an account, setting its password
-- and issuing a reset link are still audit events, which name the account
-- by its id and its person, never by its email or any secret.

-- An account is how a person logs in. email is kept lower-cased, so it is
-- unique whatever its case; the person's own email in people may differ.
-- password_hash is an encoded argon2id hash ('' until a password is set);
-- roles are those granted besides member (leader is never granted).
CREATE TABLE accounts (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    person          TEXT NOT NULL REFERENCES people (ref),
    roles           TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    password_set_at TIMESTAMPTZ,
    disabled_at     TIMESTAMPTZ
);
CREATE INDEX accounts_person ON accounts (person);

-- A session is a login in one browser. The cookie holds a random token;
-- hash is its SHA-256, so a copy of the database logs nobody in.
-- expires_at is the absolute end; the idle end is last_seen_at plus the
-- idle timeout, and last_seen_at moves at most once a minute.
CREATE TABLE sessions (
    hash         TEXT PRIMARY KEY,
    account      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_account ON sessions (account);

-- A password link sets an account's password once: hash is the SHA-256 of
-- the token in the link. Setting a password uses up every link of the
-- account; issuing a new one removes the unused ones.
CREATE TABLE password_links (
    hash       TEXT PRIMARY KEY,
    account    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX password_links_account ON password_links (account);
