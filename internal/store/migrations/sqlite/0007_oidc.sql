-- 0007_oidc: people log in through the organisation's OpenID provider
-- (PRODUCT.md section 6). An identity is the provider's name for a person:
-- the issuer and the subject it gives them, which never changes, unlike an
-- email. It is linked to an account by an administrator (blameful user
-- link), or on a first login when the provider vouches for the email
-- (email_verified); an unverified email links nothing.
--
-- Like accounts, identities are credentials, outside the accountable
-- tables; linking one is an audit event naming the account and the
-- issuer, never the subject or the email.
CREATE TABLE oidc_identities (
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    account    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX oidc_identities_account ON oidc_identities (account);

-- A first login through the provider finds its person by email, whatever
-- its case.
CREATE INDEX people_email ON people (lower(email));
