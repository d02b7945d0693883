package launch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"

	"github.com/winnow-data/winnow/pipeline/job"
)

// Task is one task of one step of a local launch.
type Task struct {
	// Config is the run's settings (as TaskConfig returns them), with
	// Task set to this task's index; ConfigPath is the same written to
	// a file.
	Config     job.Config
	ConfigPath string
	Step       job.Step
}

// Runner runs one task to completion. Output holds what the task
// printed, for the report when it fails.
type Runner interface {
	RunTask(ctx context.Context, t Task) (output []byte, err error)
}

// Subprocess runs each task as `Exe run --config F --step S --tasks N
// --task I --quiet`: a separate process, as on a cluster.
type Subprocess struct {
	// Exe is the winnow binary; empty means this program.
	Exe string
	// Env is added to the environment of the tasks.
	Env []string
}

// RunTask runs t as a subprocess. The merge step's exit status 3 (some
// inputs damaged) is not a failure: the run has finished, and the
// launcher reports the damage from stats.json.
func (r Subprocess) RunTask(ctx context.Context, t Task) ([]byte, error) {
	exe := r.Exe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("finding the winnow binary: %w", err)
		}
	}
	args := append(taskArgs(t.ConfigPath, t.Step, t.Config.Tasks), "--task", strconv.Itoa(t.Config.Task), "--quiet")
	cmd := exec.CommandContext(ctx, exe, args...)
	// The task's index is on the command line; an index in the
	// environment (this launcher running inside a cluster job) must not
	// be mistaken for it.
	cmd.Env = append(withoutSchedulerEnv(os.Environ()), r.Env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 3 && t.Step.Name == job.StepMerge {
		err = nil
	}
	return out.Bytes(), err
}

func withoutSchedulerEnv(env []string) []string {
	out := env[:0:0]
	for _, e := range env {
		k, _, _ := strings.Cut(e, "=")
		switch k {
		case "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN", "JOB_COMPLETION_INDEX",
			"AWS_BATCH_JOB_ARRAY_INDEX", "BATCH_TASK_INDEX", "BATCH_TASK_COUNT", "CLOUD_RUN_TASK_INDEX", "CLOUD_RUN_TASK_COUNT":
			continue
		}
		out = append(out, e)
	}
	return out
}

// InProcess runs each task in this process with job.RunStep: no
// subprocess, for tests and for programs embedding winnow.
type InProcess struct {
	RunOptions job.RunOptions
}

// RunTask runs t with job.RunStep.
func (r InProcess) RunTask(ctx context.Context, t Task) ([]byte, error) {
	_, err := job.RunStep(ctx, t.Config, t.Step.Name, r.RunOptions)
	return nil, err
}

// Local runs the steps of a plan on this machine, one step after the
// other, each step's tasks Parallel at a time.
type Local struct {
	Runner Runner
	// Parallel is how many tasks run at once (at least 1).
	Parallel int
	// Progress, when set, receives a line per finished task.
	Progress io.Writer
}

// LocalResult is what a local launch did.
type LocalResult struct {
	// Ran lists the tasks run; tasks finished in an earlier run (their
	// markers exist) are not run again.
	Ran []job.TaskRef
}

// Run runs the unfinished tasks of plan for the run c (as TaskConfig
// returns it, written to configPath), step by step. It stops at the
// first step with a failed task, after the step's running tasks end,
// with an error holding the failed task's output.
func (l Local) Run(ctx context.Context, c job.Config, configPath string, plan []job.Step) (*LocalResult, error) {
	left, err := c.Unfinished(ctx, plan)
	if err != nil {
		return nil, err
	}
	res := &LocalResult{}
	for _, s := range plan {
		var todo []int
		for _, t := range left {
			if t.Step == s.Name {
				todo = append(todo, t.Task)
			}
		}
		if len(todo) == 0 {
			continue
		}
		if err := l.step(ctx, c, configPath, s, todo); err != nil {
			return res, err
		}
		for _, t := range todo {
			res.Ran = append(res.Ran, job.TaskRef{Step: s.Name, Task: t})
		}
	}
	return res, nil
}

func (l Local) step(ctx context.Context, c job.Config, configPath string, s job.Step, todo []int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		sem      = make(chan struct{}, max(l.Parallel, 1))
	)
	for _, i := range todo {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			tc := c
			tc.Task = i
			out, err := l.Runner.RunTask(ctx, Task{Config: tc, ConfigPath: configPath, Step: s})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("step %s, task %d of %d: %w%s", s.Name, i, s.Tasks, err, indent(out))
				}
				cancel()
				return
			}
			if l.Progress != nil {
				fmt.Fprintf(l.Progress, "step %s: task %d of %d done\n", s.Name, i, s.Tasks)
			}
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return firstErr
}

// indent formats a task's output under its error, keeping the end, where
// the error is.
func indent(out []byte) string {
	const keep = 4 << 10
	s := strings.TrimSpace(string(out))
	if s == "" {
		return ""
	}
	if len(s) > keep {
		s = "..." + s[len(s)-keep:]
	}
	return "\n    " + strings.ReplaceAll(s, "\n", "\n    ")
}
