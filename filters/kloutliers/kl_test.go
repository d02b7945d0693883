package kloutliers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/winnow-data/winnow/pipeline"
)

// zipfDoc draws n words of a Zipf-distributed vocabulary ("w0" the
// commonest), the shape of natural text.
func zipfDoc(z *rand.Zipf, prefix string, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s%d", prefix, z.Uint64())
	}
	return b.String()
}

// corpus returns docs natural documents of lang, 100–300 words each.
func corpus(seed uint64, lang, prefix string, docs int) []*pipeline.Document {
	r := rand.New(rand.NewPCG(seed, 1))
	z := rand.NewZipf(r, 1.1, 2, 20000)
	out := make([]*pipeline.Document, docs)
	for i := range out {
		out[i] = &pipeline.Document{Lang: lang, Text: zipfDoc(z, prefix, 100+r.IntN(200)), Record: int64(i)}
	}
	return out
}

func build(t testing.TB, docs []*pipeline.Document, width int) *Reference {
	b, err := NewBuilder(width)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		b.Add(d)
	}
	return b.Reference()
}

func TestScoresSeparateOutliers(t *testing.T) {
	docs := corpus(1, "en", "w", 2000)
	s, err := New(Config{Loaded: build(t, docs, 1<<16)})
	if err != nil {
		t.Fatal(err)
	}
	st := s.(*Stage)
	// Natural documents, fresh from the same distribution: kept.
	kept := 0
	fresh := corpus(2, "en", "w", 200)
	maxKL := 0.0
	for _, d := range fresh {
		kl, _ := st.Score(d)
		maxKL = max(maxKL, kl)
		if r, _ := s.Process(d); r == "" {
			kept++
		}
	}
	t.Logf("natural documents: max KL %.2f", maxKL)
	if kept < 198 {
		t.Errorf("kept %d of 200 natural documents (max KL %.2f)", kept, maxKL)
	}
	for _, c := range []struct {
		name, text, want string
	}{
		{"one common word repeated", strings.Repeat("w2 ", 100), ""},
		{"a rare word repeated (keyword stuffing)", strings.Repeat("w15000 w2 ", 60), ReasonHighKL},
		{"unseen tokens (hashes, ids)", strings.Repeat("x9f3a ", 20) + zipfDoc(rand.NewZipf(rand.New(rand.NewPCG(3, 3)), 1.1, 2, 20000), "h", 80), ReasonManyOOD},
		{"short: never dropped", strings.Repeat("w15000 ", 20), ""},
	} {
		d := &pipeline.Document{Lang: "en", Text: c.text}
		r, err := s.Process(d)
		kl, _ := d.Signal(SignalKL)
		ood, _ := d.Signal(SignalOOD)
		t.Logf("%s: kl %.2f, ood %.2f", c.name, kl, ood)
		if err != nil || r != c.want {
			t.Errorf("%s: reason %q (kl %.2f, ood %.2f), want %q", c.name, r, kl, ood, c.want)
		}
	}
	// A language with too few reference documents is never judged.
	if r, _ := s.Process(&pipeline.Document{Lang: "de", Text: strings.Repeat("x ", 100)}); r != "" {
		t.Errorf("language without reference: %q", r)
	}
}

func TestThresholdsJustBelowAndAbove(t *testing.T) {
	docs := corpus(1, "en", "w", 500)
	ref := build(t, docs, 1<<16)
	d := &pipeline.Document{Lang: "en", Text: strings.Repeat("w15000 w2 ", 60)}
	st := &Stage{ref: ref}
	kl, ood := st.Score(d)
	for _, c := range []struct {
		maxKL, maxOOD float64
		want          string
	}{
		{kl + 0.01, 0.5, ""},
		{kl - 0.01, 0.5, ReasonHighKL},
	} {
		s, _ := New(Config{Loaded: ref, MaxKL: c.maxKL, MaxOODFraction: c.maxOOD})
		if r, _ := s.Process(&pipeline.Document{Lang: "en", Text: d.Text}); r != c.want {
			t.Errorf("kl %.3f, max_kl %.3f: %q, want %q", kl, c.maxKL, r, c.want)
		}
	}
	o := &pipeline.Document{Lang: "en", Text: strings.Repeat("zz1 zz2 w2 w3 ", 20)} // half unseen
	_, ood = st.Score(o)
	if ood != 0.5 {
		t.Fatalf("ood %v, want 0.5", ood)
	}
	for _, c := range []struct {
		maxOOD float64
		want   string
	}{{0.5, ""}, {0.49, ReasonManyOOD}} {
		s, _ := New(Config{Loaded: ref, MaxKL: 100, MaxOODFraction: c.maxOOD})
		if r, _ := s.Process(&pipeline.Document{Lang: "en", Text: o.Text}); r != c.want {
			t.Errorf("ood 0.5, max %.2f: %q, want %q", c.maxOOD, r, c.want)
		}
	}
}

