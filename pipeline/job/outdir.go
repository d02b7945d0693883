package job

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/winnow-data/winnow/pipeline"
	"github.com/winnow-data/winnow/pipeline/storage"
)

// An output folder holds one run. A run claims it before writing:
//
//   - A local OUT is locked (flock on the directory, released when the run
//     ends, even by SIGKILL): a second run into it is refused while the
//     first is running.
//   - Anything in OUT but winnow's own temporary files (hidden *.tmp and
//     *.wtmp names, .winnow-trash-*) is an earlier run's output: the run
//     is refused (exit 2) unless Overwrite, which removes it first —
//     stats.json, the mark of a complete run, before anything else, so a
//     crash while removing leaves an incomplete earlier run (no
//     stats.json), never a mix of two runs. A local OUT's entries are
//     moved into a hidden trash directory, then deleted.
//   - The temporary files of crashed runs, trash directories and empty
//     partition directories are removed, as is the run's scratch
//     directory (spills, the de-duplication stages' work files) left by
//     a crashed run of the same OUT.
//
// The new run's shards appear only when it commits, and stats.json last.

// runFile records, in a launched run's OUT, the settings of the run, so
// that a relaunch resumes the same run and refuses a different one.
const runFile = "_tasks/run.yaml"

// trashPrefix names the hidden directory an overwritten local OUT's
// entries are moved into before they are deleted.
const trashPrefix = ".winnow-trash-"

// testHooks let tests fail a run where a crash or a full disk would.
var testHooks = struct {
	beforeMove func(name string) error // before an overwritten entry is moved
	writeStats func(ctx context.Context, outDir string, stats *pipeline.Stats) error
}{
	beforeMove: func(string) error { return nil },
	writeStats: writeStats,
}

// claim is an output taken by a run.
type claim struct {
	unlock  func()
	scratch string
}

// release removes the run's scratch directory and unlocks OUT.
func (cl *claim) release() {
	if cl.scratch != "" {
		os.RemoveAll(cl.scratch)
	}
	if cl.unlock != nil {
		cl.unlock()
	}
}

// localDir returns the local path of an output location, or false for
// object storage.
func localDir(loc string) (string, bool) {
	if !storage.IsURL(loc) {
		return loc, true
	}
	if u, err := url.Parse(loc); err == nil && strings.EqualFold(u.Scheme, "file") {
		return filepath.FromSlash(u.Path), true
	}
	return "", false
}

// newRunID returns a random name for one run's temporary files.
func newRunID() string {
	var b [6]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics instead)
	return hex.EncodeToString(b[:])
}

// scratchPath is the directory of a run's scratch files (the first
// pass's spill, the stages' work files): under the spill directory (or
// $TMPDIR), named after OUT and, for a task of a step, the step and
// task, so that a rerun finds and removes what a crashed one left.
func scratchPath(c Config, step string) string {
	base := c.SpillDir
	if base == "" {
		base = os.TempDir()
	}
	loc := c.Output.Dir
	if dir, ok := localDir(loc); ok {
		if abs, err := filepath.Abs(dir); err == nil {
			loc = abs
		}
	}
	h := sha256.Sum256([]byte(loc))
	name := "winnow-" + hex.EncodeToString(h[:6])
	if step != "" {
		name += fmt.Sprintf("-%s-%05d", step, c.Task)
	}
	return filepath.Join(base, name)
}

// resetScratch empties the scratch directory dir.
func resetScratch(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("scratch directory: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("scratch directory: %w", err)
	}
	return nil
}

// lockOutput locks a local OUT (creating it), refusing one another run
// holds. Object storage is not locked.
func lockOutput(loc string, log *slog.Logger) (func(), error) {
	dir, ok := localDir(loc)
	if !ok {
		return func() {}, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	unlock, busy, err := lockDir(dir)
	switch {
	case busy:
		return nil, usageErr("output %s is in use by another winnow run: wait for it to end, or write elsewhere", loc)
	case err != nil:
		log.Warn("output cannot be locked; make sure no other run writes to it", "output", loc, "error", err)
		return func() {}, nil
	}
	return unlock, nil
}

// isLeftover reports whether name (slash-separated, relative to OUT) is
// a temporary file of winnow's, which a run may find and remove.
func isLeftover(name string) bool {
	if strings.HasPrefix(name, trashPrefix) {
		return true
	}
	base := path.Base(name)
	return strings.HasPrefix(base, ".") && (strings.HasSuffix(base, ".tmp") || strings.HasSuffix(base, ".wtmp"))
}

// contents lists OUT's files, split into an earlier run's output and
// winnow's leftovers; dirs lists a local OUT's directories, deepest
// first.
func contents(ctx context.Context, out outputDir, loc string) (files, leftovers, dirs []string, err error) {
	if dir, ok := localDir(loc); ok {
		err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if p == dir && errors.Is(err, fs.ErrNotExist) {
					return fs.SkipAll
				}
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			name := filepath.ToSlash(rel)
			switch {
			case p == dir:
			case d.IsDir() && strings.HasPrefix(name, trashPrefix):
				leftovers = append(leftovers, name)
				return fs.SkipDir
			case d.IsDir():
				dirs = append(dirs, name)
			case isLeftover(name):
				leftovers = append(leftovers, name)
			default:
				files = append(files, name)
			}
			return nil
		})
		slices.Reverse(dirs)
		return files, leftovers, dirs, err
	}
	names, err := out.ListNames(ctx, "")
	for _, n := range names {
		if isLeftover(n) {
			leftovers = append(leftovers, n)
		} else {
			files = append(files, n)
		}
	}
	return files, leftovers, nil, err
}

