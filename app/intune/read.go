package intune

import (
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"
)

// Object is one configuration object read from an export file.
type Object struct {
	SourcePath string // slash path of the file inside the export
	// ExternalID is the Graph id when the file has one (IntuneCD strips ids: "").
	ExternalID string
	Type       TypeInfo // its Coverage may be finer than the type's (see coverageByGraphType)
	// GraphType is the file's @odata.type, or the type's canonical Graph type
	// when the file has none (IntuneCD settings catalog), or "". Identity without
	// an id needs it: IntuneCD's four default enrollment configurations share
	// the display name "All users and all devices" and differ only by it.
	GraphType   string
	DisplayName string // displayName, else name, else the file name
	Platform    string // windows, macOS, iOS, android, linux or all
	// Modified is lastModifiedDateTime when the file has it, else the file's
	// modification time.
	Modified  time.Time
	Payload   any    // Normalize'd content
	Canonical []byte // Canonical(Payload)
	Hash      string // Hash(Canonical)
	Size      int64  // bytes of the file
}

// Entry is what Read reports for one file: exactly one of Object, Skipped and
// Err is set.
type Entry struct {
	Path    string  // slash path inside the export
	Object  *Object // the file holds a configuration object
	Skipped string  // the file is not configuration (a report, a duplicate copy): why
	Err     error   // the file could not be read: why (a per-file failure)
}

// skippedFolders hold files that are not configuration objects.
var skippedFolders = map[string]string{
	foldName("Assignment Report"): "IntuneCD assignment report: a report, not configuration",
	foldName("Assignments"):       "assignments saved apart from their object (IntuneBackupAndRestore): not an object of its own",
}

var skippedFiles = map[string]string{
	"migrationtable.json": "IntuneManagement migration table: ids of the source tenant, not configuration",
}

const nativeImportCopy = "NativeImport copy: the IntuneManagement export beside it holds the same policies, and is the one read"

// Read walks an export and calls visit once per file, in lexical order,
// holding one file in memory at a time. JSON files give an Object, a skip or a
// per-file error; other files are skipped ("not a JSON file"). Hidden files and
// folders (".git", "._x.json") and "__MACOSX" are not visited. A NativeImport
// folder beside an IntuneManagement folder (OpenIntuneBaseline) is skipped file
// by file: it holds the same policies in the portal's import format, some under
// other ids, and reading both would list every policy twice. Read returns
// visit's error, which stops the walk, or an error when the root itself cannot
// be read; a folder that cannot be listed is a per-file error.
func Read(fsys fs.FS, visit func(Entry) error) error {
	return walkExport(fsys, func(p string, d fs.DirEntry, inNativeImport bool, err error) error {
		if err != nil {
			return visit(Entry{Path: p, Err: fmt.Errorf("cannot list the folder: %w", err)})
		}
		return visit(readEntry(fsys, p, d, inNativeImport))
	})
}

// walkExport calls fn for every file of an export that Read reports (and for
// every folder that cannot be listed, with its error), skipping hidden files and
// folders; inNativeImport says the file is a NativeImport copy.
func walkExport(fsys fs.FS, fn func(p string, d fs.DirEntry, inNativeImport bool, err error) error) error {
	if _, err := fs.Stat(fsys, "."); err != nil {
		return fmt.Errorf("reading the export: %w", err)
	}
	nativeImport := map[string]bool{}
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return fmt.Errorf("reading the export: %w", err)
			}
			if ferr := fn(p, d, false, err); ferr != nil {
				return ferr
			}
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if p != "." && hidden(d.Name()) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if foldName(d.Name()) == "nativeimport" {
				if st, err := fs.Stat(fsys, path.Join(path.Dir(p), "IntuneManagement")); err == nil && st.IsDir() {
					nativeImport[p] = true
				}
			}
			return nil
		}
		return fn(p, d, nativeImport[path.Dir(p)], nil)
	})
}

func hidden(name string) bool {
	return strings.HasPrefix(name, ".") || name == "__MACOSX"
}

