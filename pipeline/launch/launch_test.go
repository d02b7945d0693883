package launch

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/winnow-data/winnow/pipeline/job"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// plan is a run with one corpus-wide stage over 4 tasks.
var plan = []job.Step{
	{Name: "observe-exact_dedup", Stage: "exact_dedup", Tasks: 4},
	{Name: "prepare-exact_dedup", Stage: "exact_dedup", Tasks: 1},
	{Name: job.StepWrite, Tasks: 4},
	{Name: job.StepMerge, Tasks: 1},
}

// golden compares the files with testdata/golden/<dir>/, or rewrites
// them with -update.
func golden(t *testing.T, dir string, files []Script) {
	t.Helper()
	root := filepath.Join("testdata", "golden", dir)
	if *update {
		os.RemoveAll(root)
		for _, f := range files {
			if err := WriteFile(filepath.Join(root, f.Name), []byte(f.Text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
		want, err := os.ReadFile(filepath.Join(root, f.Name))
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if string(want) != f.Text {
			t.Errorf("%s/%s differs from the golden file (go test -update rewrites it):\n%s", root, f.Name, f.Text)
		}
	}
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if !slices.Contains(names, e.Name()) {
			t.Errorf("%s/%s is no longer generated", root, e.Name())
		}
	}
}

func TestSlurmScriptsGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    SlurmOptions
	}{
		{"full", SlurmOptions{
			Winnow: "/opt/winnow/bin/winnow", Output: "/shared/out", Dir: "/shared/work", ConfigPath: "/shared/out/_launch/job.yaml", LogDir: "/shared/out/_launch/logs",
			CPUs: 8, Mem: 16 << 10, Time: "4:00:00", Partition: "cpu", Account: "curation", Throttle: 2,
			Extra: []string{"--qos=high"},
		}},
		{"minimal", SlurmOptions{Winnow: "/usr/local/bin/winnow", ConfigPath: "/home/a user/run/job.yaml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, "slurm-"+tc.name, SlurmScripts(plan, 4, tc.o))
		})
	}
}

func k8sConfig() job.Config {
	c := job.Defaults()
	c.Inputs = []string{"s3://raw/crawl/"}
	c.Output.Dir = "/data/clean"
	c.Langs = []string{"en", "de"}
	c.Tasks = 4
	c.Workers = 8
	return c
}

