package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/winnow-data/winnow/pipeline/job"
	"github.com/winnow-data/winnow/pipeline/launch"
)

// launchFlags are the settings every launcher shares.
type launchFlags struct {
	rf         runFlags
	scriptsDir string
	dryRun     bool
	cpus       int
	mem        string
	throttle   int
	// podsOUT leaves OUT unchecked on the launching machine: a
	// Kubernetes OUT is the pods' (object storage the launching machine
	// may hold no credentials for, or a path on a volume only they mount).
	podsOUT bool
}

// register declares the flags; a cluster launcher also gets the
// requests per task, with its defaults.
func (lf *launchFlags) register(cmd *cobra.Command, cluster bool, cpus int, cpusDoc, mem string) {
	lf.rf.register(cmd)
	f := cmd.Flags()
	// A launch runs every task; the index belongs to the tasks.
	_ = f.MarkHidden("task")
	f.StringVar(&lf.scriptsDir, "scripts-dir", "", "where the run's config file (job.yaml), scripts and logs go (default OUT/_launch; required when OUT is object storage)")
	f.BoolVar(&lf.dryRun, "dry-run", false, "print what would be written and run, and do nothing")
	if cluster {
		f.IntVar(&lf.cpus, "cpus-per-task", cpus, cpusDoc)
		f.StringVar(&lf.mem, "mem", mem, "memory per task, e.g. 8G or 500M; empty leaves the cluster's default")
		f.IntVar(&lf.throttle, "throttle", 0, "run at most this many tasks of a step at once (0: no limit)")
	}
}

// prepared is a launch's run: its settings as the tasks read them, the
// plan, and where the config file goes.
type prepared struct {
	c          job.Config
	plan       []job.Step
	scriptsDir string
	configPath string
	config     []byte
}

func (lf *launchFlags) prepare(cmd *cobra.Command, args []string, workers int) (*prepared, error) {
	// Set so that the scheduler's environment (a launch from inside a
	// cluster job) is not read as this run's task index.
	_ = cmd.Flags().Set("task", "0")
	c, err := lf.rf.config(cmd, args)
	if err != nil {
		return nil, err
	}
	c, err = launch.TaskConfig(c, workers)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	plan, err := c.Plan()
	if err != nil {
		return nil, err
	}
	// An OUT holding another run's output is refused (or replaced with
	// --overwrite); the same run's is resumed.
	if !lf.podsOUT {
		if err := job.ClaimLaunchOutput(cmd.Context(), c, lf.rf.overwrite, lf.dryRun, nil); err != nil {
			return nil, err
		}
	}
	p := &prepared{c: c, plan: plan, scriptsDir: lf.scriptsDir}
	if p.scriptsDir == "" {
		p.scriptsDir = launch.DefaultScriptsDir(c.Output.Dir)
	}
	if p.scriptsDir != "" {
		if p.scriptsDir, err = filepath.Abs(p.scriptsDir); err != nil {
			return nil, err
		}
		p.configPath = filepath.Join(p.scriptsDir, launch.ConfigName)
	}
	if p.config, err = launch.MarshalConfig(c); err != nil {
		return nil, err
	}
	return p, nil
}

func errNoScriptsDir(out string) error {
	return job.UsageError("output %s is on object storage: give --scripts-dir, a directory every task can read, for the run's config file", out)
}

// writeConfig writes the config file, unless this is a dry run.
func (p *prepared) writeConfig(dry bool) error {
	if p.configPath == "" {
		return errNoScriptsDir(p.c.Output.Dir)
	}
	if dry {
		return nil
	}
	return launch.WriteFile(p.configPath, p.config, 0o644)
}

