package job

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cespare/xxhash/v2"
	"github.com/klauspost/compress/zstd"

	"github.com/winnow-data/winnow/pipeline"
)

// firstSeen is a corpus-wide test stage: it keeps the first document (in
// input order) of each text and drops the others, like exact_dedup. Its
// state crosses tasks as (text hash, order) pairs.
type firstSeen struct {
	mu    sync.Mutex
	first map[uint64]uint64
}

func (s *firstSeen) Name() string { return "job_first" }

func (s *firstSeen) Observe(doc *pipeline.Document) error {
	s.add(xxhash.Sum64String(doc.Text), doc.Order())
	return nil
}

func (s *firstSeen) add(h, order uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o, ok := s.first[h]; !ok || order < o {
		s.first[h] = order
	}
}

func (s *firstSeen) Prepared(context.Context) error { return nil }

func (s *firstSeen) Process(doc *pipeline.Document) (string, error) {
	if s.first[xxhash.Sum64String(doc.Text)] != doc.Order() {
		return "duplicate", nil
	}
	return "", nil
}

func (s *firstSeen) save(w io.Writer) error {
	for _, h := range slices.Sorted(maps.Keys(s.first)) {
		if err := binary.Write(w, binary.LittleEndian, [2]uint64{h, s.first[h]}); err != nil {
			return err
		}
	}
	return nil
}

func (s *firstSeen) load(r io.Reader) error {
	for {
		var rec [2]uint64
		err := binary.Read(r, binary.LittleEndian, &rec)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		s.add(rec[0], rec[1])
	}
}

func (s *firstSeen) SaveObserved(w io.Writer) error { return s.save(w) }
func (s *firstSeen) LoadObserved(r io.Reader) error { return s.load(r) }
func (s *firstSeen) SavePrepared(w io.Writer) error { return s.save(w) }
func (s *firstSeen) LoadPrepared(r io.Reader) error { return s.load(r) }

// notSplittable needs the corpus but has no task form.
type notSplittable struct{ firstSeen }

func (s *notSplittable) Name() string { return "job_whole" }

// mark is a per-document stage that runs before job_first: it drops some
// documents and signs the rest, so the steps must carry its work from the
// first pass to the last (the spill).
type mark struct{}

func (mark) Name() string { return "job_mark" }

func (mark) Columns() []pipeline.Column { return pipeline.SignalColumns("job_mark.len") }
func (mark) Process(d *pipeline.Document) (string, error) {
	if len(d.Text)%7 == 0 {
		return "unlucky", nil
	}
	d.SetSignal("job_mark.len", float64(len(d.Text)))
	d.Lang = fmt.Sprintf("l%d", len(d.Text)%3)
	return "", nil
}

func init() {
	pipeline.Register(pipeline.Spec{Name: "job_mark", Order: 1500,
		New: func(pipeline.Params) (pipeline.Stage, error) { return mark{}, nil }})
	pipeline.Register(pipeline.Spec{Name: "job_first", Order: 2000,
		New: func(pipeline.Params) (pipeline.Stage, error) { return &firstSeen{first: map[uint64]uint64{}}, nil }})
	pipeline.Register(pipeline.Spec{Name: "job_whole", Order: 2001,
		New: func(pipeline.Params) (pipeline.Stage, error) {
			return struct {
				pipeline.Preparer
			}{&notSplittable{firstSeen{first: map[uint64]uint64{}}}}, nil
		}})
}

// keptDocs reads every kept document (id → text) of a JSONL output.
func keptDocs(t *testing.T, out string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(out, "lang=*", "*.jsonl.zst"))
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]string{}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := zstd.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(zr)
		sc.Buffer(nil, 64<<20)
		for sc.Scan() {
			var rec struct {
				ID, Text, Lang string
				JobMark        struct {
					Len *float64 `json:"len"`
				} `json:"job_mark"` // signal job_mark.len
			}
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if _, dup := docs[rec.ID]; dup {
				t.Errorf("id %s twice", rec.ID)
			}
			docs[rec.ID] = rec.Text
			if rec.JobMark.Len != nil {
				docs[rec.ID] += fmt.Sprintf(" [%s %v]", rec.Lang, *rec.JobMark.Len)
			}
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
		zr.Close()
		f.Close()
	}
	return docs
}

func stepConfig(out string, tasks int) Config {
	c := Defaults()
	c.Inputs = []string{"../../testdata/sample"}
	c.Output.Dir = out
	c.Output.Format = "jsonl"
	c.Only = []string{"job_first"}
	c.Tasks = tasks
	c.Workers = 2
	return c
}