// TestPreparerDeterministic: the reference and every verdict are the same
// whatever order and concurrency Observe sees.
func TestPreparerDeterministic(t *testing.T) {
	docs := append(corpus(1, "en", "w", 300), corpus(2, "fr", "m", 300)...)
	docs = append(docs, &pipeline.Document{Lang: "en", Text: strings.Repeat("w15000 w2 ", 60)})
	var refBytes [][]byte
	var verdicts [][]string
	for round := range 3 {
		st, err := New(Config{SketchWidth: 1 << 14})
		if err != nil {
			t.Fatal(err)
		}
		p := st.(*Preparing)
		order := slices.Clone(docs)
		rand.New(rand.NewPCG(uint64(round), 0)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for i := w; i < len(order); i += 4 {
					if err := p.Observe(order[i]); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		if err := p.Prepared(context.Background()); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := p.ref.Save(&buf); err != nil {
			t.Fatal(err)
		}
		refBytes = append(refBytes, buf.Bytes())
		var v []string
		for _, d := range docs {
			r, _ := p.Process(d)
			kl, _ := d.Signal(SignalKL)
			v = append(v, fmt.Sprintf("%s %.12f", r, kl))
		}
		verdicts = append(verdicts, v)
	}
	for i := 1; i < len(refBytes); i++ {
		if !bytes.Equal(refBytes[0], refBytes[i]) {
			t.Error("reference depends on the order of Observe")
		}
		if !slices.Equal(verdicts[0], verdicts[i]) {
			t.Error("verdicts depend on the order of Observe")
		}
	}
	if last := verdicts[0][len(docs)-1]; !strings.HasPrefix(last, ReasonHighKL) {
		t.Errorf("stuffed document: %s", last)
	}
}

func TestSaveLoad(t *testing.T) {
	ref := build(t, corpus(1, "en", "w", 200), 1<<10)
	name := filepath.Join(t.TempDir(), "ref.bin")
	if err := SaveFile(ref, name); err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Reference: name})
	if err != nil {
		t.Fatal(err)
	}
	got := s.(*Stage).ref
	if !slices.Equal(got.counts, ref.counts) || got.Lang("en") != ref.Lang("en") || got.Width() != 1<<10 {
		t.Error("loaded reference differs from the saved one")
	}
	if got.Count("en", "W2") < 10 {
		t.Errorf("count of w2 = %d", got.Count("en", "W2"))
	}
	raw, _ := os.ReadFile(name)
	for _, cut := range []int{0, 5, 30, len(raw) / 2, len(raw) - 1} {
		if _, err := LoadReference(bytes.NewReader(raw[:cut])); !errors.Is(err, ErrFormat) {
			t.Errorf("truncated at %d: %v", cut, err)
		}
	}
	bad := slices.Clone(raw)
	bad[len(bad)-3] ^= 1
	if _, err := LoadReference(bytes.NewReader(bad)); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("flipped checksum bit: %v", err)
	}
	if _, err := New(Config{Reference: filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Error("missing reference accepted")
	}
}

func TestBuildReference(t *testing.T) {
	docs := corpus(1, "en", "w", 50)
	ref, err := BuildReference(context.Background(), slices.Values(docs))
	if err != nil {
		t.Fatal(err)
	}
	if st := ref.Lang("en"); st.Docs != 50 || st.Tokens < 5000 {
		t.Errorf("totals %+v", st)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := BuildReference(ctx, slices.Values(corpus(1, "en", "w", 2000))); err == nil {
		t.Error("cancelled build succeeded")
	}
}

func TestPathological(t *testing.T) {
	b, _ := NewBuilder(1 << 12)
	docs := []*pipeline.Document{
		{Lang: "en", Text: strings.Repeat("😀", 1<<18)},
		{Lang: "zh", Text: strings.Repeat("他", 1<<18)},
		{Lang: "en", Text: strings.Repeat("a", 1<<20)},
		{Lang: "en", Text: strings.Repeat("same line\n", 100000)},
		{Lang: "", Text: ""},
	}
	for _, d := range docs {
		b.Add(d)
	}
	s, _ := New(Config{Loaded: b.Reference(), MinRefDocs: 1})
	for _, d := range docs {
		if _, err := s.Process(d); err != nil {
			t.Fatal(err)
		}
		if kl, _ := d.Signal(SignalKL); kl < 0 || kl != kl {
			t.Errorf("kl %v", kl)
		}
	}
}

func TestMerge(t *testing.T) {
	a, b := corpus(1, "en", "w", 100), corpus(2, "fr", "m", 100)
	whole := build(t, append(slices.Clone(a), b...), 1<<12)
	left, right := build(t, a, 1<<12), build(t, b, 1<<12)
	if err := left.Merge(right); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(left.counts, whole.counts) || left.Lang("en") != whole.Lang("en") || left.Lang("fr") != whole.Lang("fr") {
		t.Error("merged halves differ from the whole")
	}
	if err := left.Merge(build(t, a, 1<<10)); err == nil {
		t.Error("merged references of different widths")
	}
}
