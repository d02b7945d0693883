package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// inputTree writes a directory of documents with the problems a real
// tree has: binary files among the text, a dangling link and a loop of
// links.
func inputTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"))
	zw.Close()
	for name, data := range map[string][]byte{
		"a.jsonl":             []byte(`{"id":"a1","text":"The first document of the tree, in English."}` + "\n" + `{"id":"a2","text":"A second one."}` + "\n"),
		"notes/readme.txt":    []byte("A plain text file is one document.\n"),
		"notes/logo.png":      []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"),
		"notes/manual.pdf.gz": gz.Bytes(),
		"notes/blob.dat":      []byte("ab\x00\x01\x02cd"),
	} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Symlink(filepath.Join(dir, "gone.jsonl"), filepath.Join(dir, "dangling.jsonl"))
	os.Symlink("loop2", filepath.Join(dir, "notes", "loop1"))
	os.Symlink("loop1", filepath.Join(dir, "notes", "loop2"))
	return dir
}

// Binary files in an input directory are skipped and named, never read
// as text; dangling links and loops are damaged inputs (exit 3, listed),
// and the rest of the run goes on.
func TestRunSkipsBinaryAndListsBrokenLinks(t *testing.T) {
	dir := inputTree(t)
	out := filepath.Join(t.TempDir(), "out")
	code, msg := winnow(t, "run", dir, "-o", out, "--only", "none")
	if code != exitDamaged {
		t.Fatalf("exit %d, want 3: %s", code, msg)
	}
	s := readStats(t, filepath.Join(out, "stats.json"))
	if s.DocsIn != 3 || s.DocsOut != 3 {
		t.Errorf("docs_in %d, docs_out %d; want the 3 documents of a.jsonl and readme.txt", s.DocsIn, s.DocsOut)
	}
	if s.Skipped["input.binary"] != 3 {
		t.Errorf("skipped %v, want input.binary=3", s.Skipped)
	}
	var skipped []string
	for _, f := range s.SkippedFiles {
		skipped = append(skipped, filepath.Base(f.File)+": "+f.Why)
	}
	slices.Sort(skipped)
	if want := []string{"blob.dat: not text: a NUL byte at 2", "logo.png: PNG image", "manual.pdf.gz: PDF document"}; !slices.Equal(skipped, want) {
		t.Errorf("skipped files %q, want %q", skipped, want)
	}
	var damaged []string
	for _, e := range s.InputErrors {
		damaged = append(damaged, filepath.Base(e.File))
	}
	slices.Sort(damaged)
	if want := []string{"dangling.jsonl", "loop1", "loop2"}; !slices.Equal(damaged, want) {
		t.Errorf("input errors %q, want %q", damaged, want)
	}
}

// Every command that reads inputs finds and opens them the same way: a
// damaged entry is reported (exit 3) by dupstats and reference build as
// by run, not the end of the command.
func TestCommandsShareInputHandling(t *testing.T) {
	dir := inputTree(t)
	for _, args := range [][]string{
		{"run", dir, "-o", filepath.Join(t.TempDir(), "out"), "--only", "none"},
		{"dupstats", dir},
		{"reference", "build", dir, "-o", filepath.Join(t.TempDir(), "ref.bin")},
	} {
		t.Run(args[0], func(t *testing.T) {
			if code, msg := winnow(t, args...); code != exitDamaged {
				t.Errorf("exit %d, want 3: %s", code, msg)
			}
		})
	}
	// --include narrows the walk the same way in each.
	for _, args := range [][]string{
		{"run", dir, "-o", filepath.Join(t.TempDir(), "out"), "--only", "none", "--include", "*.jsonl", "--exclude", "dangling.jsonl"},
		{"dupstats", dir, "--include", "*.jsonl", "--exclude", "dangling.jsonl"},
		{"reference", "build", dir, "-o", filepath.Join(t.TempDir(), "ref.bin"), "--include", "*.jsonl", "--exclude", "dangling.jsonl"},
	} {
		t.Run(args[0]+" --include", func(t *testing.T) {
			if code, msg := winnow(t, args...); code != 0 {
				t.Errorf("exit %d, want 0: %s", code, msg)
			}
		})
	}
}

// Reading a run's output with --rejected back takes its kept shards only;
// naming its rejected/ directory reads the rejects.
func TestChainingSkipsRejected(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	os.WriteFile(in, []byte(`{"id":"a","text":"same text"}`+"\n"+`{"id":"b","text":"same text"}`+"\n"+`{"id":"c","text":"other text"}`+"\n"), 0o644)
	first := filepath.Join(dir, "first")
	if code, msg := winnow(t, "run", in, "-o", first, "--only", "exact_dedup", "--rejected", "-q"); code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	if s := readStats(t, filepath.Join(first, "stats.json")); s.DocsOut != 2 || s.DocsRejected != 1 {
		t.Fatalf("first run kept %d, rejected %d", s.DocsOut, s.DocsRejected)
	}
	for _, tc := range []struct {
		arg  string
		want int64
	}{{first, 2}, {filepath.Join(first, "rejected"), 1}} {
		out := filepath.Join(t.TempDir(), "out")
		if code, msg := winnow(t, "run", tc.arg, "-o", out, "--only", "none", "-q"); code != 0 {
			t.Fatalf("%s: exit %d: %s", tc.arg, code, msg)
		}
		if s := readStats(t, filepath.Join(out, "stats.json")); s.DocsIn != tc.want {
			t.Errorf("reading %s: docs_in %d, want %d", tc.arg, s.DocsIn, tc.want)
		}
	}
}
