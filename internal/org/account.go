package org

import "time"

// Account is how a person logs in to the web pages with an email and a
// password. It acts as its person, with the roles it grants besides member;
// leader is never granted, it comes from leading a team at the time.
type Account struct {
	ID string
	// Email is the login, kept lower-cased so that it is unique whatever
	// its case. It may differ from the person's email in the org.
	Email  string
	Person Ref
	// Roles are the roles granted explicitly (hr, admin), without member.
	Roles []Role
	// PasswordHash is the encoded argon2id hash of the password; "" until a
	// password is set.
	PasswordHash  string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	PasswordSetAt time.Time // zero: no password yet
	DisabledAt    time.Time // zero: enabled
}

// IsDisabled reports whether the account may no longer log in.
func (a Account) IsDisabled() bool { return !a.DisabledAt.IsZero() }
