package backup

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// segmentCases are names an export may hold, with the name Atlas writes;
// found fuzz cases are kept here.
var segmentCases = []struct{ in, want string }{
	{"Windows compliance", "Windows compliance"},
	{"", "_"},
	{".", "_"},
	{"..", "_"},
	{"...", "_"},
	{" . ", "_"},
	{"../../../../tmp/victim", ".._.._.._.._tmp_victim"},
	{"/etc/passwd", "_etc_passwd"},
	{`..\..\windows\victim`, `.._.._windows_victim`},
	{"C:victim", "C_victim"},
	{"a\x00b", "a_b"},
	{"line\nbreak\r", "line_break_"},
	{"del\x7f\u0085", "del__"},
	{"Trailing. . .", "Trailing"},
	{".hidden", ".hidden"},
	{"CON", "_CON"},
	{"con", "_con"},
	{"CON.json", "_CON.json"},
	{"con .txt", "_con .txt"},
	{"Nul.tar.gz", "_Nul.tar.gz"},
	{"COM1", "_COM1"},
	{"lpt9.x", "_lpt9.x"},
	{"COM¹", "_COM¹"},
	{"CONIN$", "_CONIN$"},
	{"conout$.log", "_conout$.log"},
	{"CONSOLE", "CONSOLE"},
	{"COM10", "COM10"},
	{"invoice\u202Egnp.exe", "invoicegnp.exe"},
	{"Zero\u200Bwidth\uFEFF", "Zerowidth"},
	{"para\u2029graph", "paragraph"},
	{"Cafe\u0301", "Café"},
	{"bad\xffutf8", "bad_utf8"},
	{"a:b*c?d\"e<f>g|h", "a_b_c_d_e_f_g_h"},
	{strings.Repeat("é", 150), strings.Repeat("é", 90)},
	{strings.Repeat("a", 179) + "é", strings.Repeat("a", 179)},
	{"CON" + strings.Repeat(" ", 200) + "x", "_CON"},
	{"CON." + strings.Repeat("x", 200), "_CON." + strings.Repeat("x", 175)},
	{strings.Repeat("x", 179) + ". y", strings.Repeat("x", 179)},
}

func TestSafeSegment(t *testing.T) {
	for _, tt := range segmentCases {
		got := safeSegment(tt.in, maxSegment)
		if got != tt.want {
			t.Errorf("safeSegment(%q) = %q, want %q", tt.in, got, tt.want)
		}
		checkSegment(t, tt.in, got)
	}
}

// FuzzSafeSegment: whatever the name, the segment is one safe name on every
// system, and safe names stay as they are.
func FuzzSafeSegment(f *testing.F) {
	for _, tt := range segmentCases {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := safeSegment(in, maxSegment)
		checkSegment(t, in, got)
		// With what the writers add after a segment: still one safe name.
		checkSegment(t, in, got+" (2).json")
	})
}

// checkSegment checks a segment: one safe name, within the cap, kept as it is
// when made safe again.
func checkSegment(t *testing.T, in, name string) {
	t.Helper()
	if why := NameProblem(name); why != "" {
		t.Errorf("safeSegment(%q) = %q: %s", in, name, why)
	}
	if len(name) > maxSegment && !strings.HasSuffix(name, " (2).json") {
		t.Errorf("safeSegment(%q) = %q: longer than %d bytes", in, name, maxSegment)
	}
	if again := safeSegment(name, maxSegment); again != name && len(name) <= maxSegment {
		t.Errorf("safeSegment(%q) = %q, changed again to %q", in, name, again)
	}
}

// NameProblem says why Windows, macOS or Linux would not take name as the
// same one file name, "" when all would; by rules of its own rather than
// safeSegment's. (The package's other tests check what they write with it.)
func NameProblem(name string) string {
	switch {
	case !utf8.ValidString(name):
		return "not UTF-8"
	case len(name) > 255:
		return "longer than 255 bytes"
	case name == "" || name == "." || name == "..":
		return "not a name"
	case strings.ContainsAny(name, `/\:*?"<>|`):
		return "holds a character Windows refuses"
	case strings.HasSuffix(name, ".") || strings.HasSuffix(name, " "):
		return "ends in a dot or a space, which Windows drops"
	case !norm.NFC.IsNormalString(name):
		return "not in NFC (macOS would take it for its NFC twin)"
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			return "holds a control or invisible character"
		}
	}
	base, _, _ := strings.Cut(name, ".")
	base = strings.ToUpper(strings.TrimRight(base, " "))
	port := []rune(base)
	switch {
	case base == "CON", base == "PRN", base == "AUX", base == "NUL", base == "CONIN$", base == "CONOUT$", base == "CLOCK$",
		len(port) == 4 && (strings.HasPrefix(base, "COM") || strings.HasPrefix(base, "LPT")) && strings.ContainsRune("0123456789¹²³", port[3]):
		return "a Windows device name"
	}
	return ""
}

