package inventory_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"atlas/app/apptest"
	"atlas/app/inventory"
	"atlas/app/shareddata"
)

// The real change the compare pages are tested with: OpenIntuneBaseline's
// BitLocker (OS Disk) policy with the OS drive's encryption method lowered
// from XTS-AES 256 to XTS-AES 128 and the warning for other disk encryption
// turned on. Settings read as Intune's portal names them.
const (
	bitlockerName  = "Win - OIB - ES - Encryption - D - BitLocker (OS Disk) - v3.7"
	bitlockerFile  = "SettingsCatalog/" + bitlockerName + ".json"
	xtsOS          = "device_vendor_msft_bitlocker_encryptionmethodbydrivetype_encryptionmethodwithxtsosdropdown_name"
	xtsOSLabel     = "Choose drive encryption method and cipher strength (Windows 10 [Version 1511] and later) › Select the encryption method for operating system drives"
	xtsOSCSP       = "./Device/Vendor/MSFT/BitLocker/EncryptionMethodByDriveType"
	otherDiskLabel = "Allow Warning For Other Disk Encryption"
	otherDisk      = "device_vendor_msft_bitlocker_allowwarningforotherdiskencryption"
	xts256, xts128 = "XTS-AES 256-bit", "XTS-AES 128-bit (default)"
)

// editedBaseline is a copy of the OpenIntuneBaseline Windows export with the
// BitLocker change made (written back as UTF-8, as a consultant's editor would).
func editedBaseline(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, filepath.FromSlash(bitlockerFile))
	inventory.Rewrite(t, file, func(m map[string]any) {
		for _, r := range [][2]string{{xtsOS + "_7", xtsOS + "_6"}, {otherDisk + "_0", otherDisk + "_1"}} {
			if n := replaceValue(m, r[0], r[1]); n != 1 {
				t.Fatalf("%s holds %s %d times, want once", bitlockerFile, r[0], n)
			}
		}
	})
	return dir
}

// compareSite is workspace acme: prod synced from OpenIntuneBaseline and then
// from the edited copy (BitLocker gets version 2), pilot synced from the
// original; an operator with a membership in prod only; and workspace other,
// synced from the original too.
type compareSite struct {
	env                *apptest.Env
	owner, operator    *apptest.Client
	prod, pilot, other int64 // the BitLocker policy of each
	compliance         int64 // a prod policy of another type
	secondRun          int64 // the run that captured prod's version 2
}

func newCompareSite(t *testing.T) *compareSite {
	t.Helper()
	src := shareddata.Dir(t, "intune", "OpenIntuneBaseline", "WINDOWS", "IntuneManagement")
	e := apptest.NewAcme(t)
	ctx := context.Background()
	for _, err := range []error{
		e.Data.AddEnvironment(ctx, "acme", "pilot", "Pilot"),
		e.Data.AddUser(ctx, "operator@acme.test", "Olga Operator", "correct horse battery", false),
		e.Data.AddMember(ctx, "acme", "operator@acme.test", "operator", "prod"),
		e.Data.AddWorkspace(ctx, "other", "Other Inc"),
		e.Data.AddEnvironment(ctx, "other", "prod", "Other production"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	e.SyncExport("acme", "prod", os.DirFS(src))
	second := e.SyncExport("acme", "prod", os.DirFS(editedBaseline(t, src)))
	e.SyncExport("acme", "pilot", os.DirFS(src))
	e.SyncExport("other", "prod", os.DirFS(src))
	s := &compareSite{env: e, owner: e.Owner(), operator: e.SignIn("operator@acme.test", "correct horse battery"), secondRun: second.ID}
	if r := s.owner.Post("/admin/workspaces/acme/select", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("select acme: %d", r.Status)
	}
	s.prod = s.policy(t, "acme", "prod", bitlockerName)
	s.pilot = s.policy(t, "acme", "pilot", bitlockerName)
	s.other = s.policy(t, "other", "prod", bitlockerName)
	s.compliance = s.policy(t, "acme", "prod", "Win - OIB - Compliance - U - Password - v3.1")
	return s
}

func (s *compareSite) policy(t *testing.T, workspace, environment, name string) int64 {
	t.Helper()
	var id int64
	if err := s.env.Data.DB.Read.QueryRow(`SELECT p.id FROM policies p JOIN workspaces w ON w.id = p.workspace_id
		JOIN managed_environments e ON e.id = p.managed_environment_id
		WHERE w.slug = ? AND e.slug = ? AND p.display_name = ?`, workspace, environment, name).Scan(&id); err != nil {
		t.Fatalf("policy %s in %s/%s: %v", name, workspace, environment, err)
	}
	return id
}

// replaceValue replaces the string values old found in v by new and says how many it replaced.
func replaceValue(v any, old, new string) int {
	n := 0
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == old {
				x[k] = new
				n++
			} else {
				n += replaceValue(e, old, new)
			}
		}
	case []any:
		for _, e := range x {
			n += replaceValue(e, old, new)
		}
	}
	return n
}

