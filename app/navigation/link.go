package navigation

// Link is a link to one record from a table's cell or a record's properties,
// made through the rule (source, surface, key) as related entries and row
// actions are: the record's address when the viewer may follow it, otherwise
// the relation's unavailable state (spec 131), never a link that answers 404.
// Template "_link" renders it.
type Link struct {
	Key     string
	Text    string // the link's text, or what an unavailable entry shows
	URL     string // "" when unavailable
	Reason  Reason // why it is unavailable
	Message string // the user-safe explanation
	Hidden  bool   // unavailable, and its rule hides it
}

// NewLink is an available link; a relation without a rule panics, as Rule does.
func NewLink(sourceType string, surface SourceSurface, key, text, url string) Link {
	Rule(sourceType, surface, key)
	return Link{Key: key, Text: text, URL: url}
}

// UnavailableLink is a relation that cannot be followed for reason, shown as
// its rule's missing_state_policy says; an unauthorized one names nothing.
func UnavailableLink(sourceType string, surface SourceSurface, key string, reason Reason, reference string) Link {
	r, s := Rule(sourceType, surface, key), Unavailable(key, reason, reference)
	return Link{Key: key, Text: s.shown(), Reason: reason, Message: s.Message, Hidden: r.MissingStatePolicy == Hide}
}
