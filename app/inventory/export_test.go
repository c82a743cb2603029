package inventory

// Rewrite lets the external tests edit a real export file as the sync tests do.
var Rewrite = rewrite
