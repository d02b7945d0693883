// Package job turns a run's settings — from the config file and the
// command line — into a pipeline: it finds the inputs, builds the stages
// from the registry, opens the output and runs the engine. It is what
// `winnow run` calls, for Go programs that want the same behaviour.
//
// Stages are registered by the packages that define them (filters/...,
// dedup/...); a program imports those for their side effect.
package job

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"runtime/debug"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/winnow-data/winnow/pipeline"
	"github.com/winnow-data/winnow/pipeline/input"
	"github.com/winnow-data/winnow/pipeline/output"
	"github.com/winnow-data/winnow/pipeline/storage"
)

// Config holds every setting of a run. Its YAML form is the config file;
// each command-line flag overrides one field.
type Config struct {
	Inputs []string `yaml:"inputs"`
	// Include and Exclude are glob patterns that narrow the files found
	// in input directories, prefixes and globs (see input.Options).
	Include []string `yaml:"include"`
	Exclude []string `yaml:"exclude"`
	Output  Output   `yaml:"output"`
	Fields  Fields   `yaml:"fields"`
	// Input bounds what one input may cost.
	Input InputLimits `yaml:"input"`
	// Only, when set, runs just these stages (in pipeline order); "none"
	// runs no stage at all. Skip removes stages from the pipeline.
	Only []string `yaml:"only"`
	Skip []string `yaml:"skip"`
	// Langs keeps only documents in these languages (the langid stage's
	// keep parameter).
	Langs []string `yaml:"langs"`
	// Mode "tag" keeps every document a stage would drop and lists the
	// rules that would have dropped it in the reasons column (see
	// pipeline.Mode), so thresholds can be chosen afterwards; "filter"
	// (or empty) drops them. A stage's own "mode" setting under Stages
	// overrides it for that stage.
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

	// scratch is the run's scratch directory (see scratchPath); runID
	// names its temporary shards.
	scratch string
	runID   string
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

// InputLimits bound the reading of each input file, in bytes; 0 means
// the default (see input.Options).
type InputLimits struct {
	// MaxRecordBytes bounds one record (a JSONL line, a text file).
	MaxRecordBytes int64 `yaml:"max_record_bytes"`
	// MaxDecodedBytes bounds what one compressed file decompresses to.
	MaxDecodedBytes int64 `yaml:"max_decoded_bytes"`
	// MaxZstdWindow bounds the window a zstd stream may ask for.
	MaxZstdWindow int64 `yaml:"max_zstd_window"`
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
// settings of Stages["kind"] overridden by its own Stages["kind:instance"],
// and instances of one kind run in the order Only names them. Skipping
// "kind" skips its instances too.
func (c Config) BuildStages() ([]pipeline.Stage, error) {
	rs, err := c.resolve()
	if err != nil {
		return nil, err
	}
	var stages []pipeline.Stage
	for _, r := range rs {
		st, err := r.spec.New(r.params)
		if err != nil {
			closeStages(stages)
			return nil, fmt.Errorf("%w: stage %s: %w", ErrUsage, r.params.Name(), err)
		}
		stages = append(stages, st)
	}
	return stages, nil
}

// resolvedStage is a stage of the pipeline with its parameter values and
// the names of those the settings gave.
type resolvedStage struct {
	spec   pipeline.Spec
	params pipeline.Params
	set    []string
}

// resolve finds the pipeline's stages and their parameters without
// building them.
func (c Config) resolve() ([]resolvedStage, error) {
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
	var stages []resolvedStage
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
			scratchWorkDir := false
			if c.scratch != "" && slices.ContainsFunc(s.Params, func(p pipeline.Param) bool { return p.Name == "work_dir" }) && settings["work_dir"] == nil {
				// Work files go where a rerun of the same OUT finds them;
				// the user did not set it, so it is not listed as set.
				settings = withSetting(settings, "work_dir", c.scratch)
				scratchWorkDir = true
			}
			if s.Name == "minhash" && c.Against != "" {
				settings = withSetting(settings, "against", c.Against)
			}
			if _, ok := settings[modeKey]; ok {
				// The engine's, not the stage's (see Modes).
				settings = maps.Clone(settings)
				delete(settings, modeKey)
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
			set := slices.Sorted(maps.Keys(settings))
			if scratchWorkDir {
				set = slices.DeleteFunc(set, func(k string) bool { return k == "work_dir" })
			}
			stages = append(stages, resolvedStage{s, p, set})
		}
	}
	has := func(name string) bool {
		return slices.ContainsFunc(stages, func(r resolvedStage) bool { return r.spec.Name == name })
	}
	if len(c.Langs) > 0 && !has("langid") {
		return nil, usageErr("--langs needs the langid stage in the pipeline")
	}
	if c.Against != "" && !has("minhash") {
		return nil, usageErr("--against needs the minhash stage in the pipeline")
	}
	return stages, nil
}

// validInstance reports whether s can name a stage instance: it becomes
// part of signal and column names.
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

// Effective returns the run's configuration after defaults, as stats.json
// records it: every stage in order with its mode and all its parameter
// values, and the run's other settings.
func (c Config) Effective() (*pipeline.RunConfig, error) {
	rs, err := c.resolve()
	if err != nil {
		return nil, err
	}
	mode, per, err := c.Modes()
	if err != nil {
		return nil, err
	}
	rc := &pipeline.RunConfig{Mode: mode.String(), Stages: []pipeline.StageConfig{}, Settings: map[string]any{
		"inputs": c.Inputs, "output": map[string]any{"dir": c.Output.Dir, "format": c.Output.Format, "compression": c.Output.Compression,
			"max_shard_bytes": c.Output.MaxShardBytes, "rejected": c.Output.Rejected},
		"fields":  map[string]any{"text": c.Fields.Text, "id": c.Fields.ID, "url": c.Fields.URL, "date": c.Fields.Date},
		"workers": c.Workers, "tasks": c.Tasks, "spill_dir": c.SpillDir,
	}}
	for _, r := range rs {
		m, ok := per[r.params.Name()]
		if !ok {
			m = mode
		}
		rc.Stages = append(rc.Stages, pipeline.StageConfig{Name: r.params.Name(), Mode: m.String(), Params: r.params.Values(), Set: r.set})
	}
	return rc, nil
}

// Version returns winnow's version as the build records it: the module
// version, else "(devel)", with the VCS revision when known.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	v := cmp.Or(bi.Main.Version, "(devel)")
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 && v == "(devel)" {
			v += " " + s.Value[:12]
		}
	}
	return v
}

