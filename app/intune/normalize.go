package intune

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// CanonicalForm numbers the rules Normalize and Canonical follow. It goes up
// whenever they change, so that payloads stored in an older form are rewritten
// in the new one (2, issue 9: empty properties are absent, dates are UTC).
const CanonicalForm = 2

// EmbeddedJSONKey marks a string that held a JSON object or array: Normalize
// replaces such a string s by {EmbeddedJSONKey: <parsed s>}, so hashes and diffs
// see its structure (key order and white space inside it stop mattering), while a
// restore can still turn it back into a string. The parsed value is kept as is:
// Graph's server-managed keys mean nothing inside somebody else's JSON.
const EmbeddedJSONKey = "@atlas.json"

// serverManaged are keys Graph sets itself (identity, timestamps, version
// counters, read-only counts): they change without any configuration change.
// They are dropped at every depth (settings[].id "0","1"..., assignments[].id,
// apps[].version hashes are server-made too).
var serverManaged = map[string]bool{
	"id":                   true,
	"createdDateTime":      true,
	"lastModifiedDateTime": true,
	"version":              true,
	"settingCount":         true,
}

// impliedTypes are @odata.type values Graph adds where the property allows one
// type only. IntuneManagement exports keep them, IntuneCD and the portal's
// export drop them: dropping them here makes the same policy hash the same
// whichever tool exported it. A settings catalog policy's own type is one of
// them (IntuneCD omits it; Read has classified the file before normalising).
var impliedTypes = map[string]bool{
	"#microsoft.graph.deviceManagementConfigurationPolicy":                           true,
	"#microsoft.graph.deviceManagementConfigurationSetting":                          true,
	"#microsoft.graph.deviceManagementConfigurationChoiceSettingValue":               true,
	"#microsoft.graph.deviceManagementConfigurationGroupSettingValue":                true,
	"#microsoft.graph.deviceManagementConfigurationPolicyTemplateReference":          true,
	"#microsoft.graph.deviceManagementConfigurationSettingInstanceTemplateReference": true,
	"#microsoft.graph.deviceManagementConfigurationSettingValueTemplateReference":    true,
}

// Normalize returns a copy of a decoded export value with only its configuration
// left, ready for Canonical and Hash (DESIGN §7):
//   - dropped: server-managed keys (id, createdDateTime, lastModifiedDateTime,
//     version, settingCount), OData control annotations (@odata.context, @odata.id,
//     @odata.editLink, ...), property annotations (X@odata.type,
//     X@odata.navigationLink, X@odata.associationLink, X@odata.context, ...) and
//     action keys (#microsoft.graph.assign, ...);
//   - kept: @odata.type (it is the object's type; only types Graph implies,
//     see impliedTypes, go) and X@odata.bind (an admin template value names its
//     definition that way: identity, not noise);
//   - a property whose value is null, "", [] or {} (once normalised) goes, at
//     any depth: null is absent. Microsoft adds properties to Graph objects
//     over time and newer exports carry them, mostly null, on every object;
//     IntuneCD writes no assignments for an unassigned object where
//     IntuneManagement writes [];
//   - dates are written one way, ISO-8601 UTC to the millisecond (canonicalDate):
//     Windows PowerShell 5 writes "\/Date(1629482867709)\/", PowerShell 7 an
//     ISO date with the local offset;
//   - strings holding a JSON object or array become {EmbeddedJSONKey: value};
//   - arrays whose order means nothing (settings, children, assignments,
//     roleScopeTagIds, omaSettings, definition and presentation values, ...) are
//     put in a canonical order; other arrays keep theirs.
//
// Normalize is idempotent and does not modify its argument.
func Normalize(v any) any {
	return normalize(v, "")
}

func normalize(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			if inner, ok := x[EmbeddedJSONKey]; ok {
				return map[string]any{EmbeddedJSONKey: inner}
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			if dropKey(k) {
				continue
			}
			if n := normalize(e, k); !isEmpty(n) {
				out[k] = n
			}
		}
		if t, ok := out["@odata.type"].(string); ok && impliedTypes[t] {
			delete(out, "@odata.type")
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e, "[]") // an array in an array is no list the table names
		}
		if by, ok := unorderedArrays[key]; ok {
			sortArray(out, by)
		}
		return out
	case string:
		if inner, ok := embeddedJSON(x); ok {
			return map[string]any{EmbeddedJSONKey: inner}
		}
		if d, ok := canonicalDate(x); ok {
			return d
		}
		return x
	}
	return v
}

// isEmpty reports a value that says nothing: a property holding it is no
// different from the property being absent.
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// netDate is a .NET JSON date as Windows PowerShell 5 writes it (the JSON text
// "\/Date(1629482867709)\/" decodes to "/Date(1629482867709)/"): milliseconds
// since 1970, and an offset that only says which zone it was shown in.
var netDate = regexp.MustCompile(`^/Date\((-?\d{1,16})([+-]\d{4})?\)/$`)

// isoMillis is the canonical form of a date: ISO-8601 in UTC, to the
// millisecond (all a .NET JSON date holds).
const isoMillis = "2006-01-02T15:04:05.999Z07:00"

// canonicalDate rewrites a .NET JSON date or an ISO-8601 date-time with an
// offset or more digits as isoMillis: the same instant, written one way.
func canonicalDate(s string) (string, bool) {
	t, ok := parseDate(s)
	if !ok || t.Year() < 0 || t.Year() > 9999 {
		return "", false
	}
	return t.UTC().Truncate(time.Millisecond).Format(isoMillis), true
}

