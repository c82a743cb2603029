package operation

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"atlas/app/access"
	"atlas/app/db"
	"atlas/app/db/dbtest"
	"atlas/app/web"
)

// world is a database with one workspace (id 1) and environments 1 and 2.
func world(t testing.TB) *db.DB {
	t.Helper()
	d := dbtest.Open(t)
	now := db.Now()
	for _, q := range []string{
		`INSERT INTO users (id, email, name, created_at, updated_at) VALUES (1, 'op@acme.test', 'Olive Operator', '` + now + `', '` + now + `')`,
		`INSERT INTO workspaces (id, name, slug, created_at, updated_at) VALUES (1, 'Acme', 'acme', '` + now + `', '` + now + `')`,
		`INSERT INTO workspaces (id, name, slug, created_at, updated_at) VALUES (2, 'Other', 'other', '` + now + `', '` + now + `')`,
		`INSERT INTO managed_environments (id, workspace_id, slug, name, created_at, updated_at) VALUES (1, 1, 'prod', 'Production', '` + now + `', '` + now + `')`,
		`INSERT INTO managed_environments (id, workspace_id, slug, name, created_at, updated_at) VALUES (2, 1, 'pilot', 'Pilot', '` + now + `', '` + now + `')`,
	} {
		if _, err := d.Write.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func newEngine(t testing.TB, d *db.DB, types ...Type) *Engine {
	t.Helper()
	e, err := NewEngine(d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	for _, typ := range types {
		if typ.Need == "" {
			typ.Need = access.RunOperations // wiring declares each type's (app.operationNeeds)
		}
		e.Register(typ)
	}
	return e
}

// serve runs the engine's workers until the test ends.
func serve(t testing.TB, e *Engine) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("engine stopped with %v", err)
		}
	})
}

// waitFor polls the run until cond holds (tests wait on state, never on sleeps alone).
func waitFor(t testing.TB, d *db.DB, id int64, what string, cond func(*Run) bool) *Run {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r, err := Get(context.Background(), d.Read, 1, id)
		if err != nil {
			t.Fatal(err)
		}
		if cond(r) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %d never became %s: status %s outcome %s counts %v", id, what, r.Status, r.Outcome, r.Counts)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func completed(r *Run) bool { return r.Status == Completed }

// gate is an operation type that processes items only as the test releases them.
type gate struct {
	step    chan struct{}
	started chan struct{}
	once    sync.Once
}

func newGate(name string) (*gate, Type) {
	g := &gate{step: make(chan struct{}), started: make(chan struct{})}
	return g, Type{Name: name, Label: "Gate", Handler: func(ctx context.Context, run *Run, p *Progress) error {
		g.once.Do(func() { close(g.started) })
		p.SetTotal(3)
		for range 3 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-g.step:
			}
			p.Succeeded(1)
		}
		return nil
	}}
}

