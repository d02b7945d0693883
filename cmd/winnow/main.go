// Command winnow curates web crawls and text collections into clean,
// deduplicated, language-partitioned Parquet shards.
//
// The command is a thin layer: flags become a job.Config, and everything
// else is a library call.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/winnow-data/winnow/pipeline"
	"github.com/winnow-data/winnow/pipeline/job"
)

// Exit statuses.
const (
	exitOK       = 0
	exitFailure  = 1
	exitUsage    = 2
	exitDamaged  = 3
	exitCanceled = 130
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// exitError carries an exit status out of a command.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// run executes the CLI with args and returns the exit status; main and
// the end-to-end tests share it.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	var ee exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, job.ErrUsage) || isFlagError(err):
		fmt.Fprintln(stderr, "winnow:", err)
		return exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "winnow: interrupted; no partial output was left")
		return exitCanceled
	default:
		fmt.Fprintln(stderr, "winnow:", err)
		return exitFailure
	}
}

// flagError marks cobra's own argument and flag errors.
type flagError struct{ error }

func (e flagError) Unwrap() error { return e.error }

func isFlagError(err error) bool {
	var fe flagError
	return errors.As(err, &fe)
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "winnow",
		Short: "Curate web crawls and text collections into clean training shards",
		Long: `winnow turns raw web crawls and text collections into clean, deduplicated,
language-partitioned Parquet shards for language-model training.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return flagError{err} })
	root.AddCommand(newRunCmd(stderr), newStagesCmd(stdout), newDupstatsCmd(stdout), newReferenceCmd(), newStatsCmd(stdout, stderr), newLaunchCmd(stdout, stderr), newClassifierCmd(stdout), newVersionCmd(stdout))
	return root
}

func newRunCmd(stderr io.Writer) *cobra.Command {
	var (
		rf         runFlags
		cpuProfile string
	)
	cmd := &cobra.Command{
		Use:   "run INPUT... -o OUT [flags]",
		Short: "Curate inputs into Parquet shards under OUT",
		Long: `Read every INPUT (a file, a directory recursed, a glob, or an s3://, gs://,
azblob:// or file:// URL) — JSONL, text, Parquet or WARC/WET, each plain or
gzip/zstd/bzip2-compressed — run the stages over each document on all cores,
and write kept documents to OUT/lang=<code>/ shards, with OUT/stats.json
accounting for every document.

With --tasks N, a run is one task of a cluster job: --task I (or the
scheduler's index: SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX,
AWS_BATCH_JOB_ARRAY_INDEX, BATCH_TASK_INDEX, CLOUD_RUN_TASK_INDEX) picks the
I-th share of the input files, and --step names the step of the plan
(see 'winnow launch') that the task runs.

Exit status: 0 every input read completely; 3 finished, but some input files
were damaged (listed in stats.json); 2 usage or config error; 1 other failure;
130 interrupted (no partial shard is left).`,
		Example: `  winnow run testdata/ -o out
  winnow run 'crawl/*.jsonl.zst' -o out --langs en,de --rejected
  winnow run sft.jsonl -o out --text-field instruction,response --only none
  winnow run data/ -o out --config winnow.yaml --workers 8
  winnow run --config job.yaml --tasks 16 --task 3 --step write`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := rf.config(cmd, args)
			if err != nil {
				return err
			}
			if c.Workers > 0 {
				runtime.GOMAXPROCS(c.Workers)
			}
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			return runJob(cmd.Context(), c, rf.step, rf.quiet, stderr)
		},
	}
	rf.register(cmd)
	cmd.Flags().StringVar(&rf.step, "step", "", "run one step of the task plan (observe-<stage>, prepare-<stage>, write, merge); see 'winnow launch'")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file (for pprof)")
	return cmd
}

func runJob(ctx context.Context, c job.Config, step string, quiet bool, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	level := slog.LevelWarn
	if quiet {
		level = slog.LevelError
	}
	ro := job.RunOptions{Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))}
	var bar *progressbar.ProgressBar
	if f, ok := stderr.(*os.File); ok && !quiet && term.IsTerminal(int(f.Fd())) {
		ro.Progress = func(p pipeline.Progress, total int64) {
			if bar == nil {
				bar = newBar(f, total)
			}
			desc := fmt.Sprintf("%d docs", p.Docs)
			if p.Passes > 1 {
				desc = fmt.Sprintf("pass %d/%d · %s", p.Pass, p.Passes, desc)
			}
			bar.Describe(desc)
			_ = bar.Set64(p.BytesRead)
		}
	}
	var (
		stats *pipeline.Stats
		err   error
	)
	if step == "" {
		stats, err = job.Run(ctx, c, ro)
	} else {
		var res *job.StepResult
		res, err = job.RunStep(ctx, c, step, ro)
		if res != nil {
			stats = res.Stats
			if res.Skipped && !quiet {
				fmt.Fprintf(stderr, "winnow: step %s, task %d: already done (marker in %s/_tasks/)\n", step, c.Task, c.Output.Dir)
				return nil
			}
		}
		if err == nil && step != job.StepMerge {
			// A task's damaged inputs are reported by merge, for the
			// whole run: failing here would stop the steps after it.
			if !quiet {
				fmt.Fprintf(stderr, "winnow: step %s, task %d/%d done: %d documents read\n", step, c.Task, c.Tasks, stats.DocsIn)
			}
			return nil
		}
	}
	if bar != nil {
		_ = bar.Finish()
		fmt.Fprintln(stderr)
	}
	if stats != nil && !quiet && err == nil {
		stats.Summary(stderr)
	}
	if err != nil {
		return err
	}
	if len(stats.InputErrors) > 0 {
		fmt.Fprintf(stderr, "winnow: %d input file(s) damaged; intact records kept (see %s/stats.json)\n", len(stats.InputErrors), c.Output.Dir)
		return exitError{exitDamaged}
	}
	return nil
}

func newBar(f *os.File, total int64) *progressbar.ProgressBar {
	if total <= 0 {
		total = -1
	}
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(f),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionSetWidth(30),
		progressbar.OptionClearOnFinish(),
	)
}

func newStagesCmd(stdout io.Writer) *cobra.Command {
	var markdown bool
	cmd := &cobra.Command{
		Use:   "stages",
		Short: "List the stages in pipeline order, with their parameters and defaults",
		Example: `  winnow stages
  winnow stages --markdown   # the table in the README
  winnow run data/ -o out --only langid,gopher_quality`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if markdown {
				writeStagesMarkdown(stdout)
				return nil
			}
			specs := pipeline.Specs()
			if len(specs) == 0 {
				fmt.Fprintln(stdout, "no stages are registered")
			}
			for _, s := range specs {
				def := ""
				if !s.Default {
					def = " (not in the default pipeline)"
				}
				fmt.Fprintf(stdout, "%-18s %s%s\n", s.Name, s.Summary, def)
				for _, p := range s.Params {
					fmt.Fprintf(stdout, "    %-22s %-14s %s\n", p.Name, formatDefault(p.Default), p.Doc)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&markdown, "markdown", false, "print the list as the README's Markdown table")
	return cmd
}

// writeStagesMarkdown prints one table row per parameter, generated from
// the stages' own declarations so the README cannot drift from the code.
func writeStagesMarkdown(w io.Writer) {
	fmt.Fprintln(w, "| stage | default pipeline | parameter | default | meaning |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, s := range pipeline.Specs() {
		on := "no"
		if s.Default {
			on = "yes"
		}
		fmt.Fprintf(w, "| **%s** | %s | | | %s |\n", s.Name, on, mdEscape(s.Summary))
		for _, p := range s.Params {
			fmt.Fprintf(w, "| | | `%s` | `%s` | %s |\n", p.Name, formatDefault(p.Default), mdEscape(p.Doc))
		}
	}
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

func formatDefault(v any) string {
	switch x := v.(type) {
	case []string:
		if len(x) == 0 {
			return "[]"
		}
		return strings.Join(x, ",")
	case string:
		if x == "" {
			return `""`
		}
		return x
	}
	return fmt.Sprint(v)
}

func newVersionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print winnow's version",
		Args:  cobra.NoArgs,
		Run: func(*cobra.Command, []string) {
			v := "(devel)"
			if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
				v = bi.Main.Version
			}
			fmt.Fprintf(stdout, "winnow %s %s/%s %s\n", v, runtime.GOOS, runtime.GOARCH, runtime.Version())
		},
	}
}
