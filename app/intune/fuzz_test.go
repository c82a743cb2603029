package intune

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

var fuzzSeeds = []string{
	`{"@odata.type":"#microsoft.graph.deviceManagementConfigurationPolicy","id":"1","name":"n","settings":[{"id":"1","settingInstance":{"settingDefinitionId":"b"}},{"id":"0","settingInstance":{"settingDefinitionId":"a"}}]}`,
	`[{"definition@odata.bind":"d2","enabled":"true","presentationValues":[{"presentation@odata.bind":"p"}]},{"definition@odata.bind":"d1"}]`,
	`{"omaSettings":[{"omaUri":"./B","value":"{\"x\": [1, 2]}"},{"omaUri":"./A"}],"roleScopeTagIds":["1","0"],"x@odata.type":"#Int64"}`,
	`{"@atlas.json":"[1]","a":{"@atlas.json":{"id":1}}}`,
	`{"n":1.50e+10,"s":"\u2028\u0000<&>","t":true,"z":null}`,
	"\xef\xbb\xbf{\"a\":1}\r\n",
	"\xff\xfe{\x00}\x00",
	`"{\"a\":1}"`,
	`"\"[1, {\\\"b\\\": \\\"\\\\/Date(1629482067709)\\\\/\\\"}]\""`,
	"\"\ufeff{ \\\"settings\\\": [\\r\\n]\\n}\"",
	`{"a":null,"b":"","c":[],"d":{"e":{}},"f":"2021-08-20T19:54:27.7098765+02:00","g":"\/Date(-62135596800000)\/"}`,
}

func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
		f.Add(utf16Bytes(s, false, true))
		f.Add(utf16Bytes(s, true, false))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := Decode(b)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		c := Canonical(v)
		if !utf8.Valid(c) {
			t.Fatalf("canonical form is not UTF-8: %q", c)
		}
		back, err := Decode(c)
		if err != nil {
			t.Fatalf("canonical form %s does not decode: %v", c, err)
		}
		if again := Canonical(back); !bytes.Equal(again, c) {
			t.Fatalf("canonical form changed on a round trip:\n%s\n%s", c, again)
		}
	})
}

// FuzzNormalize checks that normalising is idempotent through the bytes:
// Canonical(Normalize(Decode(Canonical(x)))) == Canonical(x) for x = Normalize(Decode(input)).
func FuzzNormalize(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := Decode(b)
		if err != nil {
			return
		}
		c := Canonical(Normalize(v))
		back, err := Decode(c)
		if err != nil {
			t.Fatalf("canonical form %s does not decode: %v", c, err)
		}
		if again := Canonical(Normalize(back)); !bytes.Equal(again, c) {
			t.Fatalf("normalising again changed the canonical form:\n%s\n%s", c, again)
		}
	})
}

func FuzzExtractZip(f *testing.F) {
	f.Add(buildZip(f, zipEntry{name: "a/b.json", body: "{}"}, zipEntry{name: "c/"}))
	f.Add(buildZip(f, zipEntry{name: "../x", body: "x"}))
	f.Add(buildZip(f, zipEntry{name: `a\..\..\x`, body: "x"}))
	f.Add(buildZip(f, zipEntry{name: "/abs", body: "x"}))
	f.Add(buildZip(f, zipEntry{name: "l", body: "../../x", mode: 0o777 | os.ModeSymlink}))
	f.Add(buildZip(f, zipEntry{name: "a", body: "1"}, zipEntry{name: "a/b", body: "2"}))
	limits := ZipLimits{MaxEntries: 20, MaxTotalBytes: 1 << 16, MaxFileBytes: 1 << 14}
	f.Fuzz(func(t *testing.T, data []byte) {
		parent := t.TempDir()
		dest := filepath.Join(parent, "export")
		stats, err := ExtractZip(bytes.NewReader(data), int64(len(data)), dest, limits)
		left, rerr := os.ReadDir(parent)
		if rerr != nil {
			t.Fatal(rerr)
		}
		if err != nil {
			if len(left) != 0 {
				t.Fatalf("refused zip (%v) left %v", err, left)
			}
			return
		}
		if len(left) != 1 || left[0].Name() != "export" {
			t.Fatalf("extraction wrote %v beside the export folder", left)
		}
		var files int
		var size int64
		err = filepath.WalkDir(dest, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type()&os.ModeSymlink != 0 {
				t.Errorf("extraction made a link %s", p)
			}
			if d.Type().IsRegular() {
				files++
				info, _ := d.Info()
				size += info.Size()
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if files != stats.Files || size != stats.Bytes || size > limits.MaxTotalBytes {
			t.Fatalf("stats %+v, found %d files of %d bytes", stats, files, size)
		}
	})
}
