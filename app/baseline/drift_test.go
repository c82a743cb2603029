package baseline_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"atlas/app/apptest"
	"atlas/app/baseline"
	"atlas/app/finding"
	"atlas/app/intune"
	"atlas/app/operation"
	"atlas/app/shareddata"
)

// The policies the edited copies of OpenIntuneBaseline's Windows export change.
const (
	bitlocker  = "Win - OIB - ES - Encryption - D - BitLocker (OS Disk) - v3.7"
	extensions = "Win - OIB - SC - Microsoft Edge - U - Extensions - v3.1"
	sandbox    = "Win - OIB - SC - Device Security - U - Windows Sandbox - v3.4"
	kiosk      = "Win - Contoso - SC - Kiosk Lockdown - v1.0"
	edgeRules  = "Contoso Edge extension rules"
	allowList  = "user_vendor_msft_policy_config_microsoft_edge~policy~microsoft_edge~extensions_extensioninstallallowlist"
)

// edits say how a copy of the export differs from the baseline.
type edits struct {
	encryptionOff bool // BitLocker's "Require device encryption" turned off
	deleteEdge    bool // the Edge extensions policy deleted
	addKiosk      bool // a policy of the tenant's own added
	renameEdge    bool // the Edge extensions policy renamed, its allow list enabled
	unreadable    bool // one file (the sandbox policy) cannot be read
	sameNames     bool // names keep their version markers
}

var marker = regexp.MustCompile(`v(\d+)\.(\d+)((?:\.\d+)?)$`)

// bump raises a name's version marker, as every community baseline release does: v3.7 → v3.8.
func bump(name string) string {
	return marker.ReplaceAllStringFunc(name, func(m string) string {
		s := marker.FindStringSubmatch(m)
		minor, _ := strconv.Atoi(s[2])
		return fmt.Sprintf("v%s.%d%s", s[1], minor+1, s[3])
	})
}

// writeCopy writes the export at src into dst as UTF-8 JSON with every name's
// version marker bumped and the edits applied.
func writeCopy(t testing.TB, src, dst string, e edits) {
	t.Helper()
	if err := os.RemoveAll(dst); err != nil {
		t.Fatal(err)
	}
	var sandboxPolicy map[string]any
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		v, err := intune.Decode(b)
		if err != nil {
			return err
		}
		m := v.(map[string]any)
		name, _ := m["name"].(string)
		if name == "" {
			name, _ = m["displayName"].(string)
		}
		switch {
		case name == extensions && e.deleteEdge:
			return nil
		case name == extensions && e.renameEdge:
			setChoice(t, m, allowList, allowList+"_1")
			rename(m, edgeRules)
			rel, _ := filepath.Rel(src, path)
			return writeJSON(filepath.Join(dst, rel), m)
		case name == bitlocker && e.encryptionOff:
			setChoice(t, m, "device_vendor_msft_bitlocker_requiredeviceencryption", "device_vendor_msft_bitlocker_requiredeviceencryption_0")
		case name == sandbox:
			sandboxPolicy = m
		}
		rel, _ := filepath.Rel(src, path)
		if name == sandbox && e.unreadable {
			return writeFile(filepath.Join(dst, rel), []byte(`{"name": "broken`))
		}
		if !e.sameNames {
			rename(m, bump(name))
		}
		return writeJSON(filepath.Join(dst, rel), m)
	})
	if err != nil {
		t.Fatal(err)
	}
	if e.addKiosk {
		// The tenant's own policy: the sandbox policy's settings under another name and id.
		b, _ := json.Marshal(sandboxPolicy)
		var m map[string]any
		json.Unmarshal(b, &m)
		m["id"] = "0b6d1c53-0000-4000-8000-00000000c10a"
		rename(m, kiosk)
		if err := writeJSON(filepath.Join(dst, "IntuneManagement", "SettingsCatalog", kiosk+".json"), m); err != nil {
			t.Fatal(err)
		}
	}
}

func rename(m map[string]any, name string) {
	if _, ok := m["name"]; ok {
		m["name"] = name
	} else {
		m["displayName"] = name
	}
}

func setChoice(t testing.TB, m map[string]any, definition, value string) {
	t.Helper()
	for _, s := range m["settings"].([]any) {
		inst := s.(map[string]any)["settingInstance"].(map[string]any)
		if inst["settingDefinitionId"] == definition {
			inst["choiceSettingValue"].(map[string]any)["value"] = value
			return
		}
	}
	t.Fatalf("no setting %s", definition)
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(path, b)
}

