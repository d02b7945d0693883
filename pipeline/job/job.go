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
	"path/filepath"
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
	// Stages holds parameters by stage name, e.g.
	// {langid: {min_score: 0.5}}.
	Stages map[string]map[string]any `yaml:"stages"`
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
// those named by Only), less Skip, each with its parameters.
func (c Config) BuildStages() ([]pipeline.Stage, error) {
	specs := pipeline.Specs()
	known := func(name string) error {
		if _, ok := pipeline.Lookup(name); !ok {
			names := make([]string, len(specs))
			for i, s := range specs {
				names[i] = s.Name
			}
			return usageErr("unknown stage %q (known: %s)", name, strings.Join(names, ", "))
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
		var on bool
		switch {
		case none:
			on = false
		case len(c.Only) > 0:
			on = slices.Contains(c.Only, s.Name)
		default:
			on = s.Default
		}
		if !on || slices.Contains(c.Skip, s.Name) {
			continue
		}
		settings := c.Stages[s.Name]
		if s.Name == "langid" && len(c.Langs) > 0 {
			settings = withSetting(settings, "keep", c.Langs)
		}
		if c.Mode == "tag" && slices.ContainsFunc(s.Params, func(p pipeline.Param) bool { return p.Name == "mode" }) {
			settings = withSetting(settings, "mode", "tag")
		}
		p, err := s.NewParams(settings)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUsage, err)
		}
		st, err := s.New(p)
		if err != nil {
			return nil, fmt.Errorf("%w: stage %s: %w", ErrUsage, s.Name, err)
		}
		stages = append(stages, st)
	}
	if len(c.Langs) > 0 && !slices.ContainsFunc(stages, func(s pipeline.Stage) bool { return s.Name() == "langid" }) {
		return nil, usageErr("--langs needs the langid stage in the pipeline")
	}
	return stages, nil
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

// Run executes the run c describes and writes OUT/stats.json (for a
// multi-task run, OUT/_tasks/stats-<task>.json). The returned stats are
// filled in even when err is not nil.
func Run(ctx context.Context, c Config, ro RunOptions) (*pipeline.Stats, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	stages, err := c.BuildStages()
	if err != nil {
		return nil, err
	}
	all, err := input.Expand(c.Inputs)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUsage, err)
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
			return nil, fmt.Errorf("opening %s: %w", f.Path, err)
		}
		sources = append(sources, src)
		total += max(f.Size, 0)
	}
	if err := os.MkdirAll(c.Output.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	sink, err := output.New(c.Output.Dir, output.Options{
		Format:        output.Format(c.Output.Format),
		Task:          c.Task,
		MaxShardBytes: c.Output.MaxShardBytes,
		Rejected:      c.Output.Rejected,
		Compression:   c.Output.Compression,
	})
	if err != nil {
		return nil, err
	}
	opts := pipeline.Options{Stages: stages, Workers: c.Workers, Logger: ro.Logger, FileIndexes: indexes}
	if ro.Progress != nil {
		opts.Progress = func(p pipeline.Progress) { ro.Progress(p, total) }
	}
	stats, err := pipeline.Run(ctx, sources, sink, opts)
	if err != nil {
		return stats, err
	}
	name := filepath.Join(c.Output.Dir, "stats.json")
	if c.Tasks > 1 {
		name = filepath.Join(c.Output.Dir, "_tasks", fmt.Sprintf("stats-%05d.json", c.Task))
	}
	if err := writeStats(name, stats); err != nil {
		return stats, err
	}
	return stats, nil
}

// writeStats writes the stats file atomically.
func writeStats(name string, s *pipeline.Stats) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	tmp := filepath.Join(filepath.Dir(name), "."+filepath.Base(name)+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	if err := s.WriteJSON(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("stats %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("stats %s: %w", name, err)
	}
	return os.Rename(tmp, name)
}
