package kloutliers

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"iter"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/winnow-data/winnow/pipeline"
)

var _ pipeline.Exchanger = (*Preparing)(nil)

// copySource yields a copy of each document, so runs do not see each
// other's signals.
type copySource struct {
	name string
	docs []pipeline.Document
}

func (s copySource) Name() string { return s.name }
func (s copySource) Size() int64  { return -1 }
func (s copySource) Records(context.Context) iter.Seq2[pipeline.Record, error] {
	return func(yield func(pipeline.Record, error) bool) {
		for i := range s.docs {
			d := s.docs[i]
			d.Signals = nil
			if !yield(pipeline.Record{Index: int64(i), Doc: &d}, nil) {
				return
			}
		}
	}
}

// verdicts records each document's reason and signals by id.
type verdicts struct {
	mu sync.Mutex
	m  map[string]string
}

func (v *verdicts) put(d *pipeline.Document, reason string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.m[d.ID] = fmt.Sprintf("%q %v", reason, d.Signals)
}
func (v *verdicts) Write(docs []*pipeline.Document) error {
	for _, d := range docs {
		v.put(d, "")
	}
	return nil
}
func (v *verdicts) Reject(docs []*pipeline.Document, reasons []string) error {
	for i, d := range docs {
		v.put(d, reasons[i])
	}
	return nil
}
func (v *verdicts) Close() error { return nil }
func (v *verdicts) Abort() error { return nil }

// files returns five files of English and German documents with a few
// outliers and short documents among them.
func files() []copySource {
	var out []copySource
	for f := range 5 {
		src := copySource{name: fmt.Sprintf("f%d", f)}
		for i, d := range append(corpus(uint64(f), "en", "w", 25), corpus(uint64(f+10), "de", "v", 20)...) {
			d.ID = fmt.Sprintf("%d-%d", f, i)
			switch i % 23 {
			case 5:
				d.Text = strings.Repeat("w15000 w2 ", 60) // stuffed
			case 6:
				d.Text = "w1 w2 w3" // short
			case 7:
				d.Text = strings.Repeat(fmt.Sprintf("zz%dq%d ", f, i), 80) // out of distribution
			}
			src.docs = append(src.docs, *d)
		}
		out = append(out, src)
	}
	return out
}

func fresh(t testing.TB) *Preparing {
	st, err := New(Config{SketchWidth: 1 << 12, MinRefDocs: 10})
	if err != nil {
		t.Fatal(err)
	}
	return st.(*Preparing)
}

func srcs(fs []copySource, idx []int) []pipeline.Source {
	out := make([]pipeline.Source, len(idx))
	for i, f := range idx {
		out[i] = fs[f]
	}
	return out
}

// TestOneAnswer: observing in 1–4 tasks (and an empty one) and exchanging
// files gives every document the verdict and signals of one process.
func TestOneAnswer(t *testing.T) {
	fs := files()
	ctx := context.Background()
	var mode pipeline.Mode
	opts := func(idx []int) pipeline.Options {
		return pipeline.Options{Workers: 2, BatchRecords: 5, FileIndexes: idx, Mode: mode}
	}
	all := []int{0, 1, 2, 3, 4}
	for _, mode = range []pipeline.Mode{pipeline.Filter, pipeline.Tag} {
		want := &verdicts{m: map[string]string{}}
		st := fresh(t)
		o := opts(all)
		o.Stages = []pipeline.Stage{st}
		if _, err := pipeline.Run(ctx, srcs(fs, all), want, o); err != nil {
			t.Fatal(err)
		}
		dropped := 0
		for _, v := range want.m {
			if !strings.HasPrefix(v, `""`) {
				dropped++
			}
		}
		if mode == pipeline.Filter && dropped == 0 {
			t.Fatal("no outlier dropped")
		}
		for k := 1; k <= 4; k++ {
			if mode == pipeline.Tag && k != 3 {
				continue // the signals are those of filter mode
			}
			tasks := make([][]int, k+1) // the last one empty
			for i := range fs {
				tasks[i%k] = append(tasks[i%k], i)
			}
			var observed [][]byte
			for _, idx := range tasks {
				st := fresh(t)
				if _, err := pipeline.Observe(ctx, srcs(fs, idx), st, opts(idx)); err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				if err := st.SaveObserved(&buf); err != nil {
					t.Fatal(err)
				}
				observed = append(observed, buf.Bytes())
			}
			prep := fresh(t)
			for _, o := range observed {
				if err := prep.LoadObserved(bytes.NewReader(o)); err != nil {
					t.Fatal(err)
				}
			}
			if err := prep.Prepared(ctx); err != nil {
				t.Fatal(err)
			}
			var prepared bytes.Buffer
			if err := prep.SavePrepared(&prepared); err != nil {
				t.Fatal(err)
			}
			got := &verdicts{m: map[string]string{}}
			for _, idx := range tasks {
				w := fresh(t)
				if err := w.LoadPrepared(bytes.NewReader(prepared.Bytes())); err != nil {
					t.Fatal(err)
				}
				o := opts(idx)
				o.Stages, o.Prepared = []pipeline.Stage{w}, true
				if _, err := pipeline.Run(ctx, srcs(fs, idx), got, o); err != nil {
					t.Fatal(err)
				}
			}
			if !maps.Equal(got.m, want.m) {
				for _, id := range slices.Sorted(maps.Keys(want.m)) {
					if got.m[id] != want.m[id] {
						t.Fatalf("%s, %d tasks: document %s: %s, one process %s", mode, k, id, got.m[id], want.m[id])
					}
				}
				t.Fatalf("%s, %d tasks: %d documents, one process %d", mode, k, len(got.m), len(want.m))
			}
		}
		t.Logf("%s: %d documents, %d dropped", mode, len(want.m), dropped)
	}
}

