// Package accountability grades what being at fault means for the one
// accountable party of an incident, fairly and in private (PRODUCT.md
// section 3, rules J1–J8).
//
// An Assessment belongs to a decided attribution. Its Factors are partly
// judged by a reviewer (was the party expected to prevent it, was a policy
// broken) and partly computed (prior faults, severity, recently inherited,
// a confirmed integrity violation). A Policy turns the factors into a
// guidance Level with every step of its arithmetic shown (J1). The party's
// leader decides (J2) — never the party itself, and a leader's own fault one
// level further up — and a decision that departs from guidance must say why
// (J3). The subject may appeal once, to the decider's leader, whose outcome
// is final (J4). Per decider, decisions are compared with guidance, and a
// decider who is consistently harsher or more lenient than policy is flagged
// to their own leader (J5).
//
// Nothing is ever rewritten: factor changes, decisions, appeal outcomes and
// corrections are new records that reference what they replace (J8).
package accountability
