package intune

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"runtime"
	"strings"
	"sync"
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
	GraphType string
	// TypeSource says how Read knew the type: TypeFromOData, TypeFromLayout or
	// TypeFromShape; "" for Other.
	TypeSource  string
	DisplayName string // displayName, else name, else the file name
	Platform    string // windows, macOS, iOS, android, linux or all
	// Modified is lastModifiedDateTime when the file has it, else the file's
	// modification time.
	Modified  time.Time
	Payload   any    // Normalize'd content, with what files beside it add (settings, assignments)
	Canonical []byte // Canonical(Payload)
	Hash      string // Hash(Canonical)
	Size      int64  // bytes of the file and of the files read with it
	// Warnings are what the run should say about the object without failing
	// it: settings that disagree with the file beside them, a settings file
	// without its intent, an object of no known type.
	Warnings []string
}

// Type sources: how Read knew an object's type, for the coverage pages.
const (
	TypeFromOData  = "odata"  // the file's @odata.type
	TypeFromLayout = "layout" // the folder or file name the exporting tool gave it
	TypeFromShape  = "shape"  // the payload's shape (a Graph request body has no type)
)

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
}

// assignmentsFolder holds, beside an IntuneBackupAndRestore type folder, each
// policy's assignments in a file of the policy's own file name: they are read
// with the policy, as its assignments, and are no objects of their own.
const assignmentsFolder = "Assignments"

// settingsSuffix ends the name of the file IntuneManagement writes beside an
// endpoint-security intent "<name>.json" for its settings: "<name>_Settings.json".
const settingsSuffix = "_Settings.json"

var skippedFiles = map[string]string{
	"migrationtable.json": "IntuneManagement migration table: ids of the source tenant, not configuration",
}

const nativeImportCopy = "NativeImport copy: the IntuneManagement export beside it holds the same policies, and is the one read"

// Read walks an export and calls visit once per file, in lexical order, on the
// caller's goroutine. JSON files give an Object, a skip or a
// per-file error; other files are skipped ("not a JSON file"). Hidden files and
// folders (".git", "._x.json") and "__MACOSX" are not visited. A NativeImport
// folder beside an IntuneManagement folder (OpenIntuneBaseline) is skipped file
// by file: it holds the same policies in the portal's import format, some under
// other ids, and reading both would list every policy twice. Read returns
// visit's error, which stops the walk, or an error when the root itself cannot
// be read; a folder that cannot be listed is a per-file error.
//
// Files beside a policy that hold part of it are read with it: an intent's
// "<name>_Settings.json" (IntuneManagement) and "Assignments/<file name>"
// (IntuneBackupAndRestore). They are then skipped on their own; a settings
// file without its intent is an object of its own, with a warning.
//
// One worker per core decodes and normalises files ahead of visit, at most
// readAhead files each: what visit sees does not depend on how many there are.
func Read(fsys fs.FS, visit func(Entry) error) error {
	r := &reader{fsys: fsys, assignments: map[string]string{}}
	workers := runtime.GOMAXPROCS(0)
	toRead := make(chan *file, workers*readAhead)
	inOrder := make(chan *file, workers*readAhead)
	stop := make(chan struct{})
	var reading sync.WaitGroup
	for range workers {
		reading.Go(func() {
			for f := range toRead {
				select {
				case <-stop: // nobody waits for it
					continue
				default:
				}
				f.read <- r.read(f)
			}
		})
	}
	walked := make(chan fileRead, 1) // how the walk ended: its error, or its panic
	go func() {
		var end fileRead
		defer func() {
			if v := recover(); v != nil {
				end.panicked = v
			}
			walked <- end
		}()
		defer close(toRead)
		defer close(inOrder)
		end.entry.Err = walkExport(fsys, func(p string, d fs.DirEntry, inNativeImport bool, err error) error {
			select {
			case <-stop:
				return errStopped
			default:
			}
			f := &file{path: p, d: d, inNativeImport: inNativeImport, read: make(chan fileRead, 1)}
			if err != nil {
				f.read <- fileRead{entry: Entry{Path: p, Err: fmt.Errorf("cannot list the folder: %w", err)}}
			} else {
				select {
				case toRead <- f:
				case <-stop:
					return errStopped
				}
			}
			select {
			case inOrder <- f:
				return nil
			case <-stop:
				return errStopped
			}
		})
	}()
	defer func() {
		close(stop)
		reading.Wait()
	}()
	// readWith maps a settings file to the intent it was read with; an
	// intent's file is visited first ("X.json" sorts before "X_Settings.json").
	readWith := map[string]string{}
	for f := range inOrder {
		got := <-f.read
		if got.panicked != nil {
			panic(got.panicked) // on the caller's goroutine, as without the workers: its recover sees it
		}
		if intent := readWith[f.path]; intent != "" {
			got.entry = Entry{Path: f.path, Skipped: fmt.Sprintf("the settings of the endpoint security intent in %s, read with it", intent)}
		} else if got.settingsFile != "" {
			readWith[got.settingsFile] = f.path
		}
		if err := visit(got.entry); err != nil {
			return err
		}
	}
	end := <-walked // the walk has ended: it closed inOrder
	if end.panicked != nil {
		panic(end.panicked)
	}
	return end.entry.Err
}

