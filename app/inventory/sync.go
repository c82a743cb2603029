// Package inventory turns configuration exports into an environment's inventory:
// policies, their version history (a version only when the content changed),
// content-addressed payloads and spec 058's inventory items with coverage; and it
// serves the inventory hub, the policies list and the policy detail.
package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"atlas/app/db"
	"atlas/app/intune"
)

// OperationType is the operation run type of a sync (spec 058 InventorySyncRun).
const OperationType = "inventory.sync"

// Counts are a sync's summary_counts. Every file visited is exactly one of seen
// (a configuration object kept), skipped (not configuration, or the older copy of
// a duplicate) and failed (unreadable): Files = Seen + Skipped + Failed. Seen
// objects are created, changed or unchanged once written.
type Counts struct {
	Files     int `json:"files"`
	Seen      int `json:"seen"`
	Created   int `json:"created"`
	Changed   int `json:"changed"`
	Unchanged int `json:"unchanged"`
	Removed   int `json:"removed"`
	Skipped   int `json:"skipped"`
	Failed    int `json:"failed"`
}

// Map is Counts as summary_counts, with exactly the keys.
func (c Counts) Map() map[string]int {
	return map[string]int{"files": c.Files, "seen": c.Seen, "created": c.Created, "changed": c.Changed,
		"unchanged": c.Unchanged, "removed": c.Removed, "skipped": c.Skipped, "failed": c.Failed}
}

// Problem is one entry of the run's failure_summary: a file that could not be
// read (the run ends partial), or a warning (a duplicate copy) that does not
// change the outcome.
type Problem struct {
	File    string `json:"file"`
	Reason  string `json:"reason"`
	Warning bool   `json:"warning,omitempty"`
}

// Reporter is the operation run carrying a sync: it stores progress and problems
// as they come, and says when a person asked to cancel (checked between files,
// so it must be cheap).
type Reporter interface {
	Progress(ctx context.Context, c Counts) error
	Problem(ctx context.Context, p Problem) error
	Cancelled(ctx context.Context) bool
}

// Target is where a sync writes: an environment, and the run (its id goes on
// every version captured).
type Target struct {
	WorkspaceID   int64
	EnvironmentID int64
	RunID         int64
}

// Result is what a sync did.
type Result struct {
	Counts    Counts
	Cancelled bool
	// Empty: the export held no configuration object while the environment has
	// policies. Nothing was marked removed: an empty or wrong folder is far more
	// likely than a tenant emptied overnight.
	Empty bool
}

// Outcome is the run's outcome: cancelled, partial when a file failed or the
// export was empty (nothing was marked removed then), else succeeded.
func (r Result) Outcome() string {
	switch {
	case r.Cancelled:
		return "cancelled"
	case r.Counts.Failed > 0, r.Empty:
		return "partial"
	}
	return "succeeded"
}

// batchSize and batchBytes bound one write transaction: big enough that 20,000
// files are not 20,000 commits, small enough that the writer is not held for
// long and memory stays flat.
const (
	batchSize  = 256
	batchBytes = 8 << 20
)

// Sync reads the export in fsys into the target environment. Per object it
// upserts the policy, writes a version only when the content hash changed and
// refreshes its inventory item; a complete sync (no failed file, not cancelled)
// then marks the policies it did not see removed, keeping their history. Files
// that cannot be read are problems, never a stop; the error is for the export
// root being unreadable or the database failing.
func Sync(ctx context.Context, d *db.DB, t Target, fsys fs.FS, r Reporter) (Result, error) {
	s := &syncer{d: d, t: t, r: r, now: db.Now(), seen: map[string]*observed{}}
	var err error
	if s.before, err = policiesBefore(ctx, d.Read, t.EnvironmentID); err != nil {
		return Result{}, err
	}
	err = intune.Read(fsys, func(e intune.Entry) error {
		if r.Cancelled(ctx) || ctx.Err() != nil {
			s.cancelled = true
			return errStop
		}
		return s.visit(ctx, e)
	})
	if err != nil && !errors.Is(err, errStop) {
		return s.result(), err
	}
	// What was read before a cancel is kept: the last batch is written even
	// though ctx is done.
	if err := s.flush(context.WithoutCancel(ctx)); err != nil {
		return s.result(), err
	}
	if s.cancelled {
		return s.result(), ctx.Err()
	}
	s.empty = s.counts.Seen == 0 && len(s.before) > 0
	switch {
	case s.counts.Failed > 0:
	case s.empty:
		if err := r.Problem(ctx, Problem{File: ".", Reason: "the export holds no configuration object: nothing was marked removed; check the export source"}); err != nil {
			return s.result(), err
		}
	default:
		if err := s.markRemoved(ctx); err != nil {
			return s.result(), err
		}
	}
	return s.result(), r.Progress(ctx, s.counts)
}

