package launch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/winnow-data/winnow/pipeline/job"
)

// SlurmOptions shape the batch scripts of a Slurm launch.
type SlurmOptions struct {
	// Winnow is the winnow binary as the compute nodes see it.
	Winnow string
	// ConfigPath is the run's config file (ConfigName) as the nodes see
	// it: on a filesystem every node mounts.
	ConfigPath string
	// Output is the run's output; the jobs carry it as their comment
	// (see QueuedSlurm).
	Output string
	// Dir is the directory the tasks run in: the launch's, where
	// relative input paths are found.
	Dir string
	// LogDir receives one log per task, <LogDir>/winnow-<step>-<job>_<task>.log.
	LogDir string
	// CPUs and Mem are each task's share (--cpus-per-task, --mem); 0 leaves
	// the cluster's default.
	CPUs int
	Mem  Memory
	// Time, Partition and Account are passed on when set (--time etc.).
	Time      string
	Partition string
	Account   string
	// Throttle caps the tasks of a step running at once (--array=…%T);
	// 0 means no cap.
	Throttle int
	// Extra holds further sbatch options, one per #SBATCH line, e.g.
	// "--qos=high".
	Extra []string
}

// Script is one file a launcher writes: a step's batch script or Job
// manifest, or the script that submits or applies them in order.
type Script struct {
	// Step is the step the file runs; empty for the ordering script and
	// the ConfigMap.
	Step job.Step
	// Name is the file name, numbered in plan order.
	Name string
	Text string
}

// SlurmJobName is the job name of a step's array job.
func SlurmJobName(step string) string { return "winnow-" + step }

// SlurmScripts returns one batch script per step of plan, in order,
// followed by submit.sh, which submits them as `winnow launch slurm` does
// (each step an array job depending on the one before with afterok).
// tasks is the run's task count.
func SlurmScripts(plan []job.Step, tasks int, o SlurmOptions) []Script {
	var out []Script
	var submit strings.Builder
	submit.WriteString(`#!/bin/sh
# Submits the steps of this winnow run in order, as 'winnow launch slurm'
# does: each step is an array job that starts when every task of the step
# before has succeeded (afterok). Tasks that finished in an earlier run
# exit at once, so running this again resumes the run.
set -eu
cd "$(dirname "$0")"
`)
	for i, s := range plan {
		name := fmt.Sprintf("%02d-%s.sbatch", i+1, s.Name)
		out = append(out, Script{Step: s, Name: name, Text: slurmScript(i, len(plan), s, tasks, o)})
		dep := ""
		if i > 0 {
			dep = fmt.Sprintf(" --dependency=afterok:$j%d", i)
		}
		fmt.Fprintf(&submit, "j%d=$(sbatch --parsable%s %s | cut -d';' -f1)\necho \"%s: job $j%d\"\n", i+1, dep, name, s.Name, i+1)
	}
	out = append(out, Script{Name: "submit.sh", Text: submit.String()})
	return out
}