// readAhead is how many files each worker may have read that visit has not seen:
// enough to keep both cores busy, few enough that memory stays flat.
const readAhead = 4

var errStopped = errors.New("read stopped")

// file is one file of the walk, and its entry once a worker has read it.
type file struct {
	path           string
	d              fs.DirEntry
	inNativeImport bool
	read           chan fileRead
}

// fileRead is a file's entry, and the settings file read with it (an intent's).
type fileRead struct {
	entry        Entry
	settingsFile string
	panicked     any
}

func (r *reader) read(f *file) (got fileRead) {
	defer func() {
		if v := recover(); v != nil {
			got.panicked = v
		}
	}()
	got.entry, got.settingsFile = r.entry(f.path, f.d, f.inNativeImport)
	return got
}

// reader reads the files of one export; its workers share it.
type reader struct {
	fsys        fs.FS
	mu          sync.Mutex
	assignments map[string]string // folder → its Assignments folder, "" when it has none
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

// entry reads one file, and says which settings file it read with it; Read
// decides whether an intent read the file already.
func (r *reader) entry(p string, d fs.DirEntry, inNativeImport bool) (Entry, string) {
	dir, base := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	switch {
	case !strings.EqualFold(path.Ext(base), ".json"):
		return Entry{Path: p, Skipped: "not a JSON file"}, ""
	case inNativeImport:
		return Entry{Path: p, Skipped: nativeImportCopy}, ""
	case skippedFiles[strings.ToLower(base)] != "":
		return Entry{Path: p, Skipped: skippedFiles[strings.ToLower(base)]}, ""
	case dir != "" && strings.EqualFold(path.Base(dir), assignmentsFolder):
		return Entry{Path: p, Skipped: r.assignmentsSkip(p)}, ""
	}
	if reason, ok := skippedFolders[foldName(path.Base(dir))]; ok && dir != "" {
		return Entry{Path: p, Skipped: reason}, ""
	}
	switch {
	case d.Type()&fs.ModeSymlink != 0:
		return Entry{Path: p, Skipped: "a link: Atlas reads only the files an export holds, not what links point to"}, ""
	case !d.Type().IsRegular():
		return Entry{Path: p, Skipped: "not a regular file (a device, a socket)"}, ""
	}
	info, err := d.Info()
	if err != nil {
		return Entry{Path: p, Err: err}, ""
	}
	v, size, err := r.decode(p, info.Size())
	if err != nil {
		return Entry{Path: p, Err: err}, ""
	}
	o, value, skip, err := objectOf(p, v)
	switch {
	case err != nil:
		return Entry{Path: p, Err: err}, ""
	case skip != "":
		return Entry{Path: p, Skipped: skip}, ""
	}
	o.Size = size
	if o.Modified.IsZero() {
		o.Modified = info.ModTime().UTC()
	}
	settingsFile, err := r.readBeside(o, value)
	if err != nil {
		return Entry{Path: p, Err: err}, settingsFile
	}
	o.setPayload(value)
	return Entry{Path: p, Object: o}, settingsFile
}

// decode reads and decodes one file whose size the folder listing gave.
func (r *reader) decode(p string, size int64) (any, int64, error) {
	if size > MaxFileSize {
		return nil, 0, fmt.Errorf("file is %d bytes, over the %d MiB limit for one file", size, MaxFileSize>>20)
	}
	b, err := readFile(r.fsys, p)
	if err != nil {
		return nil, 0, err
	}
	v, err := Decode(b)
	return v, int64(len(b)), err
}

// readBeside adds to an object what files beside it hold of it: an intent's
// settings file, a policy's assignments file. A file the object has itself
// (settings inline, assignments expanded) wins, with a warning when they
// differ. A settings file read here (returned) is not an object of its own.
func (r *reader) readBeside(o *Object, value any) (settingsFile string, err error) {
	m, ok := value.(map[string]any)
	if !ok {
		return "", nil
	}
	if o.Type.Key == endpointSecurityIntent {
		companion := strings.TrimSuffix(o.SourcePath, path.Ext(o.SourcePath)) + settingsSuffix
		v, size, err := r.decodeIfThere(companion)
		if err != nil {
			return "", fmt.Errorf("its settings file %s: %w", companion, err)
		}
		if settings, ok := intentSettings(v); ok {
			attach(o, m, "settings", settings, companion)
			settingsFile = companion
			o.Size += size
		}
	}
	dir, base := path.Split(o.SourcePath)
	folder := r.assignmentsIn(dir)
	if folder == "" {
		return settingsFile, nil
	}
	assignments := path.Join(folder, base)
	v, size, err := r.decodeIfThere(assignments)
	if err != nil {
		return settingsFile, fmt.Errorf("its assignments file %s: %w", assignments, err)
	}
	switch x := v.(type) {
	case nil:
		return settingsFile, nil
	case map[string]any: // PowerShell writes a list of one as the one
		v = []any{x}
	}
	list, ok := v.([]any)
	if !ok {
		return settingsFile, fmt.Errorf("its assignments file %s: expected a list of assignments, found %s", assignments, jsonKind(v))
	}
	attach(o, m, "assignments", list, assignments)
	o.Size += size
	return settingsFile, nil
}

// decodeIfThere decodes the file at p, or returns nil when there is none. A
// link there is an error: the object is not read without what it holds.
func (r *reader) decodeIfThere(p string) (any, int64, error) {
	info, err := fs.Lstat(r.fsys, p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, 0, nil
	case err != nil:
		return nil, 0, err
	case info.Mode()&fs.ModeSymlink != 0:
		return nil, 0, errLink
	case !info.Mode().IsRegular():
		return nil, 0, nil
	}
	return r.decode(p, info.Size())
}

// assignmentsIn is the Assignments folder in the folder dir (a slash path, ""
// or ending in "/"), whatever its case, or ""; looked up once per folder.
func (r *reader) assignmentsIn(dir string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	folder, ok := r.assignments[dir]
	if ok {
		return folder
	}
	entries, _ := fs.ReadDir(r.fsys, path.Join(".", dir)) // listed by the walk already: an error there is reported
	for _, e := range entries {
		if e.IsDir() && strings.EqualFold(e.Name(), assignmentsFolder) {
			folder = path.Join(dir, e.Name())
			break
		}
	}
	r.assignments[dir] = folder
	return folder
}

// assignmentsSkip says why a file of an Assignments folder is no object.
func (r *reader) assignmentsSkip(p string) string {
	dir, base := path.Split(p)
	owner := path.Join(path.Dir(strings.TrimSuffix(dir, "/")), base)
	if _, err := fs.Stat(r.fsys, owner); err == nil {
		return fmt.Sprintf("the assignments of %s, read with it", owner)
	}
	return "assignments of a policy that is not in the export (IntuneBackupAndRestore names them after its file): not an object of its own"
}

// attach puts list under key in the object m, unless m has a list of its own
// there, which is kept (with a warning when the two differ).
func attach(o *Object, m map[string]any, key string, list []any, from string) {
	own, _ := m[key].([]any)
	if len(own) == 0 {
		m[key] = list
		return
	}
	if !bytes.Equal(Canonical(normalize(own, key)), Canonical(normalize(list, key))) {
		o.Warnings = append(o.Warnings, fmt.Sprintf("%s holds other %s than the file itself: the file's own were kept", from, key))
	}
}

// intentSettings is the list of intent setting instances a settings file
// holds: the list itself, or {"settings": list} as IntuneManagement writes it.
func intentSettings(v any) ([]any, bool) {
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		v = m["settings"]
	}
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	for _, e := range list {
		if s, _ := e.(map[string]any); s["definitionId"] == nil {
			return nil, false
		}
	}
	return list, true
}

