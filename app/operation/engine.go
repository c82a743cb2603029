package operation

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"atlas/app/access"
	"atlas/app/audit"
	"atlas/app/db"
	"atlas/app/navigation"
	"atlas/app/web"
)

// Handler does one operation type's work: it reports through progress and checks
// ctx between items (a cancelled ctx means the run was cancelled or Atlas is
// stopping). A returned error fails the run with its message.
type Handler func(ctx context.Context, run *Run, progress *Progress) error

// Type is one registered operation type.
type Type struct {
	Name    string // e.g. inventory.sync
	Label   string // e.g. Inventory sync
	Handler Handler
	// Need is what starting a run of the type needs, on the run's environment
	// (its workspace for a workspace-level run); Retry and Cancel need it too
	// (DESIGN §6). Every type declares one.
	Need access.Capability
	// Form builds a run's context from the generic start form (POST
	// /admin/w/{workspace}/t/{environment}/operations); a type without one is started only from
	// its own domain's pages.
	Form func(form url.Values) (map[string]any, error)
	// Panel is the type's own section of a run's page (a restore's items and
	// their verification), for the viewer in ctx; nil for none.
	Panel func(ctx context.Context, run *Run) (*Panel, error)
	// Hidden types are for tests and demos (demo.count): pages never offer them,
	// and the feed's type filter lists them only once a run of theirs exists.
	Hidden bool
	// Related adds the records the run's context names to its page's related
	// context (spec 131), for a viewer entitled to its environment (env is nil
	// for a workspace-level run); nil for none.
	Related func(ctx context.Context, run *Run, env *access.Environment, l *navigation.Entries) error
}

// Panel is a partial template (parsed with every page) and its data.
type Panel struct {
	Template string
	Data     any
}

// StartRequest asks for a run.
type StartRequest struct {
	WorkspaceID   int64
	EnvironmentID int64 // 0: a workspace-level run
	Type          string
	Context       map[string]any
	UserID        int64 // 0: the command line
	RetryOf       int64
	// StartKey is the one-time key of the form that asked (web.FormKey): a
	// repeated submission of it gets the run the first one made. "" for none.
	StartKey string
}

// ErrCancelled is the cause of a run's context when someone cancelled it.
var ErrCancelled = errors.New("cancelled on request")

// errShutdown is the cause when Atlas stops before the run could finish.
var errShutdown = errors.New("shutdown")

const shutdownMessage = "Atlas was stopped before the run finished."

const (
	flushEvery     = 250 * time.Millisecond // counts are written at most this often
	watchEvery     = time.Second            // cancel requests of this process's runs
	heartbeatEvery = 5 * time.Second
	recoverEvery   = 10 * time.Second // runs of dead processes: well within spec's 30 s
	pollEvery      = time.Second      // runs queued by another process
)

// Engine executes runs: a fixed number of workers claim queued runs; the same
// engine can also execute one run in-process for the command line (Execute).
type Engine struct {
	DB      *db.DB
	Workers int
	// Grace is how long a stopping engine lets running work finish before it
	// cancels it and marks it interrupted.
	Grace time.Duration
	// Now is the clock written into runs; tests replace it.
	Now func() time.Time

	types   map[string]Type
	owner   *owner
	wake    chan struct{}
	mu      sync.Mutex
	running map[int64]context.CancelCauseFunc
}

// NewEngine takes ownership for this process; Close gives it up.
func NewEngine(d *db.DB) (*Engine, error) {
	o, err := newOwner(filepath.Join(filepath.Dir(d.Path), "processes"))
	if err != nil {
		return nil, err
	}
	return &Engine{DB: d, Workers: 2, Grace: 10 * time.Second, Now: time.Now,
		types: map[string]Type{}, owner: o, wake: make(chan struct{}, 1), running: map[int64]context.CancelCauseFunc{}}, nil
}

// Close releases this process's ownership lock.
func (e *Engine) Close() error { return e.owner.release() }

// Register adds an operation type; wiring registers every type explicitly.
func (e *Engine) Register(t Type) {
	if _, dup := e.types[t.Name]; dup {
		panic("operation: type " + t.Name + " registered twice")
	}
	// Without a need, anyone who may see an environment could start the type in it.
	if t.Need == "" {
		panic("operation: type " + t.Name + " declares no capability that starting it needs")
	}
	e.types[t.Name] = t
}

// Need is what starting a run of the named type needs; false for a type not registered here.
func (e *Engine) Need(name string) (access.Capability, bool) {
	t, ok := e.types[name]
	return t.Need, ok
}