func slurmScript(i, n int, s job.Step, tasks int, o SlurmOptions) string {
	var b strings.Builder
	b.WriteString("#!/bin/bash\n")
	fmt.Fprintf(&b, "# Step %d of %d of a winnow run: %s, %d task(s). A task whose marker\n", i+1, n, s.Name, s.Tasks)
	fmt.Fprintf(&b, "# OUT/_tasks/%s/<task>.done exists exits at once.\n", s.Name)
	opt := func(k, v string) { fmt.Fprintf(&b, "#SBATCH --%s=%s\n", k, shellQuote(v)) }
	opt("job-name", SlurmJobName(s.Name))
	opt("array", arraySpec(seq(s.Tasks), o.Throttle))
	if o.Dir != "" {
		opt("chdir", o.Dir)
	}
	if o.CPUs > 0 {
		opt("cpus-per-task", strconv.Itoa(o.CPUs))
	}
	if o.Mem > 0 {
		opt("mem", o.Mem.Slurm())
	}
	if o.Time != "" {
		opt("time", o.Time)
	}
	if o.Partition != "" {
		opt("partition", o.Partition)
	}
	if o.Account != "" {
		opt("account", o.Account)
	}
	if o.LogDir != "" {
		opt("output", filepath.Join(o.LogDir, "%x-%A_%a.log"))
	}
	if o.Output != "" {
		opt("comment", slurmComment(o.Output))
	}
	// Without this, the steps after a failed task would wait forever for
	// a dependency that can no longer be met.
	opt("kill-on-invalid-dep", "yes")
	for _, e := range o.Extra {
		fmt.Fprintf(&b, "#SBATCH %s\n", e)
	}
	b.WriteString("set -eu\n")
	// The index is passed explicitly rather than read from the
	// environment: a resumed step is an array of only the unfinished
	// indexes, and SLURM_ARRAY_TASK_MIN is then not 0.
	fmt.Fprintf(&b, "exec %s --task \"$SLURM_ARRAY_TASK_ID\"\n", shellJoin(append([]string{o.Winnow}, taskArgs(o.ConfigPath, s, tasks)...)))
	return b.String()
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// arraySpec is sbatch's --array value for the task indexes idx
// (ascending): ranges joined by commas, then the throttle.
func arraySpec(idx []int, throttle int) string {
	var b strings.Builder
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && idx[j+1] == idx[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		if j == i {
			fmt.Fprintf(&b, "%d", idx[i])
		} else {
			fmt.Fprintf(&b, "%d-%d", idx[i], idx[j])
		}
		i = j + 1
	}
	if throttle > 0 {
		fmt.Fprintf(&b, "%%%d", throttle)
	}
	return b.String()
}

// Commander runs a cluster's command-line tools (sbatch, squeue,
// scancel). Run returns the command's standard output; a failure's error
// includes its standard error.
type Commander interface {
	Run(ctx context.Context, name string, args ...string) ([]byte, error)
}

// Exec is the Commander that runs the real tools.
type Exec struct{}

// Run runs name with args.
func (Exec) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// Submitted is a step submitted as an array job.
type Submitted struct {
	Step  job.Step
	JobID string
	Tasks []int // the array's task indexes
}

// LogPath returns the log of task t of a step submitted as job id, under
// logDir (as SlurmOptions.LogDir names it).
func LogPath(logDir, step, id string, t int) string {
	return filepath.Join(logDir, fmt.Sprintf("%s-%s_%d.log", SlurmJobName(step), id, t))
}

// SubmitSlurm submits the scripts (SlurmScripts, written to dir) of the
// steps that have unfinished tasks, in plan order, each depending on the
// one submitted before it, with only the unfinished task indexes in its
// array. Steps with nothing left are not submitted.
func SubmitSlurm(ctx context.Context, cmd Commander, dir string, scripts []Script, unfinished []job.TaskRef, throttle int) ([]Submitted, error) {
	left := map[string][]int{}
	for _, t := range unfinished {
		left[t.Step] = append(left[t.Step], t.Task)
	}
	var subs []Submitted
	for _, sc := range scripts {
		idx := left[sc.Step.Name]
		if sc.Step.Name == "" || len(idx) == 0 {
			continue
		}
		slices.Sort(idx)
		args := []string{"--parsable"}
		if len(idx) < sc.Step.Tasks {
			args = append(args, "--array="+arraySpec(idx, throttle))
		}
		if len(subs) > 0 {
			args = append(args, "--dependency=afterok:"+subs[len(subs)-1].JobID)
		}
		args = append(args, filepath.Join(dir, sc.Name))
		out, err := cmd.Run(ctx, "sbatch", args...)
		if err != nil {
			return subs, fmt.Errorf("submitting step %s: %w", sc.Step.Name, err)
		}
		// --parsable prints "id" or "id;cluster".
		id, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";")
		if _, err := strconv.ParseUint(id, 10, 64); err != nil {
			return subs, fmt.Errorf("submitting step %s: sbatch printed %q, not a job id", sc.Step.Name, out)
		}
		subs = append(subs, Submitted{Step: sc.Step, JobID: id, Tasks: idx})
	}
	return subs, nil
}

// slurmComment marks the jobs of the run writing to out.
func slurmComment(out string) string { return "winnow " + out }

