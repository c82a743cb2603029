package demo

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing/fstest"
	"time"

	"atlas/app/db"
	"atlas/app/inventory"
	"atlas/app/operation"
)

// run is one operation_runs row of the demo's history (issue 3's fields),
// written directly: the engine runs work now, it cannot date a run in the past.
type run struct {
	workspaceID, environmentID int64
	typ                        string
	outcome                    string
	created                    time.Time
	started                    time.Time // zero: cancelled while still queued
	completed                  time.Time
	context                    obj
	counts                     operation.Counts
	failure                    *operation.FailureSummary
	initiator                  *actor  // nil: the schedule started it
	seed                       uint64  // draws its details once its outcome is final
	of                         *tenant // a routine's run, finished (details drawn) just before it is written
	executed                   bool    // run by the real operation at its place in the timeline: written already
}

// itemsFailed is the failure summary the engine writes when items failed.
func itemsFailed(items []operation.ItemError, processed int) *operation.FailureSummary {
	return &operation.FailureSummary{Reason: operation.ReasonItemsFailed,
		Message: fmt.Sprintf("%d of %d items failed.", len(items), processed), Items: items}
}

func runError(message string) *operation.FailureSummary {
	return &operation.FailureSummary{Reason: operation.ReasonError, Message: message}
}

// tally is summary_counts as the engine keeps them (total, processed,
// succeeded, failed, skipped) plus a type's own counters.
func tally(total, succeeded, failed, skipped int, own operation.Counts) operation.Counts {
	c := operation.Counts{"total": total, "processed": succeeded + failed + skipped, "succeeded": succeeded, "failed": failed, "skipped": skipped}
	maps.Copy(c, own)
	return c
}

// actor is someone who starts runs: the local owner or a demo user.
type actor struct {
	id      int64
	name    string
	restore bool // may run a restore (owner, manager)
}

// Outcomes every run type must show, in the order the fix-up assigns them.
var outcomes = []string{"succeeded", "partial", "failed", "cancelled"}

// pickOutcome: most runs succeed, a few do not.
func pickOutcome(r *rand.Rand) string {
	switch n := r.IntN(100); {
	case n < 84:
		return "succeeded"
	case n < 92:
		return "partial"
	case n < 97:
		return "failed"
	}
	return "cancelled"
}

// routine is an operation that runs on a cadence in every environment: by
// schedule at night, or started by a person in office hours.
type routine struct {
	typ     string
	every   int // days between runs
	manual  bool
	restore bool // only people who may restore start it
	seconds [2]int
	finish  func(t *tenant, r *run, rnd *rand.Rand)
	// real: its succeeded runs are executed by the real operation between the
	// environment's syncs (see loadEnvironment); only its other outcomes are
	// written as history, limited to those the operation can end with.
	real     bool
	outcomes []string // nil: every outcome
}

// routines are the run types planned on a cadence besides inventory syncs,
// baseline captures and drift compares (which are real, see Load and drift.go):
// their succeeded runs are executed for real between the syncs they fall
// between; their other outcomes are history rows.
var routines = []routine{
	// A backup is taken whole or not at all: it never ends partial.
	{typ: "backup.create", every: 7, seconds: [2]int{40, 200}, finish: finishBackup, real: true, outcomes: []string{"succeeded", "failed", "cancelled"}},
	{typ: "restore.apply", every: 30, manual: true, restore: true, seconds: [2]int{60, 360}, finish: finishRestore, real: true},
}

func routineOf(typ string) routine {
	return routines[slices.IndexFunc(routines, func(rt routine) bool { return rt.typ == typ })]
}

// history plans the tenant's runs of every routine over the 90 days before
// anchor: times, initiator and a first outcome.
func (t *tenant) history(anchor time.Time, rnd *rand.Rand, actors []*actor) []*run {
	start := anchor.Add(-89 * 24 * time.Hour).Truncate(24 * time.Hour)
	var list []*run
	for _, rt := range routines {
		for day := rnd.IntN(rt.every); day < 90; day += rt.every {
			at := start.AddDate(0, 0, day).Add(time.Duration(1+rnd.IntN(4))*time.Hour + time.Duration(rnd.IntN(60))*time.Minute)
			r := &run{typ: rt.typ, outcome: pickOutcome(rnd), seed: rnd.Uint64(), of: t}
			if rt.outcomes != nil && !slices.Contains(rt.outcomes, r.outcome) {
				r.outcome = "succeeded"
			}
			if rt.manual || rnd.IntN(8) == 0 {
				at = at.Add(7 * time.Hour) // office hours
				r.initiator = pickActor(rnd, actors, rt.restore)
			}
			if at.After(anchor.Add(-10 * time.Minute)) {
				continue
			}
			r.created = at
			list = append(list, r)
		}
	}
	return list
}