var errStop = errors.New("sync cancelled")

// prior is a policy as it was before this run.
type prior struct {
	id       int64
	name     string
	hash     string
	versions int
	removed  bool
}

// observed is an object this run has read: which file, and what it wrote.
type observed struct {
	obj       *intune.Object // nil once written
	path      string
	modified  time.Time
	policyID  int64
	versionID int64  // the version this run wrote, 0 if none
	version   int    // the policy's version number once written
	summary   string // what changed since the policy's version before this run
	outcome   *int   // the counter this object added to
}

type syncer struct {
	d         *db.DB
	t         Target
	r         Reporter
	now       string
	before    map[string]prior
	seen      map[string]*observed
	pending   []string // identities to write in the next batch
	bytes     int
	counts    Counts
	cancelled bool
	empty     bool
}

func (s *syncer) result() Result {
	return Result{Counts: s.counts, Cancelled: s.cancelled, Empty: s.empty}
}

func (s *syncer) visit(ctx context.Context, e intune.Entry) error {
	s.counts.Files++
	switch {
	case e.Err != nil:
		s.counts.Failed++
		return s.r.Problem(ctx, Problem{File: e.Path, Reason: e.Err.Error()})
	case e.Object == nil:
		s.counts.Skipped++
		return nil
	}
	o := e.Object
	o.Payload = nil // the canonical bytes are all a sync keeps
	for _, w := range o.Warnings {
		if err := s.r.Problem(ctx, Problem{File: e.Path, Reason: w, Warning: true}); err != nil {
			return err
		}
	}
	key := identity(o)
	if prev, dup := s.seen[key]; dup {
		return s.duplicate(ctx, key, prev, o)
	}
	s.counts.Seen++
	s.seen[key] = &observed{obj: o, path: o.SourcePath, modified: o.Modified}
	return s.queue(ctx, key, o)
}

// duplicate keeps the most recently modified of two files holding one object
// (issue 4) and warns about the other.
func (s *syncer) duplicate(ctx context.Context, key string, prev *observed, o *intune.Object) error {
	s.counts.Skipped++
	if !o.Modified.After(prev.modified) {
		return s.r.Problem(ctx, Problem{File: o.SourcePath, Warning: true,
			Reason: fmt.Sprintf("duplicate of %q in %s, which is as recent or newer: this older copy was ignored", o.DisplayName, prev.path)})
	}
	if err := s.r.Problem(ctx, Problem{File: prev.path, Warning: true,
		Reason: fmt.Sprintf("duplicate of %q in %s, which is newer: this older copy was ignored", o.DisplayName, o.SourcePath)}); err != nil {
		return err
	}
	if prev.obj == nil {
		// Already written: undo its count; the write below replaces it.
		*prev.outcome--
	} else {
		// Still queued: drop it from the batch.
		s.bytes -= len(prev.obj.Canonical)
		for i, k := range s.pending {
			if k == key {
				s.pending = append(s.pending[:i], s.pending[i+1:]...)
				break
			}
		}
	}
	prev.obj, prev.path, prev.modified = o, o.SourcePath, o.Modified
	return s.queue(ctx, key, o)
}

func (s *syncer) queue(ctx context.Context, key string, o *intune.Object) error {
	// The timeline's summary of a new version, diffed here rather than inside
	// the batch's write transaction.
	if pre, ok := s.before[key]; ok && pre.hash != o.Hash {
		summary, err := summaryAgainst(ctx, s.d.Read, pre.hash, o.Canonical)
		if err != nil {
			return fmt.Errorf("summarising the changes of %s: %w", o.SourcePath, err)
		}
		s.seen[key].summary = summary
	}
	s.pending = append(s.pending, key)
	s.bytes += len(o.Canonical)
	if len(s.pending) >= batchSize || s.bytes >= batchBytes {
		return s.flush(ctx)
	}
	return nil
}

// identity is how a policy is recognised from one sync to the next: its Graph
// id when the export has one (with the type: built-in ids such as a scope tag's
// "0" repeat across types), else its type and name (IntuneCD strips ids).
func identity(o *intune.Object) string {
	if o.ExternalID != "" {
		return "id:" + o.Type.Key + ":" + o.ExternalID
	}
	return "name:" + o.Type.Key + ":" + o.GraphType + ":" + o.DisplayName
}

