package diff

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"atlas/app/intune"
)

// Exit statuses of `atlas diff`, as diff(1) has them.
const (
	ExitSame    = 0
	ExitDiffer  = 1
	ExitTrouble = 2
)

// Run is `atlas diff [--json] A B`: it compares two export files, or two
// exports (folders or zips of them; policies matched by id, else by type and
// name), writes the changes to w as text or as one JSON object, and returns
// diff(1)'s exit status. An error comes with ExitTrouble; what could be
// compared is still written.
func Run(a, b string, asJSON bool, w io.Writer) (int, error) {
	ka, errA := kindOfPath(a)
	kb, errB := kindOfPath(b)
	if err := errors.Join(errA, errB); err != nil {
		return ExitTrouble, err
	}
	switch {
	case ka == "file" && kb == "file":
		return runFiles(a, b, asJSON, w)
	case ka != "file" && kb != "file":
		return runExports(a, b, asJSON, w)
	}
	return ExitTrouble, fmt.Errorf("compare a file with a file or an export with an export: %s is a %s, %s is a %s", a, ka, b, kb)
}

// kindOfPath says whether p is an export file, an export folder or a zip.
func kindOfPath(p string) (string, error) {
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		return "", err
	case fi.IsDir():
		return "folder", nil
	case strings.EqualFold(filepath.Ext(p), ".zip"):
		return "zip", nil
	}
	return "file", nil
}

// changeJSON is one change as `atlas diff --json` writes it (issue 5's keys,
// and issue 9's section and CSP path).
type changeJSON struct {
	Path     string   `json:"path"`
	Section  string   `json:"section"`
	Label    string   `json:"label"`
	CSP      string   `json:"csp,omitempty"`
	Kind     Kind     `json:"kind"`
	Old      string   `json:"old"`
	New      string   `json:"new"`
	Severity Severity `json:"severity"`
}

func changesJSON(changes []Change) []changeJSON {
	out := make([]changeJSON, len(changes))
	for i, c := range changes {
		out[i] = changeJSON{Path: c.Path, Section: c.Section, Label: c.Label, CSP: c.About.CSP, Kind: c.Kind, Old: c.Old, New: c.New, Severity: c.Severity}
	}
	return out
}

func runFiles(a, b string, asJSON bool, w io.Writer) (int, error) {
	old, errA := readPayload(a)
	new, errB := readPayload(b)
	if err := errors.Join(errA, errB); err != nil {
		return ExitTrouble, err
	}
	res := Payloads(old, new)
	var err error
	if asJSON {
		err = writeJSON(w, struct {
			Changes []changeJSON `json:"changes"`
		}{changesJSON(res.Changes)})
	} else {
		err = writeText(w, res, "")
	}
	if err != nil {
		return ExitTrouble, err
	}
	return exitOf(len(res.Changes) > 0), nil
}

func readPayload(p string) (any, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	v, err := intune.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return intune.Normalize(v), nil
}

func exitOf(differ bool) int {
	if differ {
		return ExitDiffer
	}
	return ExitSame
}

// Policy statuses in a folder comparison.
const (
	statusUnchanged = "unchanged"
	statusChanged   = "changed"
	statusAdded     = "added"
	statusRemoved   = "removed"
)

// policyDiff is one policy of a folder comparison.
type policyDiff struct {
	name, typ, typeLabel, status string
	res                          Result
}

