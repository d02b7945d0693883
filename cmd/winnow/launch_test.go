package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/winnow-data/winnow/pipeline/job"
	"github.com/winnow-data/winnow/pipeline/launch"
)

// asCLI makes the test binary act as winnow (see TestMain), so that the
// launchers' tasks (subprocesses, Slurm jobs) run this build.
const asCLI = "WINNOW_TEST_MAIN"

// winnowCLI runs the command in-process; the tasks it starts as
// subprocesses are this test binary acting as winnow.
func winnowCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv(asCLI, "1")
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// splitFlags leaves out the stages that cannot yet be split over tasks
// and the stages in skip, so these tests run the largest pipeline a
// launch can.
func splitFlags(t *testing.T, skip ...string) []string {
	t.Helper()
	c := job.Defaults()
	c.Tasks = 3
	c.Skip = skip
	for range 20 {
		_, err := c.Plan()
		if err == nil {
			break
		}
		var stage string
		if _, e := fmt.Sscanf(strings.TrimPrefix(err.Error(), "usage: "), "stage %s needs the whole corpus", &stage); e != nil {
			t.Fatal(err)
		}
		c.Skip = append(c.Skip, stage)
	}
	if len(c.Skip) == 0 {
		return nil
	}
	if len(c.Skip) > len(skip) {
		t.Logf("stages %v cannot be split over tasks yet: left out", c.Skip[len(skip):])
	}
	return []string{"--skip", strings.Join(c.Skip, ",")}
}

// kept returns id → text of the kept documents under out.
func kept(t *testing.T, out string) map[string]string {
	t.Helper()
	all := map[string]string{}
	for _, s := range shards(t, out) {
		for id, text := range readParquet(t, s, "id", "text") {
			if _, dup := all[id]; dup {
				t.Errorf("%s: id %s kept twice", s, id)
			}
			all[id] = text
		}
	}
	if len(all) == 0 {
		t.Fatalf("%s: nothing kept", out)
	}
	return all
}

// oneProcess runs `winnow run` over the sample and returns its kept
// documents and accounting.
func oneProcess(t *testing.T, flags []string) (map[string]string, counts) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "one")
	if code, _, stderr := winnowCLI(t, append([]string{"run", sampleDir, "-o", out, "--quiet"}, flags...)...); code != 0 {
		t.Fatalf("winnow run: exit %d\n%s", code, stderr)
	}
	return kept(t, out), countsOf(t, out)
}

// counts is the accounting two runs must agree on.
type counts struct{ in, out, rejected int64 }

func countsOf(t *testing.T, out string) counts {
	t.Helper()
	s := readStats(t, filepath.Join(out, "stats.json"))
	return counts{s.DocsIn, s.DocsOut, s.DocsRejected}
}

func sameAnswer(t *testing.T, name string, want, got map[string]string, wantStats, gotStats counts) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d documents kept, one process keeps %d", name, len(got), len(want))
	}
	for id, text := range want {
		if g, ok := got[id]; !ok {
			t.Errorf("%s: %s not kept", name, id)
		} else if g != text {
			t.Errorf("%s: %s: text differs", name, id)
		}
	}
	if gotStats != wantStats {
		t.Errorf("%s: stats %+v, one process %+v", name, gotStats, wantStats)
	}
}

// localConfig is the run `winnow launch local SAMPLE -o out --tasks n`
// describes, with its config file written.
func localConfig(t *testing.T, out string, n int, flags []string) (job.Config, string, []job.Step) {
	t.Helper()
	c := job.Defaults()
	c.Inputs = []string{sampleDir}
	c.Output.Dir = out
	c.Tasks = n
	if len(flags) == 2 && flags[0] == "--skip" {
		c.Skip = strings.Split(flags[1], ",")
	}
	c, err := launch.TaskConfig(c, 1)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := c.Plan()
	if err != nil {
		t.Fatal(err)
	}
	b, err := launch.MarshalConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(out, "_launch", launch.ConfigName)
	if err := launch.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return c, p, plan
}

func localRun(t *testing.T, c job.Config, configPath string, plan []job.Step) []job.TaskRef {
	t.Helper()
	res, err := launch.Local{Runner: launch.InProcess{}, Parallel: 2}.Run(context.Background(), c, configPath, plan)
	if err != nil {
		t.Fatal(err)
	}
	return res.Ran
}

