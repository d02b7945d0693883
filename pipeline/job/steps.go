package job

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/winnow-data/winnow/pipeline"
	"github.com/winnow-data/winnow/pipeline/output"
)

// Step names other than observe-<stage> and prepare-<stage>.
const (
	StepWrite = "write"
	StepMerge = "merge"
)

// Step is one step of a run split over the tasks of a cluster job. Every
// task of a step can run once every task of the step before has finished.
//
// A pipeline whose stages need the whole corpus (the Preparers: the
// de-duplication stages, a corpus-built reference) runs as, for each such
// stage in pipeline order, observe-<stage> (Tasks tasks, each over its
// share of the input files; the earlier stages apply as usual) and
// prepare-<stage> (one task merging what every task observed), then write
// (Tasks tasks, each writing the shards of its share) and merge (one task
// combining the tasks' accounting into OUT/stats.json). Each task leaves
// a completion marker under OUT/_tasks/<step>/, and a task whose marker
// exists is not run again, so a rerun redoes only what is missing.
// Steps exchange files under OUT/_work/<stage>/.
type Step struct {
	Name  string `json:"name"`
	Stage string `json:"stage,omitempty"` // the stage an observe or prepare step serves
	Tasks int    `json:"tasks"`
}

// Plan returns the steps of the run c describes, in order.
func (c Config) Plan() ([]Step, error) {
	stages, err := c.BuildStages()
	if err != nil {
		return nil, err
	}
	defer closeStages(stages)
	return planOf(stages, c.Tasks)
}

// planOf is the plan of a built pipeline split over tasks.
func planOf(stages []pipeline.Stage, tasks int) ([]Step, error) {
	tasks = max(tasks, 1)
	var steps []Step
	for _, st := range stages {
		if _, ok := st.(pipeline.Preparer); !ok {
			continue
		}
		if _, ok := st.(pipeline.Exchanger); !ok {
			return nil, usageErr("stage %s needs the whole corpus but cannot be split over tasks", st.Name())
		}
		steps = append(steps,
			Step{Name: "observe-" + st.Name(), Stage: st.Name(), Tasks: tasks},
			Step{Name: "prepare-" + st.Name(), Stage: st.Name(), Tasks: 1})
	}
	return append(steps, Step{Name: StepWrite, Tasks: tasks}, Step{Name: StepMerge, Tasks: 1}), nil
}

func closeStages(stages []pipeline.Stage) {
	for _, st := range stages {
		if c, ok := st.(pipeline.Closer); ok {
			_ = c.Close()
		}
	}
}

// StepResult is what one task of a step did.
type StepResult struct {
	// Stats accounts for the documents the task read (for write, the
	// task's share of the run's accounting; for merge, the whole run's).
	Stats *pipeline.Stats
	// Skipped says the task had finished in an earlier run (its marker
	// exists) and was not run again; Stats is then the recorded one.
	Skipped bool
}

// Where the steps keep their files, relative to the output.
func markerName(step string, task int) string {
	return fmt.Sprintf("_tasks/%s/%05d.done", step, task)
}

func observedName(stage string, task int) string {
	return fmt.Sprintf("_work/%s/observed-%05d.bin", stage, task)
}

func preparedName(stage string) string { return fmt.Sprintf("_work/%s/prepared.bin", stage) }

