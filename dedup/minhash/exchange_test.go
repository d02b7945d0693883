package minhash

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/winnow-data/winnow/dedup/internal/memio"
	"github.com/winnow-data/winnow/dedup/internal/xchgtest"
	"github.com/winnow-data/winnow/pipeline"
	"github.com/winnow-data/winnow/pipeline/storage"
)

var _ pipeline.Exchanger = (*Stage)(nil)

// nearDupCorpus returns files of random texts, a third of them light
// edits of earlier ones (in any file), some without words, in two
// languages, with a signal for keep policies.
func nearDupCorpus(files, perFile int, seed uint64) []*memio.Source {
	rng := rand.New(rand.NewPCG(seed, 9))
	var out []*memio.Source
	var pool []string
	for f := range files {
		src := &memio.Source{Path: fmt.Sprintf("f%d", f)}
		for i := range perFile {
			var s string
			switch {
			case len(pool) > 0 && rng.IntN(3) == 0:
				s = editWords(rng, pool[rng.IntN(len(pool))], 0.06*rng.Float64())
			case i%17 == 0:
				s = "" // no signature
			default:
				s = randomWords(rng, 30+rng.IntN(200))
			}
			pool = append(pool, s)
			d := pipeline.Document{ID: fmt.Sprintf("%d-%d", f, i), Text: s, Lang: []string{"en", "fr"}[rng.IntN(2)]}
			d.SetSignal("len", float64(len(s)%7))
			src.Docs = append(src.Docs, d)
		}
		out = append(out, src)
	}
	return out
}

func freshStage(c Config) xchgtest.Fresh {
	return func(t testing.TB) pipeline.Exchanger {
		c := c
		c.WorkDir = t.TempDir()
		st, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
}

// TestOneAnswer: observing in 1–4 tasks and exchanging files removes the
// same documents, with the same cluster columns, as one process.
func TestOneAnswer(t *testing.T) {
	files := nearDupCorpus(5, 40, 9)
	configs := map[string]func(*Config){
		"defaults":     func(*Config) {},
		"keep signal":  func(c *Config) { c.Keep = "signal:len" },
		"no verify":    func(c *Config) { c.Verify = false },
		"per language": func(c *Config) { c.PerLanguage = true },
	}
	for _, name := range []string{"defaults", "keep signal", "no verify", "per language"} {
		t.Run(name, func(t *testing.T) {
			c := DefaultConfig()
			configs[name](&c)
			xchgtest.OneAnswer(t, freshStage(c), files)
		})
	}
}

// readSignatures returns the records of a saved index, sorted.
func readSignatures(t *testing.T, dir string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "signatures-00000.bin"))
	if err != nil {
		t.Fatal(err)
	}
	n := recordSize(112)
	if len(data)%n != 0 {
		t.Fatalf("saved index of %d bytes", len(data))
	}
	var recs []string
	for p := 0; p < len(data); p += n {
		recs = append(recs, string(data[p:p+n]))
	}
	slices.Sort(recs)
	return recs
}

// TestSaveIndexAndAgainst: in the staged form, the prepare step writes
// save_index with the signatures of every task, and against removes the
// same documents as in one process.
func TestSaveIndexAndAgainst(t *testing.T) {
	files := nearDupCorpus(4, 30, 3)
	for _, verify := range []bool{true, false} {
		c := DefaultConfig()
		c.Verify = verify
		c.SaveIndex = t.TempDir()
		single := xchgtest.Single(t, freshStage(c), files)
		want := readSignatures(t, c.SaveIndex)
		c.SaveIndex = t.TempDir()
		staged, _, _ := xchgtest.Staged(t, freshStage(c), files, 3)
		if got := readSignatures(t, c.SaveIndex); !slices.Equal(got, want) {
			t.Errorf("verify=%v: staged save_index holds %d records, one process %d, or they differ", verify, len(got), len(want))
		}
		if fmt.Sprint(staged) != fmt.Sprint(single) {
			t.Errorf("verify=%v: staged run with save_index differs from one process", verify)
		}

		// A second corpus against the first: half of it near-duplicates.
		second := nearDupCorpus(3, 30, 4)
		for i, f := range second {
			for j := range f.Docs {
				if j%2 == 0 {
					f.Docs[j].Text = editWords(rand.New(rand.NewPCG(uint64(i), uint64(j))), files[i].Docs[j].Text, 0.02)
				}
			}
		}
		a := DefaultConfig()
		a.Verify, a.Against = verify, c.SaveIndex
		xchgtest.OneAnswer(t, freshStage(a), second)
	}
}

