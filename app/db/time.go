package db

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// TimeFormat is the one way Atlas stores a timestamp: UTC ISO-8601 text with
// milliseconds, which sorts lexically and both SQLite and PostgreSQL read.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// Format renders t in TimeFormat.
func Format(t time.Time) string { return t.UTC().Format(TimeFormat) }

// Now is the current time in TimeFormat.
func Now() string { return Format(time.Now()) }

// Time is a nullable timestamp column: NULL scans to the zero time and the zero time is stored as NULL.
type Time struct{ time.Time }

// Scan implements sql.Scanner.
func (t *Time) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		t.Time = time.Time{}
		return nil
	case string:
		return t.parse(v)
	case []byte:
		return t.parse(string(v))
	case time.Time:
		t.Time = v.UTC()
		return nil
	}
	return fmt.Errorf("db.Time: cannot scan %T", src)
}

func (t *Time) parse(s string) error {
	parsed, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("db.Time: %w", err)
	}
	t.Time = parsed.UTC()
	return nil
}

// Value implements driver.Valuer.
func (t Time) Value() (driver.Value, error) {
	if t.IsZero() {
		return nil, nil
	}
	return Format(t.Time), nil
}
