package sampledata

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// The committed sample files must be exactly what Generate writes, so
// they can always be regenerated and reviewed as code.
func TestCommittedSampleIsReproducible(t *testing.T) {
	dir := t.TempDir()
	if err := Generate(dir); err != nil {
		t.Fatal(err)
	}
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		want, _ := os.ReadFile(p)
		got, err := os.ReadFile(filepath.Join("..", "..", "testdata", rel))
		if err != nil {
			t.Errorf("%s: %v (run: go run ./internal/sampledata/gen testdata)", rel, err)
			return nil
		}
		if !bytes.Equal(got, want) {
			t.Errorf("testdata/%s differs from what Generate writes (run: go run ./internal/sampledata/gen testdata)", rel)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Errorf("only %d files generated", n)
	}
}

func TestWebHasDuplicatesJunkAndLanguages(t *testing.T) {
	recs := Web(1, 300, "t")
	seen := map[string]bool{}
	dups, junkN := 0, 0
	langs := map[string]bool{}
	for _, r := range recs {
		if seen[r.Text] {
			dups++
		}
		seen[r.Text] = true
		if r.Lang == "junk" {
			junkN++
		}
		langs[r.Lang] = true
	}
	if dups < 5 || junkN < 10 || len(langs) < 12 {
		t.Errorf("dups=%d junk=%d langs=%d", dups, junkN, len(langs))
	}
}