func (o *Object) setPayload(v any) {
	o.Payload = Normalize(v)
	o.Canonical = Canonical(o.Payload)
	o.Hash = Hash(o.Canonical)
}

// errLink: Atlas reads the files an export holds, never what a link in it
// points to, inside the export or out (the folder is read through an os.Root,
// which stops a link leading out even when it was swapped in after this check).
var errLink = errors.New("it is a link: Atlas reads only the files an export holds, not what links point to")

// readFile reads at most one byte over MaxFileSize, so that a file that grew
// after its Stat still cannot exhaust memory (Decode refuses it). A link is errLink.
func readFile(fsys fs.FS, p string) ([]byte, error) {
	if info, err := fs.Lstat(fsys, p); err == nil && info.Mode()&fs.ModeSymlink != 0 {
		return nil, errLink
	}
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, MaxFileSize+1))
}

// objectOf tells what configuration object a decoded file holds: the type comes
// from @odata.type first, the folder second (DESIGN §7), IntuneCD's file-name
// suffix third and the payload's shape last. It returns the object without its
// payload, and the value to normalise into it.
func objectOf(p string, v any) (o *Object, value any, skip string, err error) {
	dir, base := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	m, isObject := v.(map[string]any)
	arr, isArray := v.([]any)
	if !isObject && !isArray {
		return nil, nil, "", fmt.Errorf("expected a JSON object or array, found %s", jsonKind(v))
	}
	odataType, _ := m["@odata.type"].(string)
	stem := strings.TrimSuffix(base, path.Ext(base))
	_, isSettings := intentSettings(v)

	var t *policyType
	found, source := false, ""
	if odataType != "" {
		t, found = typeByGraph(odataType)
		source = TypeFromOData
	}
	if !found {
		t, found = typeByFolder(dir)
		source = TypeFromLayout
	}
	if pt, name, ok := typeByFileSuffix(base); ok {
		stem = name // IntuneCD's suffix is not part of the name
		if !found {
			t, found = pt, true
		}
	}
	if !found {
		t, found = typeByShape(m, arr)
		source = TypeFromShape
	}

	info := Other
	if found {
		info = refineCoverage(t.TypeInfo, odataType)
	} else {
		source = ""
	}
	value = v
	switch {
	case info.Key == endpointSecurityIntent && isSettings && isArray: // a bare list of intent settings
		value = map[string]any{"settings": arr}
	case info.Key == "adminTemplate" && m["definition@odata.bind"] != nil: // PowerShell writes a list of one as the one
		value = []any{m}
	case isArray && info.Key != "adminTemplate":
		return nil, nil, "a JSON array that is not an administrative template nor intent settings: not a configuration object", nil
	}

	o = &Object{SourcePath: p, Type: info, TypeSource: source, GraphType: odataType, DisplayName: stem}
	if o.GraphType == "" && found && len(t.graphTypes) > 0 {
		o.GraphType = graphPrefix + t.graphTypes[0]
	}
	o.ExternalID, _ = m["id"].(string)
	if info.Key == endpointSecurityIntent && isSettings && strings.HasSuffix(base, settingsSuffix) {
		// Read has not read it with an intent: there is none beside it.
		o.DisplayName = strings.TrimSuffix(base, settingsSuffix)
		o.Warnings = append(o.Warnings, fmt.Sprintf("endpoint security settings without their intent (%s.json is not in the export or could not be read): imported as an object of their own", path.Join(dir, o.DisplayName)))
	}
	for _, k := range []string{"displayName", "name"} {
		if s, ok := m[k].(string); ok && strings.TrimSpace(s) != "" {
			o.DisplayName = s
			break
		}
	}
	o.Platform = objectPlatform(m, odataType, info)
	if s, ok := m["lastModifiedDateTime"].(string); ok {
		if t, ok := parseDate(s); ok {
			o.Modified = t.UTC()
		}
	}
	if !found {
		o.Warnings = append(o.Warnings, notAPolicy(odataType))
	}
	return o, value, "", nil
}