// row is the table row of body with class class whose text holds label, or "".
func row(body, class, label string) string {
	for _, m := range regexp.MustCompile(`(?s)<tr class="`+class+`">.*?</tr>`).FindAllString(body, -1) {
		if strings.Contains(m, label) {
			return m
		}
	}
	return ""
}

func TestVersionTimeline(t *testing.T) {
	s := newCompareSite(t)
	path := fmt.Sprintf("/admin/w/acme/t/prod/policies/%d", s.prod)
	var stored string
	summary := func() string {
		t.Helper()
		if err := s.env.Data.DB.Read.QueryRow(`SELECT COALESCE(change_summary, '') FROM policy_versions WHERE policy_id = ? AND version_number = 2`, s.prod).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		return stored
	}
	// The sync stored the summary when it wrote version 2.
	if got := summary(); got != "2 settings changed" {
		t.Fatalf("stored summary = %q, want the sync's %q", got, "2 settings changed")
	}
	check := func(name string) {
		t.Helper()
		r := s.owner.Get(path)
		for _, want := range []string{
			`<a href="` + path + `/diff?from=1&amp;to=2">2 settings changed</a>`,
			"First captured",
			fmt.Sprintf(`<a href="/admin/operations/%d">Inventory sync #%d · `, s.secondRun, s.secondRun), // issue 12: named, never a bare "#8"
			`href="` + path + `/versions/2/download"`,
			`href="` + path + `/compare"`,
		} {
			if r.Status != http.StatusOK || !strings.Contains(r.Body, want) {
				t.Errorf("%s: status %d, no %s", name, r.Status, want)
			}
		}
	}
	check("stored by the sync")

	// A version written before summaries were stored gets one on the next page load.
	if _, err := s.env.Data.DB.Write.Exec(`UPDATE policy_versions SET change_summary = NULL`); err != nil {
		t.Fatal(err)
	}
	check("backfilled")
	if got := summary(); got != "2 settings changed" {
		t.Errorf("backfilled summary = %q", got)
	}
	var firsts int
	s.env.Data.DB.Read.QueryRow(`SELECT count(*) FROM policy_versions WHERE version_number = 1 AND change_summary IS NOT NULL`).Scan(&firsts)
	if firsts != 0 {
		t.Errorf("%d first versions got a summary: they have nothing before them", firsts)
	}

	// The versions' runs are named from one query, not one per version; the
	// latest version's source run is the other.
	rec := s.env.Reads
	runQueries := 0
	for _, q := range rec.Record(func() { check("runs read together") }) {
		if strings.Contains(q.Query, "operation_runs") {
			runQueries++
		}
	}
	if runQueries != 2 {
		t.Errorf("the policy page read operation_runs %d times, want 2 (its versions' runs, then the latest's source run)", runQueries)
	}
}

