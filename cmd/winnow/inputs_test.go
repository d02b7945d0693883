package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
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

// A pipe — what `winnow run <(zcat a.jsonl.gz)` reads — gives its
// documents, not nothing.
func TestRunReadsPipe(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	data := strings.Repeat(`{"text":"a line of text"}`+"\n", 50)
	go func() {
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.WriteString(data)
		f.Close()
	}()
	out := filepath.Join(t.TempDir(), "out")
	if code, msg := winnow(t, "run", p, "-o", out, "--only", "none", "-q"); code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	if s := readStats(t, filepath.Join(out, "stats.json")); s.DocsIn != 50 {
		t.Errorf("docs_in %d, want 50", s.DocsIn)
	}
}

// A run on a FIFO that no one writes to (it waits in open) or that an
// idle writer holds (it waits in read) ends within a second of SIGINT or
// SIGTERM, with the interrupted status.
func TestRunInterruptedWhileWaitingOnPipe(t *testing.T) {
	for _, tc := range []struct {
		name   string
		writer bool
		sig    syscall.Signal
	}{{"no writer, SIGINT", false, syscall.SIGINT}, {"idle writer, SIGTERM", true, syscall.SIGTERM}} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "fifo")
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Skipf("no FIFOs here: %v", err)
			}
			if tc.writer {
				held := make(chan *os.File, 1)
				go func() {
					// Blocks until the run opens the FIFO; then holds
					// it open without writing until the test ends.
					f, err := os.OpenFile(p, os.O_WRONLY, 0)
					if err == nil {
						f.WriteString(`{"text":"no end`)
					}
					held <- f
				}()
				t.Cleanup(func() {
					// A reader of our own releases a writer still
					// waiting for one.
					if r, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
						defer r.Close()
					}
					if f := <-held; f != nil {
						f.Close()
					}
				})
			}
			var stderr bytes.Buffer
			cmd := winnowProcess(t, &stderr, "run", p, "-o", filepath.Join(t.TempDir(), "out"), "--only", "none")
			time.Sleep(500 * time.Millisecond) // let it reach the wait
			start := time.Now()
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("still running 5 s after %v; stderr: %s", tc.sig, stderr.String())
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("ended %v after %v, want within a second", d, tc.sig)
			}
			if code := cmd.ProcessState.ExitCode(); code != exitCanceled {
				t.Errorf("exit %d, want %d; stderr: %s", code, exitCanceled, stderr.String())
			}
		})
	}
}
