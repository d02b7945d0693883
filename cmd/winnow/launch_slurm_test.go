package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/winnow-data/winnow/pipeline/launch"
)

// slurmEnv gates the tests that need a running Slurm cluster (.ci/slurm-up
// starts a single-node one).
const slurmEnv = "WINNOW_SLURM"

func needSlurm(t *testing.T) {
	t.Helper()
	if os.Getenv(slurmEnv) != "1" {
		t.Skipf("needs a Slurm cluster: run .ci/slurm-up, then %s=1 go test -run TestLaunchSlurm ./cmd/winnow", slurmEnv)
	}
	if _, err := exec.LookPath("sbatch"); err != nil {
		t.Fatalf("%s=1 but %v", slurmEnv, err)
	}
}

// slurmCLI runs a launch like winnowCLI, failing the test if it has not
// returned within budget (the jobs of OUT are then cancelled): --wait
// must never hang.
func slurmCLI(t *testing.T, budget time.Duration, out string, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv(asCLI, "1")
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		var stdout, stderr bytes.Buffer
		code := run(args, &stdout, &stderr)
		done <- result{code, stdout.String(), stderr.String()}
	}()
	select {
	case r := <-done:
		return r.code, r.stdout, r.stderr
	case <-time.After(budget):
		ids := queuedJobs(t, out)
		if len(ids) > 0 {
			exec.Command("scancel", ids...).Run()
		}
		t.Fatalf("%q has not returned after %v (jobs %v cancelled)", args, budget, ids)
		return 0, "", ""
	}
}

// queuedJobs returns the run's jobs still in the queue.
func queuedJobs(t *testing.T, out string) []string {
	t.Helper()
	ids, err := launch.QueuedSlurm(context.Background(), launch.Exec{}, out)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// One answer on a real cluster, with the default requests on a node no
// one tuned (2 CPUs, no RealMemory: .ci/slurm-up): the whole pipeline
// submitted as array jobs with 4 tasks keeps exactly what one process
// keeps; a relaunch submits nothing. The jobs run this test binary as
// winnow (the cluster is this machine, and sbatch passes the environment
// on).
func TestLaunchSlurm(t *testing.T) {
	needSlurm(t)
	flags := splitFlags(t)
	want, wantStats := oneProcess(t, flags)
	out := filepath.Join(t.TempDir(), "out")
	args := append([]string{"launch", "slurm", sampleDir, "-o", out, "--tasks", "4", "--wait", "--poll", "500ms"}, flags...)
	code, stdout, stderr := slurmCLI(t, 5*time.Minute, out, args...)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	t.Logf("submitted:\n%s", stdout)
	if !strings.Contains(stdout, "\twrite\t4 task(s)") || !strings.Contains(stdout, "\tmerge\t1 task(s)") {
		t.Errorf("job ids not printed:\n%s", stdout)
	}
	sameAnswer(t, "launch slurm --tasks 4", want, kept(t, out), wantStats, countsOf(t, out))
	logs, _ := filepath.Glob(filepath.Join(out, "_launch", "logs", "winnow-write-*_3.log"))
	if len(logs) != 1 {
		t.Errorf("log of write task 3: %v", logs)
	}
	scripts, _ := filepath.Glob(filepath.Join(out, "_launch", "*-write.sbatch"))
	if len(scripts) != 1 {
		t.Fatalf("write scripts %v", scripts)
	}
	script, err := os.ReadFile(scripts[0])
	if err != nil {
		t.Fatal(err)
	}
	cpus := launch.SlurmCPUs(context.Background(), launch.Exec{}, "", launch.DefaultSlurmCPUs)
	if strings.Contains(string(script), "--mem") || cpus < 1 || !strings.Contains(string(script), "#SBATCH --cpus-per-task="+strconv.Itoa(cpus)+"\n") {
		t.Errorf("the default requests are not the node's (%d CPUs, no memory):\n%s", cpus, script)
	}

	code, stdout, stderr = winnowCLI(t, args...)
	if code != 0 || stdout != "" || !strings.Contains(stderr, "nothing submitted") {
		t.Errorf("relaunch: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	// Lose write task 2: the relaunch submits an array of that task alone
	// (SLURM_ARRAY_TASK_MIN is then 2, not 0) and the answer is the same.
	if err := os.Remove(filepath.Join(out, "_tasks", "write", "00002.done")); err != nil {
		t.Fatal(err)
	}
	lost, _ := filepath.Glob(filepath.Join(out, "lang=*", "part-00002-*.parquet"))
	for _, f := range lost {
		os.Remove(f)
	}
	code, stdout, stderr = winnowCLI(t, args...)
	if code != 0 || !strings.HasSuffix(stdout, "\twrite\t1 task(s)\n") || strings.Count(stdout, "\n") != 1 {
		t.Errorf("relaunch after losing a task: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	sameAnswer(t, "resumed on slurm", want, kept(t, out), wantStats, countsOf(t, out))
}

// A failing task: the steps after it are cancelled rather than left
// pending, and --wait exits 1 naming the unfinished tasks and their logs.
func TestLaunchSlurmFailure(t *testing.T) {
	needSlurm(t)
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := slurmCLI(t, 2*time.Minute, out, "launch", "slurm", sampleDir, "-o", out, "--tasks", "2", "--only", "none",
		"--wait", "--poll", "500ms", "--winnow", "/bin/false")
	if code != exitFailure {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailure, stdout, stderr)
	}
	for _, w := range []string{"3 task(s) did not finish", "step write, task 1: log " + filepath.Join(out, "_launch", "logs", "winnow-write-"), "step merge, task 0"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
}

// A run that can never start — a request no node meets, a feature no
// node has, a held job — makes --wait fail within a minute with Slurm's
// reason, and leaves none of the run's jobs in the queue.
func TestLaunchSlurmNeverStarts(t *testing.T) {
	needSlurm(t)
	for _, tc := range []struct {
		name  string
		flags []string
		want  []string
	}{
		{"more CPUs than any node", []string{"--cpus-per-task", "64"}, []string{"can never start", "PartitionConfig", "lower --cpus-per-task"}},
		{"more memory than any node", []string{"--mem", "8G", "--cpus-per-task", "2"}, []string{"submitting step write", "Requested node configuration is not available"}},
		{"a feature no node has", []string{"--sbatch-arg=--constraint=nonexistent"}, []string{"submitting step write", "Invalid feature specification"}},
		{"held", []string{"--sbatch-arg=--hold"}, []string{"JobHeldUser"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"launch", "slurm", sampleDir, "-o", out, "--tasks", "2", "--only", "none", "--wait", "--poll", "500ms"}, tc.flags...)
			start := time.Now()
			code, stdout, stderr := slurmCLI(t, 2*time.Minute, out, args...)
			took := time.Since(start)
			t.Logf("exit %d after %v\nstdout:\n%s\nstderr:\n%s", code, took.Round(time.Millisecond), stdout, stderr)
			if code != exitFailure {
				t.Errorf("exit %d, want %d", code, exitFailure)
			}
			if took > time.Minute {
				t.Errorf("--wait took %v to give up", took)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q", w)
				}
			}
			if ids := queuedJobs(t, out); len(ids) > 0 {
				exec.Command("scancel", ids...).Run()
				t.Errorf("jobs %v of the run left in the queue", ids)
			}
		})
	}
}