// ours reports whether a top-level entry of OUT is one winnow writes,
// which --overwrite may remove.
func ours(top string) bool {
	switch top {
	case "stats.json", "report.html", "rejected", "_work", "_tasks", "_launch":
		return true
	}
	return strings.HasPrefix(top, "lang=")
}

// foreign returns the top-level entries of OUT that winnow did not
// write: --overwrite never deletes those (OUT may be a wrong path).
func foreign(files []string) []string {
	var out []string
	for _, f := range files {
		top, _, _ := strings.Cut(f, "/")
		if !ours(top) && !slices.Contains(out, top) {
			out = append(out, top)
		}
	}
	return out
}

// inputsInside returns the inputs that lie inside a local OUT.
func inputsInside(c Config) []string {
	dir, ok := localDir(c.Output.Dir)
	if !ok {
		return nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	var in []string
	for _, i := range c.Inputs {
		if storage.IsURL(i) {
			continue
		}
		if a, err := filepath.Abs(i); err == nil && (a == abs || strings.HasPrefix(a, abs+string(filepath.Separator))) {
			in = append(in, i)
		}
	}
	return in
}

// refusal is the error for an OUT holding an earlier run's files.
func refusal(loc string, files []string, what string) error {
	// The most telling first: the accounting, then shards.
	rank := func(f string) int {
		switch {
		case f == "stats.json":
			return 0
		case strings.HasPrefix(f, "lang="), strings.HasPrefix(f, "rejected/"):
			return 1
		}
		return 2
	}
	shown := slices.Clone(files)
	slices.SortStableFunc(shown, func(a, b string) int { return rank(a) - rank(b) })
	if len(shown) > 4 {
		shown = shown[:4]
	}
	list := strings.Join(shown, ", ")
	if len(files) > len(shown) {
		list += fmt.Sprintf(", … %d files in all", len(files))
	}
	return usageErr("output %s already holds %s (%s); winnow never mixes two runs in one folder: choose another -o, or give --overwrite to replace them", loc, what, list)
}

// removeAll removes OUT's files and directories, stats.json first.
func removeAll(ctx context.Context, out outputDir, loc string, files, dirs []string) error {
	first := func(a, b string) int {
		switch {
		case a == "stats.json":
			return -1
		case b == "stats.json":
			return 1
		}
		return strings.Compare(a, b)
	}
	slices.SortFunc(files, first)
	if dir, ok := localDir(loc); ok {
		// Move each top-level entry into the trash, stats.json first: a
		// rename is immediate, so the earlier run vanishes at once.
		trash := filepath.Join(dir, trashPrefix+newRunID())
		if err := os.Mkdir(trash, 0o700); err != nil {
			return fmt.Errorf("output: %w", err)
		}
		top := map[string]bool{}
		var order []string
		for _, n := range append(files, dirs...) {
			t, _, _ := strings.Cut(n, "/")
			if !top[t] {
				top[t] = true
				order = append(order, t)
			}
		}
		slices.SortStableFunc(order, first)
		for _, t := range order {
			if err := testHooks.beforeMove(t); err != nil {
				return err
			}
			if err := os.Rename(filepath.Join(dir, t), filepath.Join(trash, t)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("output: replacing the earlier run: %w", err)
			}
		}
		if err := os.RemoveAll(trash); err != nil {
			return fmt.Errorf("output: replacing the earlier run: %w", err)
		}
		return nil
	}
	for _, n := range files {
		if err := out.Remove(ctx, n); err != nil {
			return fmt.Errorf("output: replacing the earlier run: %w", err)
		}
	}
	return nil
}

// cleanLeftovers removes winnow's temporary files and trash directories
// from OUT, then its empty directories.
func cleanLeftovers(ctx context.Context, out outputDir, loc string, leftovers, dirs []string) error {
	dir, local := localDir(loc)
	for _, n := range leftovers {
		var err error
		if local {
			err = os.RemoveAll(filepath.Join(dir, filepath.FromSlash(n)))
		} else {
			err = out.Remove(ctx, n)
		}
		if err != nil {
			return fmt.Errorf("output: removing a crashed run's %s: %w", n, err)
		}
	}
	for _, d := range dirs {
		os.Remove(filepath.Join(dir, filepath.FromSlash(d))) // only when empty
	}
	return nil
}

// claimOutput takes OUT for a run of c (see the comment at the top).
func claimOutput(ctx context.Context, c Config, overwrite bool, log *slog.Logger) (*claim, error) {
	unlock, err := lockOutput(c.Output.Dir, log)
	if err != nil {
		return nil, err
	}
	cl := &claim{unlock: unlock}
	if err := prepareOutput(ctx, c, overwrite, nil, false); err != nil {
		cl.release()
		return nil, err
	}
	cl.scratch = c.scratch
	if cl.scratch != "" {
		if err := resetScratch(cl.scratch); err != nil {
			cl.release()
			return nil, err
		}
	}
	return cl, nil
}

// prepareOutput refuses or replaces an earlier run's output in OUT and
// removes leftovers. A launch passes its run's identity: an OUT holding
// the same identity is the same run, resumed, and keeps its files.
func prepareOutput(ctx context.Context, c Config, overwrite bool, identity []byte, dryRun bool) error {
	out, err := openOutput(ctx, c.Output.Dir)
	if err != nil {
		return err
	}
	defer out.Close()
	files, leftovers, dirs, err := contents(ctx, out, c.Output.Dir)
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	if len(files) > 0 && identity != nil {
		if got, err := out.ReadFile(ctx, runFile); err == nil && bytes.Equal(got, identity) {
			return nil // the same run: a relaunch resumes it
		}
	}
	if len(files) > 0 {
		what := "an earlier run's output"
		if identity != nil {
			what = "the output of a different run"
		}
		if !overwrite {
			return refusal(c.Output.Dir, files, what)
		}
		if f := foreign(files); len(f) > 0 {
			return usageErr("output %s holds %s, which winnow did not write: --overwrite replaces only a winnow run's output (lang=*, rejected, stats.json, _work, _tasks, _launch); choose another -o", c.Output.Dir, strings.Join(f[:min(len(f), 4)], ", "))
		}
		if in := inputsInside(c); len(in) > 0 {
			return usageErr("input %s is inside output %s, which --overwrite would remove: write elsewhere", in[0], c.Output.Dir)
		}
		if dryRun {
			return nil
		}
		if err := removeAll(ctx, out, c.Output.Dir, files, dirs); err != nil {
			return err
		}
		if _, leftovers, dirs, err = contents(ctx, out, c.Output.Dir); err != nil {
			return fmt.Errorf("output: %w", err)
		}
	}
	if dryRun {
		return nil
	}
	if identity != nil {
		// A launch's tasks may be writing (a relaunch is refused while
		// they run, but not here): only an empty OUT is cleaned.
		if err := out.WriteFile(ctx, runFile, identity); err != nil {
			return fmt.Errorf("output: %w", err)
		}
		return nil
	}
	return cleanLeftovers(ctx, out, c.Output.Dir, leftovers, dirs)
}

// runIdentity is what identifies a launched run: its settings, less
// those that do not change the output (the cores a task uses).
func runIdentity(c Config) ([]byte, error) {
	c.Workers, c.Task = 0, 0
	b, err := yaml.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("run settings: %w", err)
	}
	return b, nil
}