func TestKubernetesManifestsGolden(t *testing.T) {
	files, err := KubernetesManifests(k8sConfig(), plan, KubernetesOptions{
		Name: "crawl-v1", Namespace: "curation", Image: "ghcr.io/acme/winnow:1.0",
		CPUs: 8, Mem: 16 << 10, Parallelism: 2, BackoffLimitPerIndex: 2,
		PVC: "clean", Volumes: []Volume{{"raw", "/data/raw"}}, SecretEnv: "s3-credentials", Poll: 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	// The ConfigMap holds the config file a task reads back. It is left
	// out of the golden file, which would otherwise change with every new
	// setting of job.Config.
	var cm struct{ Data map[string]string }
	if err := yaml.Unmarshal([]byte(files[0].Text), &cm); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), ConfigName)
	if err := WriteFile(p, []byte(cm.Data[ConfigName]), 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := job.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(back) != fmt.Sprint(k8sConfig()) {
		t.Errorf("the ConfigMap's config reads back as\n%+v\nwant\n%+v", back, k8sConfig())
	}
	cfg, _ := MarshalConfig(k8sConfig())
	indented := "    " + strings.ReplaceAll(strings.TrimSpace(string(cfg)), "\n", "\n    ")
	if !strings.Contains(files[0].Text, indented) {
		t.Fatalf("the ConfigMap does not hold the config as a block:\n%s", files[0].Text)
	}
	files[0].Text = strings.Replace(files[0].Text, indented, "    <the config file: MarshalConfig>", 1)
	golden(t, "k8s", files)
}

func TestKubernetesManifestsNeedAPlaceForTheOutput(t *testing.T) {
	c := k8sConfig()
	for _, tc := range []struct {
		name string
		o    KubernetesOptions
		out  string
	}{
		{"no image", KubernetesOptions{Name: "w", PVC: "p"}, "/data/clean"},
		{"bad name", KubernetesOptions{Name: "Crawl_1", Image: "i", PVC: "p"}, "/data/clean"},
		{"path without pvc", KubernetesOptions{Name: "w", Image: "i"}, "/data/clean"},
		{"relative input", KubernetesOptions{Name: "w", Image: "i", PVC: "p"}, "relative"},
		{"pvc for object storage", KubernetesOptions{Name: "w", Image: "i", PVC: "p"}, "s3://clean/v1"},
	} {
		c.Output.Dir = tc.out
		if tc.out == "relative" {
			c.Output.Dir, c.Inputs = "/data/clean", []string{"raw/"}
		}
		if _, err := KubernetesManifests(c, plan, tc.o); !errors.Is(err, job.ErrUsage) {
			t.Errorf("%s: err %v, want a usage error", tc.name, err)
		}
	}
	c = k8sConfig()
	c.Output.Dir = "s3://clean/v1"
	if _, err := KubernetesManifests(c, plan, KubernetesOptions{Name: "w", Image: "i"}); err != nil {
		t.Errorf("object-storage output without a PVC: %v", err)
	}
}

func TestParseMemory(t *testing.T) {
	for _, tc := range []struct {
		in          string
		want        Memory
		slurm, kube string
	}{
		{"8G", 8192, "8G", "8Gi"},
		{"8Gi", 8192, "8G", "8Gi"},
		{"500M", 500, "500M", "500Mi"},
		{"1536", 1536, "1536M", "1536Mi"},
		{"2048K", 2, "2M", "2Mi"},
		{"1T", 1 << 20, "1024G", "1024Gi"},
		{"16gb", 16384, "16G", "16Gi"},
	} {
		m, err := ParseMemory(tc.in)
		if err != nil || m != tc.want || m.Slurm() != tc.slurm || m.Kubernetes() != tc.kube {
			t.Errorf("%q: %d %q %q %v, want %d %q %q", tc.in, m, m.Slurm(), m.Kubernetes(), err, tc.want, tc.slurm, tc.kube)
		}
	}
	for _, bad := range []string{"G", "-1G", "0", "8X", "1.5G", "99999999999999999999G", "8 G B"} {
		if _, err := ParseMemory(bad); !errors.Is(err, job.ErrUsage) {
			t.Errorf("%q: err %v, want a usage error", bad, err)
		}
	}
}

func TestArraySpec(t *testing.T) {
	for _, tc := range []struct {
		idx      []int
		throttle int
		want     string
	}{
		{[]int{0}, 0, "0"},
		{[]int{0, 1, 2, 3}, 0, "0-3"},
		{[]int{0, 1, 2, 3}, 2, "0-3%2"},
		{[]int{2}, 4, "2%4"},
		{[]int{0, 2, 3, 4, 7}, 0, "0,2-4,7"},
	} {
		if got := arraySpec(tc.idx, tc.throttle); got != tc.want {
			t.Errorf("%v %%%d: %q, want %q", tc.idx, tc.throttle, got, tc.want)
		}
	}
}

// fakeSlurm answers sbatch with consecutive job ids and squeue from a
// script of queue states.
type fakeSlurm struct {
	calls      []string
	next       int
	queues     []string // squeue outputs, one per call; the last repeats
	sinfo      string   // sinfo's output
	sinfoErr   bool     // sinfo fails
	failSbatch int      // the sbatch call (1, 2, ...) that fails
}

func (f *fakeSlurm) Run(_ context.Context, name string, args ...string) ([]byte, error) {
	f.calls = append(f.calls, name+" "+strings.Join(args, " "))
	switch name {
	case "sinfo":
		if f.sinfoErr {
			return nil, errors.New("sinfo: not found")
		}
		return []byte(f.sinfo), nil
	case "sbatch":
		f.next++
		if f.next == f.failSbatch {
			return nil, errors.New("sbatch: error: Batch job submission failed")
		}
		return fmt.Appendf(nil, "%d;cluster\n", 100+f.next), nil
	case "squeue":
		if len(f.queues) == 0 {
			return nil, nil
		}
		q := f.queues[0]
		if len(f.queues) > 1 {
			f.queues = f.queues[1:]
		}
		return []byte(q), nil
	}
	return nil, nil
}

func TestSubmitSlurmChainsTheSteps(t *testing.T) {
	scripts := SlurmScripts(plan, 4, SlurmOptions{Winnow: "winnow", ConfigPath: "/c.yaml", Throttle: 3})
	var all []job.TaskRef
	for _, s := range plan {
		for i := range s.Tasks {
			all = append(all, job.TaskRef{Step: s.Name, Task: i})
		}
	}
	f := &fakeSlurm{}
	subs, err := SubmitSlurm(context.Background(), f, "/s", scripts, all, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"sbatch --parsable /s/01-observe-exact_dedup.sbatch",
		"sbatch --parsable --dependency=afterok:101 /s/02-prepare-exact_dedup.sbatch",
		"sbatch --parsable --dependency=afterok:102 /s/03-write.sbatch",
		"sbatch --parsable --dependency=afterok:103 /s/04-merge.sbatch",
	}
	if !slices.Equal(f.calls, want) {
		t.Errorf("calls\n%s\nwant\n%s", strings.Join(f.calls, "\n"), strings.Join(want, "\n"))
	}
	if len(subs) != 4 || subs[3].JobID != "104" || !slices.Equal(subs[2].Tasks, []int{0, 1, 2, 3}) {
		t.Errorf("submitted %+v", subs)
	}

	// A resumed run submits only what is left, as sparse arrays.
	f = &fakeSlurm{}
	left := []job.TaskRef{{Step: "write", Task: 3}, {Step: "write", Task: 1}, {Step: "merge", Task: 0}}
	if _, err := SubmitSlurm(context.Background(), f, "/s", scripts, left, 3); err != nil {
		t.Fatal(err)
	}
	want = []string{
		"sbatch --parsable --array=1,3%3 /s/03-write.sbatch",
		"sbatch --parsable --dependency=afterok:101 /s/04-merge.sbatch",
	}
	if !slices.Equal(f.calls, want) {
		t.Errorf("resumed calls\n%s\nwant\n%s", strings.Join(f.calls, "\n"), strings.Join(want, "\n"))
	}
}

func TestWaitSlurm(t *testing.T) {
	subs := []Submitted{{Step: job.Step{Name: "write"}, JobID: "101"}, {Step: job.Step{Name: "merge"}, JobID: "102"}}
	for _, tc := range []struct {
		name   string
		queues []string
		want   string // "" for a normal end, else in the error
		cancel string // the scancel call, if any
	}{
		{"the jobs run and leave", []string{"101 None\n102 Dependency\n99 PartitionConfig\n", "102 Dependency\n", "102 None\n", "7 None\n"}, "", ""},
		{"waiting for resources is not stuck", []string{"101 Resources\n102 Dependency\n", "101 Priority\n102 Dependency\n", "101 ReqNodeNotAvail, UnavailableNodes:n1\n102 Dependency\n", ""}, "", ""},
		{"a request the partition cannot meet", []string{"101 PartitionConfig\n102 Dependency\n"}, "job(s) 101 (step write) can never start: Slurm's reason is PartitionConfig: it asks more CPUs", "scancel 101 102"},
		// The step after a failed task is cancelled; its running tasks are waited for.
		{"a failed dependency", []string{"101 None\n102 Dependency\n", "101 None\n102 DependencyNeverSatisfied\n", "101 None\n", "7 None\n"}, "", "scancel 102"},
		{"held", []string{"101 JobHeldUser\n102 JobHeldUser\n"}, "job(s) 101 (step write), 102 (step merge) can never start: Slurm's reason is JobHeldUser", "scancel 101 102"},
		{"a per-job QOS limit, one array task running", []string{"101 None\n101 QOSMaxCpuPerJobLimit\n102 Dependency\n"}, "QOSMaxCpuPerJobLimit", "scancel 101 102"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSlurm{queues: tc.queues}
			err := WaitSlurm(context.Background(), f, subs, time.Millisecond)
			var never *NeverStartError
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("err %v", err)
			case tc.want != "" && (!errors.As(err, &never) || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("err %v, want a NeverStartError with %q", err, tc.want)
			}
			var cancels []string
			for _, c := range f.calls {
				if strings.HasPrefix(c, "scancel") {
					cancels = append(cancels, c)
				}
			}
			if tc.cancel == "" && len(cancels) > 0 || tc.cancel != "" && (len(cancels) == 0 || cancels[0] != tc.cancel) {
				t.Errorf("scancel calls %q, want %q", cancels, tc.cancel)
			}
			if tc.want == "" && f.queues[0] != tc.queues[len(tc.queues)-1] {
				t.Errorf("stopped polling before the jobs left: %q left", f.queues)
			}
		})
	}
}

