// Package blame is the attribution engine: from the facts of one incident,
// as the org and the catalog stood when it started, it names exactly one
// accountable party (a person or a team), the rule that named it, the
// evidence, and why every other rule did or did not apply.
//
// The rules are PRODUCT.md's A1-A9. A reviewer accepts the suggestion or
// overrides it with a justification (Decide, A8); either way the decision
// is a new record that supersedes the one before it, never an edit.
// Precedence (A9) is A6 (a change inside a code freeze), then A7 (a
// recurrence whose follow-up was still open), then A3 (a provider's team)
// or A2 (the owner), then A4 (ambiguous ownership: the leader of the
// lowest team covering the candidates, who is also given a follow-up to
// clarify it). A5 keeps a recently inherited owner as the party and marks
// the mitigating factor.
//
// The package is pure: Suggest and Decide read no clock, no database and
// no network, and the same facts give the same answer.
package blame
