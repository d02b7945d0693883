package input

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{
		"a.jsonl", "b.jsonl.gz", "sub/c.txt", "sub/deeper/d.parquet",
		".hidden.jsonl", ".git/config", "sub/_SUCCESS", "sub/.c.txt.crc", "sub/c.txt.crc",
		"sub/_committed_123", "_temporary/0/part-0.jsonl", "x.jsonl.md5",
		// a winnow output read as input: its accounting and task files are not documents
		"sub/stats.json", "sub/_tasks/write/00000.done", "sub/_work/spill/00000.zst", "sub/_notes.txt",
	} {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Symlink(filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "sub", "link.jsonl"))
	os.Mkdir(filepath.Join(dir, "empty"), 0o755)
	os.Symlink(filepath.Join(dir, "sub", "deeper"), filepath.Join(dir, "linkdir"))
	j := func(p ...string) string { return filepath.Join(append([]string{dir}, p...)...) }
	tests := []struct {
		name string
		args []string
		want []string // relative to dir
		err  string
	}{
		{name: "directory walked, non-inputs skipped", args: []string{dir},
			want: []string{"a.jsonl", "b.jsonl.gz", "sub/c.txt", "sub/deeper/d.parquet", "sub/link.jsonl"}},
		{name: "files and dirs merged, sorted, de-duplicated", args: []string{j("sub"), j("a.jsonl"), dir + "/./a.jsonl"},
			want: []string{"a.jsonl", "sub/c.txt", "sub/deeper/d.parquet", "sub/link.jsonl"}},
		{name: "linked directory given as argument", args: []string{j("linkdir")}, want: []string{"linkdir/d.parquet"}},
		{name: "explicit hidden file is taken", args: []string{j(".hidden.jsonl")}, want: []string{".hidden.jsonl"}},
		{name: "glob", args: []string{j("*.jsonl*")}, want: []string{"a.jsonl", "b.jsonl.gz"}},
		{name: "glob matching a directory walks it", args: []string{j("s?b")},
			want: []string{"sub/c.txt", "sub/deeper/d.parquet", "sub/link.jsonl"}},
		{name: "missing file", args: []string{j("nope.jsonl")}, err: "nope.jsonl"},
		{name: "glob matching nothing", args: []string{j("*.warc")}, err: "*.warc: no input files"},
		{name: "empty directory", args: []string{j("empty")}, err: "empty: no input files"},
		{name: "double star", args: []string{j("**", "*.jsonl")}, err: `"**" globs are not supported`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files, err := Expand(tc.args)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one naming %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range files {
				rel, _ := filepath.Rel(dir, f.Path)
				got = append(got, filepath.ToSlash(rel))
				if fi, _ := os.Stat(f.Path); fi.Size() != f.Size {
					t.Errorf("%s: size %d, want %d", f.Path, f.Size, fi.Size())
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}