// RunStep runs task c.Task of the named step (see Step). Prepare and
// merge steps have one task, 0. A task whose completion marker exists is
// skipped. Damaged inputs do not fail a task (a scheduler would cancel
// the steps after it); they are listed in its stats, and merge reports
// them for the whole run.
func RunStep(ctx context.Context, c Config, step string, ro RunOptions) (*StepResult, error) {
	if err := c.validateStep(step); err != nil {
		return nil, err
	}
	// The stages' work files go to a scratch directory of this task's,
	// emptied first: a crashed earlier run of the task left it.
	c.scratch, c.runID = scratchPath(c, step), newRunID()
	if err := resetScratch(c.scratch); err != nil {
		return nil, err
	}
	defer os.RemoveAll(c.scratch)
	// Built once: the plan, the state each step loads and the pass all
	// use these stages. The write step hands them to the engine, which
	// closes them; otherwise they are closed here.
	stages, err := c.BuildStages()
	if err != nil {
		return nil, err
	}
	handed := false
	defer func() {
		if !handed {
			closeStages(stages)
		}
	}()
	plan, err := planOf(stages, c.Tasks)
	if err != nil {
		return nil, err
	}
	var s Step
	for _, p := range plan {
		if p.Name == step {
			s = p
		}
	}
	if s.Name == "" {
		names := make([]string, len(plan))
		for i, p := range plan {
			names[i] = p.Name
		}
		return nil, usageErr("unknown step %q (this run's steps: %s)", step, strings.Join(names, ", "))
	}
	if c.Task >= s.Tasks {
		return nil, usageErr("step %s has %d task(s); --task %d is outside it", step, s.Tasks, c.Task)
	}
	out, err := openOutput(ctx, c.Output.Dir)
	if err != nil {
		return nil, err
	}
	defer out.Close()
	marker := markerName(step, c.Task)
	if rec, err := out.ReadFile(ctx, marker); err == nil {
		st, err := decodeStats(rec)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", out.Join(marker), err)
		}
		ro.logger().Info("task already done", "step", step, "task", c.Task)
		return &StepResult{Stats: st, Skipped: true}, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var (
		stats *pipeline.Stats
		sink  *output.Writer
	)
	switch {
	case strings.HasPrefix(step, "observe-"):
		at := indexOf(stages, s.Stage)
		if err = loadPrepared(ctx, out, stages[:at]); err == nil {
			stats, err = c.observe(ctx, out, stages, at, ro)
		}
	case strings.HasPrefix(step, "prepare-"):
		stats, err = c.prepare(ctx, out, stages[indexOf(stages, s.Stage)].(pipeline.Exchanger))
	case step == StepWrite:
		if err = cleanTaskTemps(ctx, out, c.Output.Dir, c.Task); err != nil {
			break
		}
		if err = loadPrepared(ctx, out, stages); err == nil {
			handed = true
			stats, sink, err = c.write(ctx, stages, &out, ro)
			c.describe(stats)
		}
	case step == StepMerge:
		stats, err = MergeStatsTo(ctx, c.Output.Dir, c.Tasks)
	}
	if err != nil {
		return &StepResult{Stats: stats}, fmt.Errorf("step %s, task %d: %w", step, c.Task, err)
	}
	rec := encodeStats(stats)
	if step == StepWrite {
		rec = encodeMarker(stats, c.Tasks)
	}
	if err := out.WriteFile(ctx, marker, rec); err != nil {
		// The marker commits the task: without it, no shard of it stays.
		if sink != nil {
			sink.Abort()
		}
		return &StepResult{Stats: stats}, fmt.Errorf("step %s, task %d: marker: %w", step, c.Task, err)
	}
	return &StepResult{Stats: stats}, nil
}

