package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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

// One answer on a real cluster: the whole pipeline submitted as array jobs
// with 4 tasks keeps exactly what one process keeps; a relaunch submits
// nothing. The jobs run this test binary as winnow (the cluster is this
// machine, and sbatch passes the environment on).
func TestLaunchSlurm(t *testing.T) {
	needSlurm(t)
	flags := splitFlags(t)
	want, wantStats := oneProcess(t, flags)
	out := filepath.Join(t.TempDir(), "out")
	args := append([]string{"launch", "slurm", sampleDir, "-o", out, "--tasks", "4", "--throttle", "4",
		"--cpus-per-task", "1", "--mem", "1G", "--wait", "--poll", "500ms"}, flags...)
	code, stdout, stderr := winnowCLI(t, args...)
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
	code, stdout, stderr := winnowCLI(t, "launch", "slurm", sampleDir, "-o", out, "--tasks", "2", "--only", "none",
		"--cpus-per-task", "1", "--mem", "100M", "--wait", "--poll", "500ms", "--winnow", "/bin/false")
	if code != exitFailure {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailure, stdout, stderr)
	}
	for _, w := range []string{"3 task(s) did not finish", "step write, task 1: log " + filepath.Join(out, "_launch", "logs", "winnow-write-"), "step merge, task 0"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
}
