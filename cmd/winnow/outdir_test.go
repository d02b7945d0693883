package main

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/winnow-data/winnow/internal/sampledata"
)

// partitions returns the lang=* directories of out, sorted.
func partitions(t *testing.T, out string) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(out, "lang=*"))
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range dirs {
		dirs[i] = filepath.Base(d)
	}
	return dirs
}

// A second run into the folder of a first is refused, naming what is
// there and the flag; with --overwrite it replaces the first entirely.
func TestSecondRunIntoOUT(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	common := []string{"run", sampleDir, "-o", out, "--skip", "minhash,line_dedup"}
	if code, msg := winnow(t, append(common, "--langs", "en", "--rejected")...); code != 0 {
		t.Fatalf("first run: exit %d: %s", code, msg)
	}
	before := listTree(t, out)
	if got := partitions(t, out); !slices.Equal(got, []string{"lang=en"}) {
		t.Fatalf("first run's partitions %v", got)
	}

	code, msg := winnow(t, append(common, "--langs", "de")...)
	if code != exitUsage || !strings.Contains(msg, "stats.json") || !strings.Contains(msg, "--overwrite") {
		t.Fatalf("second run: exit %d, want 2 naming stats.json and --overwrite: %s", code, msg)
	}
	if after := listTree(t, out); !slices.Equal(after, before) {
		t.Errorf("a refused run changed OUT:\nbefore %v\nafter  %v", before, after)
	}

	if code, msg := winnow(t, append(common, "--langs", "de", "--overwrite")...); code != 0 {
		t.Fatalf("--overwrite: exit %d: %s", code, msg)
	}
	if got := partitions(t, out); !slices.Equal(got, []string{"lang=de"}) {
		t.Errorf("after --overwrite partitions %v, want only lang=de", got)
	}
	if _, err := os.Stat(filepath.Join(out, "rejected")); err == nil {
		t.Error("the first run's rejected/ survived --overwrite")
	}
	st := readStats(t, filepath.Join(out, "stats.json"))
	if keys := slices.Sorted(maps.Keys(st.Languages)); !slices.Equal(keys, []string{"de"}) {
		t.Errorf("stats.json languages %v, want de only", keys)
	}
	if hidden, _ := filepath.Glob(filepath.Join(out, ".*")); len(hidden) != 0 {
		t.Errorf("hidden files left: %v", hidden)
	}
}

// listTree lists every file and directory under dir.
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, rel)
		return nil
	})
	return out
}

