package intune

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var zipTime = time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)

type zipEntry struct {
	name string
	body string
	mode fs.FileMode
}

func buildZip(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: zipTime}
		if e.mode != 0 {
			h.SetMode(e.mode)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestExtractZip(t *testing.T) {
	data := buildZip(t,
		zipEntry{name: "Backup/"},
		zipEntry{name: "Backup/Settings Catalog/a_mdm.json", body: `{"name":"a"}`},
		zipEntry{name: `Backup\Scope Tags\Default.json`, body: `{"displayName":"Default"}`},
		zipEntry{name: "./README.md", body: "hi"},
	)
	dest := filepath.Join(t.TempDir(), "connections", "7", "export") // parents are created
	stats, err := ExtractZip(bytes.NewReader(data), int64(len(data)), dest, DefaultZipLimits)
	if err != nil {
		t.Fatal(err)
	}
	if want := (ExtractStats{Files: 3, Dirs: 1, Bytes: 12 + 25 + 2}); stats != want {
		t.Errorf("stats = %+v, want %+v", stats, want)
	}
	b, err := os.ReadFile(filepath.Join(dest, "Backup", "Scope Tags", "Default.json"))
	if err != nil || string(b) != `{"displayName":"Default"}` {
		t.Errorf("Default.json = %q, %v", b, err)
	}
	if st, err := os.Stat(filepath.Join(dest, "Backup", "Scope Tags", "Default.json")); err != nil || !st.ModTime().Equal(zipTime) {
		t.Errorf("Default.json modified %v, want the zip's %v (%v)", st.ModTime(), zipTime, err)
	}
	for p, want := range map[string]fs.FileMode{"": 0o700, "Backup/Settings Catalog": 0o700, "Backup/Settings Catalog/a_mdm.json": 0o600} {
		st, err := os.Stat(filepath.Join(dest, p))
		if err != nil || st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %v", p, st.Mode().Perm(), err, want)
		}
	}
	if got := DetectLayout(os.DirFS(dest)); got.Verdict != "IntuneCD backup: 2 JSON files in 2 folders" {
		t.Errorf("extracted export detected as %+v", got)
	}
}