// KnownTypes is every type the feed may filter by, for a workspace whose runs are
// of runTypes: the registered types that pages offer, and every type of a run.
func (e *Engine) KnownTypes(runTypes []string) []Type {
	var list []Type
	for _, t := range e.types {
		if !t.Hidden || slices.Contains(runTypes, t.Name) {
			list = append(list, t)
		}
	}
	for _, name := range runTypes {
		if _, ok := e.types[name]; !ok {
			list = append(list, Type{Name: name, Label: e.Label(name)})
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Label < list[j].Label })
	return list
}

// Type looks a registered type up.
func (e *Engine) Type(name string) (Type, bool) {
	t, ok := e.types[name]
	return t, ok
}

// Label is a type's label, or its name when it is not registered here.
func (e *Engine) Label(name string) string {
	if t, ok := e.types[name]; ok {
		return t.Label
	}
	// Runs of types this Atlas does not run (yet), e.g. from demo data: "drift.compare" → "Drift compare".
	return web.Title(strings.NewReplacer(".", " ", "_", " ").Replace(name))
}

// Start queues a run, unless it joins one (joined): the run its start key already
// made, active or finished (the same form submitted again), or the run of the same
// type already active for the environment (DESIGN §6: one active run per
// environment and type).
func (e *Engine) Start(ctx context.Context, req StartRequest) (run *Run, joined bool, err error) {
	run, joined, err = e.insert(ctx, req, false)
	if err == nil && !joined {
		select {
		case e.wake <- struct{}{}:
		default:
		}
	}
	return run, joined, err
}

// Execute starts a run owned by this process, executes it here and returns it
// completed: the command line's way (atlas sync) to run work without a server.
func (e *Engine) Execute(ctx context.Context, req StartRequest) (run *Run, alreadyActive bool, err error) {
	run, alreadyActive, err = e.insert(ctx, req, true)
	if err != nil || alreadyActive {
		return run, alreadyActive, err
	}
	watchCtx, stopWatch := context.WithCancel(context.Background())
	watched := make(chan struct{})
	go func() { e.watch(watchCtx, false); close(watched) }()
	e.execute(ctx, run)
	stopWatch()
	<-watched
	run, err = Get(context.WithoutCancel(ctx), e.DB.Read, run.WorkspaceID, run.ID)
	return run, false, err
}