func TestNeverStarts(t *testing.T) {
	for reason, want := range map[string]bool{
		"PartitionConfig": true, "BadConstraints": true, "DependencyNeverSatisfied": true, "JobHeldAdmin": true, "JobHeldUser": true,
		"PartitionTimeLimit": true, "InvalidAccount": true, "QOSMaxCpuPerJobLimit": true, "AssocMaxMemPerJob": true, "QOSMinCpuNotSatisfied": true,
		"None": false, "Resources": false, "Priority": false, "Dependency": false, "BeginTime": false, "PartitionDown": false,
		"ReqNodeNotAvail, UnavailableNodes:n1": false, "AssocGrpCpuLimit": false, "QOSGrpMemLimit": false, "": false,
	} {
		if NeverStarts(reason) != want {
			t.Errorf("NeverStarts(%q) = %v", reason, !want)
		}
	}
}

func TestSlurmCPUs(t *testing.T) {
	for _, tc := range []struct {
		sinfo, partition string
		want             int
	}{
		{"debug* 2\n", "", 2},
		{"debug* 64\n", "", 4},
		{"big 128\ndebug* 8\ndebug* 3\nsmall 1\n", "", 3}, // the default partition's smallest node
		{"small 1\nsmall 16\n", "small", 1},
		{"", "", 0},          // sinfo answered nothing: leave it to the cluster
		{"garbage\n", "", 0}, // nor anything readable
	} {
		f := &fakeSlurm{sinfo: tc.sinfo}
		if got := SlurmCPUs(context.Background(), f, tc.partition, 4); got != tc.want {
			t.Errorf("sinfo %q, partition %q: %d CPUs, want %d", tc.sinfo, tc.partition, got, tc.want)
		}
	}
	f := &fakeSlurm{sinfoErr: true}
	if got := SlurmCPUs(context.Background(), f, "", 4); got != 0 {
		t.Errorf("sinfo failing: %d CPUs, want 0", got)
	}
}

