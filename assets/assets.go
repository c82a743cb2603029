// Package assets embeds the templates and static files (CSS, JS, vendored htmx) into the binary.
package assets

import "embed"

// FS holds templates/ and static/.
//
//go:embed all:templates static
var FS embed.FS
