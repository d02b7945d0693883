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
	root.AddCommand(newRunCmd(stderr), newStagesCmd(stdout), newDupstatsCmd(stdout), newReferenceCmd(), newVersionCmd(stdout))
	return root
}

func newRunCmd(stderr io.Writer) *cobra.Command {
	var (
		configPath string
		c          = job.Defaults()
		quiet      bool
		cpuProfile string
	)
	cmd := &cobra.Command{
		Use:   "run INPUT... -o OUT [flags]",
		Short: "Curate inputs into Parquet shards under OUT",
		Long: `Read every INPUT (a file, a directory recursed, or a glob) — JSONL, text or
Parquet, each plain or gzip/zstd/bzip2-compressed — run the stages over each
document on all cores, and write kept documents to OUT/lang=<code>/ shards,
with OUT/stats.json accounting for every document.

Exit status: 0 every input read completely; 3 finished, but some input files
were damaged (listed in stats.json); 2 usage or config error; 1 other failure;
130 interrupted (no partial shard is left).`,
		Example: `  winnow run testdata/ -o out
  winnow run 'crawl/*.jsonl.zst' -o out --langs en,de --rejected
  winnow run sft.jsonl -o out --text-field instruction,response --only none
  winnow run data/ -o out --config winnow.yaml --workers 8
  winnow run data/ -o out --task 3 --tasks 16   # the 4th of 16 shares`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if configPath != "" {
				fromFile, err := job.Load(configPath)
				if err != nil {
					return err
				}
				c = overrideFlags(cmd, fromFile, c)
			}
			c.Inputs = args
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
			return runJob(cmd.Context(), c, quiet, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&configPath, "config", "", "YAML file with the run's settings; flags override it")
	f.StringVarP(&c.Output.Dir, "output", "o", "", "output directory (required)")
	f.StringVar(&c.Output.Format, "output-format", c.Output.Format, "parquet, jsonl (zstd-compressed) or arrow")
	f.StringVar(&c.Output.Compression, "compression", "zstd", "Parquet/Arrow codec: zstd, lz4, snappy (Parquet only), none")
	f.Int64Var(&c.Output.MaxShardBytes, "max-shard-bytes", c.Output.MaxShardBytes, "rotate a shard after this many bytes")
	f.BoolVar(&c.Output.Rejected, "rejected", false, "also write rejected documents to OUT/rejected/ with a reason column")
	f.StringSliceVar(&c.Only, "only", nil, "run only these stages (comma-separated); 'none' runs no stage")
	f.StringSliceVar(&c.Skip, "skip", nil, "leave out these stages")
	f.StringSliceVar(&c.Langs, "langs", nil, "keep only documents in these languages, e.g. en,de")
	f.StringVar(&c.Mode, "mode", "", "tag: keep every document and write the filters' signals only (choose thresholds later)")
	f.StringSliceVar(&c.Fields.Text, "text-field", c.Fields.Text, "dotted path(s) of the text; several are joined with a blank line, as are chat turns [{role, content}]")
	f.StringVar(&c.Fields.ID, "id-field", c.Fields.ID, "dotted path of the record id")
	f.StringVar(&c.Fields.URL, "url-field", c.Fields.URL, "dotted path of the URL")
	f.StringVar(&c.Fields.Date, "date-field", c.Fields.Date, "dotted path of the crawl or publication date")
	f.IntVar(&c.Workers, "workers", 0, "cores to use (default all)")
	f.IntVar(&c.Task, "task", 0, "index of this task's share of the inputs (0-based)")
	f.IntVar(&c.Tasks, "tasks", 1, "number of shares the inputs are split into")
	f.BoolVarP(&quiet, "quiet", "q", false, "print nothing but errors")
	f.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file (for pprof)")
	return cmd
}

// overrideFlags returns the config file's settings with every flag the
// user set taken from flags.
func overrideFlags(cmd *cobra.Command, file, flags job.Config) job.Config {
	set := cmd.Flags().Changed
	for name, apply := range map[string]func(){
		"output":          func() { file.Output.Dir = flags.Output.Dir },
		"output-format":   func() { file.Output.Format = flags.Output.Format },
		"compression":     func() { file.Output.Compression = flags.Output.Compression },
		"max-shard-bytes": func() { file.Output.MaxShardBytes = flags.Output.MaxShardBytes },
		"rejected":        func() { file.Output.Rejected = flags.Output.Rejected },
		"only":            func() { file.Only = flags.Only },
		"skip":            func() { file.Skip = flags.Skip },
		"langs":           func() { file.Langs = flags.Langs },
		"mode":            func() { file.Mode = flags.Mode },
		"text-field":      func() { file.Fields.Text = flags.Fields.Text },
		"id-field":        func() { file.Fields.ID = flags.Fields.ID },
		"url-field":       func() { file.Fields.URL = flags.Fields.URL },
		"date-field":      func() { file.Fields.Date = flags.Fields.Date },
		"workers":         func() { file.Workers = flags.Workers },
		"task":            func() { file.Task = flags.Task },
		"tasks":           func() { file.Tasks = flags.Tasks },
	} {
		if set(name) {
			apply()
		}
	}
	return file
}

func runJob(ctx context.Context, c job.Config, quiet bool, stderr io.Writer) error {
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
	stats, err := job.Run(ctx, c, ro)
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
