package inventory_test

import (
	"testing"
	"testing/fstest"

	"atlas/app/apptest"
	"atlas/app/operation"
)

func graph(id, name, modified string) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte(`{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"` + id +
		`","displayName":"` + name + `","lastModifiedDateTime":"` + modified + `"}`)}
}

// TestSyncRunThroughTheEngine checks what the run records: the counts,
// warnings that leave it succeeded, failures that make it partial.
func TestSyncRunThroughTheEngine(t *testing.T) {
	e := apptest.NewAcme(t)
	tests := []struct {
		name    string
		export  fstest.MapFS
		outcome operation.Outcome
		counts  map[string]int
		item    operation.ItemError
	}{
		{"a duplicate is a warning", fstest.MapFS{
			"a/p.json": graph("p1", "P", "2025-01-01T00:00:00Z"),
			"b/p.json": graph("p1", "P", "2025-02-01T00:00:00Z"),
			"q.json":   graph("q1", "Q", "2025-01-01T00:00:00Z"),
		}, operation.Succeeded,
			map[string]int{"files": 3, "seen": 2, "created": 2, "changed": 0, "unchanged": 0, "removed": 0, "skipped": 1, "failed": 0, "processed": 3, "total": 3},
			operation.ItemError{Item: "a/p.json", Reason: `duplicate of "P" in b/p.json, which is newer: this older copy was ignored`, Warning: true}},
		{"an unreadable file fails, the rest is kept", fstest.MapFS{
			"p.json":      graph("p1", "P", "2025-03-01T00:00:00Z"),
			"broken.json": {Data: []byte(`{"displayName":`)},
		}, operation.Partial,
			// Only lastModifiedDateTime differs: not a change.
			map[string]int{"files": 2, "seen": 1, "created": 0, "changed": 0, "unchanged": 1, "removed": 0, "skipped": 0, "failed": 1, "processed": 2, "total": 2},
			operation.ItemError{Item: "broken.json", Reason: "not valid JSON at byte 15 (line 1, column 16, UTF-8): the file ends in the middle of a value"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := e.SyncExport("acme", "prod", tt.export)
			if run.Outcome != tt.outcome {
				t.Errorf("outcome %s, want %s", run.Outcome, tt.outcome)
			}
			for k, v := range tt.counts {
				if run.Counts[k] != v {
					t.Errorf("summary_counts %v, want %v", run.Counts, tt.counts)
					break
				}
			}
			if len(run.Counts) != len(tt.counts) {
				t.Errorf("summary_counts keys %v, want %v", run.Counts, tt.counts)
			}
			if run.Failure == nil || len(run.Failure.Items) != 1 || run.Failure.Items[0] != tt.item {
				t.Errorf("failure_summary %+v, want the item %+v", run.Failure, tt.item)
			}
		})
	}
}
