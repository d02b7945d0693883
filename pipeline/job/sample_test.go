package job

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/winnow-data/winnow/pipeline/input"
)

// sampleIDs returns the ids of the documents c.sample yields.
func sampleIDs(t *testing.T, c Config, limit int) []string {
	t.Helper()
	all, err := input.Expand(c.Inputs)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for d := range c.sample(context.Background(), all, limit) {
		ids = append(ids, d.ID)
	}
	return ids
}

// Every task reads the same sample — the first records of each file of
// the whole input — so every task types the passthrough fields alike; a
// FIFO among the inputs is not read (its records belong to the run).
func TestSampleIsTheSameForEveryTask(t *testing.T) {
	in := t.TempDir()
	for _, name := range []string{"a.jsonl", "b.jsonl"} {
		var b []byte
		for i := range 150 {
			b = append(b, `{"id":"`+name+`-`+string(rune('0'+i/100))+string(rune('0'+i/10%10))+string(rune('0'+i%10))+`","text":"x"}`+"\n"...)
		}
		if err := os.WriteFile(filepath.Join(in, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(in, "c.jsonl"), 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	c := Defaults()
	c.Inputs = []string{in}
	c.Tasks = 3
	done := make(chan []string)
	go func() { done <- sampleIDs(t, c, 1000) }()
	var first []string
	select {
	case first = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the sample blocked on a FIFO")
	}
	if len(first) != 2*sampleRecordsPerFile || first[0] != "a.jsonl-000" || first[sampleRecordsPerFile] != "b.jsonl-000" {
		t.Fatalf("sample %d ids, from %v", len(first), first[:3])
	}
	for task := 1; task < 3; task++ {
		c.Task = task
		if got := sampleIDs(t, c, 1000); !slices.Equal(got, first) {
			t.Errorf("task %d samples %d documents, task 0 %d", task, len(got), len(first))
		}
	}
	if got := sampleIDs(t, c, 150); len(got) != 150 {
		t.Errorf("limit 150: %d documents", len(got))
	}
}
