// Package incident models what went wrong: incidents, their severity and
// lifecycle, the entities that failed, and the timeline of facts about them.
//
// An incident's status only moves forward, open -> mitigated -> resolved, and
// its times must run in lifecycle order: started <= detected <= declared <=
// mitigated <= resolved. At most one failed entity is the origin; when none
// is marked, the blame engine tries to single one out from the dependency
// graph (PRODUCT.md A4).
//
// The timeline is append-mostly. Edits and deletions keep the earlier state
// as a Revision, because who changed the record and when is exactly what
// the integrity rules (I2, I4) look at.
package incident
