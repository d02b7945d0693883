package output

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/winnow-data/winnow/pipeline"
)

// faultyStorage is a local directory whose disk fills up: Create, Close
// or Rename fail with ENOSPC from a chosen call on.
type faultyStorage struct {
	Storage
	failCreate, failClose, failRename int // the n-th call fails (1-based), 0 never
	creates, closes, renames          int
	open, maxOpen                     int
}

var errNoSpace = fmt.Errorf("write: %w", syscall.ENOSPC)

func (f *faultyStorage) Create(name string) (io.WriteCloser, error) {
	f.creates++
	if f.creates == f.failCreate {
		return nil, errNoSpace
	}
	w, err := f.Storage.Create(name)
	if err != nil {
		return nil, err
	}
	f.open++
	f.maxOpen = max(f.maxOpen, f.open)
	return &faultyFile{w, f}, nil
}

func (f *faultyStorage) Rename(from, to string) error {
	f.renames++
	if f.renames == f.failRename {
		return errNoSpace
	}
	return f.Storage.Rename(from, to)
}

func (f *faultyStorage) RemoveDir(name string) error {
	return f.Storage.(interface{ RemoveDir(string) error }).RemoveDir(name)
}

type faultyFile struct {
	io.WriteCloser
	st *faultyStorage
}

func (f *faultyFile) Close() error {
	f.st.open--
	f.st.closes++
	err := f.WriteCloser.Close()
	if f.st.closes == f.st.failClose {
		return errNoSpace
	}
	return err
}

// A disk that fills up while the shards are completed or renamed leaves
// nothing: no temporary file, no committed shard, no empty partition.
func TestCloseFailureLeavesNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		st   faultyStorage
	}{
		{"first shard's close", faultyStorage{failClose: 1}},
		{"last shard's close", faultyStorage{failClose: 3}},
		{"first rename", faultyStorage{failRename: 1}},
		{"last rename", faultyStorage{failRename: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			st := tc.st
			st.Storage = Dir(dir)
			w, err := NewStorage(&st, Options{Rejected: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(mixedDocs()); err != nil { // en, de, und
				t.Fatal(err)
			}
			err = w.Close()
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("Close = %v, want ENOSPC", err)
			}
			if got := listFiles(t, dir); len(got) != 0 {
				t.Errorf("files after a failed Close: %v", got)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("directories after a failed Close: %v", ents)
			}
		})
	}
}

// Abort after a successful Close takes the committed shards back (the
// run's accounting could not be written), and removes the partitions.
func TestAbortAfterCloseTakesShardsBack(t *testing.T) {
	dir := t.TempDir()
	w := writeAll(t, dir, Options{}, mixedDocs())
	if len(listFiles(t, dir)) == 0 {
		t.Fatal("no shard committed")
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left after Abort: %v", ents)
	}
}

// Abort keeps a partition directory that holds another writer's shards.
func TestAbortKeepsOthersFiles(t *testing.T) {
	dir := t.TempDir()
	writeAll(t, dir, Options{Task: 1}, mixedDocs())
	before := listFiles(t, dir)
	w, err := New(dir, Options{Task: 2, RowGroupBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(mixedDocs()); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if got := listFiles(t, dir); !slices.Equal(got, before) {
		t.Errorf("after Abort %v, want %v", got, before)
	}
}

// langDocs returns n documents spread over langs distinct ISO-shaped
// codes in turn ("aaa", "aab", ...).
func langDocs(n, langs int) []*pipeline.Document {
	codes := make([]string, langs)
	for i := range codes {
		codes[i] = string([]byte{'a' + byte(i/676%26), 'a' + byte(i/26%26), 'a' + byte(i%26)})
	}
	docs := make([]*pipeline.Document, n)
	for i := range docs {
		docs[i] = doc(fmt.Sprintf("d%06d", i), strings.Repeat("text ", 20+i%7), codes[i%langs], nil)
	}
	return docs
}

// Data carrying thousands of languages never holds more than
// MaxOpenShards files open; every document is written once, and the
// files are the same on every run.
func TestMaxOpenShards(t *testing.T) {
	run := func(dir string) *faultyStorage {
		st := &faultyStorage{Storage: Dir(dir)}
		w, err := NewStorage(st, Options{MaxOpenShards: 8, RowGroupBytes: 400})
		if err != nil {
			t.Fatal(err)
		}
		docs := langDocs(1_000, 100)
		for i := 0; i < len(docs); i += 100 {
			if err := w.Write(docs[i : i+100]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return st
	}
	a, b := t.TempDir(), t.TempDir()
	st := run(a)
	if st.maxOpen > 8 {
		t.Errorf("%d shards open at once, want at most 8", st.maxOpen)
	}
	files := listFiles(t, a)
	t.Logf("%d files, at most %d open", len(files), st.maxOpen)
	var rows int
	for _, f := range files {
		rows += len(readParquetGo(t, filepath.Join(a, f)))
	}
	if rows != 1_000 {
		t.Errorf("%d rows written, want 1000", rows)
	}
	if dirs, _ := os.ReadDir(a); len(dirs) != 100 {
		t.Errorf("%d partitions, want 100", len(dirs))
	}
	run(b)
	if got := listFiles(t, b); !slices.Equal(got, files) {
		t.Fatalf("second run wrote other files")
	}
	for _, f := range files {
		x, _ := os.ReadFile(filepath.Join(a, f))
		y, _ := os.ReadFile(filepath.Join(b, f))
		if string(x) != string(y) {
			t.Fatalf("%s differs between two runs", f)
		}
	}
}

// Two writers with their own run ids never share a temporary file.
func TestTempNamesPerRun(t *testing.T) {
	dir := t.TempDir()
	var ws []*Writer
	for _, id := range []string{"run-a", "run-b"} {
		w, err := New(dir, Options{RunID: id, RowGroupBytes: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(mixedDocs()); err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}
	tmp := listFiles(t, dir)
	if len(tmp) == 0 || len(tmp)%2 != 0 {
		t.Fatalf("temporary files %v, want as many per writer", tmp)
	}
	for _, f := range tmp {
		if !strings.HasSuffix(f, ".run-a.tmp") && !strings.HasSuffix(f, ".run-b.tmp") {
			t.Errorf("temporary file %s is not named after its run", f)
		}
	}
	for _, w := range ws {
		w.Abort()
	}
	if _, err := New(dir, Options{RunID: "../x"}); err == nil {
		t.Error("a run id naming a path was accepted")
	}
}

func TestShardNameBeyondFiveDigits(t *testing.T) {
	for _, tc := range []struct {
		seq  int
		want string
	}{
		{0, "lang=en/part-00000-00000.parquet"},
		{99_999, "lang=en/part-00000-99999.parquet"},
		{100_000, "lang=en/part-00000-100000.parquet"},
	} {
		if got := shardName("lang=en", 0, tc.seq, Parquet); got != tc.want {
			t.Errorf("seq %d: %s, want %s", tc.seq, got, tc.want)
		}
	}
}