// insert writes a new run (claimed by this process when claim is set), unless
// the start key made one already or one is active for (environment, type).
// Both are read on the one writer, in the transaction that inserts: two starts
// cannot both miss them.
func (e *Engine) insert(ctx context.Context, req StartRequest, claim bool) (*Run, bool, error) {
	t, ok := e.types[req.Type]
	if !ok {
		return nil, false, web.Errorf(web.Invalid, "There is no operation type %q.", req.Type)
	}
	ctxJSON := "{}"
	if req.Context != nil {
		ctxJSON = marshal(req.Context)
	}
	var id int64
	existing := false
	err := e.DB.Tx(ctx, func(tx *sql.Tx) error {
		if req.StartKey != "" {
			var typ string
			var environmentID int64
			err := tx.QueryRowContext(ctx, `SELECT id, type, COALESCE(managed_environment_id, 0) FROM operation_runs WHERE workspace_id = ? AND start_key = ?`,
				req.WorkspaceID, req.StartKey).Scan(&id, &typ, &environmentID)
			switch {
			case err == nil && (typ != req.Type || environmentID != req.EnvironmentID):
				return web.Errorf(web.Conflict, "This form has already started another operation: reload the page to start this one.")
			case err == nil:
				existing = true
				return nil
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		err := tx.QueryRowContext(ctx, `SELECT id FROM operation_runs
			WHERE workspace_id = ? AND COALESCE(managed_environment_id, 0) = ? AND type = ? AND status IN ('queued', 'running')`,
			req.WorkspaceID, req.EnvironmentID, req.Type).Scan(&id)
		if err == nil {
			existing = true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		now := db.Format(e.Now())
		status, started, pid, token := Queued, any(nil), any(nil), any(nil)
		if claim {
			status, started, pid, token = Running, now, e.owner.pid, e.owner.token
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO operation_runs (workspace_id, managed_environment_id, type, status, created_at,
			started_at, heartbeat_at, context, initiated_by_user_id, retry_of_run_id, owner_pid, owner_token, start_key)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			req.WorkspaceID, db.NullID(req.EnvironmentID), req.Type, status, now, started, started, ctxJSON,
			db.NullID(req.UserID), db.NullID(req.RetryOf), pid, token, db.NullString(req.StartKey))
		if err != nil {
			return err
		}
		id, _ = res.LastInsertId()
		detail := map[string]any{"type": req.Type}
		if req.RetryOf != 0 {
			detail["retry_of"] = req.RetryOf
		}
		return audit.Record(ctx, tx, audit.Event{WorkspaceID: req.WorkspaceID, UserID: req.UserID, Action: "operation.started",
			RecordType: "operation_run", RecordID: id, RecordLabel: t.Label, Detail: detail})
	})
	if err != nil {
		return nil, false, err
	}
	run, err := Get(ctx, e.DB.Read, req.WorkspaceID, id)
	return run, existing, err
}

// Cancel ends a queued run at once; a running one is asked to stop and ends as
// cancelled between two items, whichever process runs it.
func (e *Engine) Cancel(ctx context.Context, workspaceID, runID, userID int64) (*Run, error) {
	err := e.DB.Tx(ctx, func(tx *sql.Tx) error {
		run, err := Get(ctx, tx, workspaceID, runID)
		if err != nil {
			return err
		}
		now := db.Format(e.Now())
		switch run.Status {
		case Completed:
			return web.Errorf(web.Conflict, "Run #%d has already finished (%s).", run.ID, run.Outcome)
		case Queued:
			_, err = tx.ExecContext(ctx, `UPDATE operation_runs SET status = 'completed', outcome = 'cancelled', completed_at = ?, failure_summary = ?
				WHERE id = ? AND status = 'queued'`, now, marshal(FailureSummary{Reason: ReasonCancelled, Message: "Cancelled before it started."}), run.ID)
		case Running:
			_, err = tx.ExecContext(ctx, `UPDATE operation_runs SET cancel_requested_at = COALESCE(cancel_requested_at, ?) WHERE id = ? AND status = 'running'`, now, run.ID)
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{WorkspaceID: workspaceID, UserID: userID, Action: "operation.cancelled",
			RecordType: "operation_run", RecordID: run.ID, RecordLabel: e.Label(run.Type)})
	})
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	if cancel, ok := e.running[runID]; ok {
		cancel(ErrCancelled)
	}
	e.mu.Unlock()
	return Get(ctx, e.DB.Read, workspaceID, runID)
}

// Retry starts a new run of a finished run's type and environment whose context
// references the old run (context.retry_of); startKey is the retry form's, as
// for Start.
func (e *Engine) Retry(ctx context.Context, workspaceID, runID, userID int64, startKey string) (*Run, bool, error) {
	old, err := Get(ctx, e.DB.Read, workspaceID, runID)
	if err != nil {
		return nil, false, err
	}
	if old.Active() {
		return nil, false, web.Errorf(web.Conflict, "Run #%d is still %s: retry it once it has finished.", old.ID, old.Status)
	}
	c := map[string]any{}
	if err := old.DecodeContext(&c); err != nil {
		return nil, false, err
	}
	c["retry_of"] = old.ID
	return e.Start(ctx, StartRequest{WorkspaceID: workspaceID, EnvironmentID: old.EnvironmentID, Type: old.Type,
		Context: c, UserID: userID, RetryOf: old.ID, StartKey: startKey})
}

// Run executes queued runs with e.Workers workers until ctx is cancelled, then
// stops claiming, lets running work finish within e.Grace, cancels what is left
// and marks it interrupted.
func (e *Engine) Run(ctx context.Context) error {
	if _, err := e.Recover(ctx); err != nil && ctx.Err() == nil {
		return err
	}
	watchCtx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	go e.watch(watchCtx, true)

	idle := make(chan struct{})
	var workers sync.WaitGroup
	for range e.Workers {
		workers.Go(func() { e.work(ctx) })
	}
	go func() { workers.Wait(); close(idle) }()
	<-ctx.Done()

	select {
	case <-idle:
		return nil
	case <-time.After(e.Grace):
	}
	e.mu.Lock()
	for _, cancel := range e.running {
		cancel(errShutdown)
	}
	e.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-time.After(5 * time.Second):
	}
	// A handler that ignores its context: its run is interrupted all the same.
	n, err := e.interruptOwn(context.Background())
	slog.Warn("operations: handlers did not stop in time; their runs were marked interrupted", "runs", n)
	return err
}

func (e *Engine) work(ctx context.Context) {
	for ctx.Err() == nil {
		run, ok, err := e.claim(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			slog.Error("operations: claim a queued run", "err", err)
		case ok:
			e.execute(context.Background(), run)
			continue
		}
		select {
		case <-ctx.Done():
		case <-e.wake:
		case <-time.After(pollEvery):
		}
	}
}

// claim takes the oldest queued run for this process, atomically on the one writer.
func (e *Engine) claim(ctx context.Context) (*Run, bool, error) {
	now := db.Format(e.Now())
	var id, workspaceID int64
	err := e.DB.Write.QueryRowContext(ctx, `UPDATE operation_runs
		SET status = 'running', started_at = ?, heartbeat_at = ?, owner_pid = ?, owner_token = ?
		WHERE id = (SELECT id FROM operation_runs WHERE status = 'queued' ORDER BY id LIMIT 1)
		RETURNING id, workspace_id`, now, now, e.owner.pid, e.owner.token).Scan(&id, &workspaceID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	run, err := Get(ctx, e.DB.Read, workspaceID, id)
	return run, err == nil, err
}

// execute runs a claimed run's handler and completes the run; a panic in the
// handler fails the run with its message instead of killing the worker.
func (e *Engine) execute(parent context.Context, run *Run) {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	e.mu.Lock()
	e.running[run.ID] = cancel
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.running, run.ID)
		e.mu.Unlock()
	}()

	p := &Progress{engine: e, runID: run.ID, counts: Counts{}, flushed: time.Now()}
	var err error
	t, ok := e.types[run.Type]
	if ok {
		err = call(ctx, t.Handler, run, p)
	}
	outcome, failure := settle(ctx, ok, run.Type, err, p)
	if failure != nil && failure.Reason == ReasonInterrupted {
		failure.LastSeenAt = db.Format(e.Now())
	}
	var failureJSON any
	if failure != nil {
		failureJSON = marshal(failure)
	}
	counts := p.snapshot()
	if _, err := e.DB.Write.ExecContext(context.WithoutCancel(parent), `UPDATE operation_runs
		SET status = 'completed', outcome = ?, completed_at = ?, heartbeat_at = ?, summary_counts = ?, failure_summary = ?
		WHERE id = ? AND status = 'running'`, outcome, db.Format(e.Now()), db.Format(e.Now()), marshal(counts), failureJSON, run.ID); err != nil {
		slog.Error("operations: complete run", "run", run.ID, "err", err)
	}
}

type panicError struct{ value any }

func (p *panicError) Error() string { return fmt.Sprint(p.value) }

func call(ctx context.Context, h Handler, run *Run, p *Progress) (err error) {
	defer func() {
		if v := recover(); v != nil {
			slog.Error("operations: handler panicked", "run", run.ID, "type", run.Type, "panic", v, "stack", string(debug.Stack()))
			err = &panicError{v}
		}
	}()
	return h(ctx, run, p)
}

// settle decides a finished handler's outcome.
func settle(ctx context.Context, known bool, typ string, err error, p *Progress) (Outcome, *FailureSummary) {
	items, omitted := p.itemErrors()
	f := &FailureSummary{Items: items, ItemsOmitted: omitted}
	var perr *panicError
	switch {
	case !known:
		f.Reason, f.Message = ReasonUnknownType, fmt.Sprintf("This Atlas does not know the operation type %q.", typ)
		return Failed, f
	case errors.As(err, &perr):
		f.Reason, f.Message = ReasonPanic, "The operation crashed: "+perr.Error()
		return Failed, f
	case err != nil && errors.Is(context.Cause(ctx), ErrCancelled):
		f.Reason, f.Message = ReasonCancelled, "Cancelled while running."
		return Cancelled, f
	case err != nil && ctx.Err() != nil:
		f.Reason, f.Message = ReasonInterrupted, shutdownMessage
		return Failed, f
	case err != nil:
		f.Reason, f.Message = ReasonError, err.Error()
		return Failed, f
	}
	counts := p.snapshot()
	if failed := counts["failed"]; failed > 0 {
		f.Reason = ReasonItemsFailed
		f.Message = fmt.Sprintf("%d of %d items failed.", failed, counts["processed"])
		if counts["processed"] > failed {
			return Partial, f
		}
		return Failed, f
	}
	if len(items) > 0 {
		f.Reason = ReasonWarnings
		if n := len(items) + omitted; n == 1 {
			f.Message = "Completed with 1 warning."
		} else {
			f.Message = fmt.Sprintf("Completed with %d warnings.", n)
		}
		return Succeeded, f
	}
	return Succeeded, nil
}

// The queries below that look for running runs repeat operation_runs_active's
// condition (status IN ('queued', 'running')): SQLite uses a partial index only
// then, and without it every tick read the whole history (issue 13: 1,000,000 runs).

// watch keeps this process's runs honest: cancel requests made elsewhere reach
// them, their heartbeat stays fresh, and (for a serving engine) runs of dead
// processes are recovered.
func (e *Engine) watch(ctx context.Context, recoverToo bool) {
	tick := time.NewTicker(watchEvery)
	defer tick.Stop()
	var lastBeat, lastRecover time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if err := e.honourCancels(ctx); err != nil && ctx.Err() == nil {
				slog.Error("operations: read cancel requests", "err", err)
			}
			if now.Sub(lastBeat) >= heartbeatEvery {
				lastBeat = now
				if _, err := e.DB.Write.ExecContext(ctx, `UPDATE operation_runs SET heartbeat_at = ? WHERE status IN ('queued', 'running') AND status = 'running' AND owner_token = ?`,
					db.Format(e.Now()), e.owner.token); err != nil && ctx.Err() == nil {
					slog.Error("operations: heartbeat", "err", err)
				}
			}
			if recoverToo && now.Sub(lastRecover) >= recoverEvery {
				lastRecover = now
				if _, err := e.Recover(ctx); err != nil && ctx.Err() == nil {
					slog.Error("operations: recover runs of stopped processes", "err", err)
				}
			}
		}
	}
}