func runExports(a, b string, asJSON bool, w io.Writer) (int, error) {
	old, oldNames, errA := readExport(a)
	new, newNames, errB := readExport(b)
	trouble := errors.Join(errA, errB)
	names := Names{}
	maps.Copy(names, oldNames)
	maps.Copy(names, newNames)
	diffs := names.matchPolicies(old, new)
	counts := map[string]int{}
	for _, d := range diffs {
		counts[d.status]++
	}
	var err error
	if asJSON {
		type policyJSON struct {
			Name    string       `json:"name"`
			Type    string       `json:"type"`
			Status  string       `json:"status"`
			Changes []changeJSON `json:"changes"`
		}
		out := struct {
			Unchanged int          `json:"unchanged"`
			Changed   int          `json:"changed"`
			Added     int          `json:"added"`
			Removed   int          `json:"removed"`
			Policies  []policyJSON `json:"policies"`
			Errors    []string     `json:"errors,omitempty"`
		}{counts[statusUnchanged], counts[statusChanged], counts[statusAdded], counts[statusRemoved], []policyJSON{}, errorLines(trouble)}
		for _, d := range diffs {
			if d.status != statusUnchanged {
				out.Policies = append(out.Policies, policyJSON{d.name, d.typ, d.status, changesJSON(d.res.Changes)})
			}
		}
		err = writeJSON(w, out)
	} else {
		err = writeFolderText(w, diffs, counts, trouble)
	}
	switch {
	case err != nil:
		return ExitTrouble, err
	case trouble != nil:
		return ExitTrouble, trouble
	}
	return exitOf(counts[statusChanged]+counts[statusAdded]+counts[statusRemoved] > 0), nil
}

