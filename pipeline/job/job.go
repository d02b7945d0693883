// Package job turns a run's settings — from the config file and the
// command line — into a pipeline: it finds the inputs, builds the stages
// from the registry, opens the output and runs the engine. It is what
// `winnow run` calls, for Go programs that want the same behaviour.
//
// Stages are registered by the packages that define them (filters/...,
// dedup/...); a program imports those for their side effect.
package job

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/winnow-data/winnow/pipeline"
	"github.com/winnow-data/winnow/pipeline/input"
	"github.com/winnow-data/winnow/pipeline/output"
)

// Config holds every setting of a run. Its YAML form is the config file;
// each command-line flag overrides one field.
type Config struct {
	Inputs []string `yaml:"inputs"`
	Output Output   `yaml:"output"`
	Fields Fields   `yaml:"fields"`
	// Only, when set, runs just these stages (in pipeline order); "none"
	// runs no stage at all. Skip removes stages from the pipeline.
	Only []string `yaml:"only"`
	Skip []string `yaml:"skip"`
	// Langs keeps only documents in these languages (the langid stage's
	// keep parameter).
	Langs []string `yaml:"langs"`
	// Mode "tag" runs every stage that has a mode parameter in tag mode:
	// documents are kept and only their signals written, so thresholds
	// can be chosen afterwards. "filter" (or empty) leaves each stage's
	// own setting.
	Mode string `yaml:"mode"`
	// Against removes documents near-duplicating the index an earlier
	// run saved (the minhash stage's against parameter).
	Against string `yaml:"against"`
	// Stages holds parameters by stage name, e.g.
	// {langid: {min_score: 0.5}}.
	Stages map[string]map[string]any `yaml:"stages"`
	// SpillDir is where a run whose pipeline has corpus-wide stages
	// keeps the documents of its first pass for the later ones (about
	// half of the input's text); empty means the system's temporary
	// directory ($TMPDIR).
	SpillDir string `yaml:"spill_dir"`
	// Workers is the number of goroutines running stages; 0 means all
	// cores.
	Workers int `yaml:"workers"`
	// Task and Tasks select the Task-th of Tasks deterministic shares of
	// the input files (0-based).
	Task  int `yaml:"task"`
	Tasks int `yaml:"tasks"`
}

// Output configures what is written.
type Output struct {
	Dir    string `yaml:"dir"`
	Format string `yaml:"format"` // parquet (default), jsonl, arrow
	// Compression is the Parquet/Arrow codec: zstd (default), lz4,
	// snappy (Parquet only), none.
	Compression   string `yaml:"compression"`
	MaxShardBytes int64  `yaml:"max_shard_bytes"`
	Rejected      bool   `yaml:"rejected"`
}

// Fields maps record fields to document fields (dotted paths).
type Fields struct {
	Text []string `yaml:"text"`
	ID   string   `yaml:"id"`
	URL  string   `yaml:"url"`
	Date string   `yaml:"date"`
}

// DefaultMaxShardBytes is the size at which shards rotate.
const DefaultMaxShardBytes = 256 << 20

// Defaults returns the settings a run has when nothing is given.
func Defaults() Config {
	return Config{
		Output: Output{Format: "parquet", MaxShardBytes: DefaultMaxShardBytes},
		Fields: Fields{Text: []string{"text"}, ID: "id", URL: "url", Date: "date"},
		Tasks:  1,
	}
}

// ErrUsage marks errors in the settings themselves (exit status 2).
var ErrUsage = errors.New("usage")

// UsageError returns an error in the settings (exit status 2).
func UsageError(format string, a ...any) error { return usageErr(format, a...) }

func usageErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, a...))
}