// QueuedSlurm returns the ids of this user's queued or running jobs of
// the run writing to out (by their comment, which SlurmScripts sets): a
// relaunch while they are there would run their tasks twice.
func QueuedSlurm(ctx context.Context, cmd Commander, out string) ([]string, error) {
	q, err := cmd.Run(ctx, "squeue", "--me", "--noheader", "--format=%F %k")
	if err != nil {
		return nil, fmt.Errorf("listing queued jobs: %w", err)
	}
	var ids []string
	for line := range strings.Lines(string(q)) {
		id, comment, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
		if comment == slurmComment(out) && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// WaitSlurm polls squeue every poll until none of the submitted jobs is
// queued or running. There is no accounting database to ask how a job
// ended; the caller checks the completion markers (job.Config.Unfinished)
// afterwards. When a job pends for a reason that no amount of waiting
// clears (NeverStarts: a request the partition cannot meet, a held job),
// it cancels every job of subs still queued and returns a
// *NeverStartError naming the job and Slurm's reason. A job whose
// dependency failed (a task of the step before failed) is cancelled
// alone, and the wait goes on for the tasks still running.
func WaitSlurm(ctx context.Context, cmd Commander, subs []Submitted, poll time.Duration) error {
	ours := map[string]bool{}
	for _, s := range subs {
		ours[s.JobID] = true
	}
	for len(ours) > 0 {
		out, err := cmd.Run(ctx, "squeue", "--me", "--noheader", "--format=%F %r")
		if err != nil {
			return fmt.Errorf("waiting for the jobs: %w", err)
		}
		live := map[string]string{} // job id → reason
		for line := range strings.Lines(string(out)) {
			id, reason, _ := strings.Cut(strings.TrimSpace(line), " ")
			if ours[id] && !NeverStarts(live[id]) {
				// An array's pending tasks share one line; its running
				// ones have a line each, without a reason.
				live[id] = strings.TrimSpace(reason)
			}
		}
		var stuck []StuckJob
		var orphans []string
		for _, s := range subs {
			r, ok := live[s.JobID]
			switch {
			case !ok || !NeverStarts(r):
			case r == depFailed:
				orphans = append(orphans, s.JobID)
			default:
				stuck = append(stuck, StuckJob{JobID: s.JobID, Step: s.Step.Name, Reason: r})
			}
		}
		if len(orphans) > 0 && len(stuck) == 0 {
			// A task failed: the steps after it can never start, but the
			// failed step's other tasks may still finish and keep their
			// markers for the relaunch. Cancel only the orphans (a
			// cluster ignoring --kill-on-invalid-dep leaves them) and
			// wait for the rest; the caller lists the unfinished tasks.
			if _, err := cmd.Run(ctx, "scancel", orphans...); err != nil {
				return fmt.Errorf("cancelling jobs whose dependency failed: %w", err)
			}
		}
		if len(stuck) > 0 {
			var ids []string
			for _, s := range subs {
				if _, ok := live[s.JobID]; ok {
					ids = append(ids, s.JobID)
				}
			}
			if _, err := cmd.Run(ctx, "scancel", ids...); err != nil {
				return fmt.Errorf("cancelling jobs that can never start: %w", err)
			}
			return &NeverStartError{Stuck: stuck, Cancelled: ids}
		}
		clear(ours)
		for id := range live {
			ours[id] = true
		}
		if len(ours) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
	}
	return nil
}

// depFailed is squeue's reason for a job whose dependency failed.
const depFailed = "DependencyNeverSatisfied"

// neverReasons are the reasons squeue gives for a pending job that
// waiting cannot start: the request exceeds what the partition, its
// nodes, the account or the QOS allow, the job is held, or its
// dependency failed. Reasons that clear with time (Resources, Priority,
// Dependency, ReqNodeNotAvail, the aggregate Grp limits) are not here.
var neverReasons = map[string]string{
	"PartitionConfig":          "it asks more CPUs, memory or time than the partition's nodes or limits offer (sinfo -N -o '%P %c %m %l' shows them): lower --cpus-per-task, --mem or --time, or choose another --partition",
	"BadConstraints":           "no node of the partition has the features it asks for (--constraint)",
	"PartitionNodeLimit":       "it asks more nodes than the partition allows",
	"PartitionTimeLimit":       "its --time exceeds the partition's time limit",
	"DependencyNeverSatisfied": "a task of the step before it failed",
	"JobHeldAdmin":             "an administrator holds it",
	"JobHeldUser":              "it is held (scontrol release releases it; relaunch then)",
	"InvalidAccount":           "its account is invalid",
	"InvalidQOS":               "its QOS is invalid",
	"AccountNotAllowed":        "its account may not use the partition",
	"QOSNotAllowed":            "its QOS may not use the partition",
}

// NeverStarts reports whether a pending job with squeue's reason can
// never start without someone changing the job or the cluster.
func NeverStarts(reason string) bool {
	if _, ok := neverReasons[reason]; ok {
		return true
	}
	// A per-job maximum of the QOS or association (QOSMaxCpuPerJobLimit,
	// AssocMaxMemPerJob, ...), unlike the aggregate Grp limits, is not
	// freed by other jobs ending.
	return (strings.HasPrefix(reason, "QOSMax") || strings.HasPrefix(reason, "AssocMax")) && strings.Contains(reason, "PerJob") ||
		strings.HasPrefix(reason, "QOSMin")
}

// StuckJob is a job that can never start, with Slurm's reason.
type StuckJob struct {
	JobID, Step, Reason string
}

// NeverStartError is WaitSlurm's answer when a job can never start: the
// jobs of the run still queued have been cancelled.
type NeverStartError struct {
	Stuck     []StuckJob
	Cancelled []string
}

func (e *NeverStartError) Error() string {
	var b strings.Builder
	var reasons []string
	for _, j := range e.Stuck {
		if !slices.Contains(reasons, j.Reason) {
			reasons = append(reasons, j.Reason)
		}
	}
	for i, r := range reasons {
		if i > 0 {
			b.WriteString("; ")
		}
		var jobs []string
		for _, j := range e.Stuck {
			if j.Reason == r {
				jobs = append(jobs, fmt.Sprintf("%s (step %s)", j.JobID, j.Step))
			}
		}
		fmt.Fprintf(&b, "job(s) %s can never start: Slurm's reason is %s", strings.Join(jobs, ", "), r)
		if hint := neverReasons[r]; hint != "" {
			fmt.Fprintf(&b, ": %s", hint)
		}
	}
	fmt.Fprintf(&b, "; cancelled the run's queued jobs (%s)", strings.Join(e.Cancelled, " "))
	return b.String()
}

// SlurmCPUs returns the CPUs of the smallest node of partition (the
// default partition when empty) as sinfo reports them, at most most; 0
// when sinfo does not tell. A task asking for that many runs on every
// node of the partition.
func SlurmCPUs(ctx context.Context, cmd Commander, partition string, most int) int {
	args := []string{"--noheader", "--Node", "--format=%P %c"}
	if partition != "" {
		args = append(args, "--partition="+partition)
	}
	out, err := cmd.Run(ctx, "sinfo", args...)
	if err != nil {
		return 0
	}
	least, dflt := 0, 0
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		n, err := strconv.Atoi(f[1])
		if err != nil || n < 1 {
			continue
		}
		if least == 0 || n < least {
			least = n
		}
		// Without --partition, sinfo lists every partition; the one
		// marked * is where sbatch submits.
		if strings.HasSuffix(f[0], "*") && (dflt == 0 || n < dflt) {
			dflt = n
		}
	}
	if partition == "" && dflt > 0 {
		least = dflt
	}
	return min(least, most)
}

// ErrUnfinished is returned (wrapped) when tasks of a run did not finish.
var ErrUnfinished = errors.New("tasks did not finish")

// UnfinishedError describes the tasks without a completion marker, each
// with its log when it was submitted in subs.
func UnfinishedError(left []job.TaskRef, subs []Submitted, logDir string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d task(s) did not finish:", len(left))
	for _, t := range left {
		fmt.Fprintf(&b, "\n  step %s, task %d", t.Step, t.Task)
		for _, s := range subs {
			if s.Step.Name == t.Step && slices.Contains(s.Tasks, t.Task) && logDir != "" {
				fmt.Fprintf(&b, ": log %s", LogPath(logDir, t.Step, s.JobID, t.Task))
			}
		}
	}
	b.WriteString("\nrelaunch with the same command to run only these")
	return fmt.Errorf("%w: %s", ErrUnfinished, b.String())
}

// DefaultSlurmCPUs is the most cores a Slurm task asks for when not told
// (SlurmCPUs caps it at the partition's smallest node).
const DefaultSlurmCPUs = 4

// Slurm launches a run on a Slurm cluster: it writes the config file and
// the batch scripts (SlurmScripts), refuses while jobs of the same run
// are queued, submits the steps with unfinished tasks as array jobs
// chained by afterok, and with Wait, waits for them.
type Slurm struct {
	SlurmOptions
	// ScriptsDir receives submit.sh and the steps' batch scripts; the
	// config file goes to ConfigPath.
	ScriptsDir string
	// Commander runs sbatch, squeue and scancel; nil runs the real ones.
	Commander Commander
	// Wait makes Run return only when every job has left the queue,
	// polling squeue every Poll (default 5s).
	Wait bool
	Poll time.Duration
	// Submitted, when set, is called with the jobs once they are
	// submitted (before waiting).
	Submitted func([]Submitted)
}

// SlurmResult is what a Slurm launch did.
type SlurmResult struct {
	// Jobs are the submitted array jobs, in plan order; none when every
	// task had finished already.
	Jobs []Submitted
}

// Run launches the run c (as TaskConfig returns it) with the steps of
// plan. With Wait, an error wrapping ErrUnfinished lists the tasks
// without a completion marker and their logs; a job that can never
// start (see WaitSlurm) ends the wait at once, its reason in the error,
// with the run's queued jobs cancelled. When ctx ends while waiting, the
// jobs go on.
func (l Slurm) Run(ctx context.Context, c job.Config, plan []job.Step) (*SlurmResult, error) {
	cmd := l.Commander
	if cmd == nil {
		cmd = Exec{}
	}
	if l.ConfigPath == "" || l.ScriptsDir == "" {
		return nil, job.UsageError("output %s is on object storage: give a scripts directory every node can read, for the run's config file", c.Output.Dir)
	}
	cfg, err := MarshalConfig(c)
	if err != nil {
		return nil, err
	}
	if err := WriteFile(l.ConfigPath, cfg, 0o644); err != nil {
		return nil, err
	}
	o := l.SlurmOptions
	if o.Output == "" {
		o.Output = c.Output.Dir
	}
	scripts := SlurmScripts(plan, c.Tasks, o)
	if err := WriteScripts(l.ScriptsDir, scripts); err != nil {
		return nil, err
	}
	if o.LogDir != "" {
		// Slurm does not create the directory of --output.
		if err := os.MkdirAll(o.LogDir, 0o755); err != nil {
			return nil, fmt.Errorf("log directory: %w", err)
		}
	}
	queued, err := QueuedSlurm(ctx, cmd, o.Output)
	if err != nil {
		return nil, err
	}
	if len(queued) > 0 {
		return nil, fmt.Errorf("jobs %s of this run (output %s) are still queued or running: wait for them, or scancel them, before relaunching", strings.Join(queued, " "), o.Output)
	}
	left, err := c.Unfinished(ctx, plan)
	if err != nil {
		return nil, err
	}
	res := &SlurmResult{}
	res.Jobs, err = SubmitSlurm(ctx, cmd, l.ScriptsDir, scripts, left, o.Throttle)
	if err != nil {
		// The steps submitted before would run without the rest, and the
		// next launch would refuse while they are queued.
		if len(res.Jobs) > 0 {
			ids := jobIDs(res.Jobs)
			if _, cerr := cmd.Run(context.WithoutCancel(ctx), "scancel", ids...); cerr != nil {
				return res, fmt.Errorf("%w; cancelling the jobs submitted before: %w", err, cerr)
			}
			err = fmt.Errorf("%w (cancelled the jobs submitted before it: %s)", err, strings.Join(ids, " "))
		}
		return res, err
	}
	if l.Submitted != nil && len(res.Jobs) > 0 {
		l.Submitted(res.Jobs)
	}
	if !l.Wait || len(res.Jobs) == 0 {
		return res, nil
	}
	poll := l.Poll
	if poll <= 0 {
		poll = 5 * time.Second
	}
	werr := WaitSlurm(ctx, cmd, res.Jobs, poll)
	var never *NeverStartError
	if werr != nil && !errors.As(werr, &never) {
		return res, werr
	}
	if left, err = c.Unfinished(ctx, plan); err != nil {
		return res, err
	}
	switch {
	case never != nil:
		return res, never
	case len(left) > 0:
		return res, UnfinishedError(left, res.Jobs, o.LogDir)
	}
	return res, nil
}

func jobIDs(subs []Submitted) []string {
	ids := make([]string, len(subs))
	for i, s := range subs {
		ids[i] = s.JobID
	}
	return ids
}