// ClaimLaunchOutput is what a launcher calls before writing anything:
// it refuses an OUT holding the output of another run than c (exit 2)
// unless overwrite, which replaces it; the same run's OUT is resumed.
// It records c's settings in OUT/_tasks/run.yaml. With dryRun it only
// checks.
func ClaimLaunchOutput(ctx context.Context, c Config, overwrite, dryRun bool, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	id, err := runIdentity(c)
	if err != nil {
		return err
	}
	if dryRun {
		// Nothing is written, not even OUT; object storage is not asked.
		if _, ok := localDir(c.Output.Dir); !ok {
			return nil
		}
		return prepareOutput(ctx, c, overwrite, id, true)
	}
	unlock, err := lockOutput(c.Output.Dir, log)
	if err != nil {
		return err
	}
	defer unlock()
	return prepareOutput(ctx, c, overwrite, id, false)
}

// cleanTaskTemps removes the temporary shards a crashed earlier run of
// this task left (.part-<task>-*.tmp): a task of a step never runs twice
// at once, and the names of other tasks' files differ.
func cleanTaskTemps(ctx context.Context, out outputDir, loc string, task int) error {
	prefix := fmt.Sprintf(".part-%05d-", task)
	mine := func(name string) bool {
		b := path.Base(name)
		return strings.HasPrefix(b, prefix) && strings.HasSuffix(b, ".tmp")
	}
	if dir, ok := localDir(loc); ok {
		names, _ := filepath.Glob(filepath.Join(dir, "*", prefix+"*.tmp"))
		for _, n := range names {
			if err := os.Remove(n); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("output: %w", err)
			}
		}
		return nil
	}
	names, err := out.ListNames(ctx, "")
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	for _, n := range names {
		if mine(n) {
			if err := out.Remove(ctx, n); err != nil {
				return fmt.Errorf("output: %w", err)
			}
		}
	}
	return nil
}