func TestExtractZipRefuses(t *testing.T) {
	small := ZipLimits{MaxEntries: 3, MaxFileBytes: 60, MaxRatio: 1000, MaxTotalBytes: 100}
	big := strings.Repeat("A", 61)
	tests := []struct {
		name    string
		entries []zipEntry
		want    string
	}{
		{"parent folder", []zipEntry{{name: "ok.json", body: "{}"}, {name: "../evil.json", body: "x"}},
			`zip entry "../evil.json" refused: the path holds ".." and could leave the export folder`},
		{"parent folder inside", []zipEntry{{name: "a/../../evil.json"}}, `zip entry "a/../../evil.json" refused: the path holds ".."`},
		{"backslash parent", []zipEntry{{name: `..\evil.json`}}, `zip entry "..\\evil.json" refused: the path holds ".."`},
		{"absolute", []zipEntry{{name: "/etc/passwd"}}, `zip entry "/etc/passwd" refused: the path is absolute`},
		{"drive letter", []zipEntry{{name: `C:\evil.json`}}, `zip entry "C:\\evil.json" refused: the path starts with a drive letter`},
		{"symlink", []zipEntry{{name: "link", body: "/etc", mode: fs.ModeSymlink | 0o777}},
			`zip entry "link" refused: it is a symbolic link, only files and folders are extracted`},
		{"duplicate", []zipEntry{{name: "a.json", body: "1"}, {name: "A.json", body: "2"}},
			`zip entry "A.json" refused: the zip already holds "a.json"`},
		{"too many entries", []zipEntry{{name: "a"}, {name: "b"}, {name: "c"}, {name: "d"}}, "the zip holds 4 entries, over the limit of 3"},
		{"file too big", []zipEntry{{name: "a.json", body: big}}, `zip entry "a.json" refused: it expands beyond the limit of 60 bytes for one file`},
		{"export too big", []zipEntry{{name: "a.json", body: big[:50]}, {name: "b.json", body: big[:51]}},
			`zip entry "b.json" refused: it expands beyond the limit of 100 bytes for the whole export`},
		{"file where a folder goes", []zipEntry{{name: "a", body: "x"}, {name: "a/b.json", body: "{}"}}, `zip entry "a/b.json"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := buildZip(t, tt.entries...)
			parent := t.TempDir()
			dest := filepath.Join(parent, "export")
			_, err := ExtractZip(bytes.NewReader(data), int64(len(data)), dest, small)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ExtractZip error = %v, want it to contain %q", err, tt.want)
			}
			if left, _ := os.ReadDir(parent); len(left) != 0 {
				t.Errorf("a refused zip left %v behind", left)
			}
		})
	}
}

func TestExtractZipLyingHeader(t *testing.T) {
	// A zip whose header claims a tiny size but whose data expands further.
	data := buildZip(t, zipEntry{name: "bomb.json", body: strings.Repeat("0", 10_000)})
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	off, err := zr.File[0].DataOffset()
	if err != nil || off == 0 {
		t.Fatal(err)
	}
	// Patch the uncompressed size in the local header and the central directory to 10.
	patched := bytes.Clone(data)
	patchSize := func(sig []byte, sizeAt int) {
		i := bytes.Index(patched, sig)
		if i < 0 {
			t.Fatalf("signature %x not found", sig)
		}
		copy(patched[i+sizeAt:], []byte{10, 0, 0, 0})
	}
	patchSize([]byte("PK\x01\x02"), 24)
	limits := ZipLimits{MaxEntries: 10, MaxFileBytes: 1000, MaxRatio: 1000, MaxTotalBytes: 1000}
	dest := filepath.Join(t.TempDir(), "export")
	_, err = ExtractZip(bytes.NewReader(patched), int64(len(patched)), dest, limits)
	if err == nil || !strings.Contains(err.Error(), `zip entry "bomb.json"`) {
		t.Fatalf("ExtractZip = %v, want bomb.json refused", err)
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Errorf("refused zip left %s: %v", dest, err)
	}
}

func TestExtractZipKeepsExistingFolders(t *testing.T) {
	data := buildZip(t, zipEntry{name: "a.json", body: "{}"})
	dest := t.TempDir()
	_, err := ExtractZip(bytes.NewReader(data), int64(len(data)), dest, DefaultZipLimits)
	if err == nil || !strings.Contains(err.Error(), "creating the folder for the export") {
		t.Fatalf("ExtractZip into an existing folder = %v", err)
	}
	if _, err := os.Stat(dest); err != nil {
		t.Errorf("existing folder removed: %v", err)
	}
}

func TestExtractZipNotAZip(t *testing.T) {
	_, err := ExtractZip(bytes.NewReader([]byte("hello")), 5, filepath.Join(t.TempDir(), "x"), DefaultZipLimits)
	if err == nil || !strings.Contains(err.Error(), "not a readable zip file") {
		t.Errorf("ExtractZip = %v", err)
	}
}

func TestZipTotalLimit(t *testing.T) {
	for _, tt := range []struct {
		size  int64
		limit int64
		what  string
	}{
		{10 << 10, 8 << 20, "the limit of 8 MiB for the whole export"},
		{2 << 20, 200 << 20, "the limit of 200 MiB for the whole export (100 times the zip's size)"},
		{2_200_000, 220_000_000, "the limit of 209.8 MiB for the whole export (100 times the zip's size)"},
		{100 << 20, 2 << 30, "the limit of 2048 MiB for the whole export"},
		{1 << 40, 2 << 30, "the limit of 2048 MiB for the whole export"},
	} {
		if limit, what := DefaultZipLimits.totalLimit(tt.size); limit != tt.limit || what != tt.what {
			t.Errorf("totalLimit(%d) = %d, %q; want %d, %q", tt.size, limit, what, tt.limit, tt.what)
		}
	}
}

// bomb is a zip of about size bytes whose entries expand to 1 MiB of zeros
// each, a thousand times their compressed size.
func bomb(t testing.TB, size int) []byte {
	t.Helper()
	zeros := make([]byte, 1<<20)
	var compressed bytes.Buffer
	fw, _ := flate.NewWriter(&compressed, flate.BestCompression)
	fw.Write(zeros)
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; buf.Len() < size; i++ {
		w, err := zw.CreateRaw(&zip.FileHeader{Name: fmt.Sprintf("Settings Catalog/%04d.json", i), Method: zip.Deflate,
			CRC32: crc32.ChecksumIEEE(zeros), CompressedSize64: uint64(compressed.Len()), UncompressedSize64: uint64(len(zeros))})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(compressed.Bytes())
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestExtractZipBomb: a zip that would expand a thousand times stops being
// written at 100 times its size, and is refused saying the limit.
func TestExtractZipBomb(t *testing.T) {
	data := bomb(t, 200_000)
	parent := t.TempDir()
	stats, err := ExtractZip(bytes.NewReader(data), int64(len(data)), filepath.Join(parent, "export"), DefaultZipLimits)
	if err == nil || !strings.Contains(err.Error(), "expands beyond the limit of ") || !strings.Contains(err.Error(), " MiB for the whole export (100 times the zip's size)") {
		t.Fatalf("ExtractZip = %v", err)
	}
	if limit := 100 * int64(len(data)); stats.Bytes > limit+1 {
		t.Errorf("wrote %d bytes before the refusal, over the limit of %d", stats.Bytes, limit)
	}
	if left, _ := os.ReadDir(parent); len(left) != 0 {
		t.Errorf("a refused zip left %v behind", left)
	}
}

// BenchmarkExtractZipBomb: what a 2 MB zip that expands to 2 GiB writes before
// it is refused (MiB-written), and how long that takes.
func BenchmarkExtractZipBomb(b *testing.B) {
	data := bomb(b, 2_000_000)
	var written int64
	for b.Loop() {
		stats, err := ExtractZip(bytes.NewReader(data), int64(len(data)), filepath.Join(b.TempDir(), "export"), DefaultZipLimits)
		if err == nil || stats.Bytes > 100*int64(len(data))+1 {
			b.Fatalf("wrote %d bytes: %v", stats.Bytes, err)
		}
		written = stats.Bytes
	}
	b.ReportMetric(float64(len(data))/1e6, "MB-zip")
	b.ReportMetric(float64(written)/(1<<20), "MiB-written")
}
