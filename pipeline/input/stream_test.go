//go:build unix

package input

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func mkfifo(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	return p
}

// writeFIFO writes data to the FIFO p from a goroutine, as a process
// substitution's writer does.
func writeFIFO(t *testing.T, p string, data []byte) {
	t.Helper()
	go func() {
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		f.Write(data) // a reader that stops early makes this fail: fine
	}()
}

// A pipe (here a FIFO, as <(zcat a.jsonl.gz) gives /dev/fd/63) is read
// once, its format and compression found from its content, not read as
// empty; reading it again is an error that says why.
func TestStreamFromPipe(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"jsonl", []byte(`{"text":"one"}` + "\n" + `{"text":"two"}` + "\n")},
		{"gzip jsonl", gzipBytes(t, []byte(`{"text":"one"}`+"\n"+`{"text":"two"}`+"\n"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mkfifo(t)
			writeFIFO(t, p, tc.data)
			files, err := List(t.Context(), []string{p}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != 1 || files[0].Size != -1 {
				t.Fatalf("List = %+v, want the FIFO with unknown size", files)
			}
			sources, err := OpenFiles(t.Context(), files, Options{})
			if err != nil {
				t.Fatal(err)
			}
			r := readAll(t, sources[0])
			if got := strings.Join(r.texts(), ","); got != "one,two" || r.fileErr != nil {
				t.Fatalf("read %q, error %v; want one,two", got, r.fileErr)
			}
			r = readAll(t, sources[0])
			if r.fileErr == nil || !strings.Contains(r.fileErr.Error(), "read only once") {
				t.Errorf("second read: %v, want an error saying a pipe is read once", r.fileErr)
			}
		})
	}
}

// Parquet needs its footer first: refused from a pipe, clearly.
func TestStreamParquetRefused(t *testing.T) {
	data, err := os.ReadFile("../../testdata/sample/books.parquet")
	if err != nil {
		t.Fatal(err)
	}
	p := mkfifo(t)
	writeFIFO(t, p, data)
	_, err = OpenContext(t.Context(), File{Path: p, Size: -1}, Options{})
	if err == nil || !strings.Contains(err.Error(), "save it to a file") {
		t.Errorf("Open: %v, want Parquet refused from a pipe", err)
	}
}

// A FIFO nobody writes to blocks opening; a writer that writes nothing
// blocks reading. Both end within a second of cancellation.
func TestStreamCancelled(t *testing.T) {
	t.Run("no writer", func(t *testing.T) {
		p := mkfifo(t)
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := OpenContext(ctx, File{Path: p, Size: -1}, Options{})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Open: %v, want the context's error", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("Open returned after %v", d)
		}
	})
	t.Run("idle writer", func(t *testing.T) {
		p := mkfifo(t)
		w := make(chan *os.File, 1)
		go func() {
			f, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err == nil {
				f.Write([]byte(`{"text":"partial`))
			}
			w <- f
		}()
		t.Cleanup(func() {
			if f := <-w; f != nil {
				f.Close()
			}
		})
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		src, err := OpenContext(ctx, File{Path: p, Size: -1}, Options{})
		if err == nil {
			for _, err = range src.Records(ctx) {
				if err != nil {
					break
				}
			}
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %v, want the context's error", err)
		}
		if d := time.Since(start); d > time.Second+200*time.Millisecond {
			t.Errorf("returned after %v", d)
		}
	})
}

// "-" is standard input.
func TestListDash(t *testing.T) {
	files, err := List(t.Context(), []string{"-"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Path != "/dev/stdin" {
		t.Errorf("List(-) = %+v", files)
	}
}