// readExport reads every configuration object of an export folder or zip,
// and the names it gives the groups and filters they reference; files that
// cannot be read are errors, files that are not configuration are skipped. A
// zip is expanded, within intune's limits, into a temporary folder that is
// removed afterwards.
func readExport(p string) ([]*intune.Object, Names, error) {
	dir := p
	if kind, _ := kindOfPath(p); kind == "zip" {
		tmp, err := os.MkdirTemp("", "atlas-diff-")
		if err != nil {
			return nil, nil, err
		}
		defer os.RemoveAll(tmp)
		dir = filepath.Join(tmp, "export")
		if err := extract(p, dir); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	// Through an os.Root: no link inside the export leads out of it.
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: reading the export: %w", p, err)
	}
	defer root.Close()
	var objects []*intune.Object
	var failures []error
	err = intune.Read(root.FS(), func(e intune.Entry) error {
		switch {
		case e.Err != nil:
			failures = append(failures, fmt.Errorf("%s: %s: %w", p, e.Path, e.Err))
		case e.Object != nil:
			objects = append(objects, e.Object)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", p, err)
	}
	return objects, intune.ObjectNames(root.FS()), errors.Join(failures...)
}

func extract(zipPath, dir string) error {
	f, err := os.Open(zipPath)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	_, err = intune.ExtractZip(f, fi.Size(), dir, intune.DefaultZipLimits)
	return err
}

// matchPolicies pairs the policies of two exports by id where both have one,
// then by type and name (IntuneCD keeps no ids; DESIGN §7), and compares
// each pair, naming groups and filters by n. Among policies sharing an id (one
// baseline copied into several folders, as Azure/securedworkstation does) the
// one of the same name comes first. The result is ordered by type, name and status.
func (n Names) matchPolicies(old, new []*intune.Object) []policyDiff {
	var diffs []policyDiff
	used := make([]bool, len(new))
	byID := map[string][]int{} // no "" key: objects without an id match by name
	byName := map[string][]int{}
	for j, o := range new {
		if o.ExternalID != "" {
			byID[o.ExternalID] = append(byID[o.ExternalID], j)
		}
		byName[identity(o)] = append(byName[identity(o)], j)
	}
	match := func(o *intune.Object) (int, bool) {
		passes := []struct {
			candidates []int
			sameName   bool
		}{{byID[o.ExternalID], true}, {byID[o.ExternalID], false}, {byName[identity(o)], false}}
		for _, pass := range passes {
			for _, j := range pass.candidates {
				if !used[j] && (!pass.sameName || identity(new[j]) == identity(o)) {
					return j, true
				}
			}
		}
		return 0, false
	}
	for _, o := range old {
		j, ok := match(o)
		if !ok {
			diffs = append(diffs, n.compared(o, nil, o))
			continue
		}
		used[j] = true
		diffs = append(diffs, n.compared(o, new[j], new[j]))
	}
	for j, o := range new {
		if !used[j] {
			diffs = append(diffs, n.compared(nil, o, o))
		}
	}
	slices.SortStableFunc(diffs, func(x, y policyDiff) int {
		return cmp.Or(cmp.Compare(x.typeLabel, y.typeLabel), cmp.Compare(x.name, y.name), cmp.Compare(x.status, y.status))
	})
	return diffs
}

// identity is a policy's identity without an id: type and display name.
func identity(o *intune.Object) string {
	return o.Type.Key + "\x00" + o.GraphType + "\x00" + o.DisplayName
}

func (n Names) compared(old, new, named *intune.Object) policyDiff {
	d := policyDiff{name: named.DisplayName, typ: named.Type.Key, typeLabel: named.Type.Label}
	var a, b any
	switch {
	case old == nil:
		d.status, b = statusAdded, new.Payload
	case new == nil:
		d.status, a = statusRemoved, old.Payload
	default:
		a, b = old.Payload, new.Payload
		d.status = statusUnchanged
		if old.Hash != new.Hash {
			d.status = statusChanged
		}
	}
	if d.status != statusUnchanged {
		d.res = n.Payloads(a, b)
	}
	return d
}

func errorLines(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

var kindMarks = map[Kind]string{Added: "+", Removed: "-", Changed: "~"}

// writeText prints changes grouped by section, one a line, then a summary.
func writeText(w io.Writer, res Result, indent string) error {
	var b strings.Builder
	section := ""
	templates := 0
	for _, c := range res.Changes {
		if isTemplateReference(c.Path) {
			templates++ // bookkeeping, counted below; --json lists them
			continue
		}
		if c.Section != section {
			section = c.Section
			fmt.Fprintf(&b, "%s%s\n", indent, section)
		}
		var value string
		switch c.Kind {
		case Added:
			value = oneLine(c.New)
		case Removed:
			value = oneLine(c.Old)
		default:
			value = oneLine(c.Old) + " → " + oneLine(c.New)
		}
		fmt.Fprintf(&b, "%s  %s %s: %s  [%s]\n", indent, kindMarks[c.Kind], c.Label, value, c.Severity)
	}
	if templates > 0 {
		fmt.Fprintf(&b, "%s(%d settings differ in their template references: --json lists them)\n", indent, templates)
	}
	if res.ReadSame > 0 {
		fmt.Fprintf(&b, "%s(%d values are stored differently but read the same: not shown)\n", indent, res.ReadSame)
	}
	fmt.Fprintf(&b, "%s%s; %d unchanged\n", indent, Summary(res.Changes), res.Unchanged)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeFolderText(w io.Writer, diffs []policyDiff, counts map[string]int, trouble error) error {
	var b strings.Builder
	marks := map[string]string{statusAdded: "+", statusRemoved: "-", statusChanged: "~"}
	for _, d := range diffs {
		switch d.status {
		case statusUnchanged:
			continue
		case statusChanged:
			fmt.Fprintf(&b, "%s %s %q\n", marks[d.status], d.typeLabel, d.name)
			if err := writeText(&b, d.res, "    "); err != nil {
				return err
			}
		default:
			fmt.Fprintf(&b, "%s %s %q (%s, %d rows)\n", marks[d.status], d.typeLabel, d.name, d.status, len(d.res.Changes))
		}
	}
	for _, line := range errorLines(trouble) {
		fmt.Fprintf(&b, "! %s\n", line)
	}
	noun := "policies"
	if counts[statusChanged] == 1 {
		noun = "policy"
	}
	fmt.Fprintf(&b, "%d %s changed, %d added, %d removed, %d unchanged\n",
		counts[statusChanged], noun, counts[statusAdded], counts[statusRemoved], counts[statusUnchanged])
	_, err := io.WriteString(w, b.String())
	return err
}

// oneLine fits a value on one line of terminal output.
func oneLine(s string) string {
	const limit = 160
	switch {
	case s == "":
		return `""`
	case strings.ContainsAny(s, "\r\n"):
		s = strings.Join(strings.Fields(strings.ReplaceAll(s, "\r\n", " ⏎ ")), " ")
	}
	if r := []rune(s); len(r) > limit {
		return string(r[:limit]) + "…"
	}
	return s
}