func saved(t testing.TB) (observed, prepared []byte) {
	st := fresh(t)
	for _, d := range corpus(3, "en", "w", 30) {
		st.Observe(d)
	}
	var o, p bytes.Buffer
	if err := st.SaveObserved(&o); err != nil {
		t.Fatal(err)
	}
	if err := st.Prepared(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := st.SavePrepared(&p); err != nil {
		t.Fatal(err)
	}
	return o.Bytes(), p.Bytes()
}

func TestExchangeRefuses(t *testing.T) {
	observed, prepared := saved(t)
	for _, c := range []struct {
		name string
		data []byte
		load func(*Preparing, io.Reader) error
	}{
		{"observed", observed, (*Preparing).LoadObserved},
		{"prepared", prepared, (*Preparing).LoadPrepared},
	} {
		if err := c.load(fresh(t), bytes.NewReader(c.data)); err != nil {
			t.Fatalf("%s: valid file refused: %v", c.name, err)
		}
		var at []int
		for n := 0; n < len(c.data); n += max(1, len(c.data)/80) {
			at = append(at, n)
		}
		for n := len(c.data) - 9; n < len(c.data); n++ {
			at = append(at, n)
		}
		for _, n := range at {
			if err := c.load(fresh(t), bytes.NewReader(c.data[:n])); err == nil || !strings.Contains(err.Error(), Name) {
				t.Fatalf("%s: truncated to %d of %d bytes: %v", c.name, n, len(c.data), err)
			}
			bad := bytes.Clone(c.data)
			bad[n] ^= 0x20
			if err := c.load(fresh(t), bytes.NewReader(bad)); err == nil {
				t.Fatalf("%s: byte %d of %d changed, accepted", c.name, n, len(c.data))
			}
		}
		if err := c.load(fresh(t), bytes.NewReader(append(bytes.Clone(c.data), 1))); err == nil {
			t.Fatalf("%s: trailing byte accepted", c.name)
		}
	}
	if err := fresh(t).LoadPrepared(bytes.NewReader(observed)); err == nil || !strings.Contains(err.Error(), "holds observed state") {
		t.Errorf("observed state loaded as prepared: %v", err)
	}
	wide, _ := New(Config{SketchWidth: 1 << 13})
	if err := wide.(*Preparing).LoadObserved(bytes.NewReader(observed)); err == nil || !strings.Contains(err.Error(), "sketch_width=4096") {
		t.Errorf("observed with another width: %v", err)
	}
}

// TestEmptyObservation: a task that saw nothing saves a file that loads.
func TestEmptyObservation(t *testing.T) {
	var buf bytes.Buffer
	if err := fresh(t).SaveObserved(&buf); err != nil {
		t.Fatal(err)
	}
	p := fresh(t)
	if err := p.LoadObserved(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	if err := p.Prepared(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r, err := p.Process(&pipeline.Document{Text: "a b c"}); r != "" || err != nil {
		t.Errorf("Process = %q, %v", r, err)
	}
}

func FuzzLoadObserved(f *testing.F) {
	observed, _ := saved(f)
	f.Add(observed)
	f.Fuzz(func(t *testing.T, data []byte) {
		st, _ := New(Config{SketchWidth: 1 << 12})
		p := st.(*Preparing)
		if p.LoadObserved(bytes.NewReader(data)) == nil {
			p.Prepared(t.Context())
		}
	})
}

func FuzzLoadPrepared(f *testing.F) {
	_, prepared := saved(f)
	f.Add(prepared)
	f.Fuzz(func(t *testing.T, data []byte) {
		st, _ := New(Config{SketchWidth: 1 << 12})
		p := st.(*Preparing)
		if p.LoadPrepared(bytes.NewReader(data)) == nil {
			p.Process(&pipeline.Document{Lang: "en", Text: "w1 w2 w3"})
		}
	})
}