// A launch whose later step sbatch refuses cancels the steps it had
// submitted: they would run without the rest, and block the relaunch.
func TestSlurmRunCancelsWhatItSubmittedWhenASubmissionFails(t *testing.T) {
	c := k8sConfig()
	c.Output.Dir = filepath.Join(t.TempDir(), "out")
	dir := t.TempDir()
	f := &fakeSlurm{failSbatch: 3}
	l := Slurm{SlurmOptions: SlurmOptions{Winnow: "winnow", ConfigPath: filepath.Join(dir, ConfigName)}, ScriptsDir: dir, Commander: f, Wait: true}
	res, err := l.Run(context.Background(), c, plan)
	if err == nil || !strings.Contains(err.Error(), "submitting step write") || !strings.Contains(err.Error(), "cancelled the jobs submitted before it: 101 102") {
		t.Fatalf("err %v", err)
	}
	if len(res.Jobs) != 2 || f.calls[len(f.calls)-1] != "scancel 101 102" {
		t.Errorf("jobs %+v, calls %q", res.Jobs, f.calls)
	}
}

// A job that can never start ends Run's wait with the reason.
func TestSlurmRunFailsFastOnAJobThatCanNeverStart(t *testing.T) {
	c := k8sConfig()
	c.Output.Dir = filepath.Join(t.TempDir(), "out")
	dir := t.TempDir()
	f := &fakeSlurm{queues: []string{"", "101 PartitionConfig\n102 Dependency\n103 Dependency\n104 Dependency\n"}}
	l := Slurm{SlurmOptions: SlurmOptions{Winnow: "winnow", ConfigPath: filepath.Join(dir, ConfigName)}, ScriptsDir: dir, Commander: f, Wait: true, Poll: time.Hour}
	_, err := l.Run(context.Background(), c, plan)
	var never *NeverStartError
	if !errors.As(err, &never) || errors.Is(err, ErrUnfinished) || !strings.Contains(err.Error(), "PartitionConfig") {
		t.Fatalf("err %v", err)
	}
	if f.calls[len(f.calls)-1] != "scancel 101 102 103 104" {
		t.Errorf("calls %q", f.calls)
	}
	if _, err := os.Stat(filepath.Join(dir, "03-write.sbatch")); err != nil {
		t.Error(err)
	}
}

