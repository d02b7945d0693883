package linededup

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

// corpus returns files of documents mixing boilerplate lines (some
// frequent, some near max_count) with unique ones; some documents are
// boilerplate only, some have no words.
func corpus(files, perFile int) []*memio.Source {
	rng := rand.New(rand.NewPCG(2, 6))
	boiler := []string{"Home | About | Contact", "© 2024 Example Ltd.", "Accept cookies", "Share on social media", "Read more", "Subscribe", "Print this page", "Related articles", "Next page", "Log in", "Sign up now", "Back to top"}
	var out []*memio.Source
	for f := range files {
		src := &memio.Source{Path: fmt.Sprintf("f%d", f)}
		for i := range perFile {
			var lines []string
			for range 1 + rng.IntN(5) {
				if rng.IntN(3) == 0 {
					lines = append(lines, "unique line "+word(rng)+" "+word(rng))
				} else {
					lines = append(lines, boiler[rng.IntN(len(boiler))])
				}
			}
			text := strings.Join(lines, []string{"\n", "\r\n"}[rng.IntN(2)])
			if rng.IntN(15) == 0 {
				text = "..."
			}
			src.Docs = append(src.Docs, pipeline.Document{ID: fmt.Sprintf("%d-%d", f, i), Text: text})
		}
		out = append(out, src)
	}
	return out
}

// word returns a random word of letters (the normalisation folds digits).
func word(rng *rand.Rand) string {
	b := make([]byte, 3+rng.IntN(6))
	for i := range b {
		b[i] = byte('a' + rng.IntN(26))
	}
	return string(b)
}

func fresh(c Config) xchgtest.Fresh {
	return func(t testing.TB) pipeline.Exchanger {
		c.WorkDir = t.TempDir()
		st, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
}

// TestOneAnswer: observing in 1–4 tasks and exchanging files cuts the
// same lines, drops the same documents and writes the same signal as one
// process, with one bucket and with buckets that cut across files.
func TestOneAnswer(t *testing.T) {
	files := corpus(5, 30)
	for _, c := range []Config{
		{MaxCount: 6, BucketDocs: 30_000_000},
		{MaxCount: 3, BucketDocs: 17},
	} {
		t.Run(fmt.Sprintf("max_count=%d bucket_docs=%d", c.MaxCount, c.BucketDocs), func(t *testing.T) {
			xchgtest.OneAnswer(t, fresh(c), files)
		})
	}
}

func TestExchangeRefuses(t *testing.T) {
	c := Config{MaxCount: 3, BucketDocs: 17}
	f := fresh(c)
	_, observed, prepared := xchgtest.Staged(t, f, corpus(3, 10), 2)
	load := func(prep bool) func(io.Reader) error {
		return func(r io.Reader) error {
			st := f(t).(*Stage)
			defer st.Close()
			if prep {
				return st.LoadPrepared(r)
			}
			return st.LoadObserved(r)
		}
	}
	xchgtest.Refuses(t, Name, load(false), observed[1])
	xchgtest.Refuses(t, Name, load(true), prepared)

	c.MaxCount = 6
	err := fresh(c)(t).LoadObserved(bytes.NewReader(observed[1]))
	if err == nil || !strings.Contains(err.Error(), "max_count=3 (this stage: 6)") {
		t.Errorf("observed with max_count 3, loaded with 6: %v", err)
	}
}

// TestEmptyObservation: a task that saw nothing saves a file that loads,
// and a prepare step that loads only such files prepares nothing.
func TestEmptyObservation(t *testing.T) {
	f := fresh(Config{MaxCount: 6, BucketDocs: 100})
	var buf bytes.Buffer
	st := f(t)
	if err := st.SaveObserved(&buf); err != nil {
		t.Fatal(err)
	}
	p := xchgtest.Prepare(t, f, [][]byte{buf.Bytes()})
	w := f(t)
	if err := w.LoadPrepared(bytes.NewReader(p)); err != nil {
		t.Fatal(err)
	}
	if r, err := w.Process(&pipeline.Document{Text: "a line"}); r != "" || err != nil {
		t.Errorf("Process = %q, %v", r, err)
	}
}

func FuzzLoadObserved(f *testing.F) {
	c := Config{MaxCount: 3, BucketDocs: 17}
	_, observed, _ := xchgtest.Staged(f, fresh(c), corpus(2, 4), 1)
	f.Add(observed[0])
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, data := range [][]byte{raw, xchgtest.Reseal(raw)} {
			st, _ := New(Config{MaxCount: 3, BucketDocs: 17, WorkDir: dir})
			defer st.Close()
			if st.LoadObserved(bytes.NewReader(data)) == nil {
				st.Prepared(t.Context())
			}
		}
	})
}

func FuzzLoadPrepared(f *testing.F) {
	c := Config{MaxCount: 3, BucketDocs: 17}
	_, _, prepared := xchgtest.Staged(f, fresh(c), corpus(2, 20), 1)
	f.Add(prepared)
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, data := range [][]byte{raw, xchgtest.Reseal(raw)} {
			st, _ := New(c)
			if st.LoadPrepared(bytes.NewReader(data)) == nil {
				st.Process(&pipeline.Document{Text: "Read more\nunique"})
			}
		}
	})
}
