package output

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/winnow-data/winnow/pipeline"
)

// keysDoc returns a document with n fields k<from>…k<from+n-1>.
func keysDoc(id string, from, n int) *pipeline.Document {
	d := doc(id, "text of "+id, "en", nil)
	for k := from; k < from+n; k++ {
		d.Fields = append(d.Fields, pipeline.Field{Name: fmt.Sprintf("k%d", k), Value: json.RawMessage(fmt.Sprint(k))})
	}
	return d
}

// heapPeak samples the heap while fn runs and returns its peak.
func heapPeak(fn func()) uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	fn()
	close(done)
	return peak.Load()
}

// Distinct JSON keys cannot grow the schema past MaxFields passthrough
// columns: one record with 70,000 keys (more columns than Parquet
// readers accept) and 1,000 records bringing 100 new keys each write
// shards of a bounded width, every key kept in the extra column, in
// bounded memory.
func TestDistinctKeysBounded(t *testing.T) {
	cases := []struct {
		name string
		docs func() []*pipeline.Document
		keys int
	}{
		{"one record of 70,000 keys", func() []*pipeline.Document {
			return []*pipeline.Document{keysDoc("a", 0, 70_000)}
		}, 70_000},
		{"1,000 records of 100 new keys", func() []*pipeline.Document {
			var docs []*pipeline.Document
			for i := range 1000 {
				docs = append(docs, keysDoc(fmt.Sprint(i), i*100, 100))
			}
			return docs
		}, 100_000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			docs := tc.docs()
			var w *Writer
			peak := heapPeak(func() {
				w = writeAll(t, dir, Options{MaxShardBytes: 64 << 10}, docs[:len(docs)/2+1], docs[len(docs)/2+1:])
			})
			t.Logf("%d shards, heap peak %d MiB", len(w.Files()), peak>>20)
			if peak > 512<<20 {
				t.Errorf("heap peak %d MiB", peak>>20)
			}
			keys := 0
			for _, fi := range w.Files() {
				rows, sch := readParquetArrow(t, filepath.Join(dir, fi.Path))
				if n := len(sch.Fields()); n > len(canonical)+DefaultMaxFields+1 {
					t.Fatalf("%s: %d columns", fi.Path, n)
				}
				for _, r := range rows {
					for k := range r {
						if strings.HasPrefix(k, "k") {
							keys++
						}
					}
				}
			}
			if keys != tc.keys {
				t.Errorf("%d keys read back (columns and extra), want %d", keys, tc.keys)
			}
		})
	}
}

// Numbers that int64 and double cannot hold are never altered: in the
// sample they make their field JSON text; later, they go to extra.
func TestPassthroughNumbersKeptExact(t *testing.T) {
	vals := []string{`123456789012345678901234567890`, `1e999999`, `-1e-999999`, `9007199254740993`, `0.5`, `-42`}
	var docs []*pipeline.Document
	for i, v := range vals {
		docs = append(docs, doc(fmt.Sprint(i), "t", "en", nil, "n", v))
	}
	// A sample of integers only, then the same values once typed.
	late := []*pipeline.Document{doc("s", "t", "en", nil, "m", `1`)}
	for i, v := range vals {
		late = append(late, doc(fmt.Sprint("late", i), "t", "en", nil, "m", v))
	}
	for _, tc := range []struct {
		name string
		docs []*pipeline.Document
		col  string
	}{{"in the sample", docs, "n"}, {"after the sample", late, "m"}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			sample := tc.docs
			if tc.col == "m" {
				sample = tc.docs[:1]
			}
			w, err := New(dir, Options{Sample: func(yield func(*pipeline.Document) bool) {
				for _, d := range sample {
					if !yield(d) {
						return
					}
				}
			}})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(tc.docs); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			rows := rawRows(t, filepath.Join(dir, "lang=en/part-00000-00000.parquet"))
			rows = rows[len(rows)-len(vals):]
			for i, v := range vals {
				r := rows[i]
				var got string
				switch x := r[tc.col].(type) {
				case string: // JSON text column
					got = x
				case nil: // in extra
					var ext map[string]json.RawMessage
					if s, ok := r["extra"].(string); ok {
						json.Unmarshal([]byte(s), &ext)
					}
					got = string(ext[tc.col])
				default:
					got = fmt.Sprint(x)
				}
				if got != v {
					t.Errorf("%s written as %q (row %v)", v, got, r)
				}
			}
		})
	}
}
