// Package auth owns users, passwords, the one-time launch URL and sign-in/out.
package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"atlas/app/db"
	"atlas/app/web"
)

// User is a person who can sign in.
type User struct {
	ID           int64
	Email        string
	Name         string
	IsLocalOwner bool
	isSiteAdmin  bool
	passwordHash sql.NullString
}

// SiteAdmin reports whether the user administers Atlas itself: creates
// workspaces, manages users and the export roots. The local owner always does
// (DESIGN §4); others only when the local owner made them so.
func (u *User) SiteAdmin() bool { return u.IsLocalOwner || u.isSiteAdmin }

// ErrNoUser is returned when no user matches.
var ErrNoUser = errors.New("no such user")

// ErrEmailTaken is returned when an email is already registered.
var ErrEmailTaken = errors.New("a user with this email already exists")

const userColumns = `u.id, u.email, u.name, u.is_local_owner, u.is_site_admin, u.password_hash`

func scanUser(row interface{ Scan(...any) error }) (*User, error) {
	var u User
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &u.IsLocalOwner, &u.isSiteAdmin, &u.passwordHash); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNoUser
		}
		return nil, err
	}
	return &u, nil
}

// UserByID loads a user.
func UserByID(ctx context.Context, q db.Querier, id int64) (*User, error) {
	return scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = ?`, id))
}

// UserByEmail loads a user by email, case-insensitively.
func UserByEmail(ctx context.Context, q db.Querier, email string) (*User, error) {
	return scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.email = ?`, strings.TrimSpace(email)))
}

// MaxEmailLength is the longest address SMTP carries (RFC 5321).
const MaxEmailLength = 254

// ValidateEmail checks the form of an address and returns it trimmed.
func ValidateEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	if len(email) > MaxEmailLength {
		return "", fmt.Errorf("an email address is at most %d characters", MaxEmailLength)
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email {
		return "", fmt.Errorf("%q is not an email address", email)
	}
	return email, nil
}

// NewUser is a user checked and with their password hashed, ready to insert.
type NewUser struct{ email, name, hash string }

// PrepareUser checks a new user's fields — invalid ones come back as
// web.FieldErrors (email, name, password) — and hashes the password (at least 8
// characters). It runs before the transaction: a hash takes a while, and the
// one database writer must not wait on it.
func PrepareUser(ctx context.Context, email, name, password string) (*NewUser, error) {
	errs := web.FieldErrors{}
	email, err := ValidateEmail(email)
	if err != nil {
		errs["email"] = err.Error()
	}
	name, err = web.ParseName(name)
	if err != nil {
		errs["name"] = err.Error()
	}
	if len(password) < 8 {
		errs["password"] = "The password must have at least 8 characters."
	}
	if errs.Any() {
		return nil, errs
	}
	hash, err := HashPassword(ctx, password)
	if err != nil {
		return nil, err
	}
	return &NewUser{email: email, name: name, hash: hash}, nil
}

// Insert adds the user; ErrEmailTaken when the email is registered already.
func (n *NewUser) Insert(ctx context.Context, tx *sql.Tx) (*User, error) {
	return insertUser(ctx, tx, n.email, n.name, n.hash, false)
}

func insertUser(ctx context.Context, tx *sql.Tx, email, name string, hash any, localOwner bool) (*User, error) {
	now := db.Now()
	res, err := tx.ExecContext(ctx, `INSERT INTO users (email, name, password_hash, is_local_owner, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)`, email, name, hash, localOwner, now, now)
	if db.IsUniqueViolation(err) {
		return nil, ErrEmailTaken
	}
	if err != nil {
		return nil, err
	}
	id, _ := res.LastInsertId()
	return &User{ID: id, Email: email, Name: name, IsLocalOwner: localOwner}, nil
}