func pickActor(rnd *rand.Rand, actors []*actor, restore bool) *actor {
	var can []*actor
	for _, a := range actors {
		if a.restore || !restore {
			can = append(can, a)
		}
	}
	return can[rnd.IntN(len(can))]
}

// coverOutcomes makes sure every run type shows every outcome it can end with:
// for each one missing, a run of the type (spread over the 90 days) that was
// not executed takes it, a succeeded one or one whose outcome others share.
func coverOutcomes(list []*run) {
	byType := map[string][]*run{}
	for _, r := range list {
		byType[r.typ] = append(byType[r.typ], r)
	}
	for _, rt := range routines {
		runs := byType[rt.typ]
		count := map[string]int{}
		for _, r := range runs {
			count[r.outcome]++
		}
		for k, o := range outcomes {
			if count[o] > 0 || (rt.outcomes != nil && !slices.Contains(rt.outcomes, o)) {
				continue
			}
			start := (k + 1) * len(runs) / 5
			for j := range runs {
				if r := runs[(start+j)%len(runs)]; !r.executed && (r.outcome == "succeeded" || count[r.outcome] > 1) {
					count[r.outcome]--
					r.outcome = o
					count[o]++
					break
				}
			}
		}
	}
}

// finish draws a planned run's timeline, counts and failures for its outcome.
func (t *tenant) finish(r *run) {
	rnd := rand.New(rand.NewPCG(r.seed, 0))
	rt := routineOf(r.typ)
	r.context = obj{"trigger": "schedule"}
	if r.initiator != nil {
		r.context["trigger"] = "manual"
	}
	seconds := rt.seconds[0] + rnd.IntN(rt.seconds[1]-rt.seconds[0]+1)
	switch r.outcome {
	case "failed":
		seconds = 1 + rnd.IntN(8)
	case "cancelled":
		seconds = max(1, seconds*(1+rnd.IntN(3))/4)
	}
	r.started = r.created.Add(time.Duration(1+rnd.IntN(4)) * time.Second)
	r.completed = r.started.Add(time.Duration(seconds)*time.Second + time.Duration(rnd.IntN(1000))*time.Millisecond)
	if r.outcome == "cancelled" && rnd.IntN(3) == 0 {
		// Cancelled before a worker picked it up: never started.
		r.started = time.Time{}
		r.completed = r.created.Add(time.Duration(2+rnd.IntN(15)) * time.Minute)
	}
	rt.finish(t, r, rnd)
	switch {
	case r.outcome == "cancelled" && r.started.IsZero():
		r.failure = &operation.FailureSummary{Reason: operation.ReasonCancelled, Message: "Cancelled before it started."}
	case r.outcome == "cancelled":
		r.failure = &operation.FailureSummary{Reason: operation.ReasonCancelled, Message: "Cancelled while running."}
	case r.outcome == "failed" && rnd.IntN(4) == 0:
		// The laptop went to sleep, or Atlas was killed, mid-run.
		r.failure = &operation.FailureSummary{Reason: operation.ReasonInterrupted, LastSeenAt: db.Format(r.completed),
			Message: fmt.Sprintf("The Atlas process running it (pid %d) stopped before it finished.", 1000+rnd.IntN(60000))}
	}
}

// names are the tenant's policies at its last sync, for per-item errors.
func (t *tenant) names() []string {
	var list []string
	for k := range policies {
		if t.holds(&policies[k], syncs-1) {
			list = append(list, policies[k].name)
		}
	}
	return list
}

// errorsAbout lists n per-item errors about distinct policies.
func (t *tenant) errorsAbout(rnd *rand.Rand, n int, reasons ...string) []operation.ItemError {
	names := t.names()
	list := make([]operation.ItemError, 0, min(n, len(names)))
	for _, i := range rnd.Perm(len(names))[:min(n, len(names))] {
		list = append(list, operation.ItemError{Item: names[i], Reason: reasons[rnd.IntN(len(reasons))]})
	}
	return list
}

// done is how many of n items a run handled before it stopped.
func done(rnd *rand.Rand, r *run, n int) int {
	switch r.outcome {
	case "failed":
		return 0
	case "cancelled":
		if r.started.IsZero() {
			return 0
		}
		return rnd.IntN(n)
	}
	return n
}

