package inventory_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"atlas/app/apptest"
)

// export is a small IntuneManagement-style export: a settings catalog policy
// with nested settings, an assigned compliance policy, an admin template and
// fillers enough for two pages.
func export(fillers int, edited bool) fstest.MapFS {
	archive := "device_vendor_msft_policy_config_defender_allowarchivescanning_1"
	if edited {
		archive = "device_vendor_msft_policy_config_defender_allowarchivescanning_0"
	}
	fsys := fstest.MapFS{
		"SettingsCatalog/Defender.json": {Data: []byte(`{"@odata.type":"#microsoft.graph.deviceManagementConfigurationPolicy","id":"sc-1",
			"name":"Defender baseline","platforms":"windows10","technologies":"mdm","settings":[
			{"id":"0","settingInstance":{"@odata.type":"#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
				"settingDefinitionId":"device_vendor_msft_policy_config_defender_allowarchivescanning",
				"choiceSettingValue":{"value":"` + archive + `","children":[
					{"@odata.type":"#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance",
					 "settingDefinitionId":"device_vendor_msft_policy_config_defender_archivemaxdepth",
					 "simpleSettingValue":{"@odata.type":"#microsoft.graph.deviceManagementConfigurationIntegerSettingValue","value":4}}]}}},
			{"id":"1","settingInstance":{"@odata.type":"#microsoft.graph.deviceManagementConfigurationSimpleSettingCollectionInstance",
				"settingDefinitionId":"device_vendor_msft_policy_config_defender_excludedextensions",
				"simpleSettingCollectionValue":[{"value":".log"},{"value":".tmp"}]}}]}`)},
		"CompliancePolicies/Windows compliance.json": {Data: []byte(`{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"cp-1",
			"displayName":"Windows compliance","passwordRequired":true,"osMinimumVersion":"10.0.22631",
			"assignments":[{"target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget"}},
				{"target":{"@odata.type":"#microsoft.graph.exclusionGroupAssignmentTarget","groupId":"g-1","groupName":"Break glass"}}]}`)},
		"AdministrativeTemplates/Edge.json": {Data: []byte(`[{"definition@odata.bind":"https://graph.microsoft.com/beta/deviceManagement/groupPolicyDefinitions('06b9c400')",
			"enabled":"true","presentationValues":[{"value":"2","presentation@odata.bind":"https://graph.microsoft.com/beta/deviceManagement/groupPolicyDefinitions('06b9c400')/presentations('6f60')"}]}]`)},
	}
	for i := range fillers {
		fsys[fmt.Sprintf("DeviceConfiguration/Filler %02d.json", i)] = &fstest.MapFile{Data: fmt.Appendf(nil,
			`{"@odata.type":"#microsoft.graph.macOSGeneralDeviceConfiguration","id":"f-%d","displayName":"Filler %02d"}`, i, i)}
	}
	return fsys
}

type site struct {
	env   *apptest.Env
	owner *apptest.Client
}

