package exact

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/winnow-data/winnow/dedup/internal/memio"
	"github.com/winnow-data/winnow/dedup/internal/xchgtest"
	"github.com/winnow-data/winnow/pipeline"
)

var _ pipeline.Exchanger = (*Stage)(nil)

// corpus returns files whose texts repeat within and across files, in
// spellings the normalisation folds, in two languages, some without words.
func corpus(files, perFile int) []*memio.Source {
	rng := rand.New(rand.NewPCG(5, 8))
	spell := []string{"text number %d here", "Text Number %d here!", "  TEXT number %d\nhere", "text number %d here..."}
	var out []*memio.Source
	for f := range files {
		src := &memio.Source{Path: fmt.Sprintf("f%d", f)}
		for i := range perFile {
			d := pipeline.Document{ID: fmt.Sprintf("%d-%d", f, i), Lang: []string{"en", "de"}[rng.IntN(2)]}
			if rng.IntN(12) == 0 {
				d.Text = "..."
			} else {
				d.Text = fmt.Sprintf(spell[rng.IntN(len(spell))], rng.IntN(3*perFile))
			}
			d.SetSignal("score", float64(rng.IntN(3)))
			src.Docs = append(src.Docs, d)
		}
		out = append(out, src)
	}
	return out
}

func fresh(keepPolicy string, perLang bool) xchgtest.Fresh {
	return func(t testing.TB) pipeline.Exchanger {
		st, err := New(keepPolicy, perLang)
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
		keep    string
		perLang bool
	}{{"first", false}, {"signal:score", false}, {"first", true}} {
		t.Run(fmt.Sprintf("%s per_language=%v", c.keep, c.perLang), func(t *testing.T) {
			xchgtest.OneAnswer(t, fresh(c.keep, c.perLang), files)
		})
	}
}

func TestExchangeRefuses(t *testing.T) {
	files := corpus(3, 20)
	f := fresh("first", false)
	_, observed, prepared := xchgtest.Staged(t, f, files, 2)
	xchgtest.Refuses(t, Name, func(r io.Reader) error { return f(t).LoadObserved(r) }, observed[1])
	xchgtest.Refuses(t, Name, func(r io.Reader) error { return f(t).LoadPrepared(r) }, prepared)

	err := fresh("first", true)(t).LoadPrepared(bytes.NewReader(prepared))
	if err == nil || !strings.Contains(err.Error(), "per_language=false (this stage: true)") {
		t.Errorf("prepared without per_language, loaded with: %v", err)
	}
	if err := f(t).LoadObserved(bytes.NewReader(prepared)); err == nil || !strings.Contains(err.Error(), "holds prepared state") {
		t.Errorf("prepared state loaded as observed: %v", err)
	}
}

// TestEmptyObservation: a task that saw nothing saves a file that loads.
func TestEmptyObservation(t *testing.T) {
	f := fresh("first", false)
	var buf bytes.Buffer
	if err := f(t).SaveObserved(&buf); err != nil {
		t.Fatal(err)
	}
	p := xchgtest.Prepare(t, f, [][]byte{buf.Bytes()})
	if err := f(t).LoadPrepared(bytes.NewReader(p)); err != nil {
		t.Fatal(err)
	}
}

func FuzzLoadObserved(f *testing.F) {
	_, observed, _ := xchgtest.Staged(f, fresh("first", false), corpus(2, 6), 1)
	f.Add(observed[0])
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, data := range [][]byte{raw, xchgtest.Reseal(raw)} {
			st, _ := New("first", false)
			st.LoadObserved(bytes.NewReader(data))
		}
	})
}

func FuzzLoadPrepared(f *testing.F) {
	_, _, prepared := xchgtest.Staged(f, fresh("first", false), corpus(2, 6), 1)
	f.Add(prepared)
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, data := range [][]byte{raw, xchgtest.Reseal(raw)} {
			st, _ := New("first", false)
			if st.LoadPrepared(bytes.NewReader(data)) == nil {
				st.Process(&pipeline.Document{Text: "text number 1 here"})
			}
		}
	})
}
