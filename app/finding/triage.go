package finding

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"atlas/app/audit"
	"atlas/app/db"
	"atlas/app/web"
)

// Triage is a person's decision on some findings of one environment.
type Triage struct {
	WorkspaceID   int64
	EnvironmentID int64
	UserID        int64
	IDs           []int64
	Exception     Exception // Accept only
	Now           time.Time
}

// Exception is why a deviation is accepted, and until when.
type Exception struct {
	Reason    string
	ExpiresAt time.Time
}

// MaxReasonLength bounds an exception's reason.
const MaxReasonLength = 1000

// DateFormat is how an expiry date is typed and shown.
const DateFormat = "2006-01-02"

// ParseException checks an exception as typed (issue 10): a reason, and an
// expiry date after today and at most a year ahead. The exception ends at the
// start of that day (UTC).
func ParseException(reason, expires string, now time.Time) (Exception, web.FieldErrors) {
	errs := web.FieldErrors{}
	e := Exception{Reason: strings.TrimSpace(reason)}
	switch n := utf8.RuneCountInString(e.Reason); {
	case n == 0:
		errs["reason"] = "Say why this deviation is accepted."
	case n > MaxReasonLength:
		errs["reason"] = "A reason is at most 1,000 characters."
	}
	day, err := time.Parse(DateFormat, strings.TrimSpace(expires))
	switch {
	case strings.TrimSpace(expires) == "":
		errs["expires"] = "An exception needs an expiry date."
	case err != nil:
		errs["expires"] = "Give the expiry date as YYYY-MM-DD."
	case !day.After(now):
		errs["expires"] = "The expiry date must be after today."
	case day.After(now.AddDate(1, 0, 0)):
		errs["expires"] = "An exception lasts at most a year: choose a date up to " + now.AddDate(1, 0, 0).Format(DateFormat) + "."
	}
	e.ExpiresAt = day
	if errs.Any() {
		return e, errs
	}
	return e, nil
}

// ErrNothingToTriage is the answer when none of the chosen findings can take the decision.
var ErrNothingToTriage = web.Errorf(web.Conflict, "None of the chosen findings can take this decision: acknowledge open findings, accept open or acknowledged ones.")

// Acknowledge marks open findings acknowledged: seen, still to be fixed. It
// returns how many changed; findings in another status are left as they are.
func Acknowledge(ctx context.Context, d *db.DB, t Triage) (int, error) {
	return decide(ctx, d, t, "acknowledged", Acknowledged, func(s Status) bool { return s == Open }, nil)
}

// Accept makes open or acknowledged findings (or accepted ones, renewed)
// exceptions until t.Exception.ExpiresAt, with its reason.
func Accept(ctx context.Context, d *db.DB, t Triage) (int, error) {
	detail := map[string]any{"reason": t.Exception.Reason, "expires": t.Exception.ExpiresAt.Format(DateFormat)}
	return decide(ctx, d, t, "accepted", Accepted, func(s Status) bool { return s != Resolved }, detail)
}

func decide(ctx context.Context, d *db.DB, t Triage, action string, to Status, eligible func(Status) bool, detail map[string]any) (int, error) {
	changed := 0
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		for _, id := range t.IDs {
			var from Status
			var subject string
			err := tx.QueryRowContext(ctx, `SELECT status, COALESCE(subject_display_name, '') FROM findings WHERE id = ? AND managed_environment_id = ?`,
				id, t.EnvironmentID).Scan(&from, &subject)
			if errors.Is(err, sql.ErrNoRows) {
				return web.ErrNotFound
			}
			if err != nil {
				return err
			}
			if !eligible(from) {
				continue
			}
			var reason, expires any
			if to == Accepted {
				reason, expires = t.Exception.Reason, db.Format(t.Exception.ExpiresAt)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE findings SET status = ?, exception_reason = ?, exception_expires_at = ?, updated_at = ? WHERE id = ?`,
				to, reason, expires, db.Format(t.Now), id); err != nil {
				return err
			}
			if err := addEvent(ctx, tx, event{findingID: id, environmentID: t.EnvironmentID, action: action, from: from, to: to,
				userID: t.UserID, detail: detail, at: t.Now}); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, audit.Event{WorkspaceID: t.WorkspaceID, UserID: t.UserID, Action: "finding." + action,
				RecordType: "finding", RecordID: id, RecordLabel: subject, Detail: detail}); err != nil {
				return err
			}
			changed++
		}
		if changed == 0 {
			return ErrNothingToTriage
		}
		return nil
	})
	return changed, err
}
