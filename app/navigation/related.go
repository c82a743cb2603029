package navigation

import (
	"fmt"
	"slices"
	"time"
)

// Availability says whether a related entry can be opened (spec 131).
type Availability string

const (
	Available    Availability = "available"
	Missing      Availability = "missing"
	Unauthorized Availability = "unauthorized"
	Unresolved   Availability = "unresolved"
)

// Reason is why a relation cannot be opened (spec 131).
type Reason string

const (
	ReasonMissing      Reason = "missing"
	ReasonDeleted      Reason = "deleted"
	ReasonUnauthorized Reason = "unauthorized"
	ReasonUnresolved   Reason = "unresolved"
)

// messages are the user-safe explanations: none names the record.
var messages = map[Reason]string{
	ReasonMissing:      "No longer kept in Atlas.",
	ReasonDeleted:      "Deleted: no longer in the environment's exports.",
	ReasonUnauthorized: "You have no access to this record.",
	ReasonUnresolved:   "Atlas could not tell which record this is.",
}

// UnavailableRelationState is a relation that cannot be opened, and what the
// page may say about it.
type UnavailableRelationState struct {
	RelationKey    string
	ReferenceValue string // a fallback reference ("Run #8"); never shown when unauthorized
	Reason         Reason
	Message        string
	ShowReference  bool
}

// Unavailable is the state of a relation that cannot be opened for reason.
// An unauthorized one keeps no reference: the viewer may not learn its name.
func Unavailable(relationKey string, reason Reason, reference string) UnavailableRelationState {
	s := UnavailableRelationState{RelationKey: relationKey, Reason: reason, Message: messages[reason],
		ReferenceValue: reference, ShowReference: reference != ""}
	if reason == ReasonUnauthorized {
		s.ReferenceValue, s.ShowReference = "", false
	}
	return s
}

// shown is what a page shows for the relation: its reference, or "Unavailable".
func (s UnavailableRelationState) shown() string {
	if s.ShowReference {
		return s.ReferenceValue
	}
	return "Unavailable"
}

// RelatedContextEntry is one related record of a detail page (spec 131).
type RelatedContextEntry struct {
	Key               string
	Label             string
	Value             string // the human label
	SecondaryValue    string // ids and context, second
	TargetURL         string // "" when not actionable
	TargetKind        string
	Availability      Availability
	UnavailableReason Reason
	UnavailableText   string // the user-safe message
	ContextBadge      string
	priority          int
}

// entry is an available related record through the rule (source, key).
func entry(sourceType, key, value, secondary, url string) RelatedContextEntry {
	r := Rule(sourceType, DetailSection, key)
	return RelatedContextEntry{Key: key, Label: r.Label, Value: value, SecondaryValue: secondary, TargetURL: url,
		TargetKind: r.TargetType, Availability: Available, priority: r.Priority}
}

// unavailableEntry is a related record that cannot be opened, as the rule's
// missing_state_policy shows it; ok is false when the rule hides it.
func unavailableEntry(sourceType string, s UnavailableRelationState) (RelatedContextEntry, bool) {
	r := Rule(sourceType, DetailSection, s.RelationKey)
	e := RelatedContextEntry{Key: s.RelationKey, Label: r.Label, TargetKind: r.TargetType, priority: r.Priority,
		UnavailableReason: s.Reason, UnavailableText: s.Message, Value: s.shown()}
	switch s.Reason {
	case ReasonUnauthorized:
		e.Availability = Unauthorized
	case ReasonUnresolved:
		e.Availability = Unresolved
	default:
		e.Availability = Missing
	}
	return e, r.MissingStatePolicy != Hide
}

// Unavailable reports whether the entry renders without a link.
func (e RelatedContextEntry) Unavailable() bool { return e.Availability != Available }

// RelatedContextSection is a detail page's one "Related context" panel.
type RelatedContextSection struct {
	Title           string
	SourceType      string
	Entries         []RelatedContextEntry
	PrimaryEntryKey string // the most likely next step, "" when none stands out
	EmptyMessage    string
}

// section builds a page's related context: entries in operator relevance (the
// rules' priority, then as given), the first available top-priority entry marked
// as the next step.
func section(sourceType string, entries []RelatedContextEntry) RelatedContextSection {
	slices.SortStableFunc(entries, func(a, b RelatedContextEntry) int { return a.priority - b.priority })
	s := RelatedContextSection{Title: "Related context", SourceType: sourceType, Entries: entries,
		EmptyMessage: "No related records."}
	for _, e := range entries {
		if e.priority == 1 && !e.Unavailable() {
			s.PrimaryEntryKey = e.Key
			break
		}
	}
	return s
}

// Entries collects a page's related records, each through its rule.
type Entries struct {
	source string
	list   []RelatedContextEntry
}

// NewEntries collects the related records of a page of sourceType.
func NewEntries(sourceType string) *Entries { return &Entries{source: sourceType} }

// Link adds an available entry.
func (l *Entries) Link(key, value, secondary, url string) {
	l.list = append(l.list, entry(l.source, key, value, secondary, url))
}

// Unavailable adds a relation that cannot be opened, unless its rule hides it.
func (l *Entries) Unavailable(key string, reason Reason, reference string) {
	l.UnavailableState(Unavailable(key, reason, reference))
}

// UnavailableState adds a relation that cannot be opened with a message of the
// page's own, unless its rule hides it.
func (l *Entries) UnavailableState(s UnavailableRelationState) {
	if e, ok := unavailableEntry(l.source, s); ok {
		l.list = append(l.list, e)
	}
}

// Section is the collected entries as the page's related context.
func (l *Entries) Section() RelatedContextSection { return section(l.source, l.list) }

// RunLabel names a run for people: "Inventory sync #8 · 3 Nov" (never a bare "#8").
func RunLabel(typeLabel string, id int64, createdAt time.Time) string {
	label := fmt.Sprintf("%s #%d", typeLabel, id)
	if !createdAt.IsZero() {
		label += " · " + createdAt.UTC().Format("2 Jan")
	}
	return label
}

// SourceType is the type of the page the entries are collected for.
func (l *Entries) SourceType() string { return l.source }