// newSite is workspace acme with prod (synced twice: the second export edits
// Defender and drops one filler) and an empty pilot, and workspace other.
func newSite(t *testing.T) *site {
	t.Helper()
	e := apptest.New(t)
	ctx := context.Background()
	for _, err := range []error{
		e.Data.AddWorkspace(ctx, "acme", "Acme Corp"),
		e.Data.AddEnvironment(ctx, "acme", "prod", "Production"),
		e.Data.AddEnvironment(ctx, "acme", "pilot", "Pilot"),
		e.Data.AddWorkspace(ctx, "other", "Other Inc"),
		e.Data.AddEnvironment(ctx, "other", "prod", "Other production"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	e.SyncExport("acme", "prod", export(60, false))
	second := export(60, true)
	delete(second, "DeviceConfiguration/Filler 59.json")
	e.SyncExport("acme", "prod", second)
	e.SyncExport("other", "prod", fstest.MapFS{"x.json": {Data: []byte(`{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"o-1","displayName":"Other secret"}`)}})
	s := &site{env: e, owner: e.Owner()}
	if r := s.owner.Post("/admin/workspaces/acme/select", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("select acme: %d", r.Status)
	}
	return s
}

func (s *site) policyID(t *testing.T, workspace, name string) int64 {
	t.Helper()
	var id int64
	if err := s.env.Data.DB.Read.QueryRow(`SELECT p.id FROM policies p JOIN workspaces w ON w.id = p.workspace_id
		WHERE w.slug = ? AND p.display_name = ?`, workspace, name).Scan(&id); err != nil {
		t.Fatalf("policy %s: %v", name, err)
	}
	return id
}

func TestInventoryPages(t *testing.T) {
	s := newSite(t)
	defender := s.policyID(t, "acme", "Defender baseline")
	compliance := s.policyID(t, "acme", "Windows compliance")
	edge := s.policyID(t, "acme", "Edge")
	removed := s.policyID(t, "acme", "Filler 59")
	other := s.policyID(t, "other", "Other secret")
	tests := []struct {
		name   string
		path   string
		status int
		want   []string
		absent []string
	}{
		{"hub", "/admin/w/acme/t/prod/inventory", http.StatusOK,
			[]string{`<span class="kpi-value">62</span>`, `<span class="kpi-value">1 %</span>`, "badge-succeeded",
				`href="/admin/w/acme/t/prod/policies?coverage=partial"`, `<span class="chip-count">59</span>`, "Device configuration", "1 changed, 61 unchanged, 1 removed",
				`<p class="muted" id="type-sources">61 typed by @odata.type, 1 by folder.</p>`}, nil},
		{"empty hub", "/admin/w/acme/t/pilot/inventory", http.StatusOK, []string{"No exports imported", "never synced"}, nil},
		{"first page", "/admin/w/acme/t/prod/policies", http.StatusOK,
			[]string{"62 present", "Defender baseline", "Edge", "1–50 of 62", `class="next" href="/admin/w/acme/t/prod/policies?page=2"`},
			[]string{"Filler 59", `class="prev"`}},
		{"second page", "/admin/w/acme/t/prod/policies?page=2", http.StatusOK, []string{"51–62 of 62", "Windows compliance", `class="prev"`}, []string{`class="next"`}},
		{"by type", "/admin/w/acme/t/prod/policies?type=adminTemplate", http.StatusOK, []string{"1 present", "Edge", "Clear filters"}, []string{"Defender baseline"}},
		{"by platform", "/admin/w/acme/t/prod/policies?platform=macOS", http.StatusOK, []string{"59 present", "Filler 00"}, []string{"Edge"}},
		{"by coverage", "/admin/w/acme/t/prod/policies?coverage=restorable", http.StatusOK, []string{"1 present", "Defender baseline"}, []string{"Edge"}},
		{"search", "/admin/w/acme/t/prod/policies?q=compli", http.StatusOK, []string{"1 present", "Windows compliance"}, []string{"Defender baseline"}},
		{"search is literal", "/admin/w/acme/t/prod/policies?q=%25", http.StatusOK, []string{"0 present", "No policy matches these filters"}, nil},
		{"removed", "/admin/w/acme/t/prod/policies?state=removed", http.StatusOK, []string{"1 removed", "Filler 59", "badge-muted", `class="row-muted"`}, []string{"Edge"}},
		{"sorted by versions, descending", "/admin/w/acme/t/prod/policies?sort=versions&dir=desc", http.StatusOK,
			[]string{`class="sort sort-desc" href="/admin/w/acme/t/prod/policies?sort=versions"`}, nil},
		{"unknown filter values", "/admin/w/acme/t/prod/policies?sort=evil&state=nope&page=-3", http.StatusOK, []string{"62 present", "1–50 of 62"}, nil},
		{"page past the end", "/admin/w/acme/t/prod/policies?page=3", http.StatusOK,
			[]string{"51–62 of 62", "Windows compliance", `class="prev" href="/admin/w/acme/t/prod/policies?page=1"`}, []string{`class="next"`}},
		{"largest page number", "/admin/w/acme/t/prod/policies?page=9223372036854775807", http.StatusOK, []string{"51–62 of 62"}, []string{`class="next"`, "–-"}},
		{"page number beyond int64", "/admin/w/acme/t/prod/policies?page=99999999999999999999", http.StatusOK, []string{"1–50 of 62"}, nil},
		{"page that is no number", "/admin/w/acme/t/prod/policies?page=two", http.StatusOK, []string{"1–50 of 62"}, nil},
		{"page past the end of a search", "/admin/w/acme/t/prod/policies?q=filler+0&page=5", http.StatusOK, []string{"1–10 of 10", "Filler 09"}, nil},
		{"search of 200 characters", "/admin/w/acme/t/prod/policies?q=" + strings.Repeat("é", 200), http.StatusOK, []string{"0 present", "No policy matches these filters"}, nil},
		{"search too long", "/admin/w/acme/t/prod/policies?q=" + strings.Repeat("x", 201), http.StatusUnprocessableEntity,
			[]string{"The search is too long: search for at most 200 characters.", `value="` + strings.Repeat("x", 201) + `"`}, []string{"No policy matches"}},
		{"search past SQLite's pattern limit", "/admin/w/acme/t/prod/policies?q=" + strings.Repeat("x", 60_000), http.StatusUnprocessableEntity,
			[]string{"The search is too long", strings.Repeat("x", 799) + "…"}, []string{strings.Repeat("x", 801)}},
		{"settings catalog", fmt.Sprint("/admin/w/acme/t/prod/policies/", defender), http.StatusOK,
			[]string{"Settings catalog", `<td class="setting nest-0">Allow Archive Scanning<span class="diff-id" title="device_vendor_msft_policy_config_defender_allowarchivescanning">./Device/Vendor/MSFT/Policy/Config/Defender/AllowArchiveScanning</span>`,
				`title="device_vendor_msft_policy_config_defender_allowarchivescanning_0">Not allowed. Turns off scanning on archived files.</td>`,
				// a child setting the dictionary does not know: nested under its parent, named from its id, marked
				`<td class="setting nest-1">Archive max depth <span class="muted unlisted"`, "<td>4</td>", "Excluded Extensions", "<td>.log</td>", "<td>.tmp</td>", "restorable", "every setting instance is exported", "Not assigned in this export",
				"/versions/2\">2</a></td>", "/versions/1\">1</a></td>", "/admin/operations/", "<dt>Typed by</dt><dd>its @odata.type</dd>"}, nil},
		{"compliance with assignments", fmt.Sprint("/admin/w/acme/t/prod/policies/", compliance), http.StatusOK,
			[]string{"Compliance policy", "All devices", "Included", "Excluded group Break glass", "Password required", "passwordRequired", "10.0.22631", "dependencies"}, nil},
		{"admin template", fmt.Sprint("/admin/w/acme/t/prod/policies/", edge), http.StatusOK,
			[]string{"Administrative template", "Definition 06b9c400", "Enabled", "Definition 06b9c400 › Presentation 6f60", "<td>2</td>"}, nil},
		{"removed policy", fmt.Sprint("/admin/w/acme/t/prod/policies/", removed), http.StatusOK, []string{"removed", "not in the exports since", "this type's coverage"}, nil},
		{"policy of another environment", fmt.Sprint("/admin/w/acme/t/pilot/policies/", defender), http.StatusNotFound, nil, []string{"Defender"}},
		{"policy of another workspace", fmt.Sprint("/admin/w/acme/t/prod/policies/", other), http.StatusNotFound, nil, []string{"Other secret"}},
		{"not an id", "/admin/w/acme/t/prod/policies/abc", http.StatusNotFound, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.owner.Get(tt.path)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d", r.Status, tt.status)
			}
			r.Shows(t, tt.want, tt.absent)
			if t.Failed() {
				t.Logf("body:\n%s", r.Body)
			}
		})
	}
}

