package intune

import (
	"maps"
	"testing"
	"testing/fstest"
)

func TestObjectNames(t *testing.T) {
	table := `{"TenantId": "t", "Objects": [
		{"Id": "g1", "DisplayName": "Pilot devices", "Type": "#microsoft.graph.group"},
		{"id": "f1", "displayName": " Windows 11 only ", "Type": "AssignmentFilter"},
		{"Id": "nameless", "Type": "Group"}]}`
	want := map[string]string{"g1": "Pilot devices", "f1": "Windows 11 only"}
	utf16 := []byte{0xFF, 0xFE}
	for _, r := range table {
		utf16 = append(utf16, byte(r), 0)
	}
	tests := []struct {
		name string
		fsys fstest.MapFS
		want map[string]string
	}{
		{"at the export's root", fstest.MapFS{"MigrationTable.json": {Data: []byte(table)}, "SettingsCatalog/a.json": {Data: []byte(`{}`)}}, want},
		{"in the folder a zip holds", fstest.MapFS{"Export/MigrationTable.json": {Data: []byte(table)}}, want},
		{"written by Windows PowerShell (UTF-16)", fstest.MapFS{"migrationtable.json": {Data: utf16}}, want},
		{"deeper than one folder", fstest.MapFS{"a/b/MigrationTable.json": {Data: []byte(table)}}, nil},
		{"none", fstest.MapFS{"SettingsCatalog/a.json": {Data: []byte(`{}`)}}, nil},
		{"unreadable", fstest.MapFS{"MigrationTable.json": {Data: []byte(`{"Objects": [`)}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ObjectNames(tt.fsys); !maps.Equal(got, tt.want) {
				t.Errorf("ObjectNames = %v, want %v", got, tt.want)
			}
		})
	}
}