func newLaunchCmd(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "launch slurm|k8s|local INPUT... -o OUT --tasks N [run flags]",
		Short: "Run a job split over N tasks on Slurm, Kubernetes or this machine",
		Long: `Split a run over N tasks and run its steps in order: for each stage that needs
the whole corpus (the de-duplication stages), observe-<stage> (N tasks) and
prepare-<stage> (1 task); then write (N tasks, each writing the shards of its
share of the input files) and merge (1 task, writing OUT/stats.json). Every
task is 'winnow run --config JOB.yaml --step S --tasks N --task I'; the kept
documents equal those of 'winnow run' with the same flags.

Each finished task leaves OUT/_tasks/<step>/<task>.done; relaunching the same
command runs only the tasks without one.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newLaunchSlurmCmd(stdout, stderr), newLaunchK8sCmd(stdout), newLaunchLocalCmd(stdout, stderr))
	return cmd
}

func newLaunchSlurmCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		lf                       launchFlags
		timeLimit, part, account string
		logDir, exe              string
		extra                    []string
		wait                     bool
		poll                     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "slurm INPUT... -o OUT --tasks N [run flags]",
		Short: "Submit the steps as Slurm array jobs chained by afterok dependencies",
		Long: `Write job.yaml, one batch script per step and submit.sh into the scripts
directory (default OUT/_launch, which must be on a filesystem every node
mounts), then submit each step that has unfinished tasks as an array job
(sbatch --array=0-<N-1>%<throttle>) depending on the step before
(--dependency=afterok:<job>), and print the job ids. Logs go to
<log-dir>/winnow-<step>-<job>_<task>.log.

Each task asks for --cpus-per-task cores (default 4, or fewer if the
partition's smallest node has fewer) and --mem memory (default: none asked,
the cluster's default applies), so the defaults run on any cluster where a
small job runs.

With --wait, return when every job has left the queue: status 0 when every
task finished, 1 listing the unfinished tasks and their logs, 3 when the run
finished but some inputs were damaged. A job that can never start (squeue's
reason PartitionConfig, BadConstraints, held, a per-job limit) ends the wait at the next poll: the run's queued jobs are
cancelled and the status is 1, with Slurm's reason. --dry-run prints the
scripts instead.`,
		Example: `  winnow launch slurm 'crawl/*.jsonl.zst' -o /shared/clean --tasks 64 --throttle 16 \
      --cpus-per-task 8 --mem 16G --time 4:00:00 --partition cpu --langs en,de
  winnow launch slurm testdata/sample -o /shared/out --tasks 4 --dry-run
  winnow launch slurm data/ -o /shared/out --tasks 4 --wait   # blocks; rerun to resume`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if !cmd.Flags().Changed("cpus-per-task") {
				lf.cpus = launch.SlurmCPUs(ctx, launch.Exec{}, part, launch.DefaultSlurmCPUs)
			}
			p, err := lf.prepare(cmd, args, lf.cpus)
			if err != nil {
				return err
			}
			if p.configPath == "" {
				return errNoScriptsDir(p.c.Output.Dir)
			}
			mem, err := launch.ParseMemory(lf.mem)
			if err != nil {
				return err
			}
			if exe == "" {
				if exe, err = os.Executable(); err != nil {
					return fmt.Errorf("finding the winnow binary (give --winnow): %w", err)
				}
				if strings.Contains(exe, "go-build") {
					fmt.Fprintf(stderr, "winnow: warning: %s is a temporary 'go run' binary; build winnow (go build -o DIR ./cmd/winnow) and pass --winnow\n", exe)
				}
			}
			if logDir == "" {
				logDir = filepath.Join(p.scriptsDir, "logs")
			}
			if logDir, err = filepath.Abs(logDir); err != nil {
				return err
			}
			wd, err := os.Getwd()
			if err != nil {
				return err
			}
			l := launch.Slurm{
				SlurmOptions: launch.SlurmOptions{
					Winnow: exe, Output: p.c.Output.Dir, Dir: wd, ConfigPath: p.configPath, LogDir: logDir,
					CPUs: lf.cpus, Mem: mem, Time: timeLimit, Partition: part, Account: account,
					Throttle: lf.throttle, Extra: extra,
				},
				ScriptsDir: p.scriptsDir, Wait: wait, Poll: poll,
				Submitted: func(subs []launch.Submitted) {
					for _, s := range subs {
						fmt.Fprintf(stdout, "%s\t%s\t%d task(s)\n", s.JobID, s.Step.Name, len(s.Tasks))
					}
					switch {
					case lf.rf.quiet:
					case wait:
						fmt.Fprintf(stderr, "winnow: waiting for %d job(s); logs in %s\n", len(subs), logDir)
					default:
						fmt.Fprintf(stderr, "winnow: submitted %d job(s); logs in %s; OUT/stats.json appears when the merge step ends\n", len(subs), logDir)
					}
				},
			}
			if lf.dryRun {
				printFiles(stdout, p, launch.SlurmScripts(p.plan, p.c.Tasks, l.SlurmOptions))
				return nil
			}
			res, err := l.Run(ctx, p.c, p.plan)
			if err != nil {
				if ctx.Err() != nil && res != nil && len(res.Jobs) > 0 {
					ids := make([]string, len(res.Jobs))
					for i, s := range res.Jobs {
						ids[i] = s.JobID
					}
					fmt.Fprintf(stderr, "winnow: stopped waiting; the jobs go on (scancel %s stops them)\n", strings.Join(ids, " "))
				}
				return err
			}
			if len(res.Jobs) == 0 {
				fmt.Fprintf(stderr, "winnow: every task has finished already (markers in %s/_tasks/); nothing submitted\n", p.c.Output.Dir)
			}
			if !wait {
				return nil
			}
			return finished(ctx, p.c, lf.rf.quiet, stderr)
		},
	}
	lf.register(cmd, true, 0, fmt.Sprintf("cores per task, also the task's --workers unless given (default: %d, or the partition's smallest node's CPUs if fewer, as sinfo reports them)", launch.DefaultSlurmCPUs), "")
	f := cmd.Flags()
	f.StringVar(&timeLimit, "time", "", "time limit per task (sbatch --time), e.g. 4:00:00")
	f.StringVar(&part, "partition", "", "partition to submit to")
	f.StringVar(&account, "account", "", "account to charge")
	f.StringVar(&logDir, "log-dir", "", "directory of the tasks' logs (default SCRIPTS-DIR/logs; on a shared filesystem)")
	f.StringVar(&exe, "winnow", "", "the winnow binary as the nodes see it (default this one)")
	f.StringArrayVar(&extra, "sbatch-arg", nil, "another sbatch option for every step, e.g. --sbatch-arg=--qos=high (repeatable)")
	f.BoolVar(&wait, "wait", false, "return only when every job has ended; non-zero if a task did not finish, or at once, cancelling the run's jobs, if one can never start")
	f.DurationVar(&poll, "poll", 5*time.Second, "with --wait, how often to ask squeue")
	return cmd
}