func TestStartDedupesPerEnvironmentAndType(t *testing.T) {
	d := world(t)
	_, gateType := newGate("gate")
	e := newEngine(t, d, gateType, DemoCount)
	ctx := context.Background()
	first, active, err := e.Start(ctx, StartRequest{WorkspaceID: 1, EnvironmentID: 1, Type: "gate", UserID: 1})
	if err != nil || active {
		t.Fatalf("first start: %v, alreadyActive %v", err, active)
	}
	tests := []struct {
		name       string
		req        StartRequest
		wantActive bool
	}{
		{"same environment and type", StartRequest{WorkspaceID: 1, EnvironmentID: 1, Type: "gate"}, true},
		{"other environment", StartRequest{WorkspaceID: 1, EnvironmentID: 2, Type: "gate"}, false},
		{"other type", StartRequest{WorkspaceID: 1, EnvironmentID: 1, Type: "demo.count"}, false},
		{"workspace level", StartRequest{WorkspaceID: 1, Type: "gate"}, false},
		{"workspace level again", StartRequest{WorkspaceID: 1, Type: "gate"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run, active, err := e.Start(ctx, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if active != tt.wantActive || (active && tt.req.EnvironmentID == 1 && run.ID != first.ID) {
				t.Errorf("alreadyActive %v (run %d), want %v", active, run.ID, tt.wantActive)
			}
		})
	}
	var n int
	d.Read.QueryRow(`SELECT count(*) FROM operation_runs`).Scan(&n)
	if n != 4 {
		t.Errorf("%d runs stored, want 4", n)
	}
	if _, _, err := e.Start(ctx, StartRequest{WorkspaceID: 1, Type: "nope"}); web.Classify(err).Code != web.Invalid {
		t.Errorf("unknown type: %v", err)
	}
	// Once the first run finished, the same (environment, type) starts afresh.
	if _, err := e.Cancel(ctx, 1, first.ID, 1); err != nil {
		t.Fatal(err)
	}
	if _, active, _ := e.Start(ctx, StartRequest{WorkspaceID: 1, EnvironmentID: 1, Type: "gate"}); active {
		t.Error("a finished run still blocks a new one")
	}
}

// A start key joins the run it made, active or finished; a start without one
// makes a new run once the active one finished. The key is the workspace's:
// another workspace's same key starts its own run, and a key that started
// another operation is refused.
func TestStartKeyJoinsTheRunItMade(t *testing.T) {
	d := world(t)
	_, gateType := newGate("gate")
	e := newEngine(t, d, gateType, DemoCount)
	ctx := context.Background()
	const key = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	first, joined, err := e.Start(ctx, StartRequest{WorkspaceID: 1, EnvironmentID: 1, Type: "gate", StartKey: key})
	if err != nil || joined {
		t.Fatalf("first start: %v, joined %v", err, joined)
	}
	if _, err := e.Cancel(ctx, 1, first.ID, 1); err != nil {
		t.Fatal(err)
	}
	again, joined, err := e.Start(ctx, StartRequest{WorkspaceID: 1, EnvironmentID: 1, Type: "gate", StartKey: key})
	if err != nil {
		t.Fatalf("the same key after the run finished: %v", err)
	}
	if !joined || again.ID != first.ID || again.Active() {
		t.Errorf("the same key after the run finished: run %d (active %v), joined %v; want the finished run %d", again.ID, again.Active(), joined, first.ID)
	}
	if _, _, err := e.Start(ctx, StartRequest{WorkspaceID: 1, EnvironmentID: 2, Type: "gate", StartKey: key}); web.Classify(err).Code != web.Conflict {
		t.Errorf("the key of a run of prod, for pilot: %v", err)
	}
	if _, _, err := e.Start(ctx, StartRequest{WorkspaceID: 1, EnvironmentID: 1, Type: "demo.count", StartKey: key}); web.Classify(err).Code != web.Conflict {
		t.Errorf("the key of a gate run, for a demo count: %v", err)
	}
	if _, joined, err := e.Start(ctx, StartRequest{WorkspaceID: 2, Type: "gate", StartKey: key}); err != nil || joined {
		t.Errorf("the same key in another workspace: joined %v, %v", joined, err)
	}
	if _, joined, err := e.Start(ctx, StartRequest{WorkspaceID: 1, EnvironmentID: 1, Type: "gate"}); err != nil || joined {
		t.Errorf("a start without a key after the run finished: joined %v, %v", joined, err)
	}
	var n int
	d.Read.QueryRow(`SELECT count(*) FROM operation_runs`).Scan(&n)
	if n != 3 {
		t.Errorf("%d runs stored, want 3", n)
	}
}

func TestRegisterRefusesATypeWithoutANeed(t *testing.T) {
	e, err := NewEngine(world(t))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	defer func() {
		if recover() == nil {
			t.Error("a type that declares no capability was registered")
		}
	}()
	e.Register(Type{Name: "open", Label: "Open", Handler: DemoCount.Handler})
}

func TestRunSucceedsWithCounts(t *testing.T) {
	d := world(t)
	e := newEngine(t, d, DemoCount)
	serve(t, e)
	run, _, err := e.Start(context.Background(), StartRequest{WorkspaceID: 1, EnvironmentID: 1, Type: "demo.count",
		Context: map[string]any{"count": 10, "delay_ms": 0, "fail_every": 4}, UserID: 1})
	if err != nil {
		t.Fatal(err)
	}
	r := waitFor(t, d, run.ID, "completed", completed)
	if r.Outcome != Partial || r.Counts["processed"] != 10 || r.Counts["succeeded"] != 8 || r.Counts["failed"] != 2 || r.Counts["total"] != 10 {
		t.Errorf("outcome %s counts %v", r.Outcome, r.Counts)
	}
	if r.Failure == nil || r.Failure.Reason != ReasonItemsFailed || len(r.Failure.Items) != 2 || r.Failure.Items[1] != (ItemError{Item: "item 8", Reason: "divisible by 4"}) {
		t.Errorf("failure summary %+v", r.Failure)
	}
	if r.StartedAt.IsZero() || r.CompletedAt.Before(r.StartedAt) || r.OwnerPID == 0 || r.InitiatorName != "Olive Operator" {
		t.Errorf("timestamps %v → %v, owner %d, initiator %q", r.StartedAt, r.CompletedAt, r.OwnerPID, r.InitiatorName)
	}
}

func TestCancel(t *testing.T) {
	d := world(t)
	g, gateType := newGate("gate")
	e := newEngine(t, d, gateType)
	ctx := context.Background()

	queued, _, _ := e.Start(ctx, StartRequest{WorkspaceID: 1, EnvironmentID: 2, Type: "gate"})
	r, err := e.Cancel(ctx, 1, queued.ID, 1)
	if err != nil || r.Outcome != Cancelled || r.Failure.Message != "Cancelled before it started." || r.StartedAt.IsZero() == false {
		t.Fatalf("cancel queued: %v, %+v", err, r)
	}
	if _, err := e.Cancel(ctx, 1, queued.ID, 1); web.Classify(err).Code != web.Conflict {
		t.Errorf("cancel twice: %v", err)
	}
	if _, err := e.Cancel(ctx, 2, queued.ID, 1); !errors.Is(err, web.ErrNotFound) {
		t.Errorf("cancel from another workspace: %v", err)
	}

	serve(t, e)
	running, _, _ := e.Start(ctx, StartRequest{WorkspaceID: 1, EnvironmentID: 1, Type: "gate"})
	<-g.started
	g.step <- struct{}{} // one item done, then cancel between items
	waitFor(t, d, running.ID, "running", func(r *Run) bool { return r.Status == Running })
	if _, err := e.Cancel(ctx, 1, running.ID, 1); err != nil {
		t.Fatal(err)
	}
	r = waitFor(t, d, running.ID, "completed", completed)
	if r.Outcome != Cancelled || r.Failure.Reason != ReasonCancelled || r.Counts["processed"] != 1 {
		t.Errorf("cancel running: outcome %s, failure %+v, counts %v", r.Outcome, r.Failure, r.Counts)
	}
}

func TestCancelReachesARunOwnedByAnotherProcess(t *testing.T) {
	d := world(t)
	g, gateType := newGate("gate")
	cli := newEngine(t, d, gateType)    // plays the process running `atlas sync`
	server := newEngine(t, d, gateType) // plays the server where someone presses Cancel
	done := make(chan *Run, 1)
	go func() {
		r, _, err := cli.Execute(context.Background(), StartRequest{WorkspaceID: 1, EnvironmentID: 1, Type: "gate"})
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	<-g.started
	var id int64
	d.Read.QueryRow(`SELECT id FROM operation_runs`).Scan(&id)
	if _, err := server.Cancel(context.Background(), 1, id, 1); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.Outcome != Cancelled {
		t.Errorf("outcome %s, want cancelled", r.Outcome)
	}
}

func TestRetryReferencesTheOldRun(t *testing.T) {
	d := world(t)
	e := newEngine(t, d, DemoCount)
	ctx := context.Background()
	old, _, err := e.Execute(ctx, StartRequest{WorkspaceID: 1, EnvironmentID: 2, Type: "demo.count",
		Context: map[string]any{"count": 2, "delay_ms": 0, "fail_every": 1}})
	if err != nil || old.Outcome != Failed {
		t.Fatalf("first run: %v, %v", err, old.Outcome)
	}
	retry, active, err := e.Retry(ctx, 1, old.ID, 1, "")
	if err != nil || active {
		t.Fatalf("retry: %v, alreadyActive %v", err, active)
	}
	var c map[string]any
	retry.DecodeContext(&c)
	if retry.RetryOf != old.ID || c["retry_of"] != float64(old.ID) || c["count"] != float64(2) || retry.EnvironmentID != 2 || retry.Status != Queued {
		t.Errorf("retry run %+v, context %v", retry, c)
	}
	if _, _, err := e.Retry(ctx, 1, retry.ID, 1, ""); web.Classify(err).Code != web.Conflict {
		t.Errorf("retry of an active run: %v", err)
	}
	by, err := RetriedBy(ctx, d.Read, 1, old.ID)
	if err != nil || len(by) != 1 || by[0].ID != retry.ID {
		t.Errorf("retried by: %v, %v", by, err)
	}
}

func TestPanicFailsTheRunNotTheWorker(t *testing.T) {
	d := world(t)
	boom := Type{Name: "boom", Label: "Boom", Handler: func(ctx context.Context, run *Run, p *Progress) error {
		p.Succeeded(1)
		panic("unexpected export layout")
	}}
	e := newEngine(t, d, boom, DemoCount)
	e.Workers = 1
	serve(t, e)
	ctx := context.Background()
	run, _, _ := e.Start(ctx, StartRequest{WorkspaceID: 1, EnvironmentID: 1, Type: "boom"})
	r := waitFor(t, d, run.ID, "completed", completed)
	if r.Outcome != Failed || r.Failure.Reason != ReasonPanic || r.Failure.Message != "The operation crashed: unexpected export layout" || r.Counts["succeeded"] != 1 {
		t.Errorf("outcome %s, failure %+v, counts %v", r.Outcome, r.Failure, r.Counts)
	}
	// The single worker survived and takes the next run.
	next, _, _ := e.Start(ctx, StartRequest{WorkspaceID: 1, EnvironmentID: 1, Type: "demo.count", Context: map[string]any{"count": 3, "delay_ms": 0}})
	if r := waitFor(t, d, next.ID, "completed", completed); r.Outcome != Succeeded {
		t.Errorf("next run: %s", r.Outcome)
	}
}

func TestHandlerErrorFailsWithItsMessage(t *testing.T) {
	d := world(t)
	e := newEngine(t, d, Type{Name: "bad", Label: "Bad", Handler: func(ctx context.Context, run *Run, p *Progress) error {
		return errors.New("export folder C:\\exports is gone")
	}})
	r, _, err := e.Execute(context.Background(), StartRequest{WorkspaceID: 1, Type: "bad"})
	if err != nil || r.Outcome != Failed || r.Failure.Reason != ReasonError || r.Failure.Message != `export folder C:\exports is gone` || r.EnvironmentID != 0 {
		t.Errorf("%v: %+v %+v", err, r, r.Failure)
	}
}

func TestRecoverInterruptsOnlyRunsOfDeadProcesses(t *testing.T) {
	d := world(t)
	g, gateType := newGate("gate")
	live := newEngine(t, d, gateType)
	go live.Execute(context.Background(), StartRequest{WorkspaceID: 1, EnvironmentID: 1, Type: "gate"})
	<-g.started

	// A process that died: its lock is gone and its run still says running.
	dead := newEngine(t, d, gateType)
	deadRun, _, _ := dead.Start(context.Background(), StartRequest{WorkspaceID: 1, EnvironmentID: 2, Type: "gate"})
	dead.claim(context.Background())
	dead.Close()
	queued, _, _ := dead.Start(context.Background(), StartRequest{WorkspaceID: 1, Type: "gate"})

	recoverer := newEngine(t, d, gateType)
	n, err := recoverer.Recover(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("recovered %d, %v; want 1", n, err)
	}
	r, _ := Get(context.Background(), d.Read, 1, deadRun.ID)
	if r.Outcome != Failed || r.Failure.Reason != ReasonInterrupted || r.Failure.LastSeenAt == "" || !strings.Contains(r.Failure.Message, "stopped before it finished") {
		t.Errorf("dead process's run: %s %+v", r.Outcome, r.Failure)
	}
	var running, stillQueued int
	d.Read.QueryRow(`SELECT count(*) FROM operation_runs WHERE status = 'running'`).Scan(&running)
	d.Read.QueryRow(`SELECT count(*) FROM operation_runs WHERE status = 'queued' AND id = ?`, queued.ID).Scan(&stillQueued)
	if running != 1 || stillQueued != 1 {
		t.Errorf("running %d (the live process's), queued %d; want 1 and 1", running, stillQueued)
	}
	close(g.step) // let the live run finish
}

func TestShutdownInterruptsWorkPastTheDeadline(t *testing.T) {
	d := world(t)
	g, gateType := newGate("gate")
	e := newEngine(t, d, gateType)
	e.Grace = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	run, _, _ := e.Start(context.Background(), StartRequest{WorkspaceID: 1, EnvironmentID: 1, Type: "gate"})
	<-g.started
	queued, _, _ := e.Start(context.Background(), StartRequest{WorkspaceID: 1, EnvironmentID: 2, Type: "gate"})
	_ = queued
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	r, _ := Get(context.Background(), d.Read, 1, run.ID)
	if r.Outcome != Failed || r.Failure.Reason != ReasonInterrupted || r.Failure.LastSeenAt == "" || r.Failure.Message != shutdownMessage {
		t.Errorf("running run after shutdown: %s %s %+v", r.Status, r.Outcome, r.Failure)
	}
}

func TestUnknownTypeFailsClearly(t *testing.T) {
	d := world(t)
	e := newEngine(t, d)
	d.Write.Exec(`INSERT INTO operation_runs (workspace_id, type, created_at) VALUES (1, 'from.the.future', ?)`, db.Now())
	serve(t, e)
	r := waitFor(t, d, 1, "completed", completed)
	if r.Outcome != Failed || r.Failure.Reason != ReasonUnknownType {
		t.Errorf("%s %+v", r.Outcome, r.Failure)
	}
}

// Ctrl-C in the command line cancels Execute's context: the run ends interrupted, not running.
func TestExecuteInterruptedByItsCaller(t *testing.T) {
	d := world(t)
	g, gateType := newGate("gate")
	e := newEngine(t, d, gateType)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-g.started; cancel() }()
	r, _, err := e.Execute(ctx, StartRequest{WorkspaceID: 1, EnvironmentID: 1, Type: "gate"})
	if err != nil || r.Status != Completed || r.Outcome != Failed || r.Failure.Reason != ReasonInterrupted || r.Failure.Message != shutdownMessage {
		t.Errorf("%v: %s %s %+v", err, r.Status, r.Outcome, r.Failure)
	}
}

func TestWarningsLeaveARunSucceeded(t *testing.T) {
	d := world(t)
	e := newEngine(t, d, Type{Name: "warn", Label: "Warn", Handler: func(ctx context.Context, run *Run, p *Progress) error {
		p.Succeeded(2)
		p.Warn("a.json", "duplicate of b.json")
		return nil
	}})
	run, _, err := e.Execute(context.Background(), StartRequest{WorkspaceID: 1, EnvironmentID: 1, Type: "warn"})
	if err != nil {
		t.Fatal(err)
	}
	if run.Outcome != Succeeded || run.Counts["failed"] != 0 || run.Failure == nil || run.Failure.Reason != ReasonWarnings ||
		len(run.Failure.Items) != 1 || run.Failure.Items[0] != (ItemError{Item: "a.json", Reason: "duplicate of b.json", Warning: true}) {
		t.Errorf("outcome %s counts %v failure %+v", run.Outcome, run.Counts, run.Failure)
	}
}

func TestLabelOfUnregisteredTypesIsReadable(t *testing.T) {
	e := newEngine(t, dbtest.Open(t), DemoCount)
	for name, want := range map[string]string{"demo.count": DemoCount.Label, "drift.compare": "Drift compare", "backup.create": "Backup create", "restore_apply": "Restore apply"} {
		if got := e.Label(name); got != want {
			t.Errorf("Label(%q) = %q, want %q", name, got, want)
		}
	}
}
