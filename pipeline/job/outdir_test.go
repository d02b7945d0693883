package job

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/winnow-data/winnow/pipeline"
	"github.com/winnow-data/winnow/pipeline/storage"
)

const sample = "../../testdata/sample"

func sampleConfig(out string) Config {
	c := Defaults()
	c.Inputs, c.Output.Dir, c.Only = []string{sample}, out, []string{"none"}
	return c
}

// tree lists the files under dir (slash-separated), hidden ones too.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return out
}

// A full disk when stats.json is written takes the committed shards
// back: the run leaves nothing, not shards without accounting.
func TestStatsFailureTakesShardsBack(t *testing.T) {
	testHooks.writeStats = func(context.Context, string, *pipeline.Stats) error {
		return fmt.Errorf("stats: %w", syscall.ENOSPC)
	}
	t.Cleanup(func() { testHooks.writeStats = writeStats })
	out := t.TempDir()
	_, err := Run(context.Background(), sampleConfig(out), RunOptions{})
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Run = %v, want ENOSPC", err)
	}
	if got := tree(t, out); len(got) != 0 {
		t.Errorf("left after a failed commit: %v", got)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("directories left after a failed commit: %v", ents)
	}
}

// A run replacing an earlier one that crashes while removing it leaves
// part of the earlier run without its stats.json, never beside a new
// stats.json or new shards; the next --overwrite finishes the job.
func TestOverwriteCrashNeverMixes(t *testing.T) {
	out := t.TempDir()
	c := sampleConfig(out)
	c.Output.Rejected = true
	if _, err := Run(context.Background(), c, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	first := tree(t, out)
	crash := errors.New("crash")
	var moved []string
	testHooks.beforeMove = func(name string) error {
		if len(moved) == 1 {
			return crash
		}
		moved = append(moved, name)
		return nil
	}
	t.Cleanup(func() { testHooks.beforeMove = func(string) error { return nil } })
	c.Output.Rejected = false
	if _, err := Run(context.Background(), c, RunOptions{Overwrite: true}); !errors.Is(err, crash) {
		t.Fatalf("Run = %v, want the crash", err)
	}
	if !slices.Equal(moved, []string{"stats.json"}) {
		t.Errorf("moved first %v, want stats.json", moved)
	}
	for _, f := range tree(t, out) {
		if !slices.Contains(first, f) && !strings.HasPrefix(f, trashPrefix) {
			t.Errorf("%s is not the earlier run's", f)
		}
		if f == "stats.json" {
			t.Error("stats.json beside a partly removed run")
		}
	}
	testHooks.beforeMove = func(string) error { return nil }
	if _, err := Run(context.Background(), c, RunOptions{}); !errors.Is(err, ErrUsage) {
		t.Errorf("a run into the partly removed run's OUT: %v, want refused", err)
	}
	if _, err := Run(context.Background(), c, RunOptions{Overwrite: true}); err != nil {
		t.Fatal(err)
	}
	for _, f := range tree(t, out) {
		if strings.HasPrefix(f, "rejected/") || strings.HasPrefix(f, ".") {
			t.Errorf("%s survived --overwrite", f)
		}
	}
}

// Another run holding the lock on OUT: refused, even with Overwrite.
func TestLockedOUTRefused(t *testing.T) {
	out := t.TempDir()
	unlock, _, err := lockDir(out)
	if err != nil {
		t.Skip("no directory locks here:", err)
	}
	defer unlock()
	for _, ow := range []bool{false, true} {
		_, err := Run(context.Background(), sampleConfig(out), RunOptions{Overwrite: ow})
		if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "in use") {
			t.Errorf("overwrite %v: %v, want in use", ow, err)
		}
	}
	if got := tree(t, out); len(got) != 0 {
		t.Errorf("a refused run wrote %v", got)
	}
}

// Object storage: a second run is refused and --overwrite replaces the
// first, stats.json included.
func TestOverwriteObjectStorage(t *testing.T) {
	out := "mem://overwrite-test/out"
	c := sampleConfig(out)
	c.Output.Rejected = true
	if _, err := Run(context.Background(), c, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), c, RunOptions{}); !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "--overwrite") {
		t.Fatalf("second run: %v, want refused", err)
	}
	c.Output.Rejected = false
	if _, err := Run(context.Background(), c, RunOptions{Overwrite: true}); err != nil {
		t.Fatal(err)
	}
	b, err := storage.Open(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var stats bool
	for o, err := range b.List(context.Background(), "") {
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(o.Name, "rejected/") {
			t.Errorf("%s survived --overwrite", o.Name)
		}
		stats = stats || o.Name == "stats.json"
	}
	if !stats {
		t.Error("no stats.json after --overwrite")
	}
}

// A launch resumes its own run's OUT and refuses another run's.
func TestClaimLaunchOutput(t *testing.T) {
	ctx := context.Background()
	out := t.TempDir()
	c := sampleConfig(out)
	c.Tasks = 2
	if err := ClaimLaunchOutput(ctx, c, false, false, nil); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(out, "_tasks", "write"), 0o755)
	os.WriteFile(filepath.Join(out, "_tasks", "write", "00000.done"), []byte("{}"), 0o644)
	same := c
	same.Workers = 7 // cores do not change the output
	if err := ClaimLaunchOutput(ctx, same, false, false, nil); err != nil {
		t.Errorf("relaunch of the same run: %v", err)
	}
	other := c
	other.Langs = []string{"de"}
	err := ClaimLaunchOutput(ctx, other, false, false, nil)
	if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "different run") || !strings.Contains(err.Error(), "--overwrite") {
		t.Errorf("launch of another run: %v, want refused", err)
	}
	if err := ClaimLaunchOutput(ctx, other, true, true, nil); err != nil {
		t.Errorf("dry run with --overwrite: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "_tasks", "write", "00000.done")); err != nil {
		t.Errorf("a dry run removed the earlier run: %v", err)
	}
	if err := ClaimLaunchOutput(ctx, other, true, false, nil); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, out); !slices.Equal(got, []string{runFile}) {
		t.Errorf("after --overwrite OUT holds %v, want only %s", got, runFile)
	}
}

// --overwrite removes only what winnow writes: an OUT holding other
// files, or the run's own input, is refused.
func TestOverwriteRefusesForeignFiles(t *testing.T) {
	out := t.TempDir()
	if _, err := Run(context.Background(), sampleConfig(out), RunOptions{}); err != nil {
		t.Fatal(err)
	}
	own := filepath.Join(out, "notes.txt")
	os.WriteFile(own, []byte("mine"), 0o644)
	_, err := Run(context.Background(), sampleConfig(out), RunOptions{Overwrite: true})
	if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "notes.txt") {
		t.Errorf("--overwrite over a foreign file: %v, want refused naming it", err)
	}
	if _, err := os.Stat(own); err != nil {
		t.Errorf("the user's file is gone: %v", err)
	}
	os.Remove(own)
	c := sampleConfig(out)
	c.Inputs = []string{filepath.Join(out, "lang=en")}
	if _, err := Run(context.Background(), c, RunOptions{Overwrite: true}); !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "inside output") {
		t.Errorf("--overwrite of the run's own input: %v, want refused", err)
	}
	if _, err := os.Stat(filepath.Join(out, "stats.json")); err != nil {
		t.Errorf("the earlier run is gone: %v", err)
	}
}
