package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/winnow-data/winnow/pipeline/job"
)

// runFlags are the settings of a run as flags: `run` and `launch` share
// them, so a launched job is exactly the run the same flags describe.
type runFlags struct {
	configPath string
	c          job.Config
	quiet      bool
	step       string
	overwrite  bool
}

// register adds the run's flags to cmd.
func (rf *runFlags) register(cmd *cobra.Command) {
	rf.c = job.Defaults()
	c := &rf.c
	f := cmd.Flags()
	f.StringVar(&rf.configPath, "config", "", "YAML file with the run's settings; flags override it")
	f.StringVarP(&c.Output.Dir, "output", "o", "", "output directory or URL (required)")
	f.StringVar(&c.Output.Format, "output-format", c.Output.Format, "parquet, jsonl (zstd-compressed) or arrow")
	f.StringVar(&c.Output.Compression, "compression", "zstd", "Parquet/Arrow codec: zstd, lz4, snappy (Parquet only), none")
	f.Int64Var(&c.Output.MaxShardBytes, "max-shard-bytes", c.Output.MaxShardBytes, "rotate a shard after this many bytes")
	f.BoolVar(&c.Output.Rejected, "rejected", false, "also write rejected documents to OUT/rejected/ with a reason column")
	f.StringSliceVar(&c.Only, "only", nil, "run only these stages (comma-separated); 'none' runs no stage")
	f.StringSliceVar(&c.Skip, "skip", nil, "leave out these stages")
	f.StringSliceVar(&c.Langs, "langs", nil, "keep only documents in these languages, e.g. en,de")
	f.StringVar(&c.Mode, "mode", "", "tag: keep every document, listing the rules that would have dropped it in a reasons column (filter mode keeps exactly those with none)")
	f.StringVar(&c.Against, "against", "", "remove near-duplicates of the index an earlier run saved here (minhash save_index)")
	f.StringSliceVar(&c.Fields.Text, "text-field", c.Fields.Text, "dotted path(s) of the text; several are joined with a blank line, as are chat turns [{role, content}]")
	f.StringVar(&c.Fields.ID, "id-field", c.Fields.ID, "dotted path of the record id")
	f.StringVar(&c.Fields.URL, "url-field", c.Fields.URL, "dotted path of the URL")
	f.StringVar(&c.Fields.Date, "date-field", c.Fields.Date, "dotted path of the crawl or publication date")
	inputFlags(cmd, c)
	f.IntVar(&c.Workers, "workers", 0, "cores to use (default all)")
	f.StringVar(&c.SpillDir, "spill-dir", "", "directory for the first pass's documents when corpus-wide stages need more passes (default $TMPDIR)")
	f.IntVar(&c.Task, "task", 0, "index of this task's share of the inputs (0-based; default from the scheduler's environment)")
	f.IntVar(&c.Tasks, "tasks", 1, "number of shares the inputs are split into (default from the scheduler's environment)")
	f.BoolVarP(&rf.quiet, "quiet", "q", false, "print nothing but errors")
	f.BoolVar(&rf.overwrite, "overwrite", false, "replace the output of an earlier run in OUT (without it, an OUT holding one is refused)")
}

// inputFlags adds the flags that select input files, shared by every
// command that reads inputs.
func inputFlags(cmd *cobra.Command, c *job.Config) {
	f := cmd.Flags()
	f.StringSliceVar(&c.Include, "include", c.Include, "in input directories, read only files matching one of these globs ('*.jsonl.gz'; with '/', the path below the directory)")
	f.StringSliceVar(&c.Exclude, "exclude", c.Exclude, "in input directories, skip files and directories matching these globs")
}

// config resolves the run's settings: the config file, then every flag
// the user set, then the inputs (arguments, else the file's), then the
// task index from the scheduler's environment unless --task was given.
func (rf *runFlags) config(cmd *cobra.Command, args []string) (job.Config, error) {
	c := rf.c
	if rf.configPath != "" {
		fromFile, err := job.Load(rf.configPath)
		if err != nil {
			return c, err
		}
		c = overrideFlags(cmd, fromFile, rf.c)
	}
	if len(args) > 0 {
		c.Inputs = args
	}
	set := cmd.Flags().Changed
	if !set("task") {
		task, tasks, ok, err := job.TaskFromEnv(os.Getenv)
		if err != nil {
			return c, err
		}
		if ok {
			c.Task = task
			if tasks > 0 {
				if set("tasks") && c.Tasks != tasks {
					return c, job.UsageError("--tasks %d disagrees with the scheduler's task count %d", c.Tasks, tasks)
				}
				c.Tasks = tasks
			}
		}
	}
	return c, nil
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
		"against":         func() { file.Against = flags.Against },
		"text-field":      func() { file.Fields.Text = flags.Fields.Text },
		"id-field":        func() { file.Fields.ID = flags.Fields.ID },
		"url-field":       func() { file.Fields.URL = flags.Fields.URL },
		"date-field":      func() { file.Fields.Date = flags.Fields.Date },
		"include":         func() { file.Include = flags.Include },
		"exclude":         func() { file.Exclude = flags.Exclude },
		"workers":         func() { file.Workers = flags.Workers },
		"spill-dir":       func() { file.SpillDir = flags.SpillDir },
		"task":            func() { file.Task = flags.Task },
		"tasks":           func() { file.Tasks = flags.Tasks },
	} {
		if set(name) {
			apply()
		}
	}
	return file
}