// One answer: the local launcher with 1, 3 and 4 tasks keeps exactly the
// documents one process keeps, and accounts for them alike.
func TestLaunchLocalKeepsWhatOneProcessKeeps(t *testing.T) {
	// Every stage but langid, whose model takes seconds to load per task
	// (under -race, minutes in all); the Slurm test runs all of them.
	flags := splitFlags(t, "langid")
	want, wantStats := oneProcess(t, flags)
	for _, n := range []int{1, 3, 4} {
		out := filepath.Join(t.TempDir(), "out")
		c, p, plan := localConfig(t, out, n, flags)
		ran := localRun(t, c, p, plan)
		tasks := 0
		for _, s := range plan {
			tasks += s.Tasks
		}
		if len(ran) != tasks {
			t.Errorf("%d tasks: ran %v, want every task of %v", n, ran, plan)
		}
		sameAnswer(t, fmt.Sprintf("local launcher, %d task(s)", n), want, kept(t, out), wantStats, countsOf(t, out))
	}
}

// A relaunch runs only the tasks without a completion marker.
func TestLaunchLocalResumes(t *testing.T) {
	flags := splitFlags(t, "langid")
	out := filepath.Join(t.TempDir(), "out")
	c, p, plan := localConfig(t, out, 3, flags)
	localRun(t, c, p, plan)
	want, wantStats := kept(t, out), countsOf(t, out)

	if ran := localRun(t, c, p, plan); len(ran) != 0 {
		t.Errorf("a relaunch of a finished run ran %v", ran)
	}

	// Lose task 1's output: its marker and its shards.
	if err := os.Remove(filepath.Join(out, "_tasks", "write", "00001.done")); err != nil {
		t.Fatal(err)
	}
	lost, _ := filepath.Glob(filepath.Join(out, "lang=*", "part-00001-*.parquet"))
	if len(lost) == 0 {
		t.Fatal("task 1 wrote no shard")
	}
	for _, f := range lost {
		os.Remove(f)
	}
	ran := localRun(t, c, p, plan)
	if !slices.Equal(ran, []job.TaskRef{{Step: "write", Task: 1}}) {
		t.Errorf("after losing write task 1, the relaunch ran %v", ran)
	}
	sameAnswer(t, "resumed", want, kept(t, out), wantStats, countsOf(t, out))
}