func TestSyncNow(t *testing.T) {
	s := newSite(t)
	r := s.owner.Post("/admin/w/acme/t/pilot/inventory/sync", nil)
	if r.Status != http.StatusConflict || !strings.Contains(r.Body, "There is nothing to sync yet: connect an export folder or upload a zip first.") {
		t.Fatalf("sync without a source: %d", r.Status)
	}
	hub := s.owner.Get("/admin/w/acme/t/pilot/inventory").Body
	if !strings.Contains(hub, `disabled title="Connect an export source first">Sync now`) {
		t.Errorf("Sync now is not disabled with its reason on the hub")
	}
	folder := t.TempDir()
	if err := os.CopyFS(folder, export(2, false)); err != nil {
		t.Fatal(err)
	}
	if r := s.owner.Post("/admin/w/acme/t/pilot/connection", url.Values{"path": {folder}}); r.Status != http.StatusSeeOther {
		t.Fatalf("connect: %d %s", r.Status, r.Body)
	}
	run := s.env.Finished(apptest.SyncNow(t, s.owner, "acme", "pilot"))
	if ctx := string(run.Context); run.Outcome != "succeeded" || !strings.Contains(ctx, `"selection_hash"`) || !strings.Contains(ctx, `"path":"`+folder+`"`) {
		t.Fatalf("run %s, context %s", run.Outcome, ctx)
	}
	if page := s.owner.Get("/admin/w/acme/t/pilot/policies").Body; !strings.Contains(page, "5 present") {
		t.Errorf("the synced policies are not listed")
	}
}
