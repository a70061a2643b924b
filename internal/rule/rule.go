// Package rule names the rules of PRODUCT.md. Their identifiers are the map
// of the code: issues, tests, API errors and the docs cite them, and each
// rule's logic lives in one place of a rule package (blame, accountability,
// followup, postmortem, integrity, recurrence), named beside its constant
// below. The app only gathers the facts a rule needs and stores what it
// decides.
//
// The constants are untyped, so each rule package may give them its own
// type (blame.Rule, integrity.Rule) and errors carry them as strings. No
// other package spells a rule identifier as a literal (archtest checks).
package rule

// Attribution, the blame engine (PRODUCT.md section 2).
const (
	A1 = "A1" // single party: postmortem.SingleParty
	A2 = "A2" // owner: blame.ruleA2
	A3 = "A3" // provider: blame.ruleA3
	A4 = "A4" // ambiguous ownership, the leader: blame.ruleA4
	A5 = "A5" // recently inherited: blame.inherited
	A6 = "A6" // policy violation: blame.ruleA6
	A7 = "A7" // missed follow-up: blame.ruleA7
	A8 = "A8" // override: blame.Decide, and accountability.OverrideFlag for its fairness flag
	A9 = "A9" // precedence: blame.Suggest
)

// Fair accountability (section 3).
const (
	J1 = "J1" // guidance: accountability.Policy.Guide
	J2 = "J2" // decider: accountability.Decider, accountability.MayDecide
	J3 = "J3" // deviation: accountability.CheckDecision
	J4 = "J4" // appeal: accountability/appeal.go
	J5 = "J5" // consistency: accountability.Consistency
	J6 = "J6" // leader ledger: accountability.LedgerScope
	J7 = "J7" // no gaming: accountability.PriorFaults
	J8 = "J8" // history: accountability.CheckCorrection
)

// Follow-through and recurrence (section 4).
const (
	F1 = "F1" // a follow-up to publish: postmortem.CheckPublishable
	F2 = "F2" // one owner, a due date: followup.FollowUp.Validate, followup.DuePolicy.DefaultDue
	F3 = "F3" // wont_do needs a reason and the leader's approval: followup.NewRequest, followup.MayDecide
	F4 = "F4" // reminders and escalation: followup.ChasePolicy.Windows
	F5 = "F5" // postmortem due: postmortem.DueAt
	F6 = "F6" // recurrence candidates: recurrence.Rank, recurrence.CheckWindow
	F7 = "F7" // missed follow-up recorded: recurrence.MissedBy, recurrence.WasOpenAt
)

// Integrity (section 5).
const (
	I1 = "I1" // late declaration: integrity.LateDeclaration
	I2 = "I2" // rewrite under review: integrity.Rewrite
	I3 = "I3" // downgrade after resolution: integrity.Downgrade
	I4 = "I4" // late disclosure: integrity.LateDisclosure
	I5 = "I5" // missing postmortem: integrity.MissingPostmortem
	I6 = "I6" // tampering: integrity.Tampering
	I7 = "I7" // reviewer confirms: integrity.Flag.Review, integrity.MayReview
)