func policiesBefore(ctx context.Context, q db.Querier, environmentID int64) (map[string]prior, error) {
	rows, err := q.QueryContext(ctx, `SELECT identity_key, id, display_name, content_hash, version_count, removed_at IS NOT NULL
		FROM policies WHERE managed_environment_id = ?`, environmentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[string]prior{}
	for rows.Next() {
		var key string
		var p prior
		if err := rows.Scan(&key, &p.id, &p.name, &p.hash, &p.versions, &p.removed); err != nil {
			return nil, err
		}
		m[key] = p
	}
	return m, rows.Err()
}

// Statements of one batch, prepared once per transaction.
const (
	insertPayload = `INSERT INTO policy_payloads (content_hash, canonical, created_at, canonical_form) VALUES (?, ?, ?, ?)
		ON CONFLICT (content_hash) DO NOTHING`
	updatePolicy = `UPDATE policies SET external_id = ?, policy_type = ?, graph_type = ?, type_source = ?, platform = ?,
		content_hash = ?, version_count = ?, last_seen_at = ?, removed_at = NULL WHERE id = ?`
	// Apart: setting display_name fires the search index's trigger, even to the same name.
	renamePolicy  = `UPDATE policies SET display_name = ? WHERE id = ?`
	insertVersion = `INSERT INTO policy_versions (workspace_id, managed_environment_id, policy_id, version_number, captured_at,
		content_hash, operation_run_id, source_path, modified_at, change_summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	deleteVersion = `DELETE FROM policy_versions WHERE id = ?`
	upsertItem    = `INSERT INTO inventory_items (workspace_id, managed_environment_id, policy_id, coverage, coverage_reason,
		source_path, size_bytes, observed_at, operation_run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (policy_id) DO UPDATE SET coverage = excluded.coverage, coverage_reason = excluded.coverage_reason,
		source_path = excluded.source_path, size_bytes = excluded.size_bytes, observed_at = excluded.observed_at,
		operation_run_id = excluded.operation_run_id`
)

// insertPolicies is the batch's new policies in one statement: the search
// index's trigger (migration 0011) fires per row either way, but FTS5 flushes
// what it holds to disk at every statement of the transaction, so one
// statement per policy cost a flush (and a segment to merge) per policy.
const (
	insertPolicies = `INSERT INTO policies (workspace_id, managed_environment_id, identity_key, external_id, policy_type, graph_type,
		type_source, display_name, platform, content_hash, version_count, first_seen_at, last_seen_at) VALUES `
	insertPolicyRow   = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`
	insertPoliciesEnd = ` RETURNING identity_key, id`
)

type batchStmts struct {
	payload, updatePolicy, renamePolicy, insertVersion, deleteVersion, item *sql.Stmt
}

func prepare(ctx context.Context, tx *sql.Tx) (*batchStmts, error) {
	var st batchStmts
	for _, p := range []struct {
		dst **sql.Stmt
		q   string
	}{{&st.payload, insertPayload}, {&st.updatePolicy, updatePolicy}, {&st.renamePolicy, renamePolicy},
		{&st.insertVersion, insertVersion}, {&st.deleteVersion, deleteVersion}, {&st.item, upsertItem}} {
		stmt, err := tx.PrepareContext(ctx, p.q)
		if err != nil {
			return nil, err
		}
		*p.dst = stmt
	}
	return &st, nil
}

// flush writes the queued objects in one transaction and reports progress:
// payloads and the policies that exist first, then the new policies in one
// statement, then versions and inventory items.
func (s *syncer) flush(ctx context.Context) error {
	if len(s.pending) == 0 {
		return nil
	}
	err := s.d.Tx(ctx, func(tx *sql.Tx) error {
		st, err := prepare(ctx, tx)
		if err != nil {
			return err
		}
		var created []string
		for _, key := range s.pending {
			isNew, err := s.writePolicy(ctx, st, key, s.seen[key])
			if err != nil {
				return fmt.Errorf("writing %s: %w", s.seen[key].path, err)
			}
			if isNew {
				created = append(created, key)
			}
		}
		if err := s.insertPolicies(ctx, tx, created); err != nil {
			return err
		}
		for _, key := range s.pending {
			if err := s.writeVersion(ctx, st, s.seen[key]); err != nil {
				return fmt.Errorf("writing %s: %w", s.seen[key].path, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, key := range s.pending {
		s.seen[key].obj = nil
	}
	s.pending, s.bytes = s.pending[:0], 0
	return s.r.Progress(ctx, s.counts)
}

// writePolicy stores the object's payload and counts its outcome against the
// policy as it was before this run, so a newer duplicate replaces what an older
// copy wrote earlier in the same run; it updates a policy that exists, and
// says when the policy is new (insertPolicies writes those).
func (s *syncer) writePolicy(ctx context.Context, st *batchStmts, key string, ob *observed) (isNew bool, err error) {
	o := ob.obj
	pre, existed := s.before[key]
	// An unchanged policy's payload is stored (its content_hash references it):
	// no need to check its JSON again to find that out.
	if !existed || pre.hash != o.Hash {
		if _, err := st.payload.ExecContext(ctx, o.Hash, o.Canonical, s.now, intune.CanonicalForm); err != nil {
			return false, err
		}
	}
	if ob.versionID != 0 {
		if _, err := st.deleteVersion.ExecContext(ctx, ob.versionID); err != nil {
			return false, err
		}
		ob.versionID = 0
	}
	hash, versions := o.Hash, 1
	switch {
	case existed && pre.hash == o.Hash:
		hash, versions, ob.outcome = pre.hash, pre.versions, &s.counts.Unchanged
	case existed:
		versions, ob.outcome = pre.versions+1, &s.counts.Changed
	default:
		ob.outcome = &s.counts.Created
	}
	*ob.outcome++
	ob.version = versions
	// Written earlier in this run (an older duplicate): its name is the older copy's.
	renamed := ob.policyID != 0 || pre.name != o.DisplayName
	if existed {
		ob.policyID = pre.id
	}
	if ob.policyID == 0 {
		return true, nil
	}
	if _, err := st.updatePolicy.ExecContext(ctx, db.NullString(o.ExternalID), o.Type.Key, db.NullString(o.GraphType),
		db.NullString(o.TypeSource), o.Platform, hash, versions, s.now, ob.policyID); err != nil {
		return false, err
	}
	if renamed {
		_, err = st.renamePolicy.ExecContext(ctx, o.DisplayName, ob.policyID)
	}
	return false, err
}

// insertPolicies inserts the new policies of keys, as their first version.
func (s *syncer) insertPolicies(ctx context.Context, tx *sql.Tx, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	q := make([]byte, 0, len(insertPolicies)+len(keys)*(len(insertPolicyRow)+2)+len(insertPoliciesEnd))
	q = append(q, insertPolicies...)
	args := make([]any, 0, len(keys)*12)
	for i, key := range keys {
		if i > 0 {
			q = append(q, ", "...)
		}
		q = append(q, insertPolicyRow...)
		o := s.seen[key].obj
		args = append(args, s.t.WorkspaceID, s.t.EnvironmentID, key, db.NullString(o.ExternalID), o.Type.Key,
			db.NullString(o.GraphType), db.NullString(o.TypeSource), o.DisplayName, o.Platform, o.Hash, s.now, s.now)
	}
	q = append(q, insertPoliciesEnd...)
	rows, err := tx.QueryContext(ctx, string(q), args...)
	if err != nil {
		return fmt.Errorf("writing %d new policies: %w", len(keys), err)
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		var id int64
		if err := rows.Scan(&key, &id); err != nil {
			return err
		}
		s.seen[key].policyID = id
	}
	return rows.Err()
}

// writeVersion writes the object's new version, if its content changed, and
// refreshes its inventory item.
func (s *syncer) writeVersion(ctx context.Context, st *batchStmts, ob *observed) error {
	o := ob.obj
	if ob.outcome != &s.counts.Unchanged {
		res, err := st.insertVersion.ExecContext(ctx, s.t.WorkspaceID, s.t.EnvironmentID, ob.policyID, ob.version, s.now, o.Hash,
			db.NullID(s.t.RunID), o.SourcePath, db.Time{Time: o.Modified}, db.NullString(ob.summary))
		if err != nil {
			return err
		}
		ob.versionID, _ = res.LastInsertId()
	}
	_, err := st.item.ExecContext(ctx, s.t.WorkspaceID, s.t.EnvironmentID, ob.policyID, string(o.Type.Coverage), o.Type.CoverageReason,
		o.SourcePath, o.Size, s.now, db.NullID(s.t.RunID))
	return err
}

// markRemoved stamps removed_at on the policies a complete sync did not see and
// takes them out of the inventory; their versions stay.
func (s *syncer) markRemoved(ctx context.Context) error {
	var gone []int64
	for key, p := range s.before {
		if _, ok := s.seen[key]; !ok && !p.removed {
			gone = append(gone, p.id)
		}
	}
	for len(gone) > 0 {
		n := min(len(gone), batchSize)
		err := s.d.Tx(ctx, func(tx *sql.Tx) error {
			for _, id := range gone[:n] {
				if _, err := tx.ExecContext(ctx, `UPDATE policies SET removed_at = ? WHERE id = ?`, s.now, id); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `DELETE FROM inventory_items WHERE policy_id = ?`, id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		s.counts.Removed += n
		gone = gone[n:]
	}
	return nil
}
