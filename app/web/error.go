package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"atlas/app/db"
)

// Code classifies what went wrong for the person on the other side.
type Code int

const (
	Internal Code = iota
	NotFound
	Forbidden
	Invalid
	Conflict
	Unauthorized
	TooManyRequests
	DiskFull // a write found the data folder's disk full
	ReadOnly // a write found the data folder read-only
	Gone     // an address Atlas no longer serves
)

var statusOf = map[Code]int{
	Internal:        http.StatusInternalServerError,
	NotFound:        http.StatusNotFound,
	Forbidden:       http.StatusForbidden,
	Invalid:         http.StatusUnprocessableEntity,
	Conflict:        http.StatusConflict,
	Unauthorized:    http.StatusUnauthorized,
	TooManyRequests: http.StatusTooManyRequests,
	DiskFull:        http.StatusInsufficientStorage,
	ReadOnly:        http.StatusServiceUnavailable,
	Gone:            http.StatusGone,
}

// Error is an error a handler returns on purpose: its Message is safe to show.
type Error struct {
	Code    Code
	Message string
	// RetryAfter, when set, is sent as the Retry-After header (with TooManyRequests).
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Message }

// Status is the HTTP status for e.
func (e *Error) Status() int { return statusOf[e.Code] }

// Errorf builds an Error with a formatted, user-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrNotFound is the one not-found answer: it never hints that a record exists.
var ErrNotFound = &Error{Code: NotFound, Message: "This page does not exist, or you do not have access to it."}

// Classify turns any error into the Error shown to the user: a full or read-only
// data folder says so (the write was rolled back, the database is intact);
// anything else not an *Error is internal.
func Classify(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	switch db.StorageProblem(err) {
	case db.ErrDiskFull:
		return &Error{Code: DiskFull, Message: "The data folder is full: Atlas could not save this change. Free some disk space on this computer, then try again."}
	case db.ErrReadOnly:
		return &Error{Code: ReadOnly, Message: "The data folder is read-only: Atlas could not save this change. Make the folder writable for the user running Atlas, then try again."}
	}
	return &Error{Code: Internal, Message: "Something went wrong. The details are in Atlas's log."}
}

// SetRetryAfter sends d as a Retry-After header in whole seconds, at least 1.
func SetRetryAfter(w http.ResponseWriter, d time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(d.Seconds())))))
}
