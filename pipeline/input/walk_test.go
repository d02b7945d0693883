package input

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/winnow-data/winnow/pipeline"
)

// writeTree creates the files (relative paths) under dir, each holding
// its own name as a JSON line.
func writeTree(t *testing.T, dir string, files ...string) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(`{"text":"`+f+`"}`+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// rels lists the paths of files relative to dir, and separately those
// with an Err.
func rels(t *testing.T, dir string, files []File) (ok, damaged []string) {
	t.Helper()
	for _, f := range files {
		rel, err := filepath.Rel(dir, f.Path)
		if err != nil {
			t.Fatal(err)
		}
		if f.Err != nil {
			damaged = append(damaged, filepath.ToSlash(rel))
		} else {
			ok = append(ok, filepath.ToSlash(rel))
		}
	}
	return ok, damaged
}

// A winnow output read as input gives its kept shards only: its rejected
// shards are read when named, and a directory that merely has a
// "rejected" subdirectory (no run's accounting) is read whole.
func TestListWinnowOutputKeptShardsOnly(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir,
		"out/lang=en/part-00000-00000.jsonl", "out/lang=de/part-00000-00000.jsonl",
		"out/rejected/part-00000-00000.jsonl", "out/report.html", "out/stats.json",
		"out/_work/spill/00000.s2", "out/notes.txt",
		// a cluster run's output before merge: _tasks instead of stats.json
		"cluster/lang=fr/part-00001-00000.jsonl", "cluster/rejected/part-00001-00000.jsonl",
		"cluster/_tasks/write/00001.done",
		// not a winnow output: no accounting beside the shard directories
		"plain/rejected/a.jsonl", "plain/lang=xx/b.jsonl", "plain/c.jsonl",
	)
	j := func(p string) string { return filepath.Join(dir, p) }
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"output dir: kept shards", []string{j("out")},
			[]string{"out/lang=de/part-00000-00000.jsonl", "out/lang=en/part-00000-00000.jsonl"}},
		{"output found while walking a parent", []string{dir}, []string{
			"cluster/lang=fr/part-00001-00000.jsonl",
			"out/lang=de/part-00000-00000.jsonl", "out/lang=en/part-00000-00000.jsonl",
			"plain/c.jsonl", "plain/lang=xx/b.jsonl", "plain/rejected/a.jsonl"}},
		{"rejected named deliberately", []string{j("out/rejected")}, []string{"out/rejected/part-00000-00000.jsonl"}},
		{"kept and rejected together", []string{j("out"), j("out/rejected")}, []string{
			"out/lang=de/part-00000-00000.jsonl", "out/lang=en/part-00000-00000.jsonl", "out/rejected/part-00000-00000.jsonl"}},
		{"cluster output before merge", []string{j("cluster")}, []string{"cluster/lang=fr/part-00001-00000.jsonl"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files, err := Expand(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			got, damaged := rels(t, dir, files)
			if !reflect.DeepEqual(got, tc.want) || damaged != nil {
				t.Errorf("got %q (damaged %q)\nwant %q", got, damaged, tc.want)
			}
		})
	}
}

// The same holds for an output in object storage.
func TestListWinnowOutputInStorage(t *testing.T) {
	putObjects(t, "mem://walkout/", map[string][]byte{
		"run/lang=en/part-00000-00000.jsonl":  []byte(`{"text":"a"}`),
		"run/rejected/part-00000-00000.jsonl": []byte(`{"text":"b"}`),
		"run/stats.json":                      []byte(`{}`),
		"run/report.html":                     []byte(`<html>`),
	})
	for _, tc := range []struct {
		arg  string
		want []string
	}{
		{"mem://walkout/run/", []string{"mem://walkout/run/lang=en/part-00000-00000.jsonl"}},
		{"mem://walkout/run/rejected/", []string{"mem://walkout/run/rejected/part-00000-00000.jsonl"}},
	} {
		files, err := Expand([]string{tc.arg})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range files {
			got = append(got, f.Path)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.arg, got, tc.want)
		}
	}
}

