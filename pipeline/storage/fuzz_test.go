package storage_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winnow-data/winnow/pipeline/storage"
)

// FuzzNames checks, for any object name, that a local directory and an
// in-memory bucket either refuse it or store it inside the bucket, list
// it under its own name and read it back.
func FuzzNames(f *testing.F) {
	for _, s := range []string{"a", "lang=en/part-00000-00000.parquet", "../x", "a/../b", "/abs", "a//b",
		"dir/", ".hidden", "a/./b", "ü/日本", "a\x00b", "x.wtmp", "..", "a\\..\\b"} {
		f.Add(s)
	}
	ctx := context.Background()
	root := f.TempDir()
	f.Fuzz(func(t *testing.T, name string) {
		dir, err := os.MkdirTemp(root, "d")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		for _, loc := range []string{filepath.Join(dir, "bucket"), "mem://fuzz/" + filepath.Base(dir)} {
			b, err := storage.Open(ctx, loc)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.WriteFile(ctx, name, []byte(name)); err != nil {
				continue // refused, or the file system cannot name it
			}
			if storage.IsURL(loc) == false {
				// Nothing was written outside the bucket's directory.
				entries, _ := os.ReadDir(dir)
				if len(entries) != 1 || entries[0].Name() != "bucket" {
					t.Fatalf("%q written outside the bucket: %v", name, entries)
				}
			}
			var listed []string
			for o, err := range b.List(ctx, "") {
				if err != nil {
					t.Fatal(err)
				}
				listed = append(listed, o.Name)
			}
			if strings.HasSuffix(name, ".wtmp") && !storage.IsURL(loc) {
				continue // local temporary names are not listed
			}
			if len(listed) != 1 || listed[0] != name {
				t.Fatalf("%s: wrote %q, listed %q", loc, name, listed)
			}
			got, err := b.ReadFile(ctx, name)
			if err != nil || string(got) != name {
				t.Fatalf("%s: read back %q, %v", loc, got, err)
			}
			if err := b.Remove(ctx, name); err != nil {
				t.Fatal(err)
			}
		}
	})
}
