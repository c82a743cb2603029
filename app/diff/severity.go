package diff

import "strings"

// severityRule is one line of the severity table: the first rule that matches
// a change decides its severity.
type severityRule struct {
	why      string
	matches  func(c *Change) bool
	severity Severity
}

// securityTopics are words in a setting's id or label that make any change to
// it high (issue 5: encryption, passwords, firewall, antivirus, attack surface
// reduction, credential protection).
var securityTopics = []string{
	"bitlocker", "encrypt", "filevault", "fde", "password", "passcode", "firewall",
	"antivirus", "antimalware", "malware", "defender", "attacksurfacereduction",
	"attack surface", "credential", "lsa", "tamperprotection", "tamper protection",
}

// severityRules is the one table that ranks changes (issue 5).
var severityRules = []severityRule{
	// An assignment that now reaches all users or all devices widens scope.
	{"scope widened to everyone", func(c *Change) bool {
		return c.Section == SectionAssignments && c.Kind != Removed && everyone(c.Path)
	}, High},
	// Dropping an exclusion widens scope too.
	{"exclusion removed", func(c *Change) bool {
		return c.Section == SectionAssignments && c.Kind == Removed && strings.Contains(c.Path, "[exclude:")
	}, High},
	{"other assignment change", func(c *Change) bool { return c.Section == SectionAssignments }, Medium},
	// Names and descriptions change nothing on a device.
	{"name or description", func(c *Change) bool {
		return c.Section == SectionProperties && nameOrDescription(c.Path)
	}, Low},
	// Template references are bookkeeping of the portal.
	{"template reference", func(c *Change) bool { return isTemplateReference(c.Path) }, Low},
	// A removed setting stops enforcing something.
	{"setting removed", func(c *Change) bool {
		return c.Kind == Removed && c.Section != SectionProperties && c.Section != SectionScript && !strings.HasSuffix(c.Path, "#order")
	}, High},
	// Intune's own risk level of a setting, from the dictionary.
	{"setting Intune rates high risk", func(c *Change) bool { return c.About.Risk == "high" }, High},
	// The topic words are looked for in the setting's id, its name, its
	// section and its Intune category ("Local Policies Security Options").
	{"security setting", func(c *Change) bool { return securityTopic(c) }, High},
	{"anything else", func(*Change) bool { return true }, Medium},
}

func severityOf(c *Change) Severity { return ruleFor(c).severity }

// Judge ranks c by the table: its severity and the rule that decided it, in
// the table's words ("security setting"), for a drift finding to show why.
func Judge(c Change) (Severity, string) {
	r := ruleFor(&c)
	return r.severity, r.why
}

// ruleFor is the first rule of the table that matches c (the last matches all).
func ruleFor(c *Change) severityRule {
	for _, r := range severityRules {
		if r.matches(c) {
			return r
		}
	}
	return severityRules[len(severityRules)-1]
}

func everyone(path string) bool {
	return strings.Contains(path, "["+allDevicesKey) || strings.Contains(path, "["+allUsersKey)
}

// nameOrDescription covers a policy's names, description and the template it
// was made from: none of them changes what a device does.
func nameOrDescription(path string) bool {
	switch path {
	case "name", "displayName", "description", "creationSource", "priorityMetaData":
		return true
	}
	return strings.HasPrefix(path, "templateReference")
}

// isTemplateReference reports a setting's template-reference row.
func isTemplateReference(path string) bool { return strings.HasSuffix(path, "#template") }

func securityTopic(c *Change) bool {
	text := strings.ToLower(c.Key + " " + c.Label + " " + c.Section + " " + c.About.Category)
	for _, t := range securityTopics {
		if strings.Contains(text, t) {
			return true
		}
	}
	return false
}