func TestListIncludeExclude(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, "a.jsonl", "b.jsonl.gz", "notes.txt", "2024/01/c.jsonl", "2024/drafts/d.jsonl", "2025/e.txt")
	j := func(p string) string { return filepath.Join(dir, p) }
	tests := []struct {
		name             string
		args             []string
		include, exclude []string
		want             []string
		err              string
	}{
		{name: "include by name at any depth", args: []string{dir}, include: []string{"*.jsonl"},
			want: []string{"2024/01/c.jsonl", "2024/drafts/d.jsonl", "a.jsonl"}},
		{name: "several includes", args: []string{dir}, include: []string{"*.jsonl", "*.gz"},
			want: []string{"2024/01/c.jsonl", "2024/drafts/d.jsonl", "a.jsonl", "b.jsonl.gz"}},
		{name: "exclude a directory by name", args: []string{dir}, exclude: []string{"drafts"},
			want: []string{"2024/01/c.jsonl", "2025/e.txt", "a.jsonl", "b.jsonl.gz", "notes.txt"}},
		{name: "relative path pattern", args: []string{dir}, include: []string{"2024/*/*"},
			want: []string{"2024/01/c.jsonl", "2024/drafts/d.jsonl"}},
		{name: "include and exclude", args: []string{dir}, include: []string{"*.txt"}, exclude: []string{"2025"},
			want: []string{"notes.txt"}},
		{name: "a named file is read whatever the patterns", args: []string{j("notes.txt")}, include: []string{"*.jsonl"},
			want: []string{"notes.txt"}},
		{name: "glob matches are filtered", args: []string{j("*.jsonl*")}, exclude: []string{"*.gz"},
			want: []string{"a.jsonl"}},
		{name: "everything excluded", args: []string{dir}, include: []string{"*.parquet"}, err: "no input files"},
		{name: "bad pattern", args: []string{dir}, include: []string{"[a"}, err: `pattern "[a"`},
		{name: "double star", args: []string{dir}, exclude: []string{"**/x"}, err: `"**" is not supported`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files, err := List(context.Background(), tc.args, Options{Include: tc.include, Exclude: tc.exclude})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := rels(t, dir, files)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// failingFS is a directory tree in which some directories cannot be read.
type failingFS struct {
	fs.FS
	fail map[string]bool
}

func (f failingFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if f.fail[name] {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return fs.ReadDir(f.FS, name)
}

// A dangling link, a loop of links or an unreadable directory inside an
// input directory is a damaged input — listed, reported by Open as a
// file error — not the end of the listing.
func TestListDamagedEntries(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, "good.jsonl", "locked/x.jsonl", "sub/ok.jsonl")
	os.Symlink(filepath.Join(dir, "nowhere.jsonl"), filepath.Join(dir, "dangling.jsonl"))
	os.Symlink("loop2", filepath.Join(dir, "loop1"))
	os.Symlink("loop1", filepath.Join(dir, "loop2"))
	old := dirFS
	t.Cleanup(func() { dirFS = old })
	dirFS = func(root string) fs.FS { return failingFS{os.DirFS(root), map[string]bool{"locked": true}} }

	files, err := Expand([]string{dir})
	if err != nil {
		t.Fatalf("Expand: %v, want the damaged entries listed", err)
	}
	ok, damaged := rels(t, dir, files)
	if want := []string{"good.jsonl", "sub/ok.jsonl"}; !reflect.DeepEqual(ok, want) {
		t.Errorf("readable: %q, want %q", ok, want)
	}
	if want := []string{"dangling.jsonl", "locked", "loop1", "loop2"}; !reflect.DeepEqual(damaged, want) {
		t.Errorf("damaged: %q, want %q", damaged, want)
	}
	sources, err := OpenFiles(context.Background(), files, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, src := range sources {
		r := readAll(t, src)
		if files[i].Err == nil {
			if r.fileErr != nil || len(r.docs) != 1 {
				t.Errorf("%s: %d docs, error %v", src.Name(), len(r.docs), r.fileErr)
			}
			continue
		}
		if r.fileErr == nil || r.fileErr.File != files[i].Path {
			t.Errorf("%s: file error %v, want one naming it", src.Name(), r.fileErr)
		}
	}
	for _, want := range []struct{ file, msg string }{
		{"dangling.jsonl", "symbolic link to " + filepath.Join(dir, "nowhere.jsonl")},
		{"loop1", "too many levels of symbolic links"},
		{"locked", "permission denied"},
	} {
		for _, f := range files {
			if filepath.Base(f.Path) == want.file && (f.Err == nil || !strings.Contains(f.Err.Error(), want.msg)) {
				t.Errorf("%s: error %v, want one saying %q", want.file, f.Err, want.msg)
			}
		}
	}
}

// The same with a real unreadable directory, which root cannot meet.
func TestListUnreadableDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every directory; TestListDamagedEntries covers the case")
	}
	dir := t.TempDir()
	writeTree(t, dir, "good.jsonl", "locked/x.jsonl")
	if err := os.Chmod(filepath.Join(dir, "locked"), 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(dir, "locked"), 0o755) })
	files, err := Expand([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	ok, damaged := rels(t, dir, files)
	if !reflect.DeepEqual(ok, []string{"good.jsonl"}) || !reflect.DeepEqual(damaged, []string{"locked"}) {
		t.Errorf("readable %q, damaged %q", ok, damaged)
	}
}

// Opening a damaged entry gives a file error, which OpenFiles turns into
// a source reporting it rather than a failure.
func TestOpenFilesReportsDamage(t *testing.T) {
	f := File{Path: "gone.jsonl", Err: errors.New("symbolic link to nowhere: no such file or directory")}
	if _, err := Open(f, Options{}); !errors.As(err, new(*pipeline.FileError)) {
		t.Fatalf("Open: %v, want a *pipeline.FileError", err)
	}
	sources, err := OpenFiles(context.Background(), []File{f}, Options{})
	if err != nil || len(sources) != 1 {
		t.Fatalf("OpenFiles: %v", err)
	}
	if r := readAll(t, sources[0]); r.fileErr == nil || !strings.Contains(r.fileErr.Error(), "nowhere") {
		t.Errorf("source yielded %v, want the damage", r.fileErr)
	}
}

// Include and exclude patterns apply to a listing of object storage as
// to a directory walk, relative to the prefix given.
func TestListIncludeExcludeInStorage(t *testing.T) {
	putObjects(t, "mem://walksel/", map[string][]byte{
		"crawl/a.jsonl":         []byte(`{"text":"a"}`),
		"crawl/b.txt":           []byte("b"),
		"crawl/drafts/c.jsonl":  []byte(`{"text":"c"}`),
		"crawl/2024/d.jsonl.gz": gzipBytes(t, []byte(`{"text":"d"}`)),
	})
	for _, tc := range []struct {
		include, exclude []string
		want             []string
	}{
		{[]string{"*.jsonl"}, nil, []string{"crawl/a.jsonl", "crawl/drafts/c.jsonl"}},
		{nil, []string{"drafts", "*.txt"}, []string{"crawl/2024/d.jsonl.gz", "crawl/a.jsonl"}},
		{[]string{"2024/*"}, nil, []string{"crawl/2024/d.jsonl.gz"}},
	} {
		files, err := List(t.Context(), []string{"mem://walksel/crawl/"}, Options{Include: tc.include, Exclude: tc.exclude})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range files {
			got = append(got, strings.TrimPrefix(f.Path, "mem://walksel/"))
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("include %q exclude %q: got %q, want %q", tc.include, tc.exclude, got, tc.want)
		}
	}
}
