package backup

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"atlas/app/intune"
)

// Layout is an export layout Atlas writes: a tool's own folder and file naming,
// so that the tool imports what Atlas wrote.
type Layout struct {
	Kind  string // intune.IntuneManagement, intune.IntuneCD or intune.IntuneBackupAndRestore
	Label string
}

// Layouts are the three tools' layouts, in the order the pages offer them.
var Layouts = []Layout{
	{intune.IntuneManagement, "IntuneManagement"},
	{intune.IntuneCD, "IntuneCD"},
	{intune.IntuneBackupAndRestore, "IntuneBackupAndRestore"},
}

// LayoutOf finds a layout by kind.
func LayoutOf(kind string) (Layout, bool) {
	i := slices.IndexFunc(Layouts, func(l Layout) bool { return l.Kind == kind })
	if i < 0 {
		return Layout{}, false
	}
	return Layouts[i], true
}

// Sink receives the files of an export folder by slash path.
type Sink interface {
	WriteFile(name string, data []byte) error
}

// dirSink writes under a folder of this computer through os.Root, which no
// name, however it was made, leads out of (folders 0700, files 0600: exports
// hold customers' configuration). It never overwrites a file.
type dirSink struct{ root *os.Root }

// WriteFile writes one file, making its folders.
func (d dirSink) WriteFile(name string, data []byte) error {
	if err := checkEntry(name); err != nil {
		return err
	}
	p := filepath.FromSlash(name)
	if err := d.root.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	f, err := d.root.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	return errors.Join(err, f.Close())
}

// ZipSink writes into a zip.
type ZipSink struct {
	Zip      *zip.Writer
	Modified time.Time
}

// WriteFile adds one entry; an entry that would extract outside the folder
// it is extracted into is refused.
func (z ZipSink) WriteFile(name string, data []byte) error {
	if err := checkEntry(name); err != nil {
		return err
	}
	w, err := z.Zip.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: z.Modified})
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// Document is one policy to write.
type Document struct {
	Type       string // intune type key
	GraphType  string
	Name       string // its display name
	ExternalID string // the Graph id to write, "" for none
	Payload    any    // the normalised payload (assignments included when they are to be written)
}