// Load reads a YAML config file over the defaults. Unknown keys are an
// error, so a typo never passes silently.
func Load(path string) (Config, error) {
	c := Defaults()
	f, err := os.Open(path)
	if err != nil {
		return c, fmt.Errorf("%w: config: %w", ErrUsage, err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, errEOF) {
		return c, fmt.Errorf("%w: config %s: %w", ErrUsage, path, err)
	}
	return c, nil
}

// errEOF is what the YAML decoder returns for an empty file.
var errEOF = func() error {
	err := yaml.NewDecoder(strings.NewReader("")).Decode(&struct{}{})
	return err
}()

// BuildStages resolves the pipeline: the default stages in order (or
// those named by Only), less Skip, each with its parameters. A stage whose
// spec allows instances may be named several times as "kind:instance"
// (e.g. classifier:quality, classifier:code): each instance takes the
// parameters of Stages["kind"] overridden by its own Stages["kind:instance"],
// and instances of one kind run in the order Only names them. Skipping
// "kind" skips its instances too.
func (c Config) BuildStages() ([]pipeline.Stage, error) {
	specs := pipeline.Specs()
	known := func(name string) error {
		kind, inst, named := strings.Cut(name, ":")
		s, ok := pipeline.Lookup(kind)
		if !ok {
			names := make([]string, len(specs))
			for i, s := range specs {
				names[i] = s.Name
			}
			return usageErr("unknown stage %q (known: %s)", name, strings.Join(names, ", "))
		}
		if named && !s.Instances {
			return usageErr("stage %q: %s does not run as named instances", name, kind)
		}
		if named && !validInstance(inst) {
			return usageErr("stage %q: an instance name is letters, digits, '_' and '-'", name)
		}
		return nil
	}
	for _, n := range slices.Concat(c.Skip, slices.Collect(maps.Keys(c.Stages))) {
		if err := known(n); err != nil {
			return nil, err
		}
	}
	none := slices.Equal(c.Only, []string{"none"})
	if !none {
		for _, n := range c.Only {
			if err := known(n); err != nil {
				return nil, err
			}
		}
	}
	var stages []pipeline.Stage
	for _, s := range specs {
		var names []string
		switch {
		case none:
		case len(c.Only) > 0:
			for _, n := range c.Only {
				if kind, _, _ := strings.Cut(n, ":"); kind == s.Name && !slices.Contains(names, n) {
					names = append(names, n)
				}
			}
		case s.Default:
			names = []string{s.Name}
		}
		for _, name := range names {
			if slices.Contains(c.Skip, s.Name) || slices.Contains(c.Skip, name) {
				continue
			}
			settings := c.Stages[s.Name]
			_, inst, named := strings.Cut(name, ":")
			if named {
				for k, v := range c.Stages[name] {
					settings = withSetting(settings, k, v)
				}
			}
			if s.Name == "langid" && len(c.Langs) > 0 {
				settings = withSetting(settings, "keep", c.Langs)
			}
			if s.Name == "minhash" && c.Against != "" {
				settings = withSetting(settings, "against", c.Against)
			}
			if c.Mode == "tag" && slices.ContainsFunc(s.Params, func(p pipeline.Param) bool { return p.Name == "mode" }) {
				settings = withSetting(settings, "mode", "tag")
			}
			var p pipeline.Params
			var err error
			if named {
				p, err = s.NewInstanceParams(inst, settings)
			} else {
				p, err = s.NewParams(settings)
			}
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrUsage, err)
			}
			st, err := s.New(p)
			if err != nil {
				return nil, fmt.Errorf("%w: stage %s: %w", ErrUsage, name, err)
			}
			stages = append(stages, st)
		}
	}
	if len(c.Langs) > 0 && !slices.ContainsFunc(stages, func(s pipeline.Stage) bool { return s.Name() == "langid" }) {
		return nil, usageErr("--langs needs the langid stage in the pipeline")
	}
	if c.Against != "" && !slices.ContainsFunc(stages, func(s pipeline.Stage) bool { return s.Name() == "minhash" }) {
		return nil, usageErr("--against needs the minhash stage in the pipeline")
	}
	return stages, nil
}

