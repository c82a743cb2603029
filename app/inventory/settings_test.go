package inventory

import (
	"fmt"
	"strings"
	"testing"

	"atlas/app/intune"
)

func TestSections(t *testing.T) {
	v, err := intune.Decode([]byte(`{"@odata.type":"#microsoft.graph.macOSCustomAttributeShellScript","displayName":"Agent version",
		"scriptContent":"IyEvYmluL2Jhc2gKZWNobyAx","runAsAccount":"system",
		"assignments":[{"target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	settings, assignments := sections(intune.Normalize(v), nil)
	var got []string
	for _, s := range settings {
		for _, r := range s.Rows {
			got = append(got, fmt.Sprintf("%s: %s = %q multiline=%v", s.Name, r.Label, r.Value, r.Multiline))
		}
	}
	want := []string{
		`Settings: Run as account = "system" multiline=false`,
		`Properties: Type = "#microsoft.graph.macOSCustomAttributeShellScript" multiline=false`,
		`Properties: Display name = "Agent version" multiline=false`,
		`Script: Script content = "#!/bin/bash\necho 1" multiline=true`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("sections:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(assignments) != 1 || assignments[0].Label != "All devices" || assignments[0].Value != "Included" {
		t.Errorf("assignments = %+v", assignments)
	}
}
