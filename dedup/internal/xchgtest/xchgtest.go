// Package xchgtest checks a dedup stage's pipeline.Exchanger methods: that
// a preparatory pass split over tasks gives the answer of one process,
// and that damaged or foreign files are refused.
package xchgtest

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/cespare/xxhash/v2"

	"github.com/winnow-data/winnow/dedup/internal/memio"
	"github.com/winnow-data/winnow/pipeline"
)

// Outcome maps each document id to its verdict, text, fields and signals.
func Outcome(sinks ...*memio.Sink) map[string]string {
	m := map[string]string{}
	add := func(k memio.Kept) {
		var b strings.Builder
		fmt.Fprintf(&b, "reason=%q text=%q", k.Reason, k.Text)
		for _, n := range slices.Sorted(maps.Keys(k.Fields)) {
			fmt.Fprintf(&b, " %s=%s", n, k.Fields[n])
		}
		for _, n := range slices.Sorted(maps.Keys(k.Signals)) {
			fmt.Fprintf(&b, " %s=%v", n, k.Signals[n])
		}
		m[k.ID] = b.String()
	}
	for _, s := range sinks {
		for _, k := range s.Kept {
			add(k)
		}
		for _, k := range s.Rejected {
			add(k)
		}
	}
	return m
}

// Fresh builds a new stage with the parameters under test.
type Fresh func(t testing.TB) pipeline.Exchanger

func sources(files []*memio.Source, idx []int) []pipeline.Source {
	out := make([]pipeline.Source, len(idx))
	for i, f := range idx {
		out[i] = files[f]
	}
	return out
}

func closeStage(t testing.TB, st pipeline.Stage) {
	t.Helper()
	if c, ok := st.(pipeline.Closer); ok {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	}
}

// Single runs one stage over every file, both passes in one process.
func Single(t testing.TB, fresh Fresh, files []*memio.Source) map[string]string {
	t.Helper()
	st := fresh(t)
	defer closeStage(t, st)
	sink := &memio.Sink{}
	all := make([]int, len(files))
	for i := range all {
		all[i] = i
	}
	if _, err := pipeline.Run(context.Background(), sources(files, all), sink,
		pipeline.Options{Stages: []pipeline.Stage{st}, Workers: 2, BatchRecords: 3}); err != nil {
		t.Fatal(err)
	}
	return Outcome(sink)
}

// Split shares the files among k tasks as a cluster job does (file i to
// task i mod k), with one more task that has no file; the order of the
// tasks is the order their observations are loaded in.
func Split(n, k int) [][]int {
	tasks := make([][]int, k)
	for i := range n {
		tasks[i%k] = append(tasks[i%k], i)
	}
	// The empty task goes first for even k, last for odd.
	if k%2 == 0 {
		return append([][]int{nil}, tasks...)
	}
	return append(tasks, nil)
}