func writeFile(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// drift is an environment synced from edited copies of OpenIntuneBaseline and
// compared against a baseline captured from the original.
type drift struct {
	t      *testing.T
	e      *apptest.Env
	source string // OpenIntuneBaseline's Windows export
	copy   string
}

func (d *drift) sync(e edits) *operation.Run {
	d.t.Helper()
	writeCopy(d.t, d.source, d.copy, e)
	run, err := d.e.Data.Sync(context.Background(), "acme", "prod", d.copy)
	if err != nil {
		d.t.Fatal(err)
	}
	return run
}

func (d *drift) compare() *operation.Run {
	d.t.Helper()
	c, err := d.e.Data.Compare(context.Background(), "acme", "prod", "oib")
	if err != nil {
		d.t.Fatal(err)
	}
	return c.Run
}

// findings is every finding of prod as "type subject severity status".
func (d *drift) findings() []string {
	d.t.Helper()
	rows, err := d.e.Data.DB.Read.Query(`SELECT finding_type, subject_display_name, severity, status FROM findings ORDER BY finding_type, subject_display_name`)
	if err != nil {
		d.t.Fatal(err)
	}
	defer rows.Close()
	var list []string
	for rows.Next() {
		var typ, subject, severity, status string
		rows.Scan(&typ, &subject, &severity, &status)
		list = append(list, strings.Join([]string{typ, subject, severity, status}, " | "))
	}
	return list
}

func (d *drift) findingID(typ, subject string) int64 {
	d.t.Helper()
	var id int64
	if err := d.e.Data.DB.Read.QueryRow(`SELECT id FROM findings WHERE finding_type = ? AND subject_display_name = ?`, typ, subject).Scan(&id); err != nil {
		d.t.Fatalf("finding %s %s: %v", typ, subject, err)
	}
	return id
}

func (d *drift) get(id int64) *finding.Finding {
	d.t.Helper()
	var envID int64
	d.e.Data.DB.Read.QueryRow(`SELECT managed_environment_id FROM findings WHERE id = ?`, id).Scan(&envID)
	f, err := finding.Get(context.Background(), d.e.Data.DB.Read, envID, id)
	if err != nil {
		d.t.Fatal(err)
	}
	return f
}

func (d *drift) history(id int64) []string {
	d.t.Helper()
	events, err := finding.Events(context.Background(), d.e.Data.DB.Read, id)
	if err != nil {
		d.t.Fatal(err)
	}
	var actions []string
	for _, ev := range events {
		actions = append(actions, fmt.Sprintf("%s %s→%s", ev.Action, ev.From, ev.To))
	}
	return actions
}

func wantCounts(t *testing.T, run *operation.Run, want map[string]int) {
	t.Helper()
	if run.Outcome != operation.Succeeded {
		t.Fatalf("compare run %s: %+v", run.Outcome, run.Failure)
	}
	for k, n := range want {
		if run.Counts[k] != n {
			t.Errorf("summary_counts[%s] = %d, want %d (all: %v)", k, run.Counts[k], n, run.Counts)
		}
	}
}

func wantFindings(t *testing.T, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func newDrift(t *testing.T) *drift {
	d := &drift{t: t, e: apptest.NewAcme(t), source: shareddata.Dir(t, "intune", "OpenIntuneBaseline", "WINDOWS"), copy: filepath.Join(t.TempDir(), "export")}
	c, err := d.e.Data.CaptureBaseline(context.Background(), "acme", "oib", "", d.source)
	if err != nil {
		t.Fatal(err)
	}
	if c.Run.Outcome != operation.Succeeded || c.Snapshot == nil || c.Snapshot.ItemCount != 70 {
		t.Fatalf("capture of OpenIntuneBaseline: %s, snapshot %+v, failures %+v", c.Run.Outcome, c.Snapshot, c.Run.Failure)
	}
	// The tenant's own policies are reported too.
	err = d.e.Data.DB.Tx(context.Background(), func(tx *sql.Tx) error {
		s := baseline.Settings{Name: c.Profile.Name, Slug: c.Profile.Slug, Status: baseline.Active, CaptureMode: baseline.CaptureFull, ReportUnexpected: true}
		return baseline.UpdateProfile(context.Background(), tx, c.Profile, 0, s)
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDriftAgainstOpenIntuneBaseline follows a baseline's findings through
// their life: captured from the OpenIntuneBaseline Windows export, compared
// with an environment synced from edited copies of it.
func TestDriftAgainstOpenIntuneBaseline(t *testing.T) {
	d := newDrift(t)
	broken := edits{encryptionOff: true, deleteEdge: true, addKiosk: true}
	if run := d.sync(broken); run.Outcome != operation.Succeeded {
		t.Fatalf("sync: %s %+v", run.Outcome, run.Failure)
	}
	// Every name's version marker was bumped: none of that is drift.
	first := d.compare()
	wantCounts(t, first, map[string]int{"matched": 69, "missing": 1, "drifted": 1, "unexpected": 1, "opened": 3, "updated": 0, "resolved": 0, "reopened": 0})
	wantFindings(t, d.findings(), []string{
		"missing_policy | " + extensions + " | medium | open",
		"setting_drift | " + bitlocker + " | high | open",
		"unexpected_policy | " + kiosk + " | medium | open",
	})
	drifted := d.get(d.findingID("setting_drift", bitlocker))
	if len(drifted.Evidence.Changes) != 1 || drifted.Evidence.Changes[0].Label != "BitLocker › Require Device Encryption" && !strings.Contains(drifted.Evidence.Changes[0].Label, "Require") {
		t.Errorf("BitLocker evidence: %+v", drifted.Evidence.Changes)
	}
	if drifted.SeverityRule == "" || !strings.HasPrefix(drifted.SeverityRule, "security setting") {
		t.Errorf("BitLocker severity rule %q, want the diff's security-setting rule", drifted.SeverityRule)
	}
	if drifted.Evidence.Match == nil || drifted.Evidence.Match.By != "name" || drifted.Evidence.Current.DisplayName != bump(bitlocker) {
		t.Errorf("BitLocker match: %+v, current %+v", drifted.Evidence.Match, drifted.Evidence.Current)
	}
	if drifted.BaselineRunID == 0 || drifted.CurrentRunID != first.ID {
		t.Errorf("runs: baseline %d, current %d (compare #%d)", drifted.BaselineRunID, drifted.CurrentRunID, first.ID)
	}

	// The same drift compared again updates the same findings.
	wantCounts(t, d.compare(), map[string]int{"opened": 0, "updated": 3, "resolved": 0, "reopened": 0})

	// Fixed: every finding resolved, by the compare that found them gone.
	d.sync(edits{})
	fixed := d.compare()
	wantCounts(t, fixed, map[string]int{"missing": 0, "drifted": 0, "unexpected": 0, "opened": 0, "resolved": 3})
	wantFindings(t, d.findings(), []string{
		"missing_policy | " + extensions + " | medium | resolved",
		"setting_drift | " + bitlocker + " | high | resolved",
		"unexpected_policy | " + kiosk + " | medium | resolved",
	})
	var resolvedBy int64
	d.e.Data.DB.Read.QueryRow(`SELECT resolved_operation_run_id FROM findings WHERE id = ?`, drifted.ID).Scan(&resolvedBy)
	if resolvedBy != fixed.ID {
		t.Errorf("resolved by run %d, want %d", resolvedBy, fixed.ID)
	}

	// Broken again: the same finding reopens, and its history says so.
	d.sync(edits{encryptionOff: true})
	wantCounts(t, d.compare(), map[string]int{"drifted": 1, "opened": 0, "reopened": 1})
	if id := d.findingID("setting_drift", bitlocker); id != drifted.ID {
		t.Errorf("reopened finding %d, want the same finding %d", id, drifted.ID)
	}
	want := []string{"opened →open", "resolved open→resolved", "reopened resolved→open"}
	if got := d.history(drifted.ID); !slices.Equal(got, want) {
		t.Errorf("history %q, want %q", got, want)
	}
}

// TestExpiredExceptionReopens: an accepted deviation whose exception has
// expired is open again at the next compare, by itself.
func TestExpiredExceptionReopens(t *testing.T) {
	d := newDrift(t)
	d.sync(edits{encryptionOff: true})
	d.compare()
	f := d.get(d.findingID("setting_drift", bitlocker))
	id := f.ID
	ctx := context.Background()
	triage := finding.Triage{WorkspaceID: f.WorkspaceID, EnvironmentID: f.EnvironmentID, UserID: d.e.Data.Owner.ID, IDs: []int64{id},
		Exception: finding.Exception{Reason: "Kiosks encrypt with a third-party product", ExpiresAt: time.Now().Add(24 * time.Hour)}, Now: time.Now()}
	if n, err := finding.Accept(ctx, d.e.Data.DB, triage); n != 1 || err != nil {
		t.Fatalf("accept: %d, %v", n, err)
	}
	// Not expired yet: the compare leaves the exception alone.
	wantCounts(t, d.compare(), map[string]int{"updated": 1, "reopened": 0})
	wantFindings(t, d.findings(), []string{"setting_drift | " + bitlocker + " | high | accepted"})

	triage.Exception.ExpiresAt = time.Now().Add(-time.Minute) // as if accepted until a moment ago
	if _, err := finding.Accept(ctx, d.e.Data.DB, triage); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, d.compare(), map[string]int{"updated": 0, "reopened": 1})
	wantFindings(t, d.findings(), []string{"setting_drift | " + bitlocker + " | high | open"})
	want := []string{"opened →open", "accepted open→accepted", "accepted accepted→accepted", "exception expired accepted→open"}
	if got := d.history(id); !slices.Equal(got, want) {
		t.Errorf("history %q, want %q", got, want)
	}
}

// TestPartialSyncResolvesNothing: a compare after a sync that could not read
// every file opens and updates findings but resolves none, and its run says so.
func TestPartialSyncResolvesNothing(t *testing.T) {
	d := newDrift(t)
	d.sync(edits{encryptionOff: true, deleteEdge: true})
	wantCounts(t, d.compare(), map[string]int{"opened": 2})
	// The BitLocker drift is fixed, but another file cannot be read: the sync is partial.
	if run := d.sync(edits{unreadable: true, deleteEdge: true}); run.Outcome != operation.Partial {
		t.Fatalf("sync with an unreadable file: %s", run.Outcome)
	}
	run := d.compare()
	wantCounts(t, run, map[string]int{"drifted": 0, "missing": 1, "updated": 1, "resolved": 0})
	wantFindings(t, d.findings(), []string{
		"missing_policy | " + extensions + " | medium | open",
		"setting_drift | " + bitlocker + " | high | open",
	})
	if run.Failure == nil || len(run.Failure.Items) != 1 || !strings.Contains(run.Failure.Items[0].Reason, "none was resolved") {
		t.Errorf("the run does not say it resolved nothing: %+v", run.Failure)
	}
}

// TestConcurrentCompares: compares of one environment started at once leave
// one finding per scope_key.
func TestConcurrentCompares(t *testing.T) {
	d := newDrift(t)
	d.sync(edits{encryptionOff: true, deleteEdge: true, addKiosk: true})
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			// Each either runs or finds one already running (a conflict): both are fine.
			d.e.Data.Compare(ctx, "acme", "prod", "oib")
		})
	}
	wg.Wait()
	var findings, scopes int
	d.e.Data.DB.Read.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT scope_key) FROM findings`).Scan(&findings, &scopes)
	if findings != 3 || scopes != 3 {
		t.Errorf("%d findings over %d scope keys, want 3 and 3", findings, scopes)
	}
}

// TestCandidateAndPin: a renamed policy is proposed as the missing one's match
// when their settings overlap; once a manager pins it, compares use the pin
// and report its settings' drift instead of a missing and an unexpected policy.
func TestCandidateAndPin(t *testing.T) {
	d := newDrift(t)
	d.sync(edits{renameEdge: true})
	wantCounts(t, d.compare(), map[string]int{"missing": 1, "unexpected": 1, "drifted": 0, "opened": 2})
	missing := d.get(d.findingID("missing_policy", extensions))
	c := missing.Evidence.Candidate
	if c == nil || c.DisplayName != edgeRules || c.Similarity != 1 {
		t.Fatalf("candidate for the missing Edge policy: %+v", c)
	}
	ctx := context.Background()
	if err := finding.PinMatch(ctx, d.e.Data.DB, missing, d.e.Data.Owner.ID, c.PolicyID, time.Now()); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, d.compare(), map[string]int{"missing": 0, "unexpected": 0, "drifted": 1, "opened": 1, "resolved": 2})
	wantFindings(t, d.findings(), []string{
		"missing_policy | " + extensions + " | medium | resolved",
		"setting_drift | " + extensions + " | medium | open",
		"unexpected_policy | " + edgeRules + " | medium | resolved",
	})
	drifted := d.get(d.findingID("setting_drift", extensions))
	if m := drifted.Evidence.Match; m == nil || m.By != "pin" || m.PinnedBy != "owner" {
		t.Errorf("match of the pinned policy: %+v", m)
	}
	if got := d.history(missing.ID); !slices.Contains(got, "pinned open→open") {
		t.Errorf("the pin is not on the finding's history: %q", got)
	}
	// Unpinned: the names differ, so the policy is missing again.
	if err := finding.Unpin(ctx, d.e.Data.DB, drifted, d.e.Data.Owner.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, d.compare(), map[string]int{"missing": 1, "unexpected": 1, "drifted": 0, "reopened": 2, "resolved": 1})
}
