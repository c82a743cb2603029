// Package schema embeds the golang-migrate migrations (NNNN_name.up.sql / .down.sql).
package schema

import "embed"

// FS holds every migration; app/db applies them at start.
//
//go:embed *.sql
var FS embed.FS
