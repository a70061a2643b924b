package app

import (
	"context"
	"strings"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
)

// EntryInput is a timeline entry's content.
type EntryInput struct {
	OccurredAt time.Time
	Kind       incident.EntryKind
	Text       string
}

// TimelineView is an incident's timeline, with deleted entries and earlier
// revisions when asked for.
type TimelineView struct {
	Entries   []incident.Entry
	Revisions []incident.Revision
}

// AddEntry appends a fact to an incident's timeline. Any member may.
func (a *App) AddEntry(ctx context.Context, actor org.Actor, id incident.ID, in EntryInput) (incident.Entry, error) {
	now := a.Now()
	e := incident.Entry{ID: a.newID(), Incident: id, OccurredAt: in.OccurredAt, RecordedAt: now, Author: actor.Ref,
		Kind: in.Kind, Text: strings.TrimSpace(in.Text), UpdatedAt: now}
	if e.Kind == "" {
		e.Kind = incident.EntryObservation
	}
	if err := e.Validate(now); err != nil {
		return e, err
	}
	err := a.write(ctx, actor, []org.Role{org.RoleMember}, func(tx *store.Tx) error {
		if _, err := tx.Incident(id); err != nil {
			return err
		}
		if err := tx.CreateEntry(&e); err != nil {
			return err
		}
		if err := a.record(tx, actor, "timeline.add", string(id), entryRecordOf(&e)); err != nil {
			return err
		}
		return a.detectEntry(tx, actor, e, nil)
	})
	return e, err
}

// EditEntry replaces an entry's content, keeping the old one as a revision.
// Only its author or an admin may edit it.
func (a *App) EditEntry(ctx context.Context, actor org.Actor, id incident.ID, entry string, in EntryInput) (incident.Entry, error) {
	now := a.Now()
	var e incident.Entry
	err := a.write(ctx, actor, []org.Role{org.RoleMember}, func(tx *store.Tx) error {
		var err error
		if e, err = tx.Entry(id, entry); err != nil {
			return err
		}
		if err := mayChangeEntry(actor, e); err != nil {
			return err
		}
		kind, text, at := e.Kind, e.Text, e.OccurredAt
		if in.Kind != "" {
			kind = in.Kind
		}
		if strings.TrimSpace(in.Text) != "" {
			text = strings.TrimSpace(in.Text)
		}
		if !in.OccurredAt.IsZero() {
			at = in.OccurredAt
		}
		if kind == e.Kind && text == e.Text && at.Equal(e.OccurredAt) && !e.Deleted {
			return nil // nothing to change
		}
		rev, err := e.Edit(kind, text, at, actor.Ref, now)
		if err != nil {
			return err
		}
		if err := e.Validate(now); err != nil {
			return err
		}
		if err := tx.UpdateEntry(&e, rev); err != nil {
			return err
		}
		if err := a.record(tx, actor, "timeline.edit", string(id), entryRecordOf(&e)); err != nil {
			return err
		}
		return a.detectEntry(tx, actor, e, &rev)
	})
	return e, err
}

// DeleteEntry marks an entry deleted; its content stays as a revision.
// Only its author or an admin may delete it.
func (a *App) DeleteEntry(ctx context.Context, actor org.Actor, id incident.ID, entry string) error {
	now := a.Now()
	return a.write(ctx, actor, []org.Role{org.RoleMember}, func(tx *store.Tx) error {
		e, err := tx.Entry(id, entry)
		if err != nil {
			return err
		}
		if err := mayChangeEntry(actor, e); err != nil {
			return err
		}
		rev, err := e.Delete(actor.Ref, now)
		if err != nil {
			return err
		}
		if err := tx.UpdateEntry(&e, rev); err != nil {
			return err
		}
		if err := a.record(tx, actor, "timeline.delete", string(id), entryRecordOf(&e)); err != nil {
			return err
		}
		return a.detectEntry(tx, actor, e, &rev)
	})
}

func mayChangeEntry(actor org.Actor, e incident.Entry) error {
	if e.Author == actor.Ref || actor.Has(org.RoleAdmin) {
		return nil
	}
	return errs.E(errs.Forbidden, "only the author (%s) or an admin may change this timeline entry", e.Author)
}

// Timeline returns an incident's timeline; withHistory adds deleted entries
// and every earlier revision.
func (a *App) Timeline(ctx context.Context, actor org.Actor, id incident.ID, withHistory bool) (TimelineView, error) {
	var v TimelineView
	err := a.read(ctx, actor, func(tx *store.Tx) error {
		if _, err := tx.Incident(id); err != nil {
			return err
		}
		var err error
		if v.Entries, err = tx.Entries(id, withHistory); err != nil {
			return err
		}
		if withHistory {
			v.Revisions, err = tx.Revisions(id)
		}
		return err
	})
	return v, err
}

type entryRecord struct {
	Entry      string    `json:"entry"`
	OccurredAt time.Time `json:"occurred_at"`
	Kind       string    `json:"kind"`
	Text       string    `json:"text"`
	Deleted    bool      `json:"deleted,omitempty"`
	Revision   int       `json:"revision"`
}

func entryRecordOf(e *incident.Entry) entryRecord {
	return entryRecord{Entry: e.ID, OccurredAt: e.OccurredAt, Kind: string(e.Kind), Text: e.Text, Deleted: e.Deleted, Revision: e.Revision}
}