// The command itself: tasks as subprocesses (this test binary standing in
// for winnow), the same answer, and a relaunch that does nothing.
func TestLaunchLocalCommand(t *testing.T) {
	// Two steps of quick tasks (each a process of a -race binary): the
	// steps of the de-duplication stages are the in-process tests' part.
	flags := []string{"--skip", "url_dedup,exact_dedup,minhash,line_dedup,langid"}
	want, wantStats := oneProcess(t, flags)
	out := filepath.Join(t.TempDir(), "out")
	args := append([]string{"launch", "local", sampleDir, "-o", out, "--tasks", "3", "--parallel", "2"}, flags...)
	code, _, stderr := winnowCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, w := range []string{"step write: task 2 of 3 done", "step merge: task 0 of 1 done", "documents"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
	sameAnswer(t, "launch local --tasks 3", want, kept(t, out), wantStats, countsOf(t, out))
	if _, err := os.Stat(filepath.Join(out, "_launch", launch.ConfigName)); err != nil {
		t.Error(err)
	}

	code, _, stderr = winnowCLI(t, args...)
	if code != 0 || !strings.Contains(stderr, "every task has finished already") {
		t.Errorf("relaunch: exit %d\n%s", code, stderr)
	}

	// A launch of another run into the same OUT is refused, and replaces
	// it with --overwrite.
	other := []string{"launch", "local", sampleDir, "-o", out, "--tasks", "2", "--only", "none", "-q"}
	code, _, stderr = winnowCLI(t, other...)
	if code != exitUsage || !strings.Contains(stderr, "different run") || !strings.Contains(stderr, "--overwrite") {
		t.Errorf("launch of another run: exit %d, want 2\n%s", code, stderr)
	}
	code, _, stderr = winnowCLI(t, append(other, "--overwrite")...)
	if code != 0 {
		t.Fatalf("launch --overwrite: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "_tasks", "write", "00002.done")); err == nil {
		t.Error("the earlier launch's markers survived --overwrite")
	}
}

// Damaged inputs: every task runs, and the launch exits 3 like `run`.
func TestLaunchLocalDamagedInputsExit3(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := winnowCLI(t, "launch", "local", "../../testdata/damaged", "-o", out, "--tasks", "2", "--only", "none", "--quiet")
	if code != exitDamaged {
		t.Fatalf("exit %d, want %d\n%s", code, exitDamaged, stderr)
	}
	if s := readStats(t, filepath.Join(out, "stats.json")); len(s.InputErrors) == 0 {
		t.Error("stats.json lists no damaged input")
	}
}

func TestLaunchDryRuns(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := winnowCLI(t, "launch", "slurm", sampleDir, "-o", out, "--tasks", "4", "--throttle", "2",
		"--mem", "2G", "--cpus-per-task", "2", "--winnow", "/opt/winnow", "--only", "gopher_quality", "--dry-run")
	if code != 0 {
		t.Fatalf("slurm --dry-run: exit %d\n%s", code, stderr)
	}
	for _, w := range []string{
		"#SBATCH --array=0-3%2", "#SBATCH --cpus-per-task=2", "#SBATCH --mem=2G", "#SBATCH --job-name=winnow-write",
		"exec /opt/winnow run --config " + filepath.Join(out, "_launch", "job.yaml") + " --step merge --tasks 4",
		"--dependency=afterok:$j1", "workers: 2", "- gopher_quality",
	} {
		if !strings.Contains(stdout, w) {
			t.Errorf("slurm --dry-run lacks %q:\n%s", w, stdout)
		}
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a dry run wrote %s", out)
	}

	code, stdout, stderr = winnowCLI(t, "launch", "k8s", "s3://raw/", "-o", "s3://clean/v1", "--tasks", "4", "--image", "winnow:1", "--only", "gopher_quality", "--dry-run")
	if code != 0 {
		t.Fatalf("k8s --dry-run: exit %d\n%s", code, stderr)
	}
	for _, w := range []string{"completionMode: Indexed", "completions: 4", "image: winnow:1", "wait_job winnow-merge", "dir: s3://clean/v1"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("k8s --dry-run lacks %q:\n%s", w, stdout)
		}
	}

	dir := filepath.Join(t.TempDir(), "k8s")
	code, _, stderr = winnowCLI(t, "launch", "k8s", "/data/raw", "-o", "/data/clean", "--tasks", "2", "--image", "winnow:1",
		"--pvc", "data", "--only", "none", "--manifests-dir", dir)
	if code != 0 {
		t.Fatalf("k8s: exit %d\n%s", code, stderr)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(names) != 4 { // config, write, merge, apply.sh
		t.Errorf("manifests %v", names)
	}
}

func TestLaunchUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"launch", "k8s", sampleDir, "-o", "/data/out", "--tasks", "2", "--only", "none"},                      // no image
		{"launch", "k8s", sampleDir, "-o", "/data/out", "--tasks", "2", "--only", "none", "--image", "i"},      // local OUT, no PVC
		{"launch", "slurm", sampleDir, "-o", "s3://b/out", "--tasks", "2", "--only", "none", "--dry-run"},      // no scripts dir
		{"launch", "slurm", sampleDir, "-o", t.TempDir(), "--tasks", "2", "--only", "none", "--mem", "lots"},   // bad memory
		{"launch", "local", "-o", t.TempDir(), "--tasks", "2"},                                                 // no input
		{"launch", "local", sampleDir, "-o", t.TempDir(), "--tasks", "0"},                                      // no task
		{"launch", "k8s", sampleDir, "-o", "s3://b/o", "--image", "i", "--volume", "data", "--only", "none"},   // bad volume
		{"launch", "k8s", sampleDir, "-o", "s3://b/o", "--image", "i", "--name", "Has_Caps", "--only", "none"}, // bad name
	} {
		if code, _, stderr := winnowCLI(t, args...); code != exitUsage {
			t.Errorf("%q: exit %d, want %d\n%s", args, code, exitUsage, stderr)
		}
	}
}

