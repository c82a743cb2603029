package inventory

import (
	"context"
	"database/sql"
	"fmt"

	"atlas/app/db"
	"atlas/app/intune"
)

// UpgradePayloads rewrites, once, the stored payloads of an older canonical
// form (intune.CanonicalForm) in the current one, so that a sync after an
// upgrade of Atlas finds an unchanged policy's hash unchanged and writes no
// version for it (issue 9: a property that is null is now absent, which
// changes the hash of nearly every policy). A payload whose hash changes takes
// its new hash in every column that references it — versions, policies, and
// whatever other domains keep — and the change summaries of the histories it
// is in are computed again: a null that came and went is no change any more.
// It runs in one transaction, at start-up, and returns how many payloads
// changed hash.
func UpgradePayloads(ctx context.Context, d *db.DB) (int, error) {
	var older int
	if err := d.Read.QueryRowContext(ctx, `SELECT count(*) FROM policy_payloads WHERE canonical_form < ?`, intune.CanonicalForm).Scan(&older); err != nil || older == 0 {
		return 0, err
	}
	refs, err := db.ReferencesTo(ctx, d.Read, "policy_payloads", "content_hash")
	if err != nil {
		return 0, err
	}
	rewritten := 0
	err = d.Tx(ctx, func(tx *sql.Tx) error {
		rewritten = 0
		if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE payload_rewrites (old TEXT PRIMARY KEY, new TEXT NOT NULL)`); err != nil {
			return err
		}
		if err := rewritePayloads(ctx, tx, &rewritten); err != nil {
			return err
		}
		var updates []string
		for _, c := range refs {
			updates = append(updates, fmt.Sprintf(`UPDATE "%[1]s" SET "%[2]s" = (SELECT new FROM temp.payload_rewrites WHERE old = "%[1]s"."%[2]s")
				WHERE "%[2]s" IN (SELECT old FROM temp.payload_rewrites)`, c.Table, c.Name))
		}
		for _, q := range append(updates,
			`UPDATE policy_versions SET change_summary = NULL WHERE policy_id IN
				(SELECT policy_id FROM policy_versions WHERE content_hash IN (SELECT new FROM temp.payload_rewrites))`,
			`DELETE FROM policy_payloads WHERE content_hash IN (SELECT old FROM temp.payload_rewrites)`,
			`DROP TABLE temp.payload_rewrites`) {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	return rewritten, err
}

// storedPayload is one row of policy_payloads.
type storedPayload struct {
	id        int64
	hash      string
	canonical []byte
}

// rewritePayloads normalises every payload of an older form again: one whose
// hash stays is marked current; one whose hash changes is stored under its new
// hash and listed in temp.payload_rewrites. Payloads are read a few at a time:
// one can be megabytes.
func rewritePayloads(ctx context.Context, tx *sql.Tx, rewritten *int) error {
	now := db.Now()
	for after := int64(0); ; {
		batch, err := olderPayloads(ctx, tx, after)
		if err != nil || len(batch) == 0 {
			return err
		}
		for _, p := range batch {
			after = p.id
			v, err := DecodePayload(p.canonical)
			if err != nil {
				return fmt.Errorf("payload %s: %w", p.hash, err)
			}
			canonical := intune.Canonical(intune.Normalize(v))
			hash := intune.Hash(canonical)
			if hash == p.hash {
				if _, err := tx.ExecContext(ctx, `UPDATE policy_payloads SET canonical_form = ? WHERE id = ?`, intune.CanonicalForm, p.id); err != nil {
					return err
				}
				continue
			}
			if _, err := tx.ExecContext(ctx, insertPayload, hash, canonical, now, intune.CanonicalForm); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO temp.payload_rewrites (old, new) VALUES (?, ?)`, p.hash, hash); err != nil {
				return err
			}
			*rewritten++
		}
	}
}

func olderPayloads(ctx context.Context, tx *sql.Tx, after int64) ([]storedPayload, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, content_hash, canonical FROM policy_payloads
		WHERE canonical_form < ? AND id > ? ORDER BY id LIMIT 32`, intune.CanonicalForm, after)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var batch []storedPayload
	for rows.Next() {
		var p storedPayload
		if err := rows.Scan(&p.id, &p.hash, &p.canonical); err != nil {
			return nil, err
		}
		batch = append(batch, p)
	}
	return batch, rows.Err()
}