// TestSaveIndexAndAgainstURL: save_index and against take storage URLs
// as well as directories, with the same index and the same answer.
func TestSaveIndexAndAgainstURL(t *testing.T) {
	files := nearDupCorpus(4, 30, 3)
	second := nearDupCorpus(3, 30, 4)
	for i, f := range second {
		for j := range f.Docs {
			if j%2 == 0 {
				f.Docs[j].Text = editWords(rand.New(rand.NewPCG(uint64(i), uint64(j))), files[i].Docs[j].Text, 0.02)
			}
		}
	}
	run := func(loc string) (saved []byte, against map[string]string) {
		c := DefaultConfig()
		c.SaveIndex = loc
		xchgtest.Single(t, freshStage(c), files)
		b, err := storage.Open(context.Background(), loc)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if saved, err = b.ReadFile(context.Background(), "signatures-00000.bin"); err != nil {
			t.Fatal(err)
		}
		a := DefaultConfig()
		a.Against = loc
		return saved, xchgtest.Single(t, freshStage(a), second)
	}
	dirSaved, dirOut := run(t.TempDir())
	urlSaved, urlOut := run("mem://minhash-against/runs/1")
	if !bytes.Equal(dirSaved, urlSaved) {
		t.Errorf("the index saved at a URL (%d bytes) differs from the one in a directory (%d bytes)", len(urlSaved), len(dirSaved))
	}
	if fmt.Sprint(dirOut) != fmt.Sprint(urlOut) {
		t.Errorf("against a URL removes other documents than against a directory")
	}
	removed := 0
	for _, o := range urlOut {
		if strings.Contains(o, "near_duplicate") {
			removed++
		}
	}
	if removed == 0 {
		t.Errorf("against removed nothing: %v", urlOut)
	}

	// An empty location and a truncated index are refused by name.
	if err := againstError(t, "mem://minhash-against/none", second[0]); err == nil || !strings.Contains(err.Error(), "no saved signatures") {
		t.Errorf("against an empty location: %v", err)
	}
	b, err := storage.Open(context.Background(), "mem://minhash-against/cut")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.WriteFile(context.Background(), "signatures-00000.bin", urlSaved[:len(urlSaved)-5]); err != nil {
		t.Fatal(err)
	}
	if err := againstError(t, "mem://minhash-against/cut", second[0]); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("against a truncated index: %v", err)
	}
}

// againstError runs a minhash stage against loc over src and returns the
// run's error.
func againstError(t *testing.T, loc string, src *memio.Source) error {
	st := newStage(t, func(c *Config) { c.Against = loc })
	defer st.Close()
	_, err := pipeline.Run(context.Background(), []pipeline.Source{src}, &memio.Sink{Discard: true}, pipeline.Options{Stages: []pipeline.Stage{st}})
	return err
}