// runSteps runs every task of every step of c's plan, in order.
func runSteps(t *testing.T, c Config) []StepResult {
	t.Helper()
	plan, err := c.Plan()
	if err != nil {
		t.Fatal(err)
	}
	var results []StepResult
	for _, s := range plan {
		for task := range s.Tasks {
			c.Task = task
			res, err := RunStep(context.Background(), c, s.Name, RunOptions{})
			if err != nil {
				t.Fatalf("step %s task %d: %v", s.Name, task, err)
			}
			results = append(results, *res)
		}
	}
	return results
}

func TestPlan(t *testing.T) {
	c := stepConfig(t.TempDir(), 3)
	plan, err := c.Plan()
	if err != nil {
		t.Fatal(err)
	}
	want := []Step{{"observe-job_first", "job_first", 3}, {"prepare-job_first", "job_first", 1}, {"write", "", 3}, {"merge", "", 1}}
	if !slices.Equal(plan, want) {
		t.Errorf("plan = %v, want %v", plan, want)
	}
	c.Only = []string{"none"}
	if plan, _ := c.Plan(); len(plan) != 2 {
		t.Errorf("a pipeline without corpus-wide stages has steps %v, want write and merge", plan)
	}
	c.Only = []string{"job_whole"}
	if _, err := c.Plan(); !errors.Is(err, ErrUsage) {
		t.Errorf("a Preparer without a task form: err = %v, want a usage error", err)
	}
}

// The same documents are kept by one process and by the steps split over
// any number of tasks, and the merged accounting is the same.
func TestStepsGiveTheAnswerOfOneProcess(t *testing.T) {
	t.Run("corpus-wide stage first", func(t *testing.T) { testStepsAnswer(t, nil) })
	t.Run("stages before it", func(t *testing.T) { testStepsAnswer(t, []string{"job_mark", "job_first"}) })
}

func testStepsAnswer(t *testing.T, only []string) {
	config := func(out string, tasks int) Config {
		c := stepConfig(out, tasks)
		if only != nil {
			c.Only = only
		}
		return c
	}
	one := t.TempDir()
	want, err := Run(context.Background(), config(one, 1), RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantDocs := keptDocs(t, one)
	if want.DocsRejected == 0 || len(wantDocs) == 0 {
		t.Fatalf("the sample should have duplicates and survivors: %+v", want)
	}
	for _, tasks := range []int{1, 2, 3, 5} {
		t.Run(fmt.Sprint(tasks), func(t *testing.T) {
			out := t.TempDir()
			runSteps(t, config(out, tasks))
			_, err := os.Stat(filepath.Join(out, spillName(0)))
			if spilled := err == nil; spilled != (only != nil) {
				t.Errorf("spilled = %v, want it exactly when stages run before the first corpus-wide one", spilled)
			}
			got := keptDocs(t, out)
			if !maps.Equal(got, wantDocs) {
				t.Errorf("%d tasks kept %d documents, one process %d", tasks, len(got), len(wantDocs))
			}
			var merged pipeline.Stats
			raw, err := os.ReadFile(filepath.Join(out, "stats.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &merged); err != nil {
				t.Fatal(err)
			}
			if merged.DocsIn != want.DocsIn || merged.DocsOut != want.DocsOut || merged.BytesIn != want.BytesIn ||
				merged.Files != want.Files || len(merged.Stages) != len(want.Stages) || !maps.Equal(merged.Languages, want.Languages) {
				t.Errorf("merged stats in/out/bytes/files %d/%d/%d/%d, one process %d/%d/%d/%d",
					merged.DocsIn, merged.DocsOut, merged.BytesIn, merged.Files, want.DocsIn, want.DocsOut, want.BytesIn, want.Files)
			}
			for i := range min(len(merged.Stages), len(want.Stages)) {
				m, w := merged.Stages[i], want.Stages[i]
				if m.Name != w.Name || m.DocsIn != w.DocsIn || m.DocsOut != w.DocsOut || !maps.Equal(m.Dropped, w.Dropped) {
					t.Errorf("stage %s: merged %+v, one process %+v", w.Name, m, w)
				}
			}
		})
	}
}

// A rerun skips finished tasks and redoes only the unfinished one.
func TestStepsResume(t *testing.T) {
	out := t.TempDir()
	c := stepConfig(out, 3)
	runSteps(t, c)
	want := keptDocs(t, out)
	plan, _ := c.Plan()
	if missing, err := c.Unfinished(context.Background(), plan); err != nil || len(missing) != 0 {
		t.Fatalf("after a whole run: unfinished %v, %v", missing, err)
	}
	for _, r := range runSteps(t, c) {
		if !r.Skipped {
			t.Errorf("a finished task ran again: %+v", r)
		}
	}
	// Task 1 of write dies: its marker and shards are gone.
	if err := os.Remove(filepath.Join(out, markerName(StepWrite, 1))); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(out, "stats.json")); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(out, markerName(StepMerge, 0)))
	shards, _ := filepath.Glob(filepath.Join(out, "lang=*", "part-00001-*"))
	for _, s := range shards {
		os.Remove(s)
	}
	missing, err := c.Unfinished(context.Background(), plan)
	if want := []TaskRef{{StepWrite, 1}, {StepMerge, 0}}; err != nil || !slices.Equal(missing, want) {
		t.Fatalf("unfinished = %v, %v; want %v", missing, err, want)
	}
	ran := 0
	for _, r := range runSteps(t, c) {
		if !r.Skipped {
			ran++
		}
	}
	if ran != 2 {
		t.Errorf("the rerun ran %d tasks, want 2 (write 1 and merge)", ran)
	}
	if got := keptDocs(t, out); !maps.Equal(got, want) {
		t.Errorf("after the rerun %d documents, before %d", len(got), len(want))
	}
}

