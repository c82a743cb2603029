package backup_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"testing/fstest"

	"atlas/app/apptest"
)

const password = "correct horse battery"

// tenantExport is a small IntuneManagement-style export of a tenant: a settings
// catalog policy, a compliance policy assigned to all devices and a group, a
// device configuration and a PowerShell script. edited changes the settings
// catalog value and the script.
func tenantExport(edited bool) fstest.MapFS {
	archive, script := "device_vendor_msft_policy_config_defender_allowarchivescanning_1", "V3JpdGUtSG9zdCAnaGVsbG8n" // Write-Host 'hello'
	if edited {
		archive, script = "device_vendor_msft_policy_config_defender_allowarchivescanning_0", "V3JpdGUtSG9zdCAnYnllJw==" // Write-Host 'bye'
	}
	return fstest.MapFS{
		"SettingsCatalog/Defender.json": {Data: []byte(`{"@odata.type":"#microsoft.graph.deviceManagementConfigurationPolicy","id":"sc-1",
			"name":"Defender baseline","platforms":"windows10","technologies":"mdm","settings":[
			{"id":"0","settingInstance":{"@odata.type":"#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
				"settingDefinitionId":"device_vendor_msft_policy_config_defender_allowarchivescanning",
				"choiceSettingValue":{"value":"` + archive + `","children":[]}}}]}`)},
		"CompliancePolicies/Windows compliance.json": {Data: []byte(`{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"cp-1",
			"displayName":"Windows compliance","passwordRequired":true,
			"assignments":[{"target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget"}},
				{"target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":"g-pilot"}}]}`)},
		"DeviceConfiguration/Wi-Fi.json": {Data: []byte(`{"@odata.type":"#microsoft.graph.macOSWiFiConfiguration","id":"dc-1",
			"displayName":"Wi-Fi","ssid":"corp","assignments":[{"target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":"g-macs"}}]}`)},
		"PowerShellScripts/Hello.json": {Data: []byte(`{"@odata.type":"#microsoft.graph.deviceManagementScript","id":"ps-1",
			"displayName":"Hello","fileName":"hello.ps1","runAsAccount":"system","scriptContent":"` + script + `"}`)},
	}
}

// site is workspace acme with environments prod (synced from tenantExport),
// pilot and staging (empty), members of every role, and workspace other.
type site struct {
	env                           *apptest.Env
	owner, manager, operator, ro  *apptest.Client
	acmeID, prodID, pilotID, stID int64
}

func newSite(t *testing.T) *site {
	t.Helper()
	e := apptest.New(t)
	ctx := context.Background()
	d := e.Data
	for _, err := range []error{
		d.AddWorkspace(ctx, "acme", "Acme Corp"),
		d.AddEnvironment(ctx, "acme", "prod", "Production"),
		d.AddEnvironment(ctx, "acme", "pilot", "Pilot"),
		d.AddEnvironment(ctx, "acme", "staging", "Staging"),
		d.AddWorkspace(ctx, "other", "Other Inc"),
		d.AddEnvironment(ctx, "other", "prod", "Other production"),
		d.AddUser(ctx, "manager@acme.test", "Mia Manager", password, false),
		d.AddUser(ctx, "operator@acme.test", "Otto Operator", password, false),
		d.AddUser(ctx, "readonly@acme.test", "Rita Readonly", password, false),
		d.AddMember(ctx, "acme", "manager@acme.test", "manager", ""),
		d.AddMember(ctx, "acme", "operator@acme.test", "operator", "prod"),
		d.AddMember(ctx, "acme", "readonly@acme.test", "readonly", "prod"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	e.SyncExport("acme", "prod", tenantExport(false))
	s := &site{env: e, owner: e.Owner(), manager: e.SignIn("manager@acme.test", password),
		operator: e.SignIn("operator@acme.test", password), ro: e.SignIn("readonly@acme.test", password)}
	if r := s.owner.Post("/admin/workspaces/acme/select", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("select acme: %d", r.Status)
	}
	q := d.DB.Read
	q.QueryRow(`SELECT id FROM workspaces WHERE slug = 'acme'`).Scan(&s.acmeID)
	for slug, dst := range map[string]*int64{"prod": &s.prodID, "pilot": &s.pilotID, "staging": &s.stID} {
		q.QueryRow(`SELECT id FROM managed_environments WHERE workspace_id = ? AND slug = ?`, s.acmeID, slug).Scan(dst)
	}
	return s
}

// count is a single count(*) query's answer.
func (s *site) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.env.Data.DB.Read.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// backup takes a set of an environment through the command line's path and
// returns its id.
func (s *site) backup(t *testing.T, environment, name string, types ...string) int64 {
	t.Helper()
	run, set, err := s.env.Data.CreateBackup(context.Background(), "acme", environment, name, types)
	if err != nil {
		t.Fatal(err)
	}
	if set == nil {
		t.Fatalf("backup of %s: run #%d %s: %+v", environment, run.ID, run.Outcome, run.Failure)
	}
	return set.ID
}

func setPath(environment string, id int64) string {
	return fmt.Sprintf("/admin/w/acme/t/%s/backups/%d", environment, id)
}