// folders are each tool's type folders (IntuneManagement's view ids,
// IntuneCD's and IntuneBackupAndRestore's backup folders), by type key. A
// type a tool does not export goes where Atlas's reader finds its type.
var folders = map[string]map[string]string{
	intune.IntuneManagement: {
		"settingsCatalog": "SettingsCatalog", "compliancePolicy": "CompliancePolicies", "notificationTemplate": "Notifications",
		"complianceScript": "ComplianceScripts", "deviceConfiguration": "DeviceConfiguration", "adminTemplate": "AdministrativeTemplates",
		"updateRing": "UpdatePolicies", "featureUpdateProfile": "FeatureUpdates", "qualityUpdateProfile": "QualityUpdates",
		"driverUpdateProfile": "DriverUpdateProfiles", "appProtection": "AppProtection", "appConfiguration": "AppConfigurationManagedDevice",
		"powershellScript": "PowerShellScripts", "shellScript": "MacScripts", "remediation": "DeviceHealthScripts",
		"customAttribute": "MacCustomAttributes", "roleDefinition": "RoleDefinitions", "scopeTag": "ScopeTags",
		"enrollmentStatusPage": "EnrollmentStatusPage", "enrollmentConfiguration": "EnrollmentRestrictions", "autopilotProfile": "AutoPilot",
		"assignmentFilter": "AssignmentFilters", "deviceManagementSettings": "DeviceManagementSettings", "endpointSecurityIntent": "EndpointSecurity",
		"conditionalAccess": "ConditionalAccess", "namedLocation": "NamedLocations", "termsAndConditions": "TermsAndConditions",
		"policySet": "PolicySets", "brandingProfile": "IntuneBranding", "app": "Applications",
	},
	intune.IntuneCD: {
		"settingsCatalog": "Settings Catalog", "compliancePolicy": "Compliance Policies/Policies", "notificationTemplate": "Compliance Policies/Message Templates",
		"complianceScript": "Compliance Policies/Scripts", "deviceConfiguration": "Device Configurations", "adminTemplate": "Group Policy Configurations",
		"updateRing": "Device Configurations", "featureUpdateProfile": "Feature Updates", "qualityUpdateProfile": "Quality Updates",
		"driverUpdateProfile": "Driver Updates", "appProtection": "App Protection", "appConfiguration": "App Configuration",
		"powershellScript": "Scripts/Powershell", "shellScript": "Scripts/Shell", "remediation": "Proactive Remediations",
		"customAttribute": "Custom Attributes", "roleDefinition": "Roles", "scopeTag": "Scope Tags",
		"enrollmentStatusPage": "Enrollment Profiles/Windows/ESP", "enrollmentConfiguration": "Enrollment Configurations",
		"autopilotProfile": "Enrollment Profiles/Windows", "assignmentFilter": "Filters", "deviceManagementSettings": "Device Management Settings",
		"endpointSecurityIntent": "Management Intents", "conditionalAccess": "Conditional Access", "namedLocation": "Named Locations",
		"termsAndConditions": "Terms and Conditions", "policySet": "Policy Sets", "brandingProfile": "Intune Branding Profiles", "app": "Applications",
	},
	intune.IntuneBackupAndRestore: {
		"settingsCatalog": "Settings Catalog", "compliancePolicy": "Device Compliance Policies", "notificationTemplate": "Notification Templates",
		"complianceScript": "Compliance Scripts", "deviceConfiguration": "Device Configurations", "adminTemplate": "Administrative Templates",
		"updateRing": "Device Configurations", "featureUpdateProfile": "Windows Feature Updates", "qualityUpdateProfile": "Windows Quality Updates",
		"driverUpdateProfile": "Windows Driver Updates", "appProtection": "App Protection Policies", "appConfiguration": "Mobile App Configurations",
		"powershellScript": "Device Management Scripts", "shellScript": "Shell Scripts", "remediation": "Device Health Scripts",
		"customAttribute": "Custom Attributes", "roleDefinition": "Role Definitions", "scopeTag": "Role Scope Tags",
		"enrollmentStatusPage": "Device Enrollment Configurations", "enrollmentConfiguration": "Device Enrollment Configurations",
		"autopilotProfile": "Autopilot Deployment Profiles", "assignmentFilter": "Assignment Filters", "deviceManagementSettings": "Device Management Settings",
		"endpointSecurityIntent": "Device Management Intents", "conditionalAccess": "Conditional Access Policies", "namedLocation": "Named Locations",
		"termsAndConditions": "Terms and Conditions", "policySet": "Policy Sets", "brandingProfile": "Intune Branding Profiles", "app": "Client Apps",
	},
}

// managedAppConfiguration is the app configuration type IntuneManagement and
// IntuneBackupAndRestore keep apart from device app configurations.
const managedAppConfiguration = "#microsoft.graph.targetedManagedAppConfiguration"

// otherFolder holds objects of types Atlas does not recognise: no tool reads them.
const otherFolder = "Other"

// Writer writes documents into a sink in one layout, file by file, and at Close
// what the layout itself requires.
type Writer struct {
	sink   Sink
	layout string
	taken  map[string]bool // twinKeys of the paths written
	groups map[string]string
}

// NewWriter starts an export in layout.
func NewWriter(sink Sink, layout string) (*Writer, error) {
	if _, ok := LayoutOf(layout); !ok {
		return nil, fmt.Errorf("no export layout %q: use intunemanagement, intunecd or intunebackupandrestore", layout)
	}
	return &Writer{sink: sink, layout: layout, taken: map[string]bool{}, groups: map[string]string{}}, nil
}

