package demo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing/fstest"
	"time"

	"atlas/app/intune"
)

// tenant is one environment's Intune tenant as the demo exports it: which
// policies it holds, and when each of its syncs happened.
type tenant struct {
	customer customer
	site     site
	syncAt   [syncs]time.Time // when each sync ran (its run's start)
}

// guid is a stable id made of parts: the same tenant and object always get the
// same id, and no two tenants share one.
func guid(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	x := []byte(hex.EncodeToString(h[:16]))
	x[12], x[16] = '4', 'a' // a version 4 UUID, as Graph's ids are
	return fmt.Sprintf("%s-%s-%s-%s-%s", x[0:8], x[8:12], x[12:16], x[16:20], x[20:32])
}

func (t *tenant) id(parts ...string) string {
	return guid(append([]string{t.customer.slug, t.site.slug}, parts...)...)
}

func (t *tenant) tenantID() string { return t.id("tenant") }

// holds reports whether the policy exists in this tenant at sync i.
func (t *tenant) holds(p *policy, i int) bool {
	return slices.Contains(t.customer.platforms, p.platform) && applies(p.in, t.site.kind) &&
		i >= p.added && (p.removed == 0 || i < p.removed)
}

func applies(kinds []string, kind string) bool { return kinds == nil || slices.Contains(kinds, kind) }

// version is the policy as this tenant held it at sync i: its payload with the
// changes made by then applied, and the sync of its last change.
func (t *tenant) version(p *policy, i int) (*state, int) {
	s := &state{p: p.body(), targets: p.targets}
	last := p.added
	for _, c := range p.changes {
		if c.at <= i && applies(c.in, t.site.kind) {
			c.edit(s)
			last = max(last, c.at)
		}
	}
	return s, last
}

// changedAt is when a policy was last edited before sync i captured it: a few
// hours before that sync; objects present from the start were made earlier.
func (t *tenant) changedAt(sync int) time.Time {
	if sync == 0 {
		return t.syncAt[0].Add(-41 * 24 * time.Hour)
	}
	return t.syncAt[sync].Add(-5 * time.Hour)
}

// export is the tenant's IntuneManagement export at sync i: one JSON file per
// object in its type folder, and the migration table IntuneManagement writes
// beside them (the tenant id, and the groups by id).
func (t *tenant) export(i int) fstest.MapFS {
	fsys := fstest.MapFS{}
	for k := range policies {
		p := &policies[k]
		if !t.holds(p, i) {
			continue
		}
		s, last := t.version(p, i)
		doc := t.document(p, s, t.changedAt(p.added), t.changedAt(last))
		fsys[t.filePath(p)] = file(doc, t.changedAt(last))
	}
	table := obj{"TenantId": t.tenantID(), "Objects": t.groupObjects()}
	fsys["MigrationTable.json"] = file(table, t.syncAt[i])
	return fsys
}

func (t *tenant) filePath(p *policy) string { return path.Join(p.folder, p.name+".json") }

// document is the file IntuneManagement writes for an object: the payload with
// the tenant's identity, timestamps, scope tags and assignments.
func (t *tenant) document(p *policy, s *state, created, modified time.Time) obj {
	doc := s.p
	nameKey := "displayName"
	if settings, ok := doc["settings"].([]any); ok && doc["@odata.type"] == graphType+"deviceManagementConfigurationPolicy" {
		nameKey = "name"
		doc["settingCount"] = len(settings)
	}
	doc[nameKey] = p.name
	doc["id"] = t.id("object", p.key)
	doc["createdDateTime"] = created.Format(time.RFC3339Nano)
	doc["lastModifiedDateTime"] = modified.Format(time.RFC3339Nano)
	if p.folder != "ScopeTags" && p.folder != "Roles" {
		doc["roleScopeTagIds"] = []any{"0"}
		doc["assignments"] = t.assignments(p, s.targets)
	}
	return doc
}

// assignments turns targets into Graph assignments with this tenant's group ids.
func (t *tenant) assignments(p *policy, targets []string) []any {
	list := make([]any, 0, len(targets))
	for _, name := range targets {
		target := obj{"deviceAndAppManagementAssignmentFilterId": nil, "deviceAndAppManagementAssignmentFilterType": "none"}
		switch {
		case name == allDevices:
			target["@odata.type"] = graphType + "allDevicesAssignmentTarget"
		case name == allUsers:
			target["@odata.type"] = graphType + "allLicensedUsersAssignmentTarget"
		case strings.HasPrefix(name, "!"):
			target["@odata.type"] = graphType + "exclusionGroupAssignmentTarget"
			target["groupId"] = t.id("group", name[1:])
		default:
			target["@odata.type"] = graphType + "groupAssignmentTarget"
			target["groupId"] = t.id("group", name)
		}
		list = append(list, obj{"id": t.id("assignment", p.key, name), "target": target})
	}
	return list
}

func (t *tenant) groupObjects() []any {
	list := make([]any, len(groups))
	for i, g := range groups {
		list[i] = obj{"Id": t.id("group", g), "DisplayName": g, "Type": "#microsoft.graph.group"}
	}
	return list
}

func file(doc any, modified time.Time) *fstest.MapFile {
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err) // maps of JSON values always marshal
	}
	return &fstest.MapFile{Data: b, Mode: 0o600, ModTime: modified}
}

// check reads an export the way a sync will and refuses it unless every file
// is either a recognised configuration object or the migration table: a
// mistake in the catalogue must not become a silent "other" object.
func check(fsys fs.FS) error {
	var problems []string
	err := intune.Read(fsys, func(e intune.Entry) error {
		switch {
		case e.Err != nil:
			problems = append(problems, fmt.Sprintf("%s: %v", e.Path, e.Err))
		case e.Object == nil && e.Path != "MigrationTable.json":
			problems = append(problems, fmt.Sprintf("%s: skipped (%s)", e.Path, e.Skipped))
		case e.Object != nil && e.Object.Type.Key == intune.Other.Key:
			problems = append(problems, fmt.Sprintf("%s: type not recognised", e.Path))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("demo export does not read cleanly: %s", strings.Join(problems, "; "))
	}
	return nil
}

// mirror turns the folder holding export from into one holding export to:
// changed and new files are written, files gone are removed. The folder is the
// environment's export source, so a live demo can sync it again.
func mirror(dir string, from, to fstest.MapFS) error {
	for name := range from {
		if _, ok := to[name]; !ok {
			if err := os.Remove(filepath.Join(dir, filepath.FromSlash(name))); err != nil {
				return err
			}
		}
	}
	for name, f := range to {
		if old, ok := from[name]; ok && bytes.Equal(old.Data, f.Data) {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.Data, 0o600); err != nil {
			return err
		}
		if err := os.Chtimes(p, f.ModTime, f.ModTime); err != nil {
			return err
		}
	}
	return nil
}
