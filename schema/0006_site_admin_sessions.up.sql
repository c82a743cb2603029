-- Issue 8: site administrators (the local owner always is one), the export roots
-- under which anyone else may connect an export folder, and server-side sessions
-- so that logout, a password change, "sign out everywhere" and a user's removal
-- end a copied cookie at its next request.
ALTER TABLE users ADD COLUMN is_site_admin INTEGER NOT NULL DEFAULT 0 CHECK (is_site_admin IN (0, 1));

CREATE TABLE export_roots (
    id                 INTEGER PRIMARY KEY,
    path               TEXT NOT NULL UNIQUE,
    created_by_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at         TEXT NOT NULL
);

-- The cookie holds a random token; a row holds its SHA-256, never the token.
CREATE TABLE user_sessions (
    id         TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX user_sessions_user ON user_sessions (user_id);
CREATE INDEX user_sessions_expires ON user_sessions (expires_at);
