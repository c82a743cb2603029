// Package catalog is Intune's own dictionary of setting names, offline: for
// every settings-catalog setting definition its display name, description, CSP
// path, category and the label of each choice option, and for the
// endpoint-security intents' settings their names and enum labels. `go
// generate` builds it from ../shared/data/settings-catalog into
// dictionary.bin, which the binary embeds; `atlas catalog import` installs a
// newer one in the data folder, which is then used instead.
package catalog

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

//go:generate go run ./internal/gen -from ../../../shared/data/settings-catalog -to dictionary.bin

//go:embed dictionary.bin
var embedded []byte

// InstalledFile is the name of an installed dictionary in the data folder.
const InstalledFile = "settings-catalog.dict"

// Definition is one setting as Intune's portal shows it.
type Definition struct {
	ID       string
	Name     string // display name: "Require Device Encryption"; "" for the few without one
	CSP      string // "./Device/Vendor/MSFT/BitLocker/RequireDeviceEncryption"; "" for intent settings
	Category string // "BitLocker", "Administrative Templates › System › Net Logon"; "" when unknown
	Risk     string // Intune's risk level when it is not low ("medium", "high")
	Intent   bool   // an endpoint-security intent setting (ids like deviceConfiguration--…)
	options  []option
	dict     *Dictionary
	index    int // in the dictionary's descriptions
}

// option is one value a choice setting may take: the item id a policy holds
// (an enum value for intent settings) and its label. Most item ids are the
// setting's id, "_" and a rest: suffix says value holds only that rest.
type option struct {
	value, label string
	suffix       bool
}

// OptionLabel is the label of the option a policy's value names ("Enabled"
// for "device_vendor_msft_bitlocker_requiredeviceencryption_1").
func (d *Definition) OptionLabel(value string) (string, bool) {
	rest, prefixed := "", len(value) > len(d.ID) && value[len(d.ID)] == '_' && strings.HasPrefix(value, d.ID)
	if prefixed {
		rest = value[len(d.ID)+1:]
	}
	for _, o := range d.options {
		if o.suffix && prefixed && o.value == rest || !o.suffix && o.value == value {
			return o.label, true
		}
	}
	return "", false
}

// Description is Intune's description of the setting; the dictionary reads
// descriptions, most of its bytes, only when one is first asked for.
func (d *Definition) Description() string { return d.dict.descriptions()[d.index] }

// Dictionary maps setting definition ids to their definitions.
type Dictionary struct {
	definitions  map[string]*Definition
	descriptions func() []string // by Definition.index
	counts       Counts
}

// Counts say how much a dictionary holds.
type Counts struct {
	Settings   int // settings-catalog definitions
	Options    int // their choice options with a label
	Intents    int // endpoint-security intent setting definitions
	Categories int // settings-catalog categories with a name
}

func (c Counts) String() string {
	return fmt.Sprintf("%d settings-catalog definitions (%d option labels, %d categories), %d intent setting definitions",
		c.Settings, c.Options, c.Categories, c.Intents)
}

// Lookup finds a setting definition by its id (a settingDefinitionId, or an
// intent setting's definitionId). A nil dictionary knows nothing.
func (d *Dictionary) Lookup(id string) (*Definition, bool) {
	if d == nil {
		return nil, false
	}
	def, ok := d.definitions[id]
	return def, ok
}

// Counts says how much the dictionary holds.
func (d *Dictionary) Counts() Counts { return d.counts }

func (d *Dictionary) count() {
	d.counts = Counts{}
	categories := map[string]bool{}
	for _, def := range d.definitions {
		if def.Intent {
			d.counts.Intents++
			continue
		}
		d.counts.Settings++
		d.counts.Options += len(def.options)
		if def.Category != "" {
			categories[def.Category] = true
		}
	}
	d.counts.Categories = len(categories)
}

// One process serves one data folder: Use names it, and Active answers with
// the dictionary installed there, else the embedded one, loaded on first use
// so that start-up does not wait for it.
var active struct {
	sync.Mutex
	dataDir string
	dict    *Dictionary
}

var embeddedOnce = sync.OnceValue(func() *Dictionary {
	d, err := Decode(embedded)
	if err != nil {
		panic(fmt.Sprintf("the embedded settings dictionary does not decode (run go generate ./app/catalog): %v", err))
	}
	return d
})

// Embedded is the dictionary built into the binary.
func Embedded() *Dictionary { return embeddedOnce() }

// Use makes Active answer from the data folder dir (atlas serve and every
// command that opens one call it).
func Use(dataDir string) {
	active.Lock()
	defer active.Unlock()
	if dataDir != active.dataDir {
		active.dataDir, active.dict = dataDir, nil
	}
}

// Active is the dictionary in use: the one installed in the data folder Use
// named, else the embedded one.
func Active() *Dictionary {
	active.Lock()
	defer active.Unlock()
	if active.dict == nil {
		active.dict = Load(active.dataDir)
	}
	return active.dict
}

// Load is the dictionary installed in the data folder dataDir, else the
// embedded one. An installed file that cannot be read is reported in the log
// and passed over: pages still show names, from the embedded dictionary.
func Load(dataDir string) *Dictionary {
	if dataDir == "" {
		return Embedded()
	}
	path := filepath.Join(dataDir, InstalledFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Embedded()
	}
	if err == nil {
		var d *Dictionary
		if d, err = Decode(b); err == nil {
			return d
		}
	}
	slog.Warn("the installed settings dictionary cannot be read; using the built-in one", "file", path, "err", err)
	return Embedded()
}

// categoryName turns a category path as Intune's keywords write it
// ("Administrative Templates\System\Net Logon") into a section name.
func categoryName(path string) string {
	parts := strings.FieldsFunc(path, func(r rune) bool { return r == '\\' })
	return strings.Join(parts, " › ")
}

// Install writes the dictionary into the data folder dataDir, where Load finds
// it, replacing the one installed before. It writes a temporary file and
// renames it, so a failure leaves the folder as it was.
func (d *Dictionary) Install(dataDir string) (path string, size int64, err error) {
	tmp, err := os.CreateTemp(dataDir, ".settings-catalog-*.tmp")
	if err != nil {
		return "", 0, err
	}
	defer os.Remove(tmp.Name()) // after the rename there is nothing left to remove
	if err := d.Encode(tmp); err != nil {
		tmp.Close()
		return "", 0, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", 0, err
	}
	st, err := tmp.Stat()
	if err != nil {
		tmp.Close()
		return "", 0, err
	}
	if err := tmp.Close(); err != nil {
		return "", 0, err
	}
	path = filepath.Join(dataDir, InstalledFile)
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", 0, err
	}
	return path, st.Size(), nil
}