func (t *tenant) backupName(at time.Time) string {
	sunday := at.AddDate(0, 0, -int(at.Weekday()))
	return "Weekly backup " + sunday.Format("2006-01-02")
}

// finishBackup details a backup that did not succeed (succeeded ones are real).
func finishBackup(t *tenant, r *run, rnd *rand.Rand) {
	r.context["name"] = t.backupName(r.created)
	switch {
	case r.outcome == "failed" && r.created.Before(t.syncAt[0]):
		r.failure = runError("nothing to back up: the environment has no policy yet (sync it first)")
	case r.outcome == "failed":
		r.failure = runError("The data folder is full: database or disk is full.")
	}
	r.counts = tally(0, 0, 0, 0, nil)
}

// finishRestore details a restore that did not succeed (succeeded ones are real).
func finishRestore(t *tenant, r *run, rnd *rand.Rand) {
	selected := 1 + rnd.IntN(6)
	r.context["backup"] = t.backupName(r.created.AddDate(0, 0, -7))
	r.context["layout"] = "intunemanagement"
	restored := done(rnd, r, selected)
	var failed []operation.ItemError
	switch r.outcome {
	case "partial":
		failed = t.errorsAbout(rnd, 1, "open restores/"+t.site.slug+": no space left on device")
		restored = max(0, restored-1)
		r.failure = itemsFailed(failed, selected)
	case "failed":
		r.failure = runError("The data folder is full: database or disk is full.")
	}
	r.counts = tally(selected, restored, len(failed), 0, nil)
}

// incident is something that goes wrong around one sync of one environment.
type incident struct {
	customer, site string
	sync           int
	kind           incidentKind
}

type incidentKind int

const (
	brokenFile    incidentKind = iota // a file cut short mid-export: the sync ends partial and marks nothing removed
	olderCopy                         // an older copy of a policy beside the current one: a warning, the newer is kept
	exportMissing                     // a day later the export folder was gone: that sync fails
	cancelledSync                     // a day later a person cancels a sync they started
)

var incidents = []incident{
	{"fabrikam", "pilot", 7, brokenFile},
	{"northwind", "test", 12, brokenFile},
	{"contoso", "prod", 9, olderCopy},
	{"northwind", "prod", 4, exportMissing},
	{"fabrikam", "prod", 12, exportMissing},
	{"contoso", "pilot", 10, cancelledSync},
}

// apply adds the incident's files to the export of sync i, or returns the runs
// it adds to the history (without workspace, environment and context), in the
// shapes the engine gives such runs.
func (inc incident) apply(t *tenant, i int, fsys fstest.MapFS, actors []*actor) []*run {
	at := t.syncAt[i].Add(26 * time.Hour)
	switch inc.kind {
	case brokenFile:
		fsys["DeviceConfiguration/Win - Kiosk - Edge.json"] = &fstest.MapFile{Mode: 0o600, ModTime: t.syncAt[i],
			Data: []byte(`{"@odata.type": "#microsoft.graph.windows10GeneralConfiguration", "displayName": "Win - Kiosk - Edge", "edgeKioskMode`)}
	case olderCopy:
		p := &policies[slices.IndexFunc(policies, func(p policy) bool { return p.key == "bitlocker" })]
		s, _ := t.version(p, 0)
		older := t.changedAt(0).Add(-24 * time.Hour)
		fsys[strings.TrimSuffix(t.filePath(p), ".json")+" (1).json"] = file(t.document(p, s, older, older), older)
	case exportMissing:
		return []*run{{typ: inventory.OperationType, outcome: "failed", created: at, started: at.Add(2 * time.Second),
			completed: at.Add(3 * time.Second), counts: operation.Counts{"total": len(fsys)},
			failure: runError("the export folder cannot be read: connect the environment's export source again")}}
	case cancelledSync:
		return []*run{{typ: inventory.OperationType, outcome: "cancelled", created: at, started: at.Add(2 * time.Second),
			completed: at.Add(9 * time.Second), initiator: actors[len(actors)-1],
			counts: operation.Counts{"total": len(fsys), "files": 12, "seen": 12, "processed": 12, "unchanged": 12,
				"created": 0, "changed": 0, "removed": 0, "skipped": 0, "failed": 0},
			failure: &operation.FailureSummary{Reason: operation.ReasonCancelled, Message: "Cancelled while running."}}}
	}
	return nil
}