func TestQueuedSlurmFindsTheRunsJobs(t *testing.T) {
	f := &fakeSlurm{queues: []string{"101 winnow /shared/out\n101 winnow /shared/out\n102 winnow /shared/out2\n103 \n104 winnow /shared/out\n"}}
	ids, err := QueuedSlurm(context.Background(), f, "/shared/out")
	if err != nil || !slices.Equal(ids, []string{"101", "104"}) {
		t.Errorf("%v %v", ids, err)
	}
}

func TestUnfinishedErrorNamesLogs(t *testing.T) {
	subs := []Submitted{{Step: job.Step{Name: "write"}, JobID: "103", Tasks: []int{0, 1, 2, 3}}}
	err := UnfinishedError([]job.TaskRef{{Step: "write", Task: 2}, {Step: "merge", Task: 0}}, subs, "/logs")
	if !errors.Is(err, ErrUnfinished) {
		t.Fatalf("err %v", err)
	}
	for _, want := range []string{"2 task(s)", "step write, task 2: log /logs/winnow-write-103_2.log", "step merge, task 0\n"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}

func TestTaskConfigMakesTheOutputAbsolute(t *testing.T) {
	c := job.Defaults()
	c.Inputs = []string{"data/a.jsonl", "s3://b/x/", "/abs/c"}
	c.Output.Dir = "out"
	c.Task, c.Tasks = 2, 3
	got, err := TaskConfig(c, 4)
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	// Inputs stay as given: derived ids hash the path as given.
	if !slices.Equal(got.Inputs, c.Inputs) ||
		got.Output.Dir != filepath.Join(wd, "out") || got.Task != 0 || got.Tasks != 3 || got.Workers != 4 {
		t.Errorf("%+v", got)
	}
	// The written file reads back as the same run.
	p := filepath.Join(t.TempDir(), ConfigName)
	b, err := MarshalConfig(got)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := job.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(back) != fmt.Sprint(got) {
		t.Errorf("read back\n%+v\nwant\n%+v", back, got)
	}
}