func (e *Engine) honourCancels(ctx context.Context) error {
	rows, err := e.DB.Read.QueryContext(ctx, `SELECT id FROM operation_runs
		WHERE status IN ('queued', 'running') AND status = 'running' AND owner_token = ? AND cancel_requested_at IS NOT NULL`, e.owner.token)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		e.mu.Lock()
		if cancel, ok := e.running[id]; ok {
			cancel(ErrCancelled)
		}
		e.mu.Unlock()
	}
	return rows.Err()
}

// Recover completes as failed/interrupted every running run whose owning process
// has died, recording when it was last seen. Runs of live processes are left alone;
// queued runs stay queued for the workers. It returns how many runs it recovered.
func (e *Engine) Recover(ctx context.Context) (int, error) {
	type orphan struct {
		id       int64
		pid      int64
		token    string
		lastSeen string
	}
	rows, err := e.DB.Read.QueryContext(ctx, `SELECT id, COALESCE(owner_pid, 0), COALESCE(owner_token, ''), COALESCE(heartbeat_at, started_at, created_at)
		FROM operation_runs WHERE status IN ('queued', 'running') AND status = 'running'`)
	if err != nil {
		return 0, err
	}
	var candidates []orphan
	for rows.Next() {
		var o orphan
		if err := rows.Scan(&o.id, &o.pid, &o.token, &o.lastSeen); err != nil {
			rows.Close()
			return 0, err
		}
		candidates = append(candidates, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	verdict := map[string]bool{}
	n := 0
	for _, o := range candidates {
		alive, seen := verdict[o.token]
		if !seen {
			if alive, err = e.owner.alive(o.token); err != nil {
				return n, err
			}
			verdict[o.token] = alive
		}
		if alive {
			continue
		}
		f := FailureSummary{Reason: ReasonInterrupted, LastSeenAt: o.lastSeen,
			Message: fmt.Sprintf("The Atlas process running it (pid %d) stopped before it finished.", o.pid)}
		res, err := e.DB.Write.ExecContext(ctx, `UPDATE operation_runs SET status = 'completed', outcome = 'failed', completed_at = ?, failure_summary = ?
			WHERE id = ? AND status = 'running' AND COALESCE(owner_token, '') = ?`, db.Format(e.Now()), marshal(f), o.id, o.token)
		if err != nil {
			return n, err
		}
		if k, _ := res.RowsAffected(); k > 0 {
			n++
		}
	}
	if n > 0 {
		slog.Info("operations: runs of stopped processes marked interrupted", "runs", n)
	}
	return n, nil
}

// interruptOwn marks this process's running runs interrupted (shutdown past its deadline).
func (e *Engine) interruptOwn(ctx context.Context) (int64, error) {
	now := db.Format(e.Now())
	f := FailureSummary{Reason: ReasonInterrupted, LastSeenAt: now, Message: shutdownMessage}
	res, err := e.DB.Write.ExecContext(ctx, `UPDATE operation_runs SET status = 'completed', outcome = 'failed', completed_at = ?, failure_summary = ?
		WHERE status IN ('queued', 'running') AND status = 'running' AND owner_token = ?`, now, marshal(f), e.owner.token)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