func TestExchangeRefuses(t *testing.T) {
	files := nearDupCorpus(3, 8, 1)
	c := DefaultConfig()
	f := freshStage(c)
	_, observed, prepared := xchgtest.Staged(t, f, files, 2)
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

	for _, tc := range []struct {
		change func(*Config)
		want   string
	}{
		{func(c *Config) { c.NumPerm, c.Bands, c.Rows = 128, 16, 8 }, "num_perm=112 (this stage: 128)"},
		{func(c *Config) { c.ShingleWords = 3 }, "shingle_words=5 (this stage: 3)"},
		{func(c *Config) { c.Verify = false }, "layout=signatures (this stage: bands)"},
		{func(c *Config) { c.PerLanguage = true }, "per_language=false (this stage: true)"},
	} {
		o := DefaultConfig()
		tc.change(&o)
		st := freshStage(o)(t).(*Stage)
		err := st.LoadObserved(bytes.NewReader(observed[1]))
		st.Close()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("want an error with %q, got %v", tc.want, err)
		}
	}
	// A record naming an order no engine gives.
	bad := bytes.Clone(observed[1])
	at := bytes.Index(bad, []byte("signature=")) + len("signature=") + 16 + 8
	binary.LittleEndian.PutUint64(bad[at:], 1<<63)
	if err := load(false)(bytes.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("order out of range: %v", err)
	}
}

// TestEmptyObservation: tasks that saw nothing save files that load.
func TestEmptyObservation(t *testing.T) {
	f := freshStage(DefaultConfig())
	st := f(t)
	defer st.(*Stage).Close()
	var buf bytes.Buffer
	if err := st.SaveObserved(&buf); err != nil {
		t.Fatal(err)
	}
	p := xchgtest.Prepare(t, f, [][]byte{buf.Bytes(), buf.Bytes()})
	w := f(t)
	if err := w.LoadPrepared(bytes.NewReader(p)); err != nil {
		t.Fatal(err)
	}
	if r, err := w.Process(&pipeline.Document{Text: "some words"}); r != "" || err != nil {
		t.Errorf("Process = %q, %v", r, err)
	}
}

func FuzzLoadObserved(f *testing.F) {
	c := DefaultConfig()
	c.NumPerm, c.Bands, c.Rows = 8, 2, 4
	for _, verify := range []bool{true, false} {
		c.Verify = verify
		_, observed, _ := xchgtest.Staged(f, freshStage(c), nearDupCorpus(2, 3, 1), 1)
		f.Add(observed[0])
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, data := range [][]byte{raw, xchgtest.Reseal(raw)} {
			for _, verify := range []bool{true, false} {
				c := c
				c.Verify, c.WorkDir = verify, dir
				st, _ := New(c)
				if st.LoadObserved(bytes.NewReader(data)) == nil {
					st.Prepared(t.Context())
				}
				st.Close()
			}
		}
	})
}

func FuzzLoadPrepared(f *testing.F) {
	c := DefaultConfig()
	_, _, prepared := xchgtest.Staged(f, freshStage(c), nearDupCorpus(2, 10, 1), 1)
	f.Add(prepared)
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, data := range [][]byte{raw, xchgtest.Reseal(raw)} {
			st, _ := New(c)
			if st.LoadPrepared(bytes.NewReader(data)) == nil {
				st.Process(&pipeline.Document{FileIndex: 1, Record: 3})
			}
		}
	})
}

// TestSaveIndexDeterministic: the saved index is the same bytes whatever
// the workers and however it is sorted; a location holding two indexes of
// one run is refused rather than answered differently by file order.
func TestSaveIndexDeterministic(t *testing.T) {
	defer func(n int) { sortRun = n }(sortRun)
	files := nearDupCorpus(4, 60, 5)
	var first []byte
	for _, v := range []struct{ workers, run int }{{1, 1 << 20}, {4, 1 << 20}, {3, 17}} {
		sortRun = v.run
		dir := t.TempDir()
		st := newStage(t, func(c *Config) { c.SaveIndex = dir })
		runStage(t, st, v.workers, files...)
		st.Close()
		saved, err := os.ReadFile(filepath.Join(dir, "signatures-00000.bin"))
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = saved
		} else if !bytes.Equal(saved, first) {
			t.Errorf("%d workers, runs of %d: the saved index differs", v.workers, v.run)
		}
	}

	dir := t.TempDir()
	for _, name := range []string{"signatures-00000.bin", "signatures-00001.bin"} {
		if err := os.WriteFile(filepath.Join(dir, name), first, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := againstError(t, dir, files[0]); err == nil || !strings.Contains(err.Error(), "added twice") {
		t.Errorf("against two copies of one index: %v", err)
	}
}