// modeKey is the setting every stage accepts besides its parameters: its
// mode, which the engine applies.
const modeKey = "mode"

// Modes returns the run's mode and the stages whose own "mode" setting
// differs from it.
func (c Config) Modes() (pipeline.Mode, map[string]pipeline.Mode, error) {
	mode, err := pipeline.ParseMode(c.Mode)
	if err != nil {
		return mode, nil, usageErr("%v", err)
	}
	var per map[string]pipeline.Mode
	for _, name := range slices.Sorted(maps.Keys(c.Stages)) {
		v, ok := c.Stages[name][modeKey]
		if !ok {
			continue
		}
		s, _ := v.(string)
		m, err := pipeline.ParseMode(s)
		if err != nil || s == "" {
			return mode, nil, usageErr("stage %s: mode %v: want filter or tag", name, v)
		}
		if per == nil {
			per = map[string]pipeline.Mode{}
		}
		per[name] = m
	}
	// A named instance takes its kind's mode unless it sets its own.
	for _, name := range c.Only {
		kind, _, named := strings.Cut(name, ":")
		if _, own := per[name]; named && !own {
			if m, ok := per[kind]; ok {
				per[name] = m
			}
		}
	}
	return mode, per, nil
}

// declaredColumns is what the stages declare, plus the reasons column of
// tag mode (list<string>) when any stage tags.
func (c Config) declaredColumns(stages []pipeline.Stage) []pipeline.Column {
	cols := pipeline.DeclaredColumns(stages)
	mode, per, _ := c.Modes()
	tags := mode == pipeline.Tag
	for _, m := range per {
		tags = tags || m == pipeline.Tag
	}
	if tags {
		cols = append(cols, pipeline.Column{Name: pipeline.ReasonsField, Shape: `[""]`})
	}
	return cols
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
	// Overwrite replaces an earlier run's output in OUT; without it a
	// run into an OUT holding anything but winnow's temporary files is
	// refused (ErrUsage). Tasks of a step (Tasks > 1) share OUT and do
	// not check.
	Overwrite bool
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
	// Before anything repeats a location (messages, the launchers' job
	// files and queue comments), refuse one holding credentials.
	for _, loc := range append([]string{c.Output.Dir, c.Against}, c.Inputs...) {
		if err := storage.CheckLocation(loc); err != nil {
			return fmt.Errorf("%w: %w", ErrUsage, err)
		}
	}
	if _, _, err := c.Modes(); err != nil {
		return err
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
	c.scratch = scratchPath(c, "")
	stages, err := c.BuildStages()
	if err != nil {
		return nil, err
	}
	// Claimed once the settings are known good: --overwrite never
	// removes an earlier run for a run that cannot start.
	cl, err := claimOutput(ctx, c, ro.Overwrite, ro.logger())
	if err != nil {
		closeStages(stages)
		return nil, err
	}
	defer cl.release()
	c.runID = newRunID()
	stats, sink, err := c.write(ctx, stages, nil, ro)
	c.describe(stats)
	if err != nil {
		return stats, err
	}
	// stats.json is the commit point: without it, no shard stays.
	if err := testHooks.writeStats(ctx, c.Output.Dir, stats); err != nil {
		if aerr := sink.Abort(); aerr != nil {
			err = errors.Join(err, aerr)
		}
		return stats, err
	}
	return stats, nil
}

// InputOptions are the options of finding and reading c's inputs.
func (c Config) InputOptions() input.Options {
	return input.Options{TextFields: c.Fields.Text, IDField: c.Fields.ID, URLField: c.Fields.URL, DateField: c.Fields.Date,
		Include: c.Include, Exclude: c.Exclude,
		MaxRecordBytes: c.Input.MaxRecordBytes, MaxDecodedBytes: c.Input.MaxDecodedBytes, MaxZstdWindow: c.Input.MaxZstdWindow}
}

// Sources finds every input of c and opens it: the one way all commands
// read inputs, so they find, skip and report files alike. A file that
// cannot be read becomes a source reporting it (listed in input_errors,
// exit 3); an input argument that names nothing, or a bad pattern, is a
// usage error.
func (c Config) Sources(ctx context.Context) ([]pipeline.Source, error) {
	sources, _, _, err := c.taskSources(ctx, 0, 1)
	return sources, err
}

// sources opens the input files of task c.Task, with their indexes in the
// whole sorted file list and their total stored size.
func (c Config) sources(ctx context.Context) ([]pipeline.Source, []int, int64, error) {
	return c.taskSources(ctx, c.Task, c.Tasks)
}

func (c Config) taskSources(ctx context.Context, task, tasks int) ([]pipeline.Source, []int, int64, error) {
	if in := c.Input; in.MaxRecordBytes < 0 || in.MaxDecodedBytes < 0 || in.MaxZstdWindow < 0 || in.MaxZstdWindow > 0 && (in.MaxZstdWindow < 1<<10 || in.MaxZstdWindow > 1<<41) {
		return nil, nil, 0, usageErr("input limits %+v: sizes are bytes, 0 for the default; max_zstd_window lies between 1 KiB and 2 TiB", in)
	}
	opts := c.InputOptions()
	all, err := input.List(ctx, c.Inputs, opts)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, 0, ctx.Err()
		}
		return nil, nil, 0, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	files, indexes := shard(all, task, tasks)
	sources, err := input.OpenFiles(ctx, files, opts)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, 0, ctx.Err()
		}
		return nil, nil, 0, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	var total int64
	for _, f := range files {
		total += max(f.Size, 0)
	}
	return sources, indexes, total, nil
}

