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
)

// User is a person who can sign in.
type User struct {
	ID           int64
	Email        string
	Name         string
	IsLocalOwner bool
	passwordHash sql.NullString
}

// ErrNoUser is returned when no user matches.
var ErrNoUser = errors.New("no such user")

// ErrEmailTaken is returned when an email is already registered.
var ErrEmailTaken = errors.New("a user with this email already exists")

const userColumns = `id, email, name, is_local_owner, password_hash`

func scanUser(row interface{ Scan(...any) error }) (*User, error) {
	var u User
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &u.IsLocalOwner, &u.passwordHash); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNoUser
		}
		return nil, err
	}
	return &u, nil
}

// UserByID loads a user.
func UserByID(ctx context.Context, q db.Querier, id int64) (*User, error) {
	return scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
}

// UserByEmail loads a user by email, case-insensitively.
func UserByEmail(ctx context.Context, q db.Querier, email string) (*User, error) {
	return scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email = ?`, strings.TrimSpace(email)))
}

// ValidateEmail checks the form of an address and returns it trimmed.
func ValidateEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email {
		return "", fmt.Errorf("%q is not an email address", email)
	}
	return email, nil
}

// CreateUser adds a user with a password (at least 8 characters).
func CreateUser(ctx context.Context, tx *sql.Tx, email, name, password string) (*User, error) {
	email, err := ValidateEmail(email)
	if err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, errors.New("a name is required")
	}
	if len(password) < 8 {
		return nil, errors.New("the password must have at least 8 characters")
	}
	hash, err := HashPassword(ctx, password)
	if err != nil {
		return nil, err
	}
	return insertUser(ctx, tx, email, name, hash, false)
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
		owner, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE is_local_owner = 1`))
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
