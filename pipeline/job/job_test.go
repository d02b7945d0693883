package job

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/winnow-data/winnow/pipeline"
	"github.com/winnow-data/winnow/pipeline/input"
)

// probe is a stage that reports the parameters it was built with.
type probe struct {
	name string
	p    pipeline.Params
}

func (s probe) Name() string                               { return s.name }
func (s probe) Process(*pipeline.Document) (string, error) { return "", nil }

func init() {
	for i, name := range []string{"job_a", "job_b", "job_c"} {
		pipeline.Register(pipeline.Spec{
			Name: name, Order: 1000 + i, Default: name != "job_c",
			Params: []pipeline.Param{{Name: "limit", Default: 3}},
			New:    func(p pipeline.Params) (pipeline.Stage, error) { return probe{name, p}, nil },
		})
	}
}

func names(t *testing.T, c Config) []string {
	t.Helper()
	stages, err := c.BuildStages()
	if err != nil {
		t.Fatal(err)
	}
	mode, per, err := c.Modes()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range stages {
		if p, ok := s.(probe); ok {
			m, ok := per[p.name]
			if !ok {
				m = mode
			}
			out = append(out, p.name+":"+m.String())
		}
	}
	return out
}

func TestBuildStages(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Config
		want []string
	}{
		{"defaults in order", Config{}, []string{"job_a:filter", "job_b:filter"}},
		{"only, in pipeline order", Config{Only: []string{"job_c", "job_a"}}, []string{"job_a:filter", "job_c:filter"}},
		{"only none", Config{Only: []string{"none"}}, nil},
		{"skip", Config{Skip: []string{"job_a"}}, []string{"job_b:filter"}},
		{"tag mode", Config{Mode: "tag"}, []string{"job_a:tag", "job_b:tag"}},
		{"stage setting", Config{Stages: map[string]map[string]any{"job_b": {"mode": "tag"}}}, []string{"job_a:filter", "job_b:tag"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := names(t, tc.c); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBuildStagesErrors(t *testing.T) {
	for _, c := range []Config{
		{Only: []string{"nope"}},
		{Skip: []string{"nope"}},
		{Stages: map[string]map[string]any{"job_a": {"nope": 1}}},
		{Stages: map[string]map[string]any{"job_a": {"limit": "many"}}},
		{Only: []string{"job_a"}, Langs: []string{"en"}},
	} {
		if _, err := c.BuildStages(); !errors.Is(err, ErrUsage) {
			t.Errorf("%+v: err %v, want a usage error", c, err)
		}
	}
}

func TestShardSplitsFilesDeterministically(t *testing.T) {
	var files []input.File
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		files = append(files, input.File{Path: n})
	}
	var all []string
	for i := range 3 {
		for _, f := range Shard(files, i, 3) {
			all = append(all, f.Path)
		}
	}
	slices.Sort(all)
	if !slices.Equal(all, []string{"a", "b", "c", "d", "e"}) {
		t.Errorf("shares cover %v", all)
	}
	if got := Shard(files, 1, 3); len(got) != 2 || got[0].Path != "b" || got[1].Path != "e" {
		t.Errorf("task 1 of 3: %v", got)
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.yaml")
	os.WriteFile(p, []byte("workers: 3\nmode: tag\nfields:\n  text: [instruction, response]\ninput:\n  max_decoded_bytes: 1000\n  max_zstd_window: 4294967296\nstages:\n  job_a:\n    limit: 7\n"), 0o644)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Input.MaxDecodedBytes != 1000 || c.Input.MaxZstdWindow != 4<<30 || c.Input.MaxRecordBytes != 0 {
		t.Errorf("input limits %+v", c.Input)
	}
	if c.Workers != 3 || c.Mode != "tag" || !slices.Equal(c.Fields.Text, []string{"instruction", "response"}) || c.Fields.ID != "id" {
		t.Errorf("loaded %+v", c)
	}
	stages, err := c.BuildStages()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stages {
		if p, ok := s.(probe); ok && p.name == "job_a" && p.p.Int("limit") != 7 {
			t.Errorf("limit %d", p.p.Int("limit"))
		}
	}
	os.WriteFile(p, nil, 0o644)
	if _, err := Load(p); err != nil {
		t.Errorf("empty config: %v", err)
	}
}

// The config file's include and exclude keys select input files as the
// flags do.
func TestConfigIncludeExclude(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a.jsonl", "b.txt", "drafts/c.jsonl"} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755)
		os.WriteFile(filepath.Join(dir, f), []byte(`{"text":"x"}`+"\n"), 0o644)
	}
	p := filepath.Join(dir, "c.yaml")
	os.WriteFile(p, []byte("include: ['*.jsonl']\nexclude: [drafts]\n"), 0o644)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	c.Inputs = []string{dir}
	sources, err := c.Sources(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(sources) != 1 || filepath.Base(sources[0].Name()) != "a.jsonl" {
		var names []string
		for _, s := range sources {
			names = append(names, s.Name())
		}
		t.Errorf("sources %q, want a.jsonl alone", names)
	}
	c.Include = []string{"[bad"}
	if _, err := c.Sources(t.Context()); !errors.Is(err, ErrUsage) {
		t.Errorf("bad pattern: %v, want a usage error", err)
	}
}