// EnsureLocalOwner returns the local owner account, creating it on first run, named
// after the OS user. It has no password: it signs in through the launch URL.
func EnsureLocalOwner(ctx context.Context, d *db.DB, osUser string) (*User, error) {
	var owner *User
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		owner, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.is_local_owner = 1`))
		if !errors.Is(err, ErrNoUser) {
			return err
		}
		name := strings.TrimSpace(osUser)
		if name == "" {
			name = "owner"
		}
		owner, err = insertUser(ctx, tx, localEmail(name), name, nil, true)
		return err
	})
	return owner, err
}

// localEmail gives the local owner an address that cannot collide with a real one.
func localEmail(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		b.WriteString("owner")
	}
	return b.String() + "@atlas.localhost"
}

// Authenticate checks an email and password; any mismatch is the same error.
// ErrBusy (no hashing slot) is returned as it is: it says nothing about the password.
func Authenticate(ctx context.Context, q db.Querier, email, password string) (*User, error) {
	u, err := UserByEmail(ctx, q, email)
	if errors.Is(err, ErrNoUser) {
		// Spend the same time as a real check, so timing does not tell which emails exist.
		if _, err := HashPassword(ctx, password); err != nil {
			return nil, err
		}
		return nil, errBadCredentials
	}
	if err != nil {
		return nil, err
	}
	if !u.passwordHash.Valid {
		return nil, errBadCredentials
	}
	ok, err := CheckPassword(ctx, u.passwordHash.String, password)
	switch {
	case errors.Is(err, errBadHash), err == nil && !ok:
		return nil, errBadCredentials
	case err != nil:
		return nil, err
	}
	return u, nil
}

var errBadCredentials = errors.New("wrong email or password")

// SetSiteAdmin makes a user a site administrator or not. The local owner always is one.
func SetSiteAdmin(ctx context.Context, tx *sql.Tx, userID int64, admin bool) error {
	res, err := tx.ExecContext(ctx, `UPDATE users SET is_site_admin = ?, updated_at = ? WHERE id = ? AND is_local_owner = 0`, admin, db.Now(), userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNoUser
	}
	return nil
}

// Why a password change is refused.
var (
	ErrWrongPassword = fmt.Errorf("the current password is wrong: %w", errBadCredentials) // counts for the throttle
	ErrNoPassword    = errors.New("this account signs in through the launch URL Atlas prints, and has no password")
	ErrShortPassword = errors.New("the new password must have at least 8 characters")
)

// NewPasswordHash checks the user's current password and returns the hash of
// the next one, outside any transaction (hashing takes a while).
func NewPasswordHash(ctx context.Context, q db.Querier, userID int64, current, next string) (string, error) {
	u, err := UserByID(ctx, q, userID)
	if err != nil {
		return "", err
	}
	if !u.passwordHash.Valid {
		return "", ErrNoPassword
	}
	ok, err := CheckPassword(ctx, u.passwordHash.String, current)
	switch {
	case errors.Is(err, ErrBusy):
		return "", err
	case err != nil || !ok:
		return "", ErrWrongPassword
	case len(next) < 8:
		return "", ErrShortPassword
	}
	return HashPassword(ctx, next)
}

// SetPasswordHash stores a new password hash and ends every session of the
// user: a password change locks out whoever else holds a cookie, even a copy
// of the one that made the change (which moves to a new session).
func SetPasswordHash(ctx context.Context, tx *sql.Tx, userID int64, hash string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`, hash, db.Now(), userID); err != nil {
		return err
	}
	_, err := EndSessions(ctx, tx, userID)
	return err
}

// RemoveUser deletes a user: their memberships and sessions go with them (so a
// copied cookie ends), their runs and audit events keep a blank author. The
// local owner, and the last owner of any workspace, cannot be removed.
func RemoveUser(ctx context.Context, tx *sql.Tx, userID int64) (*User, error) {
	u, err := UserByID(ctx, tx, userID)
	if err != nil {
		return nil, err
	}
	if u.IsLocalOwner {
		return nil, web.Errorf(web.Conflict, "The local owner cannot be removed.")
	}
	var sole string
	err = tx.QueryRowContext(ctx, `SELECT w.name FROM workspace_memberships m JOIN workspaces w ON w.id = m.workspace_id
		WHERE m.user_id = ? AND m.role = 'owner' AND NOT EXISTS (SELECT 1 FROM workspace_memberships o
			WHERE o.workspace_id = m.workspace_id AND o.role = 'owner' AND o.user_id <> m.user_id)
		ORDER BY w.name LIMIT 1`, userID).Scan(&sole)
	switch {
	case err == nil:
		return nil, web.Errorf(web.Conflict, "%s is the last owner of %s: give that workspace another owner first.", u.Name, sole)
	case !errors.Is(err, sql.ErrNoRows):
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, userID); err != nil {
		return nil, err
	}
	return u, nil
}