// Write writes one policy in the layout's form and returns its file's path.
func (w *Writer) Write(doc Document) (string, error) {
	v := denormalize(doc.Payload)
	obj, isObject := v.(map[string]any)
	switch {
	case doc.Type == "adminTemplate" && !isObject && w.layout != intune.IntuneBackupAndRestore:
		// IntuneBackupAndRestore keeps an administrative template as the bare list
		// of its values; the other tools read the policy object holding them.
		obj, isObject = map[string]any{"@odata.type": "#microsoft.graph.groupPolicyConfiguration", "displayName": doc.Name, "definitionValues": v}, true
	case doc.Type == "adminTemplate" && isObject && w.layout == intune.IntuneBackupAndRestore && obj["definitionValues"] != nil:
		v, obj, isObject = obj["definitionValues"], nil, false
	}
	var assignments any
	if isObject {
		if doc.Type == "settingsCatalog" && obj["@odata.type"] == nil && w.layout != intune.IntuneCD {
			// Atlas drops the type Graph implies; IntuneManagement and
			// IntuneBackupAndRestore write it (IntuneCD does not).
			obj["@odata.type"] = "#microsoft.graph.deviceManagementConfigurationPolicy"
		}
		if doc.ExternalID != "" {
			obj["id"] = doc.ExternalID
		}
		w.noteGroups(obj["assignments"])
		if w.layout == intune.IntuneBackupAndRestore {
			// IntuneBackupAndRestore restores assignments from files of their own.
			assignments = obj["assignments"]
			delete(obj, "assignments")
		}
		v = obj
	}
	folder := w.folder(doc)
	p := w.claim(folder, w.fileStem(doc, obj), ".json")
	if err := w.writeJSON(p, v); err != nil {
		return "", err
	}
	if assignments != nil {
		if err := w.writeJSON(path.Join(folder, "Assignments", path.Base(p)), assignments); err != nil {
			return "", err
		}
	}
	if w.layout == intune.IntuneCD && isObject {
		if err := w.scriptData(folder, doc, obj); err != nil {
			return "", err
		}
	}
	return p, nil
}