func (c Config) validateStep(step string) error {
	if step == StepMerge && len(c.Inputs) == 0 {
		c.Inputs = []string{"-"} // merge reads no input
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if step == "" {
		return usageErr("no step given")
	}
	return nil
}

// loadPrepared loads the state the prepare steps saved into the
// Exchangers among stages (planOf has refused other Preparers).
func loadPrepared(ctx context.Context, out outputDir, stages []pipeline.Stage) error {
	for _, st := range stages {
		ex, ok := st.(pipeline.Exchanger)
		if !ok {
			continue
		}
		if err := loadInto(ctx, out, preparedName(st.Name()), ex.LoadPrepared); err != nil {
			return fmt.Errorf("stage %s: prepared state (run prepare-%s first): %w", st.Name(), st.Name(), err)
		}
	}
	return nil
}

func indexOf(stages []pipeline.Stage, name string) int {
	for i, st := range stages {
		if st.Name() == name {
			return i
		}
	}
	return -1
}

// head is the index of the first Preparer: the stages before it run in
// the first observe step only, which spills what they made of each
// document to _work/spill/<task> for the later steps to replay.
func head(stages []pipeline.Stage) int {
	for i, st := range stages {
		if _, ok := st.(pipeline.Preparer); ok {
			return i
		}
	}
	return 0
}

func spillName(task int) string { return fmt.Sprintf("_work/spill/%05d.s2", task) }

// firstStep is the step whose markers hold the first pass's accounting.
func firstStep(stages []pipeline.Stage) string {
	return "observe-" + stages[head(stages)].Name()
}

// observe is one task of observe-<stage>, the stage at index at; the
// stages before it hold their prepared state.
func (c Config) observe(ctx context.Context, out outputDir, stages []pipeline.Stage, at int, ro RunOptions) (*pipeline.Stats, error) {
	ex := stages[at].(pipeline.Exchanger)
	h := head(stages)
	opts := c.engineOptions(ro)
	opts.Prepared = true
	var (
		sources []pipeline.Source
		err     error
	)
	if h == 0 || at == h {
		// The first pass over the input (or every pass, when no stage
		// comes before the first Preparer).
		var indexes []int
		var total int64
		if sources, indexes, total, err = c.sources(ctx); err != nil {
			return nil, err
		}
		opts.Stages, opts.FileIndexes = stages[:at], indexes
		opts.Progress = ro.progress(total)
	}
	switch {
	case h == 0:
	case at == h:
		w, err := out.Create(ctx, spillName(c.Task))
		if err != nil {
			return nil, fmt.Errorf("spill: %w", err)
		}
		defer w.Abort() // after Close, a no-op
		opts.Spill = w
		stats, err := pipeline.Observe(ctx, sources, ex, opts)
		if err == nil {
			err = w.Close()
		}
		if err != nil {
			return stats, err
		}
		return stats, c.saveObserved(ctx, out, ex)
	default:
		r, err := out.NewReader(ctx, spillName(c.Task))
		if err != nil {
			return nil, fmt.Errorf("the first pass's spill (run %s first): %w", firstStep(stages), err)
		}
		defer r.Close()
		opts.Stages, opts.Replay = stages[h:at], r
	}
	stats, err := pipeline.Observe(ctx, sources, ex, opts)
	if err != nil {
		return stats, err
	}
	return stats, c.saveObserved(ctx, out, ex)
}

func (c Config) saveObserved(ctx context.Context, out outputDir, ex pipeline.Exchanger) error {
	if err := saveFrom(ctx, out, observedName(ex.Name(), c.Task), ex.SaveObserved); err != nil {
		return fmt.Errorf("stage %s: saving observations: %w", ex.Name(), err)
	}
	return nil
}

func (ro RunOptions) progress(total int64) func(pipeline.Progress) {
	if ro.Progress == nil {
		return nil
	}
	return func(p pipeline.Progress) { ro.Progress(p, total) }
}

// writeReplayed is one task of the write step when the first observe
// step spilled: it replays the spill through the stages after the first
// Preparer and joins the accounting of both passes.
func (c Config) writeReplayed(ctx context.Context, out outputDir, stages []pipeline.Stage, sink pipeline.Sink, ro RunOptions) (*pipeline.Stats, error) {
	h := head(stages)
	fail := func(err error) (*pipeline.Stats, error) {
		closeStages(stages)
		sink.Abort()
		return nil, err
	}
	rec, err := out.ReadFile(ctx, markerName(firstStep(stages), c.Task))
	if err != nil {
		return fail(fmt.Errorf("the first pass's accounting (run %s first): %w", firstStep(stages), err))
	}
	first, err := decodeStats(rec)
	if err != nil {
		return fail(err)
	}
	r, err := out.NewReader(ctx, spillName(c.Task))
	if err != nil {
		return fail(fmt.Errorf("the first pass's spill (run %s first): %w", firstStep(stages), err))
	}
	defer r.Close()
	opts := c.engineOptions(ro)
	opts.Stages, opts.Prepared, opts.Replay = stages[h:], true, r
	last, err := pipeline.Run(ctx, nil, sink, opts)
	// Run closed the stages after the head; close those before it.
	closeStages(stages[:h])
	if err != nil {
		return last, err
	}
	stats := pipeline.JoinStats(first, last)
	return stats, stats.Check()
}

// prepare is the one task of prepare-<stage>.
func (c Config) prepare(ctx context.Context, out outputDir, ex pipeline.Exchanger) (*pipeline.Stats, error) {
	stage := ex.Name()
	for t := range max(c.Tasks, 1) {
		if err := loadInto(ctx, out, observedName(stage, t), ex.LoadObserved); err != nil {
			return nil, fmt.Errorf("stage %s: observations of task %d (run observe-%s first): %w", stage, t, stage, err)
		}
	}
	if err := ex.Prepared(ctx); err != nil {
		return nil, fmt.Errorf("stage %s: %w", stage, err)
	}
	if err := saveFrom(ctx, out, preparedName(stage), ex.SavePrepared); err != nil {
		return nil, fmt.Errorf("stage %s: saving prepared state: %w", stage, err)
	}
	return &pipeline.Stats{}, nil
}

// MergeStats combines the accounting of the write tasks 0..tasks-1 under
// out (their completion markers) into the whole run's; every task must
// have finished.
func MergeStats(ctx context.Context, outDir string, tasks int) (*pipeline.Stats, error) {
	out, err := openOutput(ctx, outDir)
	if err != nil {
		return nil, err
	}
	defer out.Close()
	if tasks < 1 {
		// The run's task count, as its write tasks recorded it; markers
		// written before they did so tell only their own index.
		names, err := out.ListNames(ctx, "_tasks/"+StepWrite+"/")
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			if t, ok := strings.CutSuffix(n[strings.LastIndexByte(n, '/')+1:], ".done"); ok {
				if i, err := strconv.Atoi(t); err == nil {
					tasks = max(tasks, i+1)
					if rec, err := out.ReadFile(ctx, n); err == nil {
						tasks = max(tasks, markerTasks(rec))
					}
				}
			}
		}
		if tasks == 0 {
			return nil, usageErr("%s: no finished write task to merge (no _tasks/%s/*.done)", outDir, StepWrite)
		}
	}
	var total pipeline.Stats
	var missing []int
	for t := range tasks {
		rec, err := out.ReadFile(ctx, markerName(StepWrite, t))
		if errors.Is(err, fs.ErrNotExist) {
			missing = append(missing, t)
			continue
		}
		if err != nil {
			return nil, err
		}
		st, err := decodeStats(rec)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", out.Join(markerName(StepWrite, t)), err)
		}
		if n := markerTasks(rec); n != 0 && n != tasks {
			return nil, fmt.Errorf("%s: task %d was one of %d, not of %d", outDir, t, n, tasks)
		}
		if err := total.Merge(st); err != nil {
			return nil, fmt.Errorf("task %d: %w", t, err)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: write task(s) %v of %d not finished", outDir, missing, tasks)
	}
	if err := total.Check(); err != nil {
		return &total, err
	}
	return &total, nil
}

