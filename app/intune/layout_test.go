package intune

import (
	"os"
	"testing"
	"testing/fstest"

	"atlas/app/shareddata"
)

func TestDetectLayoutRealExports(t *testing.T) {
	tests := []struct {
		dir           []string
		kind, verdict string
		files         int
	}{
		{[]string{"OpenIntuneBaseline"}, IntuneManagement,
			"IntuneManagement export: 95 JSON files in 10 folders, platforms MACOS, WINDOWS, WINDOWS365; 19 NativeImport copies skipped (the same policies as the IntuneManagement files)", 115},
		{[]string{"OpenIntuneBaseline", "WINDOWS", "IntuneManagement"}, IntuneManagement,
			"IntuneManagement export: 70 JSON files in 5 folders", 70},
		{[]string{"OpenIntuneBaseline", "MACOS", "NativeImport"}, GraphJSON,
			"Plain Graph JSON: 17 JSON files in 1 folder", 17},
		{[]string{"CES2026-IntuneCD"}, IntuneCD,
			"IntuneCD backup: 117 JSON files in 13 folders", 118},
		{[]string{"Azure-securedworkstation"}, GraphJSON,
			"Plain Graph JSON: 28 JSON files in 9 folders", 29},
		{[]string{"Azure-securedworkstation", "PAW"}, GraphJSON,
			"Plain Graph JSON: 11 JSON files in 3 folders", 11},
	}
	for _, tt := range tests {
		t.Run(tt.dir[len(tt.dir)-1], func(t *testing.T) {
			got := DetectLayout(os.DirFS(shareddata.Dir(t, append([]string{"intune"}, tt.dir...)...)))
			want := Layout{Kind: tt.kind, Verdict: tt.verdict, Files: tt.files}
			if got != want {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestDetectLayoutSynthetic(t *testing.T) {
	graph := &fstest.MapFile{Data: []byte(`{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","displayName":"x"}`)}
	tests := []struct {
		name string
		fsys fstest.MapFS
		want Layout
	}{
		{"IntuneBackupAndRestore", fstest.MapFS{
			"Settings Catalog/a.json":                        graph,
			"Device Configurations/b.json":                   graph,
			"Device Configurations/Assignments/b.json":       {Data: []byte(`[]`)},
			"Administrative Templates/c.json":                {Data: []byte(`[{"definition@odata.bind":"d","enabled":true}]`)},
			"Device Management Scripts/Script Content/s.ps1": {Data: []byte("Write-Host")},
		}, Layout{IntuneBackupAndRestore, "IntuneBackupAndRestore backup: 4 JSON files in 4 folders", 5}},
		{"other JSON", fstest.MapFS{"package.json": {Data: []byte(`{"name":"x"}`)}},
			Layout{UnknownLayout, "No Intune export recognised: 1 JSON file, none of them with a Graph type", 1}},
		{"no JSON", fstest.MapFS{"README.md": {Data: []byte("hi")}},
			Layout{UnknownLayout, "No Intune export found: the folder holds no JSON files", 1}},
		{"hidden files do not count", fstest.MapFS{".git/x.json": graph, "__MACOSX/._a.json": graph, "a.json": graph},
			Layout{GraphJSON, "Plain Graph JSON: 1 JSON file in 1 folder", 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DetectLayout(tt.fsys); got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