// Close writes what the layout requires beside the policies: IntuneManagement's
// MigrationTable.json, which names the export's tenant and the groups its
// assignments target (the import maps them to the target tenant's groups).
func (w *Writer) Close(tenantID string) error {
	if w.layout != intune.IntuneManagement {
		return nil
	}
	ids := make([]string, 0, len(w.groups))
	for id := range w.groups {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	objects := make([]any, len(ids))
	for i, id := range ids {
		objects[i] = map[string]any{"Id": id, "DisplayName": w.groups[id], "Type": "Group"}
	}
	return w.writeJSON("MigrationTable.json", map[string]any{"TenantId": tenantID, "Organization": "", "Objects": objects})
}

// noteGroups remembers the groups assignments target, with their names when
// the export carried them (IntuneCD's groupName).
func (w *Writer) noteGroups(assignments any) {
	list, _ := assignments.([]any)
	for _, a := range list {
		m, _ := a.(map[string]any)
		target, _ := m["target"].(map[string]any)
		id, _ := target["groupId"].(string)
		if id == "" {
			continue
		}
		name, _ := target["groupName"].(string)
		if name != "" || w.groups[id] == "" {
			w.groups[id] = name
		}
	}
}

func (w *Writer) folder(doc Document) string {
	if doc.Type == "appConfiguration" && doc.GraphType == managedAppConfiguration {
		switch w.layout {
		case intune.IntuneManagement:
			return "AppConfigurationManagedApp"
		case intune.IntuneBackupAndRestore:
			return "Targeted Managed App Configurations"
		}
	}
	if f, ok := folders[w.layout][doc.Type]; ok {
		return f
	}
	return otherFolder
}

// fileStem names a policy's file as its tool does: IntuneManagement drops the
// characters Windows refuses, IntuneBackupAndRestore replaces them with "_"
// (as safeSegment does when the name is claimed), IntuneCD replaces them and
// appends "_<Graph type>" (settings catalog: "_<last technology>"), the name
// cut to keep the suffix.
func (w *Writer) fileStem(doc Document, obj map[string]any) string {
	name := doc.Name
	if strings.TrimSpace(name) == "" {
		name = "unnamed"
	}
	switch w.layout {
	case intune.IntuneManagement:
		return strings.Map(func(r rune) rune {
			if r < 0x20 || strings.ContainsRune(`"<>|:*?\/`, r) {
				return -1
			}
			return r
		}, name)
	case intune.IntuneCD:
		suffix := ""
		if t, ok := obj["@odata.type"].(string); ok && strings.Count(t, ".") >= 2 {
			suffix = strings.SplitN(t, ".", 3)[2]
		} else if tech, ok := obj["technologies"].(string); ok && tech != "" {
			suffix = tech[strings.LastIndexByte(tech, ',')+1:]
		}
		if suffix == "" {
			return name
		}
		suffix = "_" + cut(suffix, maxSuffix)
		return cut(name, maxSegment-len(suffix)) + suffix
	}
	return name
}

// maxSuffix caps IntuneCD's type suffix: Graph's longest type names are
// about 60 bytes, and a longer suffix is cut.
const maxSuffix = 80

// claim returns folder/stem+ext, stem made a safe name, or with " (2)", " (3)"…
// when two files of one folder would be one file on Windows or macOS. ext is
// ".json" or checked by extension.
func (w *Writer) claim(folder, stem, ext string) string {
	stem = safeSegment(stem, maxSegment)
	p := path.Join(folder, stem+ext)
	for n := 2; w.taken[twinKey(p)]; n++ {
		p = path.Join(folder, fmt.Sprintf("%s (%d)%s", stem, n, ext))
	}
	w.taken[twinKey(p)] = true
	return p
}

// extension splits a file name from export content into its stem and its
// extension when that is a short safe one (".ps1"); otherwise all is stem.
func extension(name string) (stem, ext string) {
	ext = path.Ext(name)
	if ext == "" || len(ext) > 16 || safeSegment(ext, maxSegment) != ext {
		return name, ""
	}
	return strings.TrimSuffix(name, ext), ext
}

func (w *Writer) writeJSON(p string, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	return w.sink.WriteFile(p, b.Bytes())
}

// scriptData writes the scripts IntuneCD keeps beside a script policy in
// "Script Data": its update reads a script from there, not from the JSON.
func (w *Writer) scriptData(folder string, doc Document, obj map[string]any) error {
	dir := path.Join(folder, "Script Data")
	write := func(field, name string) error {
		s, _ := obj[field].(string)
		script, err := base64.StdEncoding.DecodeString(s)
		if s == "" || err != nil {
			return nil
		}
		stem, ext := extension(name)
		return w.sink.WriteFile(w.claim(dir, stem, ext), script)
	}
	fileName, _ := obj["fileName"].(string)
	switch doc.Type {
	case "powershellScript", "shellScript", "customAttribute":
		if fileName == "" {
			fileName = doc.Name + map[bool]string{true: ".ps1", false: ".sh"}[doc.Type == "powershellScript"]
		}
		return write("scriptContent", fileName)
	case "complianceScript":
		return write("detectionScriptContent", doc.Name+".ps1")
	case "remediation":
		if err := write("detectionScriptContent", doc.Name+"_DetectionScript.ps1"); err != nil {
			return err
		}
		return write("remediationScriptContent", doc.Name+"_RemediationScript.ps1")
	}
	return nil
}

// denormalize turns what Normalize made of strings holding JSON back into
// strings; the rest of a payload is written as it is stored.
func denormalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if inner, ok := x[intune.EmbeddedJSONKey]; ok && len(x) == 1 {
			return string(intune.Canonical(inner))
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = denormalize(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = denormalize(e)
		}
		return out
	}
	return v
}
