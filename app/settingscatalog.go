package app

import (
	"fmt"
	"io"

	"atlas/app/catalog"
	"atlas/app/web"
)

// ImportCatalog is atlas catalog import: it builds a settings dictionary from
// the definitions at path (a folder of definition JSON files, or JSON-lines
// files as the shared source keeps them) and installs it in the data folder
// dir, where it is used instead of the built-in one. Definitions that cannot
// be read are a usage error, and nothing is installed.
func ImportCatalog(dir, path string, w io.Writer) error {
	d, err := catalog.Build(path)
	if err != nil {
		return &UsageError{fmt.Errorf("nothing installed: %w", err)}
	}
	if err := prepareFolder(dir); err != nil {
		return err
	}
	file, bytes, err := d.Install(dir)
	if err != nil {
		return fmt.Errorf("nothing installed: %w", err)
	}
	c := d.Counts()
	fmt.Fprintf(w, "Installed the settings dictionary from %s as %s (%s): %s settings-catalog definitions with %s option labels in %s categories, %s intent setting definitions.\n",
		path, file, size(bytes), web.Number(c.Settings), web.Number(c.Options), web.Number(c.Categories), web.Number(c.Intents))
	fmt.Fprintln(w, "Pages and atlas diff name settings from it from now on (a running Atlas once restarted).")
	return nil
}