func newLaunchK8sCmd(stdout io.Writer) *cobra.Command {
	var (
		lf      launchFlags
		o       launch.KubernetesOptions
		dir     string
		volumes []string
	)
	cmd := &cobra.Command{
		Use:   "k8s INPUT... -o OUT --tasks N --image IMAGE [run flags]",
		Short: "Write Kubernetes Indexed Job manifests, one per step, and apply.sh",
		Long: `Write into the manifests directory (default OUT/_launch/k8s) a ConfigMap
holding the run's config file (00-config.yaml), one Indexed Job per step
(NN-<step>.yaml: completions N, each pod one task, its index from
JOB_COMPLETION_INDEX) and apply.sh, which applies them in order, each once
the Job before it has completed. apply.sh fails when a Job fails, and when
a pod stays unschedulable (no node meets its requests) for
--unschedulable-timeout seconds, deleting that Job. Nothing is applied:
review, then run apply.sh (kubectl must reach the cluster). --dry-run prints
them instead.

Paths in the config are the pods' paths: OUT is either object storage
(-o s3://..., with --secret-env for credentials) or a PersistentVolumeClaim
mounted at OUT's path (--pvc); inputs are URLs or under a --volume.`,
		Example: `  winnow launch k8s s3://raw/crawl/ -o s3://clean/v1 --tasks 32 --image ghcr.io/acme/winnow:1.0 \
      --secret-env s3-credentials --cpus-per-task 8 --mem 16G --manifests-dir k8s/ && k8s/apply.sh
  winnow launch k8s /data/raw -o /data/clean --tasks 8 --image winnow:dev --pvc data \
      --volume raw:/data/raw --dry-run`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			lf.podsOUT = true
			p, err := lf.prepare(cmd, args, lf.cpus)
			if err != nil {
				return err
			}
			if o.Mem, err = launch.ParseMemory(lf.mem); err != nil {
				return err
			}
			for _, v := range volumes {
				vol, err := launch.ParseVolume(v)
				if err != nil {
					return err
				}
				o.Volumes = append(o.Volumes, vol)
			}
			o.CPUs, o.Parallelism = lf.cpus, lf.throttle
			files, err := launch.KubernetesManifests(p.c, p.plan, o)
			if err != nil {
				return err
			}
			if lf.dryRun {
				for _, f := range files {
					fmt.Fprintf(stdout, "# ==> %s <==\n%s\n", f.Name, f.Text)
				}
				return nil
			}
			if dir == "" {
				if p.scriptsDir == "" {
					return job.UsageError("give --manifests-dir (OUT %s is not a local directory)", p.c.Output.Dir)
				}
				dir = filepath.Join(p.scriptsDir, "k8s")
			}
			if err := launch.WriteScripts(dir, files); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "wrote %d manifests to %s; apply them in order with %s\n", len(files)-1, dir, filepath.Join(dir, "apply.sh"))
			return nil
		},
	}
	lf.register(cmd, true, 4, "cores per task (also the task's --workers unless given)", "8G")
	f := cmd.Flags()
	f.StringVar(&dir, "manifests-dir", "", "where to write the manifests (default SCRIPTS-DIR/k8s)")
	f.StringVar(&o.Image, "image", "", "container image with winnow on its PATH (required)")
	f.StringVar(&o.Name, "name", "winnow", "prefix of the objects' names")
	f.StringVar(&o.Namespace, "namespace", "", "namespace of the objects (default kubectl's)")
	f.StringVar(&o.PVC, "pvc", "", "PersistentVolumeClaim to mount at OUT's path")
	f.StringArrayVar(&volumes, "volume", nil, "another claim to mount, CLAIM:/path (repeatable), e.g. the inputs'")
	f.StringVar(&o.SecretEnv, "secret-env", "", "Secret whose keys become the pods' environment (object-storage credentials)")
	f.StringVar(&o.ServiceAccount, "service-account", "", "service account of the pods")
	f.IntVar(&o.BackoffLimitPerIndex, "retries", 2, "retries of a failed task (backoffLimitPerIndex)")
	f.IntVar(&o.Poll, "poll", 10, "seconds between apply.sh's checks of a step")
	f.IntVar(&o.Unschedulable, "unschedulable-timeout", launch.DefaultUnschedulable, "seconds apply.sh lets a pod stay unschedulable before it deletes the Job and fails (raise it where an autoscaler adds nodes)")
	return cmd
}

func newLaunchLocalCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		lf       launchFlags
		parallel int
		exe      string
	)
	cmd := &cobra.Command{
		Use:   "local INPUT... -o OUT --tasks N [run flags]",
		Short: "Run the steps' tasks as subprocesses on this machine",
		Long: `Run the steps in order on this machine, each task a subprocess
('winnow run --config OUT/_launch/job.yaml --step S --tasks N --task I'),
--parallel at a time, the cores split between them. The same steps as on a
cluster, for trying a cluster run small, or for a machine whose memory does
not hold one run's state. Stops at the first failed task with its output;
rerunning the same command resumes.`,
		Example: `  winnow launch local testdata/sample -o out --tasks 4
  winnow launch local 'crawl/*.jsonl.zst' -o out --tasks 16 --parallel 4 --langs en`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cores := runtime.NumCPU()
			tasks := lf.rf.c.Tasks
			if parallel < 1 {
				parallel = min(max(tasks, 1), cores)
			}
			p, err := lf.prepare(cmd, args, max(cores/parallel, 1))
			if err != nil {
				return err
			}
			if p.configPath == "" && !lf.dryRun {
				// OUT is on object storage: the tasks share this machine,
				// so the config file can live here for the launch.
				dir, err := os.MkdirTemp("", "winnow-launch-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(dir)
				p.scriptsDir, p.configPath = dir, filepath.Join(dir, launch.ConfigName)
			}
			if err := p.writeConfig(lf.dryRun); err != nil {
				return err
			}
			if lf.dryRun {
				fmt.Fprintf(stdout, "# ==> %s <==\n%s\n", p.configPath, p.config)
				for _, s := range p.plan {
					fmt.Fprintf(stdout, "# step %s: %d task(s), %d at a time\n", s.Name, s.Tasks, parallel)
					fmt.Fprintf(stdout, "winnow run --config %s --step %s --tasks %d --task I\n", p.configPath, s.Name, p.c.Tasks)
				}
				return nil
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			l := launch.Local{Runner: launch.Subprocess{Exe: exe}, Parallel: parallel}
			if !lf.rf.quiet {
				l.Progress = stderr
			}
			res, err := l.Run(ctx, p.c, p.configPath, p.plan)
			if err != nil {
				return err
			}
			if len(res.Ran) == 0 && !lf.rf.quiet {
				fmt.Fprintf(stderr, "winnow: every task has finished already (markers in %s/_tasks/)\n", p.c.Output.Dir)
			}
			return finished(ctx, p.c, lf.rf.quiet, stderr)
		},
	}
	lf.register(cmd, false, 0, "", "")
	cmd.Flags().IntVar(&parallel, "parallel", 0, "tasks running at once (default min(tasks, cores))")
	cmd.Flags().StringVar(&exe, "winnow", "", "the winnow binary the tasks run (default this one)")
	_ = cmd.Flags().MarkHidden("winnow")
	return cmd
}

// finished reports a run whose every task has finished: the summary of
// its accounting, and exit status 3 when inputs were damaged.
func finished(ctx context.Context, c job.Config, quiet bool, stderr io.Writer) error {
	stats, err := job.MergeStats(ctx, c.Output.Dir, c.Tasks)
	if err != nil {
		return err
	}
	if !quiet {
		stats.Summary(stderr)
	}
	if len(stats.InputErrors) > 0 {
		fmt.Fprintf(stderr, "winnow: %d input file(s) damaged; intact records kept (see %s/stats.json)\n", len(stats.InputErrors), c.Output.Dir)
		return exitError{exitDamaged}
	}
	return nil
}

// printFiles prints a dry run's config file and scripts.
func printFiles(w io.Writer, p *prepared, files []launch.Script) {
	fmt.Fprintf(w, "# ==> %s <==\n%s\n", p.configPath, p.config)
	for _, f := range files {
		fmt.Fprintf(w, "# ==> %s <==\n%s\n", filepath.Join(p.scriptsDir, f.Name), f.Text)
	}
}