func TestCompareVersions(t *testing.T) {
	s := newCompareSite(t)
	base := fmt.Sprintf("/admin/w/acme/t/prod/policies/%d", s.prod)
	r := s.owner.Get(base + "/diff?from=1&to=2")
	if r.Status != http.StatusOK {
		t.Fatalf("diff: status %d: %s", r.Status, r.Body)
	}
	xts := row(r.Body, "diff-changed", xtsOSLabel)
	for _, want := range []string{"<del>" + xts256 + "</del>", "<ins>" + xts128 + "</ins>", `<span class="badge badge-high">high</span>`,
		`<span class="diff-id" title="` + xtsOS + `">` + xtsOSCSP + `</span>`, `<span class="diff-id">` + xtsOS + `_7</span>`, `<span class="diff-id">` + xtsOS + `_6</span>`} {
		if !strings.Contains(xts, want) {
			t.Errorf("the XTS OS row %q has no %s", xts, want)
		}
	}
	if other := row(r.Body, "diff-changed", otherDiskLabel); !strings.Contains(other, "<del>Disabled</del>") || !strings.Contains(other, "<ins>Enabled</ins>") {
		t.Errorf("the other-disk row: %q", other)
	}
	for _, want := range []string{
		`<tr class="diff-section"><th colspan="3" scope="rowgroup">BitLocker</th></tr>`,
		`<th scope="col">Version 1</th><th scope="col">Version 2</th>`,
		"2 settings changed",
		`<details class="unchanged"><summary>31 unchanged settings</summary>`,
		"Require Device Encryption", // an unchanged row, inside the details
		`<details><summary>Version 1 as JSON</summary><pre class="json">{`,
		`&#34;settingDefinitionId&#34;: &#34;` + xtsOS + `&#34;`, // the canonical JSON, indented and escaped
		`href="` + base + `/versions/1/download" download`,
		`href="` + base + `/versions/2/download" download`,
		`<option value="1" selected>Version 1`,
	} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("diff page has no %s", want)
		}
	}
	if n := strings.Count(r.Body, `<tr class="diff-changed">`) + strings.Count(r.Body, `<tr class="diff-added">`) + strings.Count(r.Body, `<tr class="diff-removed">`); n != 2 {
		t.Errorf("%d change rows, want 2", n)
	}

	// Without from and to: the latest against the one before. Backwards: the mirror image.
	if d := s.owner.Get(base + "/diff"); d.Status != http.StatusOK || row(d.Body, "diff-changed", xtsOSLabel) != xts {
		t.Errorf("default diff: status %d, XTS row %q", d.Status, row(d.Body, "diff-changed", xtsOSLabel))
	}
	back := row(s.owner.Get(base+"/diff?from=2&to=1").Body, "diff-changed", xtsOSLabel)
	if !strings.Contains(back, "<del>"+xts128+"</del>") || !strings.Contains(back, "<ins>"+xts256+"</ins>") {
		t.Errorf("backwards XTS row %q", back)
	}
}

func TestCompareVersionsRefuses(t *testing.T) {
	s := newCompareSite(t)
	base := fmt.Sprintf("/admin/w/acme/t/prod/policies/%d", s.prod)
	tests := []struct {
		name   string
		path   string
		status int
		want   string
	}{
		{"same version", base + "/diff?from=2&to=2", http.StatusUnprocessableEntity, "Version 2 against itself has no changes"},
		{"not a number", base + "/diff?from=abc&to=2", http.StatusUnprocessableEntity, "&#34;abc&#34; is not a version number"},
		{"zero", base + "/diff?from=0&to=2", http.StatusUnprocessableEntity, "&#34;0&#34; is not a version number"},
		{"first version alone", base + "/diff?to=1", http.StatusUnprocessableEntity, "Version 1 is the first version"},
		{"no such version", base + "/diff?from=1&to=9", http.StatusNotFound, "does not exist"},
		{"another environment's policy", fmt.Sprintf("/admin/w/acme/t/prod/policies/%d/diff", s.pilot), http.StatusNotFound, "does not exist"},
		{"another workspace's policy", fmt.Sprintf("/admin/w/acme/t/prod/policies/%d/diff", s.other), http.StatusNotFound, "does not exist"},
		{"one version only", fmt.Sprintf("/admin/w/acme/t/pilot/policies/%d/diff", s.pilot), http.StatusOK, "has one version so far"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.owner.Get(tt.path)
			if r.Status != tt.status || !strings.Contains(r.Body, tt.want) {
				t.Errorf("status %d, want %d with %q: %s", r.Status, tt.status, tt.want, r.Body)
			}
			if strings.Contains(r.Body, `<table class="diff">`) {
				t.Error("a diff was shown")
			}
		})
	}
}