// notAPolicy says why an object is Other.
func notAPolicy(odataType string) string {
	if odataType != "" {
		return fmt.Sprintf("kept as Other, its restore not checked: %s is no Intune policy type Atlas knows, nor do its folder or its shape name one", odataType)
	}
	return "kept as Other, its restore not checked: no @odata.type, and neither its folder nor its shape is an Intune policy's"
}

const endpointSecurityIntent = "endpointSecurityIntent"

// typeByShape recognises payloads that carry no type (Graph request bodies,
// IntuneBackupAndRestore backups) by the properties only one type has.
func typeByShape(m map[string]any, arr []any) (*policyType, bool) {
	if len(arr) > 0 {
		first, _ := arr[0].(map[string]any)
		switch {
		case first["definition@odata.bind"] != nil:
			return byKey["adminTemplate"], true
		case first["definitionId"] != nil:
			return byKey[endpointSecurityIntent], true
		}
		return nil, false
	}
	settings, hasSettings := m["settings"].([]any)
	var first map[string]any
	if len(settings) > 0 {
		first, _ = settings[0].(map[string]any)
	}
	// macOS shell scripts have the same two fields, and a schedule of their own.
	file, _ := m["fileName"].(string)
	shell := m["executionFrequency"] != nil || file != "" && !strings.HasSuffix(strings.ToLower(file), ".ps1")
	switch {
	case first["settingInstance"] != nil, hasSettings && (m["technologies"] != nil || m["platforms"] != nil):
		return byKey["settingsCatalog"], true
	case m["settingsDelta"] != nil, hasSettings && m["templateId"] != nil, first["definitionId"] != nil:
		return byKey[endpointSecurityIntent], true
	case m["definitionValues"] != nil, m["definition@odata.bind"] != nil:
		return byKey["adminTemplate"], true
	case m["detectionScriptContent"] != nil:
		return byKey["remediation"], true
	case m["scriptContent"] != nil && m["runAsAccount"] != nil && shell:
		return byKey["shellScript"], true
	case m["scriptContent"] != nil && m["runAsAccount"] != nil:
		return byKey["powershellScript"], true
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
