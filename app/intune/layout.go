package intune

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// Layout kinds: which tool wrote an export.
const (
	IntuneManagement       = "intunemanagement"
	IntuneCD               = "intunecd"
	IntuneBackupAndRestore = "intunebackupandrestore"
	GraphJSON              = "graph"
	UnknownLayout          = "unknown"
)

// Layout is what DetectLayout found: the tool (Kind), a sentence for the page
// (Verdict) and Files, the number of entries Read will report (the sync's
// progress total).
type Layout struct {
	Kind    string
	Verdict string
	Files   int
}

var layoutNames = map[string]string{
	IntuneManagement:       "IntuneManagement export",
	IntuneCD:               "IntuneCD backup",
	IntuneBackupAndRestore: "IntuneBackupAndRestore backup",
	GraphJSON:              "Plain Graph JSON",
}

// layoutMarkers are folder names only one tool writes (compared exactly, but
// for case: "App Protection" is IntuneCD's, "AppProtection" IntuneManagement's).
// Names several tools share ("Settings Catalog", "Device Configurations") and
// Azure/securedworkstation's DeviceConfiguration do not tell tools apart.
var layoutMarkers = map[string]string{
	"intunemanagement": IntuneManagement, "settingscatalog": IntuneManagement, "compliancepolicies": IntuneManagement,
	"updatepolicies": IntuneManagement, "driverupdateprofiles": IntuneManagement, "administrativetemplates": IntuneManagement,
	"appprotection": IntuneManagement, "enrollmentstatuspage": IntuneManagement, "enrollmentrestrictions": IntuneManagement,
	"scopetags": IntuneManagement, "endpointsecurity": IntuneManagement, "autopilot": IntuneManagement,
	"featureupdates": IntuneManagement, "qualityupdates": IntuneManagement, "assignmentfilters": IntuneManagement,

	"compliance policies": IntuneCD, "assignment report": IntuneCD, "enrollment profiles": IntuneCD,
	"enrollment configurations": IntuneCD, "app protection": IntuneCD, "custom attributes": IntuneCD,
	"device management settings": IntuneCD, "roles": IntuneCD, "scope tags": IntuneCD,

	"device compliance policies": IntuneBackupAndRestore, "administrative templates": IntuneBackupAndRestore,
	"device management scripts": IntuneBackupAndRestore, "app protection policies": IntuneBackupAndRestore,
	"device management intents": IntuneBackupAndRestore, "client apps": IntuneBackupAndRestore,
	"assignment filters": IntuneBackupAndRestore, "windows driver updates": IntuneBackupAndRestore,
	"windows feature updates": IntuneBackupAndRestore, "windows quality updates": IntuneBackupAndRestore,
	"role scope tags": IntuneBackupAndRestore, "device health scripts": IntuneBackupAndRestore,
}

// DetectLayout tells which tool wrote the export in fsys from its folder names,
// reading no file unless no tool's folders are there (then a few, to tell Graph
// JSON from other JSON).
func DetectLayout(fsys fs.FS) Layout {
	var (
		entries, files, nativeCopies int
		folders                      = map[string]bool{} // folders holding JSON files
		votes                        = map[string]int{}
		platforms                    []string // OpenIntuneBaseline: WINDOWS, MACOS... above IntuneManagement
		samples                      []string
		seen                         = map[string]bool{}
	)
	err := walkExport(fsys, func(p string, d fs.DirEntry, inNativeImport bool, err error) error {
		entries++
		if err != nil {
			return nil
		}
		for dir := path.Dir(p); dir != "." && !seen[dir]; dir = path.Dir(dir) {
			seen[dir] = true
			name := path.Base(dir)
			if kind, ok := layoutMarkers[strings.ToLower(name)]; ok {
				votes[kind]++
			}
			if strings.EqualFold(name, "IntuneManagement") && path.Dir(dir) != "." {
				platforms = append(platforms, path.Base(path.Dir(dir)))
			}
		}
		switch {
		case !strings.EqualFold(path.Ext(p), ".json"):
		case inNativeImport:
			nativeCopies++
		default:
			files++
			folders[path.Dir(p)] = true
			if len(samples) < 5 {
				samples = append(samples, p)
			}
		}
		return nil
	})
	if err != nil {
		return Layout{Kind: UnknownLayout, Verdict: fmt.Sprintf("The export cannot be read: %v", err)}
	}
	if files == 0 {
		return Layout{Kind: UnknownLayout, Files: entries, Verdict: "No Intune export found: the folder holds no JSON files"}
	}

	kind := GraphJSON
	best := 0
	for _, k := range []string{IntuneManagement, IntuneCD, IntuneBackupAndRestore} {
		if votes[k] > best {
			kind, best = k, votes[k]
		}
	}
	if kind == GraphJSON && !looksLikeGraph(fsys, samples) {
		return Layout{Kind: UnknownLayout, Files: entries,
			Verdict: fmt.Sprintf("No Intune export recognised: %s, none of them with a Graph type", plural(files, "JSON file"))}
	}
	verdict := fmt.Sprintf("%s: %s in %s", layoutNames[kind], plural(files, "JSON file"), plural(len(folders), "folder"))
	if len(platforms) > 0 {
		slices.Sort(platforms)
		verdict += fmt.Sprintf(", platforms %s", strings.Join(platforms, ", "))
	}
	if nativeCopies > 0 {
		verdict += fmt.Sprintf("; %s skipped (the same policies as the IntuneManagement files)", plural(nativeCopies, "NativeImport copy"))
	}
	return Layout{Kind: kind, Verdict: verdict, Files: entries}
}

// looksLikeGraph reads a few files of a folder no tool claims: one with a Graph
// type or a recognisable payload is enough.
func looksLikeGraph(fsys fs.FS, samples []string) bool {
	for _, p := range samples {
		b, err := readFile(fsys, p)
		if err != nil {
			continue
		}
		v, err := Decode(b)
		if err != nil {
			continue
		}
		m, _ := v.(map[string]any)
		a, _ := v.([]any)
		if _, ok := m["@odata.type"].(string); ok {
			return true
		}
		if _, ok := typeByShape(m, a); ok {
			return true
		}
	}
	return false
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "y") {
		return fmt.Sprintf("%d %sies", n, noun[:len(noun)-1])
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