func TestDownloadVersion(t *testing.T) {
	s := newCompareSite(t)
	base := fmt.Sprintf("/admin/w/acme/t/prod/policies/%d/versions", s.prod)
	for _, n := range []int{1, 2} {
		r := s.owner.Get(fmt.Sprintf("%s/%d/download", base, n))
		var canonical string
		if err := s.env.Data.DB.Read.QueryRow(`SELECT pp.canonical FROM policy_versions v JOIN policy_payloads pp ON pp.content_hash = v.content_hash
			WHERE v.policy_id = ? AND v.version_number = ?`, s.prod, n).Scan(&canonical); err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("%s v%d.json", bitlockerName, n)
		wantName := fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, name, strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29").Replace(name))
		if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Content-Disposition") != wantName {
			t.Errorf("version %d: status %d, type %q, disposition %q, want %q", n, r.Status, r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"), wantName)
		}
		if r.Body != canonical {
			t.Errorf("version %d: body is not the canonical JSON (%d bytes, want %d)", n, len(r.Body), len(canonical))
		}
	}
	for _, path := range []string{
		base + "/3/download",
		base + "/one/download",
		fmt.Sprintf("/admin/w/acme/t/prod/policies/%d/versions/1/download", s.pilot),
		fmt.Sprintf("/admin/w/acme/t/prod/policies/%d/versions/1/download", s.other),
	} {
		if r := s.owner.Get(path); r.Status != http.StatusNotFound || strings.Contains(r.Body, "settingDefinitionId") {
			t.Errorf("%s: status %d, want 404", path, r.Status)
		}
	}

	// Whatever the policy is called, the file name is cut and encoded (RFC 6266).
	hostile := "Évil \"name\"\r\nSet-Cookie: x=1 " + strings.Repeat("🔒", 2_500)
	if _, err := s.env.Data.DB.Write.Exec(`UPDATE policies SET display_name = ? WHERE id = ?`, hostile, s.prod); err != nil {
		t.Fatal(err)
	}
	r := s.owner.Get(base + "/2/download")
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Disposition"))
	if name := params["filename"]; r.Status != http.StatusOK || err != nil || len(name) > 100 || !strings.HasPrefix(name, "Évil 'name'--Set-Cookie- x=1 🔒") ||
		!strings.HasSuffix(name, "🔒.json") || r.Header.Get("Set-Cookie") != "" {
		t.Errorf("hostile name: status %d, disposition %q (%v)", r.Status, r.Header.Get("Content-Disposition"), err)
	}
}