// An OUT holding only what crashed runs left (temporary shards, empty
// partitions, a trash directory) is taken, and cleaned.
func TestRunTakesOUTOfCrashedRun(t *testing.T) {
	out := t.TempDir()
	for _, f := range []string{"lang=en/.part-00000-00000.parquet.1a2b3c.tmp", "lang=en/.part-00000-00001.parquet.tmp", ".winnow-trash-99/lang=fr/part-00000-00000.parquet", "_work/.prepared.bin.123.wtmp"} {
		p := filepath.Join(out, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(out, "lang=xx"), 0o755)
	if code, msg := winnow(t, "run", sampleDir, "-o", out, "--only", "none"); code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	for _, p := range listTree(t, out) {
		base := filepath.Base(p)
		if p != "." && strings.HasPrefix(base, ".") || p == "_work" || p == "lang=xx" {
			t.Errorf("left from the crashed run: %s", p)
		}
	}
}

// While a run writes to OUT, a second run into it is refused; the first
// finishes with its own documents only.
func TestConcurrentRunRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 6 MB run")
	}
	in := filepath.Join(t.TempDir(), "big.jsonl.zst")
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := sampledata.WriteLarge(f, 7, 6<<20)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	out := t.TempDir()
	var stderr bytes.Buffer
	a := winnowProcess(t, &stderr, "run", in, "-o", out, "--only", "none", "--workers", "1", "--max-shard-bytes", "200000", "-q")
	deadline := time.Now().Add(60 * time.Second)
	for {
		if tmp, _ := filepath.Glob(filepath.Join(out, "lang=*", ".part-*.tmp")); len(tmp) > 0 {
			break
		}
		if time.Now().After(deadline) {
			a.Process.Kill()
			t.Fatalf("no shard being written after 60 s; stderr: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	code, msg := winnow(t, "run", sampleDir, "-o", out, "--only", "none")
	if code != exitUsage || !strings.Contains(msg, "in use") {
		t.Errorf("second run during the first: exit %d, want 2 (in use): %s", code, msg)
	}
	code, msg = winnow(t, "run", sampleDir, "-o", out, "--only", "none", "--overwrite")
	if code != exitUsage || !strings.Contains(msg, "in use") {
		t.Errorf("second run with --overwrite during the first: exit %d, want 2 (in use): %s", code, msg)
	}
	if err := a.Wait(); err != nil {
		t.Fatalf("first run: %v; stderr: %s", err, stderr.String())
	}
	var n int64
	for _, s := range shards(t, out) {
		n += int64(len(readParquet(t, s, "id", "text")))
	}
	if st := readStats(t, filepath.Join(out, "stats.json")); n != docs || st.DocsOut != docs {
		t.Errorf("first run wrote %d documents (stats %d), want its own %d", n, st.DocsOut, docs)
	}
}

// A run killed while de-duplicating leaves its spill and work files in
// a scratch directory named after OUT; the next run into OUT removes
// them, and an interrupted run leaves no partition behind.
func TestKilledRunScratchRemoved(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and kills a 6 MB run")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	in := filepath.Join(t.TempDir(), "big.jsonl.zst")
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sampledata.WriteLarge(f, 7, 6<<20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out := t.TempDir()
	args := []string{"run", in, "-o", out, "--only", "minhash,line_dedup", "--workers", "1", "-q"}
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGINT} {
		var stderr bytes.Buffer
		cmd := winnowProcess(t, &stderr, args...)
		deadline := time.Now().Add(60 * time.Second)
		for {
			if spill, _ := filepath.Glob(filepath.Join(tmp, "winnow-*", "*")); len(spill) > 0 {
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("no scratch file after 60 s; stderr: %s", stderr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		cmd.Process.Signal(sig)
		cmd.Wait()
		if sig == syscall.SIGINT {
			if left := listTree(t, out); len(left) != 1 { // "."
				t.Errorf("an interrupted run left %v", left)
			}
		}
	}
	left, _ := filepath.Glob(filepath.Join(tmp, "*"))
	if len(left) != 1 {
		t.Fatalf("scratch after a kill and an interrupt: %v, want one directory", left)
	}
	if code, msg := winnow(t, append(args[:len(args)-1], "--skip", "minhash")...); code != 0 && code != exitDamaged {
		t.Fatalf("rerun: exit %d: %s", code, msg)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) != 0 {
		t.Errorf("scratch left after the rerun: %v", left)
	}
}

// Language codes read from the data name partitions only when they are
// ISO 639 codes, in one case; stats.json counts the same codes as the
// shards hold. 100,000 distinct values finish.
func TestAdoptedLanguages(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in.jsonl")
	var b strings.Builder
	special := []string{"EN", "en", "De", "rejected", "_launch", "-", "../../evil", "zh-Hant", "", "deu"}
	n := 100_000
	for i := range n {
		lang := fmt.Sprintf("x%05d", i) // invalid: and so und
		switch {
		case i < len(special):
			lang = special[i]
		case i < 26*26:
			lang = string([]byte{'a' + byte(i/26), 'a' + byte(i%26)})
		}
		fmt.Fprintf(&b, "{\"id\":\"%d\",\"text\":\"t\",\"lang\":%q}\n", i, lang)
	}
	if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if code, msg := winnow(t, "run", in, "-o", out, "--only", "none", "-q"); code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	parts := partitions(t, out)
	st := readStats(t, filepath.Join(out, "stats.json"))
	var fromStats []string
	for l := range st.Languages {
		fromStats = append(fromStats, "lang="+l)
	}
	slices.Sort(fromStats)
	if !slices.Equal(parts, fromStats) {
		t.Errorf("partitions and stats.json languages differ: %d vs %d", len(parts), len(fromStats))
	}
	for _, p := range parts {
		code := strings.TrimPrefix(p, "lang=")
		if len(code) < 2 || len(code) > 3 || strings.ToLower(code) != code {
			t.Errorf("partition %s from data", p)
		}
	}
	for _, bad := range []string{"lang=EN", "lang=De", "lang=rejected", "lang=_launch", "lang=-"} {
		if slices.Contains(parts, bad) {
			t.Errorf("partition %s created from data", bad)
		}
	}
	// en three times (EN, en and the generated en), de twice (De and
	// the generated de), deu once; the x-codes, the five invalid
	// specials and the empty one under und.
	if st.Languages["en"] != 3 || st.Languages["de"] != 2 || st.Languages["deu"] != 1 {
		t.Errorf("languages en %d, de %d, deu %d; want 3, 2, 1", st.Languages["en"], st.Languages["de"], st.Languages["deu"])
	}
	wantUnd := int64(n - 26*26 + 6)
	if st.Languages["und"] != wantUnd || st.Repaired["lang_invalid"] != wantUnd-1 || st.Repaired["lang_case"] != 2 {
		t.Errorf("und %d, repaired %v; want und %d, lang_invalid %d, lang_case 2", st.Languages["und"], st.Repaired, wantUnd, wantUnd-1)
	}
}

// The scratch directory a run gives the de-duplication stages for their
// work files is the run's doing, not the user's: stats.json's config does
// not list it as set (the summary printed it as a setting).
func TestScratchWorkDirNotListedAsSet(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := winnowCLI(t, "run", sampleDir, "-o", out, "--only", "minhash,line_dedup", "--quiet"); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	s := readStats(t, filepath.Join(out, "stats.json"))
	if s.Config == nil || len(s.Config.Stages) != 2 {
		t.Fatalf("config %+v", s.Config)
	}
	for _, st := range s.Config.Stages {
		if len(st.Set) != 0 {
			t.Errorf("%s: set %v, want none (work_dir is the run's scratch, %v)", st.Name, st.Set, st.Params["work_dir"])
		}
	}
}
