package intune

import (
	"testing"
	"testing/fstest"
)

func TestTenantOf(t *testing.T) {
	tests := []struct {
		name string
		fsys fstest.MapFS
		want string
	}{
		{"IntuneManagement migration table", fstest.MapFS{
			"Export/MigrationTable.json":    {Data: []byte("\xEF\xBB\xBF{\"TenantId\":\"9b6c7f0e-1111-2222-3333-444455556666\",\"Objects\":[]}")},
			"Export/SettingsCatalog/a.json": {Data: []byte(`{}`)},
		}, "9b6c7f0e-1111-2222-3333-444455556666"},
		{"key in another case", fstest.MapFS{"migrationtable.json": {Data: []byte(`{"tenantId":" abc "}`)}}, "abc"},
		{"no migration table", fstest.MapFS{"SettingsCatalog/a.json": {Data: []byte(`{"TenantId":"not this"}`)}}, ""},
		{"unreadable migration table", fstest.MapFS{"MigrationTable.json": {Data: []byte(`{"TenantId":`)}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TenantOf(tt.fsys); got != tt.want {
				t.Errorf("TenantOf = %q, want %q", got, tt.want)
			}
		})
	}
}
