package inventory_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"atlas/app/apptest"
	"atlas/app/inventory"
	"atlas/app/shareddata"
)

// TestPolicyPageSpeaksIntune: the OpenIntuneBaseline BitLocker policy's page
// names its settings and options as Intune's portal does, children nested
// under the option they belong to, with the CSP path and the description on
// demand; its assignments name groups and filters as the export's migration
// table does, and a group the table does not name by its id.
func TestPolicyPageSpeaksIntune(t *testing.T) {
	src := shareddata.Dir(t, "intune", "OpenIntuneBaseline", "WINDOWS", "IntuneManagement")
	export := t.TempDir()
	b, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(bitlockerFile)))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(export, filepath.FromSlash(bitlockerFile))
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	const pilot, unnamed, filter = "6f1c2b9e-0000-4000-8000-000000000001", "6f1c2b9e-0000-4000-8000-000000000002", "0c3f9d2a-0000-4000-8000-000000000003"
	inventory.Rewrite(t, file, func(m map[string]any) {
		m["assignments"] = []any{
			map[string]any{"target": map[string]any{"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": pilot,
				"deviceAndAppManagementAssignmentFilterId": filter, "deviceAndAppManagementAssignmentFilterType": "include"}},
			map[string]any{"target": map[string]any{"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": unnamed}},
		}
	})
	table := `{"TenantId": "9b6c7f0e-1111-2222-3333-444455556666", "Objects": [
		{"Id": "` + pilot + `", "DisplayName": "Pilot devices", "Type": "#microsoft.graph.group"},
		{"Id": "` + filter + `", "DisplayName": "Windows 11 only", "Type": "#microsoft.graph.deviceAndAppManagementAssignmentFilter"}]}`
	if err := os.WriteFile(filepath.Join(export, "MigrationTable.json"), []byte(table), 0o600); err != nil {
		t.Fatal(err)
	}

	e := apptest.NewAcme(t)
	owner := e.Owner()
	if r := owner.Post("/admin/w/acme/t/prod/connection", url.Values{"path": {export}}); r.Status != http.StatusSeeOther {
		t.Fatalf("connect the export: status %d", r.Status)
	}
	if _, err := e.Data.Sync(context.Background(), "acme", "prod", export); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := e.Data.DB.Read.QueryRow(`SELECT id FROM policies WHERE display_name = ?`, bitlockerName).Scan(&id); err != nil {
		t.Fatal(err)
	}
	r := owner.Get(fmt.Sprint("/admin/w/acme/t/prod/policies/", id))
	if r.Status != http.StatusOK {
		t.Fatalf("policy page: status %d", r.Status)
	}
	tests := []struct {
		name, row string   // a text that picks the row
		want      []string // what the row holds
	}{
		{"a top-level choice", ">Require Device Encryption<", []string{
			`<td class="setting nest-0">Require Device Encryption<span class="diff-id" title="device_vendor_msft_bitlocker_requiredeviceencryption">./Device/Vendor/MSFT/BitLocker/RequireDeviceEncryption</span>`,
			`<details class="about"><summary>About this setting</summary><p>Allows the Admin to require encryption`,
			`<td title="device_vendor_msft_bitlocker_requiredeviceencryption_1">Enabled</td>`}},
		{"a child of a choice option", ">Select the encryption method for operating system drives<", []string{
			`<td class="setting nest-1">Select the encryption method for operating system drives<span class="diff-id"`,
			`>XTS-AES 256-bit</td>`}},
		{"a group the migration table names, with its filter", ">Group Pilot devices ", []string{
			`<span class="muted mono">` + pilot + `</span>`, "Included · filter Windows 11 only (include)"}},
		{"a group it does not name", ">Excluded group " + unnamed + " ", []string{"Excluded"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := rowHolding(r.Body, tt.row)
			for _, want := range tt.want {
				if !strings.Contains(row, want) {
					t.Errorf("the row %q lacks %s", row, want)
				}
			}
		})
	}
	// The parent comes right before its children, as in the portal.
	parent := strings.Index(r.Body, ">Choose drive encryption method and cipher strength (Windows 10 [Version 1511] and later)<")
	child := strings.Index(r.Body, ">Select the encryption method for fixed data drives<")
	if parent < 0 || child < parent || strings.Contains(r.Body[parent:child], `nest-0`) {
		t.Errorf("the encryption method's children are not under it (parent at %d, child at %d)", parent, child)
	}
}

// rowHolding is the <tr> of body that holds text, or "".
func rowHolding(body, text string) string {
	i := strings.Index(body, text)
	if i < 0 {
		return ""
	}
	start := strings.LastIndex(body[:i], "<tr")
	end := strings.Index(body[i:], "</tr>")
	if start < 0 || end < 0 {
		return ""
	}
	return body[start : i+end]
}