// Observe runs one task's observe step and returns the saved state.
func Observe(t testing.TB, fresh Fresh, files []*memio.Source, idx []int) []byte {
	t.Helper()
	st := fresh(t)
	defer closeStage(t, st)
	if _, err := pipeline.Observe(context.Background(), sources(files, idx), st,
		pipeline.Options{Workers: 2, BatchRecords: 3, FileIndexes: idx}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := st.SaveObserved(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Prepare runs the prepare step over the tasks' observations.
func Prepare(t testing.TB, fresh Fresh, observed [][]byte) []byte {
	t.Helper()
	st := fresh(t)
	defer closeStage(t, st)
	for i, o := range observed {
		if err := st.LoadObserved(bytes.NewReader(o)); err != nil {
			t.Fatalf("observation of task %d: %v", i, err)
		}
	}
	if err := st.Prepared(context.Background()); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := st.SavePrepared(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Write runs one task's final step from the prepared state.
func Write(t testing.TB, fresh Fresh, files []*memio.Source, idx []int, prepared []byte) *memio.Sink {
	t.Helper()
	st := fresh(t)
	defer closeStage(t, st)
	if err := st.LoadPrepared(bytes.NewReader(prepared)); err != nil {
		t.Fatal(err)
	}
	sink := &memio.Sink{}
	if _, err := pipeline.Run(context.Background(), sources(files, idx), sink,
		pipeline.Options{Stages: []pipeline.Stage{st}, Workers: 2, BatchRecords: 3, FileIndexes: idx, Prepared: true}); err != nil {
		t.Fatal(err)
	}
	return sink
}

// Staged runs the three steps over k tasks and returns the outcome and
// the files exchanged.
func Staged(t testing.TB, fresh Fresh, files []*memio.Source, k int) (out map[string]string, observed [][]byte, prepared []byte) {
	t.Helper()
	tasks := Split(len(files), k)
	for _, idx := range tasks {
		observed = append(observed, Observe(t, fresh, files, idx))
	}
	prepared = Prepare(t, fresh, observed)
	var sinks []*memio.Sink
	for _, idx := range tasks {
		sinks = append(sinks, Write(t, fresh, files, idx, prepared))
	}
	return Outcome(sinks...), observed, prepared
}

// OneAnswer checks that the stage gives every document the same verdict,
// text, fields and signals whether one process observes everything or
// 1–4 tasks (and an empty one) observe their shares.
func OneAnswer(t *testing.T, fresh Fresh, files []*memio.Source) {
	t.Helper()
	want := Single(t, fresh, files)
	dropped := 0
	for _, o := range want {
		if !strings.HasPrefix(o, `reason=""`) {
			dropped++
		}
	}
	t.Logf("one process: %d documents, %d dropped", len(want), dropped)
	for k := 1; k <= 4; k++ {
		got, _, _ := Staged(t, fresh, files, k)
		if len(got) != len(want) {
			t.Errorf("%d tasks: %d documents out, want %d", k, len(got), len(want))
		}
		n := 0
		for _, id := range slices.Sorted(maps.Keys(want)) {
			if got[id] != want[id] {
				if n++; n <= 5 {
					t.Errorf("%d tasks: document %s\n got  %s\n want %s", k, id, got[id], want[id])
				}
			}
		}
	}
}

// Refuses checks that load refuses every truncation of a valid file and
// a file with one byte changed anywhere, with an error naming the stage.
func Refuses(t *testing.T, stage string, load func(io.Reader) error, valid []byte) {
	t.Helper()
	if err := load(bytes.NewReader(valid)); err != nil {
		t.Fatalf("valid file refused: %v", err)
	}
	// About 60 places spread over the file, and each of its last 9 bytes
	// (the checksum and the last record's end).
	var at []int
	for n := 0; n < len(valid); n += max(1, len(valid)/60) {
		at = append(at, n)
	}
	for n := max(0, len(valid)-9); n < len(valid); n++ {
		at = append(at, n)
	}
	for _, n := range at {
		err := load(bytes.NewReader(valid[:n]))
		if err == nil {
			t.Fatalf("file truncated to %d of %d bytes accepted", n, len(valid))
		}
		if !strings.Contains(err.Error(), stage) {
			t.Fatalf("error does not name the stage: %v", err)
		}
	}
	for _, i := range at {
		bad := bytes.Clone(valid)
		bad[i] ^= 0x40
		if err := load(bytes.NewReader(bad)); err == nil {
			t.Fatalf("file with byte %d of %d changed accepted", i, len(valid))
		}
	}
	if err := load(bytes.NewReader(append(bytes.Clone(valid), 0))); err == nil {
		t.Fatal("file with a trailing byte accepted")
	}
}

// Reseal returns a copy of data with its last 8 bytes replaced by the
// checksum of the rest, so that a fuzzer's changes reach the record
// decoding behind the checksum.
func Reseal(data []byte) []byte {
	if len(data) < 8 {
		return data
	}
	out := bytes.Clone(data)
	binary.LittleEndian.PutUint64(out[len(out)-8:], xxhash.Sum64(out[:len(out)-8]))
	return out
}