// validInstance reports whether s can name a stage instance: it becomes
// part of signal names and column names.
func validInstance(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

func withSetting(m map[string]any, k string, v any) map[string]any {
	out := maps.Clone(m)
	if out == nil {
		out = map[string]any{}
	}
	out[k] = v
	return out
}

// Shard returns the files of task i of n: every n-th file of the sorted
// list, starting at i. The split depends only on the file list, so each
// task of a cluster job computes its share alone.
func Shard(files []input.File, i, n int) []input.File {
	out, _ := shard(files, i, n)
	return out
}

// shard is Shard with each file's index in the whole list.
func shard(files []input.File, i, n int) ([]input.File, []int) {
	n = max(n, 1)
	var out []input.File
	var idx []int
	for k := i; k < len(files); k += n {
		out = append(out, files[k])
		idx = append(idx, k)
	}
	return out, idx
}

// RunOptions are the run's non-settings: reporting hooks.
type RunOptions struct {
	Progress func(pipeline.Progress, int64) // progress and total input bytes
	Logger   *slog.Logger
}

// Validate checks the settings that need no I/O.
func (c Config) Validate() error {
	switch {
	case len(c.Inputs) == 0:
		return usageErr("no input given")
	case c.Output.Dir == "":
		return usageErr("no output directory given (-o)")
	case c.Tasks < 1:
		return usageErr("--tasks must be at least 1")
	case c.Task < 0 || c.Task >= c.Tasks:
		return usageErr("--task %d is outside 0..%d", c.Task, c.Tasks-1)
	case c.Workers < 0:
		return usageErr("--workers must not be negative")
	case len(c.Fields.Text) == 0:
		return usageErr("--text-field needs at least one field")
	}
	switch c.Mode {
	case "", "filter", "tag":
	default:
		return usageErr("unknown mode %q (filter, tag)", c.Mode)
	}
	switch c.Output.Format {
	case "", "parquet", "jsonl", "arrow":
	default:
		return usageErr("unknown output format %q (parquet, jsonl, arrow)", c.Output.Format)
	}
	switch c.Output.Compression {
	case "", "zstd", "lz4", "snappy", "none":
	default:
		return usageErr("unknown compression %q (zstd, lz4, snappy, none)", c.Output.Compression)
	}
	return nil
}

// Run executes the run c describes and writes OUT/stats.json. A run with
// Tasks > 1 is one task of a cluster job: without stages that need the
// whole corpus it is that task's write step (see Step), leaving its
// accounting in a completion marker for MergeStats; with them, the tasks
// must run the steps of the plan (RunStep). The returned stats are filled
// in even when err is not nil.
func Run(ctx context.Context, c Config, ro RunOptions) (*pipeline.Stats, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Tasks > 1 {
		plan, err := c.Plan()
		if err != nil {
			return nil, err
		}
		if len(plan) > 2 {
			var need []string
			for _, s := range plan {
				if s.Stage != "" && !slices.Contains(need, s.Stage) {
					need = append(need, s.Stage)
				}
			}
			return nil, usageErr("stages %s need the whole corpus, so a task alone cannot run them: run the steps with --step (winnow launch does), or --skip them", strings.Join(need, ", "))
		}
		res, err := RunStep(ctx, c, StepWrite, ro)
		if res == nil {
			return nil, err
		}
		return res.Stats, err
	}
	stages, err := c.BuildStages()
	if err != nil {
		return nil, err
	}
	stats, err := c.write(ctx, stages, nil, ro)
	if err != nil {
		return stats, err
	}
	return stats, writeStats(ctx, c.Output.Dir, stats)
}

// sources opens the input files of task c.Task, with their indexes in the
// whole sorted file list and their total stored size.
func (c Config) sources() ([]pipeline.Source, []int, int64, error) {
	all, err := input.Expand(c.Inputs)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	files, indexes := shard(all, c.Task, c.Tasks)
	iopts := input.Options{TextFields: c.Fields.Text, IDField: c.Fields.ID, URLField: c.Fields.URL, DateField: c.Fields.Date}
	sources := make([]pipeline.Source, 0, len(files))
	var total int64
	for _, f := range files {
		src, err := input.Open(f, iopts)
		var fe *pipeline.FileError
		if errors.As(err, &fe) {
			// An unreadable file is damage, not a reason to stop: it is
			// listed in input_errors and the run exits 3.
			src, err = input.Failed(f, err), nil
		}
		if err != nil {
			return nil, nil, 0, fmt.Errorf("opening %s: %w", f.Path, err)
		}
		sources = append(sources, src)
		total += max(f.Size, 0)
	}
	return sources, indexes, total, nil
}

// write runs stages over task c.Task's share and writes its shards; it
// closes the stages. With out (the write step of a cluster run), the
// Preparers hold the state the prepare steps saved and make no
// preparatory passes, and a spill of the first observe step is replayed
// instead of the input.
func (c Config) write(ctx context.Context, stages []pipeline.Stage, out *outputDir, ro RunOptions) (*pipeline.Stats, error) {
	prepared := out != nil
	sink, err := output.Open(ctx, c.Output.Dir, output.Options{
		Format:        output.Format(c.Output.Format),
		Task:          c.Task,
		MaxShardBytes: c.Output.MaxShardBytes,
		Rejected:      c.Output.Rejected,
		Compression:   c.Output.Compression,
	})
	if err != nil {
		closeStages(stages)
		return nil, err
	}
	if prepared && head(stages) > 0 {
		return c.writeReplayed(ctx, *out, stages, sink, ro)
	}
	sources, indexes, total, err := c.sources()
	if err != nil {
		closeStages(stages)
		sink.Abort()
		return nil, err
	}
	opts := pipeline.Options{Stages: stages, Workers: c.Workers, Logger: ro.Logger, FileIndexes: indexes, Prepared: prepared, SpillDir: c.SpillDir}
	opts.Progress = ro.progress(total)
	// Run closes the stages.
	return pipeline.Run(ctx, sources, sink, opts)
}
