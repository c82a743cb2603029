package inventory

import (
	"context"
	"database/sql"
	"errors"

	"atlas/app/db"
	"atlas/app/diff"
	"atlas/app/web"
)

// changeSummary is the timeline's one line for a version: what changed since
// the version before it ("3 settings changed, 1 added").
func changeSummary(before, after []byte) (string, error) {
	old, err := DecodePayload(before)
	if err != nil {
		return "", err
	}
	new, err := DecodePayload(after)
	if err != nil {
		return "", err
	}
	return diff.Summary(diff.Compare(old, new)), nil
}

// summaryAgainst is changeSummary against a stored payload, for the sync: the
// version it is about to write against the policy's current one.
func summaryAgainst(ctx context.Context, q db.Querier, beforeHash string, after []byte) (string, error) {
	before, err := Payload(ctx, q, beforeHash)
	if err != nil {
		return "", err
	}
	return changeSummary(before, after)
}

// backfillLimit bounds the diffs one page load makes for versions written
// before summaries were stored; the rest are filled by the next loads.
const backfillLimit = 25

// fillSummaries computes and stores the summaries missing from versions (a
// policy's history, newest first), at most backfillLimit of them.
func fillSummaries(ctx context.Context, d *db.DB, versions []Version) error {
	byNumber := make(map[int]*Version, len(versions))
	for i := range versions {
		byNumber[versions[i].Number] = &versions[i]
	}
	payloads := map[string][]byte{}
	payload := func(hash string) ([]byte, error) {
		if b, ok := payloads[hash]; ok {
			return b, nil
		}
		b, err := Payload(ctx, d.Read, hash)
		payloads[hash] = b
		return b, err
	}
	var filled []*Version
	for i := range versions {
		v := &versions[i]
		prev, ok := byNumber[v.Number-1]
		if v.Summary != "" || !ok {
			continue
		}
		if len(filled) == backfillLimit {
			break
		}
		before, err := payload(prev.ContentHash)
		if err != nil {
			return err
		}
		after, err := payload(v.ContentHash)
		if err != nil {
			return err
		}
		if v.Summary, err = changeSummary(before, after); err != nil {
			return err
		}
		filled = append(filled, v)
	}
	if len(filled) == 0 {
		return nil
	}
	return d.Tx(ctx, func(tx *sql.Tx) error {
		for _, v := range filled {
			if _, err := tx.ExecContext(ctx, `UPDATE policy_versions SET change_summary = ? WHERE id = ? AND change_summary IS NULL`, v.Summary, v.ID); err != nil {
				return err
			}
		}
		return nil
	})
}

// VersionByNumber finds version n of a policy of the environment; a number the
// policy never had is not found.
func VersionByNumber(ctx context.Context, q db.Querier, environmentID, policyID int64, n int) (*Version, error) {
	var v Version
	err := q.QueryRowContext(ctx, `SELECT `+versionColumns+` FROM policy_versions
		WHERE managed_environment_id = ? AND policy_id = ? AND version_number = ?`, environmentID, policyID, n).Scan(v.fields()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, web.ErrNotFound
	}
	return &v, err
}