func readEntry(fsys fs.FS, p string, d fs.DirEntry, inNativeImport bool) Entry {
	dir, base := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	switch {
	case !strings.EqualFold(path.Ext(base), ".json"):
		return Entry{Path: p, Skipped: "not a JSON file"}
	case inNativeImport:
		return Entry{Path: p, Skipped: nativeImportCopy}
	case skippedFiles[strings.ToLower(base)] != "":
		return Entry{Path: p, Skipped: skippedFiles[strings.ToLower(base)]}
	}
	if reason, ok := skippedFolders[foldName(path.Base(dir))]; ok && dir != "" {
		return Entry{Path: p, Skipped: reason}
	}
	if !d.Type().IsRegular() {
		return Entry{Path: p, Skipped: "not a regular file (a link or a device)"}
	}
	info, err := d.Info()
	if err != nil {
		return Entry{Path: p, Err: err}
	}
	if info.Size() > MaxFileSize {
		return Entry{Path: p, Err: fmt.Errorf("file is %d bytes, over the %d MiB limit for one file", info.Size(), MaxFileSize>>20)}
	}
	b, err := readFile(fsys, p)
	if err != nil {
		return Entry{Path: p, Err: err}
	}
	v, err := Decode(b)
	if err != nil {
		return Entry{Path: p, Err: err}
	}
	o, skip, err := objectOf(p, v)
	switch {
	case err != nil:
		return Entry{Path: p, Err: err}
	case skip != "":
		return Entry{Path: p, Skipped: skip}
	}
	o.Size = int64(len(b))
	if o.Modified.IsZero() {
		o.Modified = info.ModTime().UTC()
	}
	return Entry{Path: p, Object: o}
}

// readFile reads at most one byte over MaxFileSize, so that a file that grew
// after its Stat still cannot exhaust memory (Decode refuses it).
func readFile(fsys fs.FS, p string) ([]byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, MaxFileSize+1))
}

// objectOf tells what configuration object a decoded file holds: the type comes
// from @odata.type first, the folder second (DESIGN §7), IntuneCD's file-name
// suffix third and the payload's shape last.
func objectOf(p string, v any) (*Object, string, error) {
	dir, base := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	m, isObject := v.(map[string]any)
	arr, isArray := v.([]any)
	if !isObject && !isArray {
		return nil, "", fmt.Errorf("expected a JSON object or array, found %s", jsonKind(v))
	}
	odataType, _ := m["@odata.type"].(string)
	stem := strings.TrimSuffix(base, path.Ext(base))

	var t *policyType
	found := false
	if odataType != "" {
		t, found = typeByGraph(odataType)
	}
	if !found {
		t, found = typeByFolder(dir)
	}
	if pt, name, ok := typeByFileSuffix(base); ok {
		stem = name // IntuneCD's suffix is not part of the name
		if !found {
			t, found = pt, true
		}
	}
	if !found {
		t, found = typeByShape(m, arr)
	}

	info := Other
	if found {
		info = refineCoverage(t.TypeInfo, odataType)
	}
	if isArray && info.Key != "adminTemplate" {
		return nil, "a JSON array that is not an administrative template: not a configuration object", nil
	}

	o := &Object{SourcePath: p, Type: info, GraphType: odataType, DisplayName: stem}
	if o.GraphType == "" && found && len(t.graphTypes) > 0 {
		o.GraphType = graphPrefix + t.graphTypes[0]
	}
	o.ExternalID, _ = m["id"].(string)
	for _, k := range []string{"displayName", "name"} {
		if s, ok := m[k].(string); ok && strings.TrimSpace(s) != "" {
			o.DisplayName = s
			break
		}
	}
	o.Platform = objectPlatform(m, odataType, info)
	if s, ok := m["lastModifiedDateTime"].(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			o.Modified = t.UTC()
		}
	}
	o.Payload = Normalize(v)
	o.Canonical = Canonical(o.Payload)
	o.Hash = Hash(o.Canonical)
	return o, "", nil
}

// typeByShape recognises the two payloads that carry no type at all: a settings
// catalog body (NativeImport) and an admin-template file (an array of
// definition values).
func typeByShape(m map[string]any, arr []any) (*policyType, bool) {
	if _, ok := m["settings"].([]any); ok && (m["technologies"] != nil || m["platforms"] != nil) {
		return byKey["settingsCatalog"], true
	}
	if len(arr) > 0 {
		if first, ok := arr[0].(map[string]any); ok && first["definition@odata.bind"] != nil {
			return byKey["adminTemplate"], true
		}
	}
	return nil, false
}

func objectPlatform(m map[string]any, odataType string, info TypeInfo) string {
	if s, ok := m["platforms"].(string); ok {
		if p := platformOf(s); p != "" {
			return p
		}
	}
	if p := platformOf(odataType); p != "" {
		return p
	}
	if info.Platform != "" {
		return info.Platform
	}
	return AnyOS
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "a number"
}