func TestStepErrors(t *testing.T) {
	ctx := context.Background()
	out := t.TempDir()
	c := stepConfig(out, 2)
	if _, err := RunStep(ctx, c, "prepare-job_first", RunOptions{}); err == nil || !strings.Contains(err.Error(), "observe-job_first") {
		t.Errorf("prepare before observe: err = %v, want it to name the missing step", err)
	}
	if _, err := RunStep(ctx, c, "write", RunOptions{}); err == nil || !strings.Contains(err.Error(), "prepare-job_first") {
		t.Errorf("write before prepare: err = %v, want it to name the missing step", err)
	}
	if _, err := RunStep(ctx, c, "bogus", RunOptions{}); !errors.Is(err, ErrUsage) {
		t.Errorf("unknown step: err = %v, want a usage error", err)
	}
	c.Task = 1
	if _, err := RunStep(ctx, c, "prepare-job_first", RunOptions{}); !errors.Is(err, ErrUsage) {
		t.Errorf("task 1 of a one-task step: err = %v, want a usage error", err)
	}
	if _, err := MergeStats(ctx, out, 2); err == nil || !strings.Contains(err.Error(), "not finished") {
		t.Errorf("merge before write: err = %v", err)
	}
	// A plain multi-task run cannot do a corpus-wide stage alone.
	if _, err := Run(ctx, c, RunOptions{}); !errors.Is(err, ErrUsage) {
		t.Errorf("plain task run with a corpus-wide stage: err = %v, want a usage error", err)
	}
}

// Without corpus-wide stages a plain task run is the write step; merge
// then accounts for every document.
func TestPlainTasksMerge(t *testing.T) {
	ctx := context.Background()
	out := t.TempDir()
	c := stepConfig(out, 3)
	c.Only = []string{"none"}
	for task := range 3 {
		c.Task = task
		if _, err := Run(ctx, c, RunOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	st, err := MergeStatsTo(ctx, out, 0) // tasks counted from the markers
	if err != nil {
		t.Fatal(err)
	}
	if got := len(keptDocs(t, out)); int64(got) != st.DocsIn || st.DocsIn != st.DocsOut || st.Files == 0 {
		t.Errorf("merged %+v, %d documents written", st, got)
	}
}

func TestTaskFromEnv(t *testing.T) {
	for _, tc := range []struct {
		env         map[string]string
		task, tasks int
		ok, bad     bool
	}{
		{env: nil},
		{env: map[string]string{"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "8", "SLURM_ARRAY_TASK_MIN": "0"}, task: 3, tasks: 8, ok: true},
		{env: map[string]string{"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "2"}, task: 3, tasks: 4, ok: true},
		{env: map[string]string{"JOB_COMPLETION_INDEX": "7"}, task: 7, ok: true},
		{env: map[string]string{"AWS_BATCH_JOB_ARRAY_INDEX": "0"}, task: 0, ok: true},
		{env: map[string]string{"BATCH_TASK_INDEX": "2", "BATCH_TASK_COUNT": "10"}, task: 2, tasks: 10, ok: true},
		{env: map[string]string{"CLOUD_RUN_TASK_INDEX": "1", "CLOUD_RUN_TASK_COUNT": "2"}, task: 1, tasks: 2, ok: true},
		{env: map[string]string{"JOB_COMPLETION_INDEX": "x"}, bad: true},
		{env: map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "2"}, bad: true},
	} {
		task, tasks, ok, err := TaskFromEnv(func(k string) string { return tc.env[k] })
		if tc.bad {
			if !errors.Is(err, ErrUsage) {
				t.Errorf("%v: err = %v, want a usage error", tc.env, err)
			}
			continue
		}
		if err != nil || task != tc.task || tasks != tc.tasks || ok != tc.ok {
			t.Errorf("%v: got %d, %d, %v, %v; want %d, %d, %v", tc.env, task, tasks, ok, err, tc.task, tc.tasks, tc.ok)
		}
	}
}
