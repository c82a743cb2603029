package intune

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ZipLimits bound what an export zip may expand to.
type ZipLimits struct {
	MaxEntries   int   // files and folders in the archive
	MaxFileBytes int64 // bytes written for one file
	// Bytes written for all files together: at most MaxRatio times the zip's
	// size, but at least MinTotalBytes and at most MaxTotalBytes.
	MaxRatio      int64
	MinTotalBytes int64
	MaxTotalBytes int64
}

// DefaultZipLimits fit real exports with room to spare: zipped as tightly as
// deflate goes, they expand 7 to 32 times (single files up to 70), where a zip
// bomb expands a thousand times. The floor is for small zips, whose headers
// weigh more than their content.
var DefaultZipLimits = ZipLimits{MaxEntries: 50_000, MaxFileBytes: MaxFileSize, MaxRatio: 100, MinTotalBytes: 8 << 20, MaxTotalBytes: 2 << 30}

// totalLimit is what a zip of size bytes may expand to, and the refusal's words for it.
func (l ZipLimits) totalLimit(size int64) (int64, string) {
	switch {
	case size >= l.MaxTotalBytes/max(l.MaxRatio, 1):
		return l.MaxTotalBytes, fmt.Sprintf("the limit of %s for the whole export", byteSize(l.MaxTotalBytes))
	case l.MaxRatio*size <= l.MinTotalBytes:
		return l.MinTotalBytes, fmt.Sprintf("the limit of %s for the whole export", byteSize(l.MinTotalBytes))
	}
	return l.MaxRatio * size, fmt.Sprintf("the limit of %s for the whole export (%d times the zip's size)", byteSize(l.MaxRatio*size), l.MaxRatio)
}

// ExtractStats counts what ExtractZip wrote.
type ExtractStats struct {
	Files int
	Dirs  int
	Bytes int64
}

// ExtractZip expands the zip in r (size bytes) into destDir, which it creates
// (0700, with missing parents) and which must not exist yet. It refuses, naming the entry: absolute
// paths, drive letters, ".." anywhere in a path, links and other non-regular
// entries, two entries with one name (also differing only by case, as on a
// laptop's file system), more entries than limits.MaxEntries, and more bytes
// than the limits, counted as they are written (a zip bomb's headers lie): the
// writing stops at the limit. Writes go through an os.Root, so nothing lands
// outside destDir even if the folder is tampered with meanwhile. On refusal
// destDir is removed with everything written into it, and the stats count what
// had been written. Files are created 0600, folders 0700, and keep their
// modification time from the zip.
func ExtractZip(r io.ReaderAt, size int64, destDir string, limits ZipLimits) (ExtractStats, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) { // insecure names are refused below, by name

		return ExtractStats{}, fmt.Errorf("not a readable zip file: %w", err)
	}
	if len(zr.File) > limits.MaxEntries {
		return ExtractStats{}, fmt.Errorf("the zip holds %d entries, over the limit of %d", len(zr.File), limits.MaxEntries)
	}
	if err := os.MkdirAll(filepath.Dir(destDir), 0o700); err != nil {
		return ExtractStats{}, fmt.Errorf("creating the folder for the export: %w", err)
	}
	if err := os.Mkdir(destDir, 0o700); err != nil {
		return ExtractStats{}, fmt.Errorf("creating the folder for the export: %w", err)
	}
	stats, err := extract(zr, destDir, limits, size)
	if err != nil {
		if rmErr := os.RemoveAll(destDir); rmErr != nil {
			return stats, errors.Join(err, fmt.Errorf("removing the partly extracted export: %w", rmErr))
		}
		return stats, err
	}
	return stats, nil
}

func extract(zr *zip.Reader, destDir string, limits ZipLimits, size int64) (ExtractStats, error) {
	maxTotal, totalWhat := limits.totalLimit(size)
	root, err := os.OpenRoot(destDir)
	if err != nil {
		return ExtractStats{}, err
	}
	defer root.Close()

	var stats ExtractStats
	seen := map[string]string{} // case-folded name -> name as in the zip
	for _, f := range zr.File {
		name, err := entryName(f.Name)
		if err != nil {
			return stats, fmt.Errorf("zip entry %q refused: %v", f.Name, err)
		}
		mode := f.Mode()
		if !mode.IsDir() && !mode.IsRegular() {
			return stats, fmt.Errorf("zip entry %q refused: it is a %s, only files and folders are extracted", f.Name, modeName(mode))
		}
		if name == "" {
			continue // "./": the root itself
		}
		key := strings.ToLower(name)
		if prev, ok := seen[key]; ok {
			return stats, fmt.Errorf("zip entry %q refused: the zip already holds %q", f.Name, prev)
		}
		seen[key] = f.Name

		if mode.IsDir() {
			if err := root.MkdirAll(name, 0o700); err != nil {
				return stats, fmt.Errorf("zip entry %q: %w", f.Name, err)
			}
			stats.Dirs++
			continue
		}
		if dir := path.Dir(name); dir != "." {
			if err := root.MkdirAll(dir, 0o700); err != nil {
				return stats, fmt.Errorf("zip entry %q: %w", f.Name, err)
			}
		}
		limit, what := limits.MaxFileBytes, fmt.Sprintf("the limit of %s for one file", byteSize(limits.MaxFileBytes))
		if left := maxTotal - stats.Bytes; left < limit {
			limit, what = left, totalWhat
		}
		n, err := extractFile(root, f, name, limit)
		stats.Bytes += n
		switch {
		case err != nil:
			return stats, err
		case n > limit:
			return stats, fmt.Errorf("zip entry %q refused: it expands beyond %s", f.Name, what)
		}
		// Keep the export's times: without lastModifiedDateTime (IntuneCD) they
		// are what tells the newer of two copies of an object.
		if !f.Modified.IsZero() {
			if err := root.Chtimes(name, f.Modified, f.Modified); err != nil {
				return stats, fmt.Errorf("zip entry %q: %w", f.Name, err)
			}
		}
		stats.Files++
	}
	return stats, nil
}

// extractFile writes one entry and stops once it grows past limit bytes (then
// it returns more than limit).
func extractFile(root *os.Root, f *zip.File, name string, limit int64) (int64, error) {
	src, err := f.Open()
	if err != nil {
		return 0, fmt.Errorf("zip entry %q cannot be read: %w", f.Name, err)
	}
	defer src.Close()
	dst, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, fmt.Errorf("zip entry %q: %w", f.Name, err)
	}
	n, err := io.Copy(dst, io.LimitReader(src, limit+1))
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("zip entry %q cannot be extracted: %w", f.Name, err)
	}
	return n, nil
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}

// entryName checks a zip entry's name and returns it as a clean relative path
// ("" for the root). Backslashes count as separators: PowerShell 5's
// Compress-Archive writes them.
func entryName(raw string) (string, error) {
	name := strings.ReplaceAll(raw, `\`, "/")
	switch {
	case name == "":
		return "", errors.New("the name is empty")
	case strings.ContainsRune(name, 0):
		return "", errors.New("the name holds a NUL byte")
	case strings.HasPrefix(name, "/"):
		return "", errors.New("the path is absolute")
	case len(name) >= 2 && name[1] == ':':
		return "", errors.New("the path starts with a drive letter")
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", errors.New(`the path holds ".." and could leave the export folder`)
		}
	}
	clean := path.Clean(name)
	if clean == "." {
		return "", nil
	}
	return clean, nil
}

func modeName(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m&fs.ModeDevice != 0:
		return "device"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	}
	return "special file"
}