// MergeStatsTo merges like MergeStats and writes the result to
// OUT/stats.json.
func MergeStatsTo(ctx context.Context, outDir string, tasks int) (*pipeline.Stats, error) {
	stats, err := MergeStats(ctx, outDir, tasks)
	if err != nil {
		return stats, err
	}
	return stats, writeStats(ctx, outDir, stats)
}

// writeStats writes OUT/stats.json.
func writeStats(ctx context.Context, outDir string, stats *pipeline.Stats) error {
	out, err := openOutput(ctx, outDir)
	if err != nil {
		return err
	}
	defer out.Close()
	if err := out.WriteFile(ctx, "stats.json", encodeStats(stats)); err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	return nil
}

// encodeMarker is a write task's completion marker: its accounting and
// the run's task count, by which a merge names the tasks that have not
// finished, the last ones included.
func encodeMarker(s *pipeline.Stats, tasks int) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	_ = enc.Encode(struct {
		*pipeline.Stats
		RunTasks int `json:"run_tasks"`
	}{s, tasks}) // writing to memory cannot fail
	return buf.Bytes()
}

// markerTasks returns the run's task count a write marker records; 0 if
// it records none.
func markerTasks(b []byte) int {
	var m struct {
		RunTasks int `json:"run_tasks"`
	}
	_ = json.Unmarshal(b, &m)
	return max(m.RunTasks, 0)
}

func decodeStats(b []byte) (*pipeline.Stats, error) {
	var s pipeline.Stats
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	return &s, nil
}

func encodeStats(s *pipeline.Stats) []byte {
	var buf bytes.Buffer
	if s == nil {
		s = &pipeline.Stats{}
	}
	_ = s.WriteJSON(&buf) // writing to memory cannot fail
	return buf.Bytes()
}

// loadInto streams a file of out into load.
func loadInto(ctx context.Context, out outputDir, name string, load func(io.Reader) error) error {
	r, err := out.NewReader(ctx, name)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := load(bufio.NewReaderSize(r, 1<<20)); err != nil {
		return fmt.Errorf("%s: %w", out.Join(name), err)
	}
	return nil
}

// saveFrom writes a file of out from save; the file appears only when
// complete.
func saveFrom(ctx context.Context, out outputDir, name string, save func(io.Writer) error) error {
	w, err := out.Create(ctx, name)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	if err := save(bw); err != nil {
		w.Abort()
		return err
	}
	if err := bw.Flush(); err != nil {
		w.Abort()
		return err
	}
	return w.Close()
}

func (ro RunOptions) logger() *slog.Logger {
	if ro.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return ro.Logger
}

// TaskRef names one task of one step.
type TaskRef struct {
	Step string `json:"step"`
	Task int    `json:"task"`
}

// Unfinished lists the tasks of plan whose completion markers are missing
// under c's output, in plan order: what a rerun would still do.
func (c Config) Unfinished(ctx context.Context, plan []Step) ([]TaskRef, error) {
	out, err := openOutput(ctx, c.Output.Dir)
	if err != nil {
		return nil, err
	}
	defer out.Close()
	names, err := out.ListNames(ctx, "_tasks/")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	done := make(map[string]bool, len(names))
	for _, n := range names {
		done[n] = true
	}
	var missing []TaskRef
	for _, s := range plan {
		for t := range s.Tasks {
			if !done[markerName(s.Name, t)] {
				missing = append(missing, TaskRef{s.Name, t})
			}
		}
	}
	return missing, nil
}