// write runs stages over task c.Task's share and writes its shards; it
// closes the stages. With out (the write step of a cluster run), the
// Preparers hold the state the prepare steps saved and make no
// preparatory passes, and a spill of the first observe step is replayed
// instead of the input.
func (c Config) write(ctx context.Context, stages []pipeline.Stage, out *outputDir, ro RunOptions) (stats *pipeline.Stats, sink *output.Writer, err error) {
	prepared := out != nil
	all, err := input.Expand(c.Inputs)
	if err != nil {
		closeStages(stages)
		return nil, nil, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	sink, err = output.Open(ctx, c.Output.Dir, output.Options{
		Format:        output.Format(c.Output.Format),
		Task:          c.Task,
		MaxShardBytes: c.Output.MaxShardBytes,
		Rejected:      c.Output.Rejected,
		Compression:   c.Output.Compression,
		// Every task declares the same columns and reads the same
		// sample: all shards of the run share one schema.
		Columns: c.declaredColumns(stages),
		Sample:  c.sample(ctx, all, output.DefaultSampleRecords),
		RunID:   c.runID,
	})
	if err != nil {
		closeStages(stages)
		return nil, nil, err
	}
	defer func() {
		if stats != nil {
			for _, f := range sink.Files() {
				if f.Partition != "rejected" {
					stats.BytesOut += f.Bytes
				}
			}
		}
	}()
	if prepared && head(stages) > 0 {
		stats, err = c.writeReplayed(ctx, *out, stages, sink, ro)
		return stats, sink, err
	}
	sources, indexes, total, err := c.sources(ctx)
	if err != nil {
		closeStages(stages)
		sink.Abort()
		return nil, nil, err
	}
	spillDir := c.SpillDir
	if c.scratch != "" {
		spillDir = c.scratch
	}
	opts := c.engineOptions(ro)
	opts.Stages, opts.FileIndexes, opts.Prepared, opts.SpillDir = stages, indexes, prepared, spillDir
	opts.Progress = ro.progress(total)
	// Run closes the stages.
	stats, err = pipeline.Run(ctx, sources, sink, opts)
	return stats, sink, err
}

// engineOptions returns the engine options every run and step of c
// shares. The mode was checked by Validate.
func (c Config) engineOptions(ro RunOptions) pipeline.Options {
	mode, per, _ := c.Modes()
	return pipeline.Options{Workers: c.Workers, Logger: ro.Logger, Mode: mode, StageModes: per}
}

// describe records the version and the effective configuration in stats.
func (c Config) describe(stats *pipeline.Stats) {
	if stats == nil {
		return
	}
	stats.Version = Version()
	if rc, err := c.Effective(); err == nil {
		stats.Config = rc
	}
}