// parseDate reads a date-time as exports write it: ISO-8601 (RFC 3339) or a
// .NET JSON date ("/Date(1629482867709)/").
func parseDate(s string) (time.Time, bool) {
	if strings.HasPrefix(s, "/Date(") {
		m := netDate.FindStringSubmatch(s)
		if m == nil {
			return time.Time{}, false
		}
		ms, err := strconv.ParseInt(m[1], 10, 64)
		return time.UnixMilli(ms), err == nil
	}
	if len(s) < len("2006-01-02T15:04:05Z") || s[10] != 'T' {
		return time.Time{}, false // most strings are no date: skip the parser
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

func dropKey(k string) bool {
	if serverManaged[k] || strings.HasPrefix(k, "#") {
		return true
	}
	at := strings.IndexByte(k, '@')
	switch {
	case at < 0:
		return false
	case k == "@odata.type" || k == EmbeddedJSONKey:
		return false
	case at == 0:
		return true // @odata.context, @odata.id, @odata.editLink, @odata.etag, @microsoft.graph.* ...
	}
	return !strings.HasSuffix(k, "@odata.bind")
}

func embeddedJSON(s string) (any, bool) {
	t := strings.TrimSpace(s)
	if len(t) < 2 || !(t[0] == '{' && t[len(t)-1] == '}' || t[0] == '[' && t[len(t)-1] == ']') {
		return nil, false
	}
	v, err := decodeText([]byte(t), encoding{name: "UTF-8"})
	if err != nil {
		return nil, false
	}
	return v, true
}

// unorderedArrays maps an array's key to where its elements' identity lies: the
// first path present in an element gives its sort key (an empty path: the
// element itself). The top-level array of an admin-template file has key "".
var unorderedArrays = map[string][][]string{
	"":                              {{"definition@odata.bind"}, {"definition"}},
	"definitionValues":              {{"definition@odata.bind"}, {"definition"}},
	"presentationValues":            {{"presentation@odata.bind"}, {"presentation"}},
	"settings":                      {{"settingInstance", "settingDefinitionId"}, {"definitionId"}},
	"settingsDelta":                 {{"definitionId"}},
	"children":                      {{"settingDefinitionId"}},
	"assignments":                   {{"target"}},
	"roleScopeTagIds":               {{}},
	"omaSettings":                   {{"omaUri"}},
	"scheduledActionsForRule":       {{"ruleName"}},
	"scheduledActionConfigurations": {{"actionType"}},
	"apps":                          {{"mobileAppIdentifier"}},
	"localizedNotificationMessages": {{"locale"}},
	"exemptedAppProtocols":          {{"name"}},
	"allowedResourceActions":        {{}},
	"notAllowedResourceActions":     {{}},
}

// sortArray orders elements by their identity, then by their whole canonical
// form, so the order is total and repeatable.
func sortArray(a []any, paths [][]string) {
	type keyed struct {
		key, whole []byte
		v          any
	}
	ks := make([]*keyed, len(a))
	for i, e := range a {
		ks[i] = &keyed{key: Canonical(identity(e, paths)), v: e}
	}
	whole := func(k *keyed) []byte {
		if k.whole == nil {
			k.whole = Canonical(k.v)
		}
		return k.whole
	}
	slices.SortFunc(ks, func(p, q *keyed) int {
		if c := bytes.Compare(p.key, q.key); c != 0 {
			return c
		}
		return bytes.Compare(whole(p), whole(q))
	})
	for i := range ks {
		a[i] = ks[i].v
	}
}

func identity(v any, paths [][]string) any {
next:
	for _, path := range paths {
		e := v
		for _, k := range path {
			m, ok := e.(map[string]any)
			if !ok {
				continue next
			}
			if e, ok = m[k]; !ok {
				continue next
			}
		}
		return e
	}
	return nil
}

// Canonical writes a JSON value tree with object keys sorted (by bytes), no
// insignificant white space and fixed string escaping: equal trees give equal
// bytes. Numbers are written as they were read (json.Number keeps "1.0" and "1"
// apart: a changed literal is a changed file).
func Canonical(v any) []byte {
	return appendCanonical(nil, v)
}

func appendCanonical(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, x)
	case string:
		return appendString(b, x)
	case json.Number:
		if json.Valid([]byte(x)) {
			return append(b, x...)
		}
		return appendString(b, string(x))
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendCanonical(b, x[k])
		}
		return append(b, '}')
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendCanonical(b, e)
		}
		return append(b, ']')
	}
	// Values built in Go rather than decoded (ints, floats, typed slices).
	raw, err := json.Marshal(v)
	if err != nil {
		return appendString(b, err.Error())
	}
	var back any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&back); err != nil {
		return appendString(b, err.Error())
	}
	return appendCanonical(b, back)
}

const hexDigits = "0123456789abcdef"

// appendString escapes only what JSON requires (no HTML escaping), so text in
// diffs reads as written; invalid UTF-8 becomes U+FFFD as encoding/json does.
// Runs of bytes that need no escape are copied at once.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	done := 0 // s[:done] is written
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				b = append(append(b, s[done:i]...), `\ufffd`...)
				done = i + 1
			}
			i += n
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		b = append(b, s[done:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		i++
		done = i
	}
	return append(append(b, s[done:]...), '"')
}

// Hash is the content hash of canonical bytes: hex SHA-256.
func Hash(canonical []byte) string {
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:])
}