func TestComparePolicies(t *testing.T) {
	s := newCompareSite(t)
	prod := fmt.Sprintf("/admin/w/acme/t/prod/policies/%d/compare", s.prod)
	tests := []struct {
		name   string
		client *apptest.Client
		path   string
		status int
		want   []string
		absent []string
	}{
		{"picker", s.owner, prod, http.StatusOK,
			[]string{`<optgroup label="Production">`, `<optgroup label="Pilot">`, fmt.Sprintf(`<option value="%d">%s · Pilot (same name)</option>`, s.pilot, bitlockerName)},
			[]string{`<table class="diff">`, "Other production", fmt.Sprintf(`<option value="%d">`, s.prod), fmt.Sprintf(`<option value="%d">`, s.compliance)}},
		{"another environment", s.owner, fmt.Sprintf("%s?with=%d", prod, s.pilot), http.StatusOK,
			[]string{`<th scope="col">Production</th><th scope="col">Pilot</th>`, "<del>" + xts128 + "</del>", "<ins>" + xts256 + "</ins>", "31 unchanged settings",
				fmt.Sprintf(`href="/admin/w/acme/t/pilot/policies/%d/versions/1/download" download`, s.pilot)}, nil},
		{"operator: the picker offers prod only", s.operator, prod, http.StatusOK,
			[]string{`<optgroup label="Production">`}, []string{`<optgroup label="Pilot">`, bitlockerName + " (same name)"}},
		{"operator: a not-entitled environment's policy", s.operator, fmt.Sprintf("%s?with=%d", prod, s.pilot), http.StatusNotFound, []string{"does not exist"}, []string{"XTS"}},
		{"another workspace's policy", s.owner, fmt.Sprintf("%s?with=%d", prod, s.other), http.StatusNotFound, []string{"does not exist"}, []string{"XTS"}},
		{"no such policy", s.owner, prod + "?with=999999", http.StatusNotFound, []string{"does not exist"}, nil},
		{"another type", s.owner, fmt.Sprintf("%s?with=%d", prod, s.compliance), http.StatusUnprocessableEntity,
			[]string{"only policies of the same type compare"}, []string{`<table class="diff">`}},
		{"itself", s.owner, fmt.Sprintf("%s?with=%d", prod, s.prod), http.StatusUnprocessableEntity, []string{"against itself"}, []string{`<table class="diff">`}},
		{"not an id", s.owner, prod + "?with=bitlocker", http.StatusUnprocessableEntity, []string{"Choose a policy from the list"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.client.Get(tt.path)
			if r.Status != tt.status {
				t.Errorf("status %d, want %d", r.Status, tt.status)
			}
			for _, text := range append(tt.want, tt.absent...) {
				if shown, wanted := strings.Contains(r.Body, text), slices.Contains(tt.want, text); shown != wanted {
					t.Errorf("%s shown: %v, want %v", text, shown, wanted)
				}
			}
		})
	}
	// The operator compares within the environment it is entitled to.
	operatorCompliance := fmt.Sprintf("/admin/w/acme/t/prod/policies/%d/compare?with=%d", s.compliance, s.policy(t, "acme", "prod", "Win - OIB - Compliance - U - Device Health - v3.1"))
	if r := s.operator.Get(operatorCompliance); r.Status != http.StatusOK || !strings.Contains(r.Body, `<table class="diff">`) {
		t.Errorf("operator within prod: status %d", r.Status)
	}
}

// script is a PowerShell script export whose content is lines.
func script(lines ...string) fstest.MapFS {
	content := base64.StdEncoding.EncodeToString([]byte(strings.Join(lines, "\r\n") + "\r\n"))
	return fstest.MapFS{"Scripts/Set proxy.json": {Data: []byte(`{"@odata.type":"#microsoft.graph.deviceManagementScript","id":"s-1",
		"displayName":"Set proxy","runAsAccount":"system","fileName":"proxy.ps1","scriptContent":"` + content + `"}`)}}
}

func TestCompareScriptLines(t *testing.T) {
	e := apptest.NewAcme(t)
	e.SyncExport("acme", "prod", script(`$proxy = "proxy.acme.test:8080"`, `Set-ItemProperty -Path $key -Name ProxyServer -Value $proxy`, `Write-Output "done"`))
	e.SyncExport("acme", "prod", script(`$proxy = "proxy2.acme.test:3128"`, `Set-ItemProperty -Path $key -Name ProxyServer -Value $proxy`, `Set-ItemProperty -Path $key -Name ProxyEnable -Value 1`, `Write-Output "done"`))
	var id int64
	if err := e.Data.DB.Read.QueryRow(`SELECT id FROM policies WHERE display_name = 'Set proxy'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	owner := e.Owner()
	r := owner.Get(fmt.Sprintf("/admin/w/acme/t/prod/policies/%d/diff?from=1&to=2", id))
	want := `<pre class="script-diff"><span class="line-removed">- $proxy = &#34;proxy.acme.test:8080&#34;</span>
<span class="line-added">&#43; $proxy = &#34;proxy2.acme.test:3128&#34;</span>
<span class="line-added">&#43; Set-ItemProperty -Path $key -Name ProxyEnable -Value 1</span>
</pre>`
	if r.Status != http.StatusOK || !strings.Contains(r.Body, want) {
		t.Errorf("status %d, no script block %s in\n%s", r.Status, want, r.Body)
	}
	if block := row(r.Body, "diff-changed", "Script content"); !strings.Contains(block, `<td colspan="2"><pre class="script-diff">`) {
		t.Errorf("the script's lines are not one row: %q", block)
	}
	if !strings.Contains(r.Body, "1 script line changed, 1 added") || !strings.Contains(r.Body, "unchanged settings</summary>") {
		t.Error("no summary or unchanged count")
	}
}