func TestTwinKey(t *testing.T) {
	for _, pair := range [][2]string{{"Policies/Win.json", "policies/WIN.JSON"}, {"Café.json", "Cafe\u0301.json"}, {"CAFÉ.json", "cafe\u0301.json"},
		{"Kelvin.json", "\u212Aelvin.json"}} {
		if twinKey(pair[0]) != twinKey(pair[1]) {
			t.Errorf("%q and %q are one file on Windows or macOS: different keys", pair[0], pair[1])
		}
	}
	if twinKey("Win.json") == twinKey("Win (2).json") || twinKey("Cafe.json") == twinKey("Café.json") {
		t.Error("different names share a key")
	}
}

func TestCheckEntry(t *testing.T) {
	for _, ok := range []string{"MigrationTable.json", "Settings Catalog/Edge_mdm.json", "Scripts/Powershell/Script Data/x.ps1"} {
		if err := checkEntry(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", "../x.json", "a/../../x.json", "/etc/passwd", "a//b", "a/./b", `a\..\b`, "C:/x", "c:x", "a/"} {
		if checkEntry(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestSinksStayInTheirFolder: whatever a name slipping past the sanitiser
// holds, a folder's writes stay under it (through a link too) and overwrite
// nothing, and a zip refuses the entry.
func TestSinksStayInTheirFolder(t *testing.T) {
	outside := t.TempDir()
	dir := filepath.Join(t.TempDir(), "export")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	sinks := map[string]Sink{"folder": dirSink{root}, "zip": ZipSink{Zip: zw}}
	hostile := []string{"../x.json", "a/../../x.json", filepath.ToSlash(outside) + "/x.json", `..\x.json`, "C:/x.json", "a//b.json", "./x.json", ""}
	for kind, sink := range sinks {
		for _, name := range hostile {
			if err := sink.WriteFile(name, []byte("hostile")); err == nil {
				t.Errorf("%s: %q written", kind, name)
			}
		}
	}
	if err := (dirSink{root}).WriteFile("link/x.json", []byte("hostile")); err == nil {
		t.Error("written through a link out of the folder")
	}
	if err := (dirSink{root}).WriteFile("Policies/a.json", []byte("first")); err != nil {
		t.Fatal(err)
	}
	if err := (dirSink{root}).WriteFile("Policies/a.json", []byte("second")); err == nil {
		t.Error("a file overwritten")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "Policies", "a.json")); string(b) != "first" {
		t.Errorf("the first file holds %q", b)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("written outside the folder: %v", entries)
	}
	zw.Close()
	if zr, err := zip.NewReader(bytes.NewReader(zipped.Bytes()), int64(zipped.Len())); err != nil || len(zr.File) != 0 {
		t.Errorf("zip entries written: %v", err)
	}
}

// pathsSink records the paths written.
type pathsSink []string

func (p *pathsSink) WriteFile(name string, _ []byte) error {
	*p = append(*p, name)
	return nil
}

// FuzzWriterPaths: whatever a policy's name, Graph type, technologies and
// script name hold, every layout writes its files at plain relative paths of
// safe names, no two of them one file on Windows or macOS.
func FuzzWriterPaths(f *testing.F) {
	f.Add("Win", "#microsoft.graph.windows10CompliancePolicy", "mdm", "hello.ps1")
	f.Add("../../x", "#microsoft.graph.x/../../../tmp/victim", "mdm,../../x", "..")
	f.Add("CON", `#microsoft.graph.x\..\y`, "", "CON.ps1")
	f.Fuzz(func(t *testing.T, name, odataType, technologies, fileName string) {
		for _, l := range Layouts {
			var sink pathsSink
			w, err := NewWriter(&sink, l.Kind)
			if err != nil {
				t.Fatal(err)
			}
			for _, typ := range []string{"other", "settingsCatalog", "remediation", "powershellScript", "powershellScript"} {
				payload := map[string]any{"@odata.type": odataType, "displayName": name, "technologies": technologies, "fileName": fileName,
					"scriptContent": "ZWNobyBoaQ==", "detectionScriptContent": "ZWNobyBoaQ==", "remediationScriptContent": "ZWNobyBoaQ=="}
				if typ == "settingsCatalog" {
					delete(payload, "@odata.type")
				}
				if _, err := w.Write(Document{Type: typ, Name: name, Payload: payload}); err != nil {
					t.Fatal(err)
				}
			}
			keys := map[string]bool{}
			for _, p := range sink {
				if err := checkEntry(p); err != nil {
					t.Errorf("%s: %v", l.Label, err)
				}
				for _, segment := range strings.Split(p, "/") {
					if why := NameProblem(segment); why != "" {
						t.Errorf("%s: %q in %q: %s", l.Label, segment, p, why)
					}
				}
				if keys[twinKey(p)] {
					t.Errorf("%s: %q written twice", l.Label, p)
				}
				keys[twinKey(p)] = true
			}
		}
	})
}