// Credentials in a storage URL are refused before anything repeats them:
// not in messages, job.yaml, the batch scripts' comment nor a dry run.
func TestCredentialsInURLsAreNeverEchoed(t *testing.T) {
	const key, secret = "AKIAEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCY"
	cred := key + ":" + secret + "@"
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	for _, args := range [][]string{
		{"launch", "slurm", "s3://" + cred + "raw/crawl/", "-o", out, "--tasks", "2", "--only", "none", "--dry-run"},
		{"launch", "slurm", "s3://" + cred + "raw/crawl/", "-o", out, "--tasks", "2", "--only", "none", "--winnow", "/bin/false"},
		{"launch", "slurm", sampleDir, "-o", "s3://" + cred + "clean/v1", "--scripts-dir", filepath.Join(dir, "s"), "--tasks", "2", "--only", "none"},
		{"launch", "k8s", "s3://" + cred + "raw/", "-o", "s3://clean/v1", "--tasks", "2", "--image", "i", "--only", "none", "--dry-run"},
		{"launch", "local", sampleDir, "-o", "s3://" + cred + "clean/v1", "--tasks", "2", "--only", "none"},
		{"run", sampleDir, "-o", "s3://" + cred + "clean/v1", "--only", "none"},
		{"run", "s3://" + cred + "raw/crawl/", "-o", out, "--only", "none"},
		{"stats", "merge", "s3://" + cred + "clean/v1"},
	} {
		code, stdout, stderr := winnowCLI(t, args...)
		if code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args[:2], code, exitUsage)
		}
		if strings.Contains(stdout+stderr, secret) || strings.Contains(stdout+stderr, key) {
			t.Errorf("%q echoes the credentials:\n%s%s", args[:2], stdout, stderr)
		}
		if !strings.Contains(stderr, "AWS_SECRET_ACCESS_KEY") || !strings.Contains(stderr, "s3://REDACTED@") {
			t.Errorf("%q: the message does not say where credentials go:\n%s", args[:2], stderr)
		}
	}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(p); strings.Contains(string(b), secret) {
				t.Errorf("%s holds the secret", p)
			}
		}
		return nil
	})
}

// stats merge fails, naming them, when write tasks have not finished —
// the last ones too, which counting the markers cannot see.
func TestStatsMergeNamesMissingTasks(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	for task := range 3 {
		if code, _, stderr := winnowCLI(t, "run", sampleDir, "-o", out, "--only", "none", "--tasks", "3", "--task", strconv.Itoa(task), "--quiet"); code != 0 {
			t.Fatalf("task %d: exit %d\n%s", task, code, stderr)
		}
	}
	if code, _, stderr := winnowCLI(t, "stats", "merge", out); code != 0 {
		t.Fatalf("every task finished: exit %d\n%s", code, stderr)
	}
	marker := func(task int) string { return filepath.Join(out, "_tasks", "write", fmt.Sprintf("%05d.done", task)) }
	for _, tc := range []struct {
		lost  []int
		flags []string
		want  string
	}{
		{[]int{2}, nil, "write task(s) [2] of 3 not finished"},
		{[]int{1, 2}, nil, "write task(s) [1 2] of 3 not finished"},
		{[]int{0}, nil, "write task(s) [0] of 3 not finished"},
		{nil, []string{"--tasks", "2"}, "task 0 was one of 3, not of 2"},
	} {
		saved := map[int][]byte{}
		for _, i := range tc.lost {
			b, err := os.ReadFile(marker(i))
			if err != nil {
				t.Fatal(err)
			}
			saved[i] = b
			os.Remove(marker(i))
		}
		os.Remove(filepath.Join(out, "stats.json"))
		code, stdout, stderr := winnowCLI(t, append([]string{"stats", "merge", out}, tc.flags...)...)
		if code != exitFailure || !strings.Contains(stderr, tc.want) {
			t.Errorf("tasks %v lost: exit %d, want %d with %q\nstdout:\n%s\nstderr:\n%s", tc.lost, code, exitFailure, tc.want, stdout, stderr)
		}
		if _, err := os.Stat(filepath.Join(out, "stats.json")); err == nil {
			t.Errorf("tasks %v lost: stats.json written", tc.lost)
		}
		for i, b := range saved {
			os.WriteFile(marker(i), b, 0o644)
		}
	}
}
