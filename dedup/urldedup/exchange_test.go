package urldedup

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/winnow-data/winnow/dedup/internal/memio"
	"github.com/winnow-data/winnow/dedup/internal/xchgtest"
	"github.com/winnow-data/winnow/pipeline"
)

var _ pipeline.Exchanger = (*Stage)(nil)

// corpus returns files of documents whose URLs repeat within and across
// files, in several spellings, with and without dates (ties included).
func corpus(files, perFile int) []*memio.Source {
	rng := rand.New(rand.NewPCG(7, 3))
	spell := []string{"http://example.com/p%d", "HTTP://Example.COM:80/p%d", "http://example.com/p%d#top", "https://example.com/p%d"}
	var out []*memio.Source
	for f := range files {
		src := &memio.Source{Path: fmt.Sprintf("f%d", f)}
		for i := range perFile {
			d := pipeline.Document{ID: fmt.Sprintf("%d-%d", f, i), Text: "text"}
			if rng.IntN(10) > 0 {
				d.URL = fmt.Sprintf(spell[rng.IntN(len(spell))], rng.IntN(perFile))
			}
			if rng.IntN(4) > 0 {
				d.Date = time.Date(2024, 1, 1+rng.IntN(5), 0, 0, 0, 0, time.UTC)
			}
			d.SetSignal("score", float64(rng.IntN(3)))
			src.Docs = append(src.Docs, d)
		}
		out = append(out, src)
	}
	return out
}

func fresh(keepPolicy string) xchgtest.Fresh {
	return func(t testing.TB) pipeline.Exchanger {
		st, err := New(keepPolicy)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
}

// TestOneAnswer: observing in 1–4 tasks and exchanging files removes the
// same documents, with the same signals, as one process.
func TestOneAnswer(t *testing.T) {
	files := corpus(5, 40)
	for _, c := range []struct {
		keep string
	}{{"most_recent"}, {"first"}, {"signal:score"}} {
		t.Run(c.keep, func(t *testing.T) {
			xchgtest.OneAnswer(t, fresh(c.keep), files)
		})
	}
}

func TestExchangeRefuses(t *testing.T) {
	files := corpus(3, 20)
	_, observed, prepared := xchgtest.Staged(t, fresh("most_recent"), files, 2)
	f := fresh("most_recent")
	xchgtest.Refuses(t, Name, func(r io.Reader) error { return f(t).LoadObserved(r) }, observed[1])
	xchgtest.Refuses(t, Name, func(r io.Reader) error { return f(t).LoadPrepared(r) }, prepared)

	other := fresh("first")(t)
	err := other.LoadObserved(bytes.NewReader(observed[1]))
	if err == nil || !strings.Contains(err.Error(), "keep=most_recent (this stage: first)") {
		t.Errorf("observed with another keep policy: %v", err)
	}
	if err := f(t).LoadPrepared(bytes.NewReader(observed[1])); err == nil || !strings.Contains(err.Error(), "holds observed state") {
		t.Errorf("observed state loaded as prepared: %v", err)
	}
	if err := f(t).LoadObserved(strings.NewReader("not an exchange file at all")); err == nil || !strings.Contains(err.Error(), "not a winnow exchange file") {
		t.Errorf("foreign file: %v", err)
	}
}

// TestEmptyObservation: a task that saw nothing saves a file that loads.
func TestEmptyObservation(t *testing.T) {
	f := fresh("most_recent")
	var buf bytes.Buffer
	if err := f(t).SaveObserved(&buf); err != nil {
		t.Fatal(err)
	}
	p := xchgtest.Prepare(t, f, [][]byte{buf.Bytes(), buf.Bytes()})
	if err := f(t).LoadPrepared(bytes.NewReader(p)); err != nil {
		t.Fatal(err)
	}
}

func FuzzLoadObserved(f *testing.F) {
	_, observed, _ := xchgtest.Staged(f, fresh("most_recent"), corpus(2, 6), 1)
	f.Add(observed[0])
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, data := range [][]byte{raw, xchgtest.Reseal(raw)} {
			st, _ := New("most_recent")
			st.LoadObserved(bytes.NewReader(data))
		}
	})
}

func FuzzLoadPrepared(f *testing.F) {
	_, _, prepared := xchgtest.Staged(f, fresh("most_recent"), corpus(2, 6), 1)
	f.Add(prepared)
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, data := range [][]byte{raw, xchgtest.Reseal(raw)} {
			st, _ := New("most_recent")
			if st.LoadPrepared(bytes.NewReader(data)) == nil {
				st.Process(&pipeline.Document{URL: "http://example.com/p1"})
			}
		}
	})
}
