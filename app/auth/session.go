package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"time"

	"atlas/app/db"
)

// SessionTTL bounds a sign-in: the cookie and its server-side row end together.
const SessionTTL = 12 * time.Hour

// A session is a row keyed by the SHA-256 of a random token that only the
// cookie holds: deleting the row ends the session at its next request, wherever
// the cookie was copied to (issue 8). A leaked database does not hold tokens.
func sessionID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// StartSession opens a new session for the user and returns its token. The
// caller's previous session (previousToken, may be "") ends: the id rotates at
// every sign-in, so a token planted before sign-in is worth nothing after it.
func StartSession(ctx context.Context, d *db.DB, userID int64, previousToken string) (string, error) {
	b := make([]byte, 32)
	rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	now := time.Now()
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_sessions WHERE id = ? OR expires_at <= ?`, sessionID(previousToken), db.Format(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO user_sessions (id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			sessionID(token), userID, db.Format(now), db.Format(now.Add(SessionTTL)))
		return err
	})
	return token, err
}

// SessionUser is the user whose live session token is; an ended, expired or
// unknown session, or one of another user, is ErrNoUser.
func SessionUser(ctx context.Context, q db.Querier, userID int64, token string) (*User, error) {
	if token == "" {
		return nil, ErrNoUser
	}
	return scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM user_sessions s JOIN users u ON u.id = s.user_id
		WHERE s.id = ? AND s.user_id = ? AND s.expires_at > ?`, sessionID(token), userID, db.Now()))
}

// EndSession ends one session (sign-out).
func EndSession(ctx context.Context, d *db.DB, token string) error {
	if token == "" {
		return nil
	}
	_, err := d.Write.ExecContext(ctx, `DELETE FROM user_sessions WHERE id = ?`, sessionID(token))
	return err
}

// EndSessions ends every session of the user: sign out everywhere, and what a
// password change does.
func EndSessions(ctx context.Context, tx *sql.Tx, userID int64) (int64, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM user_sessions WHERE user_id = ?`, userID)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
