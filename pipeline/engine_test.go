package pipeline

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// lineSource is a JSONL-like source: each raw record is "id<TAB>text",
// decoded by workers; the record "BAD" fails to decode; damageAt yields a
// FileError after that many records.
type lineSource struct {
	name     string
	lines    []string
	damageAt int
	skip     map[int]bool
}

func (s *lineSource) Name() string { return s.name }
func (s *lineSource) Size() int64  { return int64(len(strings.Join(s.lines, "\n"))) }
func (s *lineSource) Records(ctx context.Context) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		off := int64(0)
		for i, l := range s.lines {
			if s.damageAt > 0 && i == s.damageAt {
				yield(Record{}, &FileError{File: s.name, Offset: off, Records: int64(i), Err: errors.New("unexpected EOF")})
				return
			}
			if s.skip[i] {
				if !yield(Record{}, &RecordError{File: s.name, Index: int64(i), Offset: off, Reason: "request", Skip: true}) {
					return
				}
				continue
			}
			if !yield(Record{Index: int64(i), Offset: off, StoredOffset: off, Raw: []byte(l)}, nil) {
				return
			}
			off += int64(len(l)) + 1
		}
	}
}

func (s *lineSource) Decode(raw []byte, d *Document) error {
	if string(raw) == "BAD" {
		return &RecordError{Reason: "malformed_json", Err: errors.New("not a record")}
	}
	id, text, _ := strings.Cut(string(raw), "\t")
	d.ID, d.Text = id, text
	d.Fields = append(d.Fields, Field{Name: "n", Value: []byte(fmt.Sprint(len(text)))})
	return nil
}

// recSink records what the engine hands it.
type recSink struct {
	kept, rej       []string // "id:text"
	reasons         []string
	batches         []int
	closed, aborted bool
	failAfter       int
}

func (s *recSink) Write(docs []*Document) error {
	if s.failAfter > 0 && len(s.kept) >= s.failAfter {
		return errors.New("disk full")
	}
	s.batches = append(s.batches, len(docs))
	for _, d := range docs {
		s.kept = append(s.kept, d.ID+":"+d.Text)
	}
	return nil
}

func (s *recSink) Reject(docs []*Document, reasons []string) error {
	for i, d := range docs {
		s.rej = append(s.rej, d.ID+":"+d.Text)
		s.reasons = append(s.reasons, reasons[i])
	}
	return nil
}
func (s *recSink) Close() error { s.closed = true; return nil }
func (s *recSink) Abort() error { s.aborted = true; return nil }

// wordFilter drops documents containing its word and fails on "boom".
type wordFilter struct{ word string }

func (f wordFilter) Name() string { return "word_filter" }
func (f wordFilter) Process(d *Document) (string, error) {
	if strings.Contains(d.Text, "boom") {
		return "", errors.New("exploded")
	}
	if strings.Contains(d.Text, f.word) {
		return "has_word", nil
	}
	d.SetSignal("word_filter.len", float64(len(d.Text)))
	return "", nil
}

// upper rewrites text, proving stages compose in order.
type upper struct{}

func (upper) Name() string { return "upper" }
func (upper) Process(d *Document) (string, error) {
	d.SetText(strings.ToUpper(d.Text))
	return "", nil
}

func genLines(rng *rand.Rand, file, n int) []string {
	words := []string{"alpha", "beta", "gamma", "drop", "delta", "boom", "epsilon"}
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for range 1 + rng.IntN(6) {
			w := words[rng.IntN(len(words))]
			if w == "boom" && rng.IntN(4) > 0 {
				w = "zeta"
			}
			b.WriteString(w + " ")
		}
		if rng.IntN(50) == 0 {
			out[i] = "BAD"
			continue
		}
		out[i] = fmt.Sprintf("%d.%d\t%s", file, i, b.String())
	}
	return out
}

func TestRunAccountsForEveryDocument(t *testing.T) {
	src := &lineSource{name: "a.jsonl", lines: []string{
		"1\tkeep me", "BAD", "2\tplease drop me", "3\tboom", "4\tfine", "\tno id",
	}}
	sink := &recSink{}
	stats, err := Run(context.Background(), []Source{src}, sink, Options{Stages: []Stage{wordFilter{"drop"}, upper{}}, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	derived := DerivedID("a.jsonl#5")
	want := []string{"1:KEEP ME", "4:FINE", derived + ":NO ID"}
	if !slices.Equal(sink.kept, want) {
		t.Errorf("kept %q, want %q", sink.kept, want)
	}
	if !slices.Equal(sink.rej, []string{"2:please drop me"}) || !slices.Equal(sink.reasons, []string{"word_filter.has_word"}) {
		t.Errorf("rejected %q %q", sink.rej, sink.reasons)
	}
	if stats.DocsIn != 6 || stats.DocsOut != 3 || stats.DocsRejected != 1 || stats.DocsErrored != 2 {
		t.Errorf("stats in=%d out=%d rej=%d err=%d", stats.DocsIn, stats.DocsOut, stats.DocsRejected, stats.DocsErrored)
	}
	if stats.Errored["input.malformed_json"] != 1 || stats.Errored["word_filter.error"] != 1 {
		t.Errorf("errored %v", stats.Errored)
	}
	if got := stats.Stages[0]; got.DocsIn != 5 || got.DocsOut != 3 || got.Dropped["has_word"] != 1 || got.Errored != 1 {
		t.Errorf("stage stats %+v", got)
	}
	if stats.Stages[1].DocsIn != 3 || stats.Languages["und"] != 3 {
		t.Errorf("stage 2 %+v languages %v", stats.Stages[1], stats.Languages)
	}
	if len(stats.RecordErrors) != 2 || stats.RecordErrors[0].File != "a.jsonl" || stats.RecordErrors[0].Record != 1 ||
		!strings.HasPrefix(stats.RecordErrors[0].Error, "a.jsonl: record 1 (byte 10): malformed_json") {
		t.Errorf("record errors %+v", stats.RecordErrors)
	}
	if !sink.closed || sink.aborted {
		t.Errorf("closed=%v aborted=%v", sink.closed, sink.aborted)
	}
}

// copyText sets every text to a copy of itself: the same text in another
// string, which is not a rewrite.
type copyText struct{}

func (copyText) Name() string { return "copy_text" }
func (copyText) Process(d *Document) (string, error) {
	d.SetText(strings.Clone(d.Text))
	return "", nil
}

func TestRunCountsRewrittenDocuments(t *testing.T) {
	src := &lineSource{name: "a.jsonl", lines: []string{"1	lower", "2	UPPER", "3	Mixed", "4	drop me"}}
	stats, err := Run(context.Background(), []Source{src}, &recSink{}, Options{Stages: []Stage{copyText{}, wordFilter{"drop"}, upper{}}, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int64{0, 0, 2} { // "UPPER" is already upper case
		if got := stats.Stages[i].Rewritten; got != want {
			t.Errorf("stage %s rewrote %d documents, want %d", stats.Stages[i].Name, got, want)
		}
	}
}

// The property at the heart of the engine: for any input, any worker
// count and any batch size, nothing is lost, input order is kept, and the
// sink sees the same calls.
func TestRunDeterministicAndLossless(t *testing.T) {
	for seed := range uint64(5) {
		rng := rand.New(rand.NewPCG(seed, 7))
		var srcs []Source
		total := 0
		for f := range 1 + rng.IntN(4) {
			n := rng.IntN(3000)
			total += n
			srcs = append(srcs, &lineSource{name: fmt.Sprintf("f%d", f), lines: genLines(rng, f, n)})
		}
		var ref *recSink
		var refStats *Stats
		for _, workers := range []int{1, 2, 3, 8} {
			for _, batch := range []int{1, 7, 1024} {
				sink := &recSink{}
				stats, err := Run(context.Background(), srcs, sink, Options{Stages: []Stage{wordFilter{"drop"}, upper{}}, Workers: workers, BatchRecords: batch})
				if err != nil {
					t.Fatal(err)
				}
				if stats.DocsIn != int64(total) {
					t.Fatalf("seed %d: docs_in %d, want %d", seed, stats.DocsIn, total)
				}
				if int(stats.DocsOut) != len(sink.kept) || int(stats.DocsRejected) != len(sink.rej) {
					t.Fatalf("sink got %d/%d, stats say %d/%d", len(sink.kept), len(sink.rej), stats.DocsOut, stats.DocsRejected)
				}
				if batch == 1024 && ref == nil {
					ref, refStats = sink, stats
					continue
				}
				if ref != nil && batch == 1024 {
					if !slices.Equal(sink.kept, ref.kept) || !slices.Equal(sink.rej, ref.rej) || !slices.Equal(sink.batches, ref.batches) {
						t.Fatalf("seed %d workers %d: output differs from workers 1", seed, workers)
					}
					if fmt.Sprint(stats.Errored, stats.Stages[0].Dropped) != fmt.Sprint(refStats.Errored, refStats.Stages[0].Dropped) {
						t.Fatalf("stats differ")
					}
				}
			}
		}
		// Input order: kept ids (file.record) ascend.
		for i := 1; i < len(ref.kept); i++ {
			if slices.Compare(idKey(ref.kept[i-1]), idKey(ref.kept[i])) >= 0 {
				t.Fatalf("order broken at %d: %s after %s", i, ref.kept[i], ref.kept[i-1])
			}
		}
	}
}

func idKey(s string) []int {
	var f, r int
	fmt.Sscanf(s, "%d.%d:", &f, &r)
	return []int{f, r}
}

func TestRunDamagedFileKeepsIntactRecords(t *testing.T) {
	bad := &lineSource{name: "bad.jsonl", lines: []string{"1\tone", "2\ttwo", "3\tthree"}, damageAt: 2}
	good := &lineSource{name: "good.jsonl", lines: []string{"4\tfour"}}
	sink := &recSink{}
	stats, err := Run(context.Background(), []Source{bad, good}, sink, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sink.kept, []string{"1:one", "2:two", "4:four"}) {
		t.Errorf("kept %q", sink.kept)
	}
	if len(stats.InputErrors) != 1 || stats.InputErrors[0].File != "bad.jsonl" || stats.InputErrors[0].Record != 2 {
		t.Errorf("input errors %+v", stats.InputErrors)
	}
}

func TestRunSkippedRecordsAreNotDocuments(t *testing.T) {
	src := &lineSource{name: "w.warc", lines: []string{"1\ta", "req", "2\tb"}, skip: map[int]bool{1: true}}
	stats, err := Run(context.Background(), []Source{src}, &recSink{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if stats.DocsIn != 2 || stats.Skipped["input.request"] != 1 {
		t.Errorf("in=%d skipped=%v", stats.DocsIn, stats.Skipped)
	}
}

func TestRunRepairsInvalidUTF8(t *testing.T) {
	src := &lineSource{name: "u", lines: []string{"1\tcaf\xe9 ok", "2\tvalid é"}}
	sink := &recSink{}
	stats, err := Run(context.Background(), []Source{src}, sink, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sink.kept, []string{"1:caf\uFFFD ok", "2:valid é"}) || stats.Repaired["invalid_utf8"] != 1 {
		t.Errorf("kept %q repaired %v", sink.kept, stats.Repaired)
	}
}

func TestRunSinkFailureAborts(t *testing.T) {
	src := &lineSource{name: "a", lines: genLines(rand.New(rand.NewPCG(1, 1)), 0, 5000)}
	sink := &recSink{failAfter: 10}
	_, err := Run(context.Background(), []Source{src}, sink, Options{BatchRecords: 16})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v", err)
	}
	if sink.closed || !sink.aborted {
		t.Errorf("closed=%v aborted=%v", sink.closed, sink.aborted)
	}
}

// endless yields records until cancelled.
type endless struct{ started chan struct{} }

func (endless) Name() string { return "endless" }
func (endless) Size() int64  { return -1 }
func (e endless) Records(ctx context.Context) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		close(e.started)
		for i := int64(0); ctx.Err() == nil; i++ {
			if !yield(Record{Index: i, Doc: &Document{ID: fmt.Sprint(i), Text: "x"}}, nil) {
				return
			}
		}
	}
}

func TestRunCancelAbortsOutput(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	src := endless{started: make(chan struct{})}
	go func() { <-src.started; cancel() }()
	sink := &recSink{}
	_, err := Run(ctx, []Source{src}, sink, Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if sink.closed || !sink.aborted {
		t.Errorf("closed=%v aborted=%v", sink.closed, sink.aborted)
	}
}

// firstSeen is a Preparer that keeps only the first document (in input
// order) of each text: it observes concurrently and must still choose
// deterministically.
type firstSeen struct {
	mu    sync.Mutex
	first map[string]uint64
	ready bool
}

func (f *firstSeen) Name() string { return "first_seen" }
func (f *firstSeen) Observe(d *Document) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if o, ok := f.first[d.Text]; !ok || d.Order() < o {
		f.first[d.Text] = d.Order()
	}
	return nil
}
func (f *firstSeen) Prepared(context.Context) error { f.ready = true; return nil }
func (f *firstSeen) Process(d *Document) (string, error) {
	if !f.ready {
		return "", errors.New("not prepared")
	}
	if f.first[d.Text] != d.Order() {
		return "duplicate", nil
	}
	return "", nil
}

func TestRunPreparatoryPass(t *testing.T) {
	a := &lineSource{name: "a", lines: []string{"1\tx", "2\ty", "3\tdrop x"}}
	b := &lineSource{name: "b", lines: []string{"4\ty", "5\tz", "6\tx"}}
	sink := &recSink{}
	stats, err := Run(context.Background(), []Source{a, b}, sink, Options{
		Stages: []Stage{wordFilter{"drop"}, &firstSeen{first: map[string]uint64{}}}, Workers: 3, BatchRecords: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sink.kept, []string{"1:x", "2:y", "5:z"}) {
		t.Errorf("kept %q", sink.kept)
	}
	if stats.Stages[1].Dropped["duplicate"] != 2 || stats.Stages[0].Dropped["has_word"] != 1 {
		t.Errorf("stages %+v", stats.Stages)
	}
}

func TestDerivedIDStable(t *testing.T) {
	a, b := DerivedID("data/x.jsonl#3"), DerivedID("data/x.jsonl#4")
	if a == b || len(a) != 16 || a != DerivedID("data/x.jsonl#3") {
		t.Errorf("%s %s", a, b)
	}
}

func BenchmarkEngineNoStages(b *testing.B) {
	lines := genLines(rand.New(rand.NewPCG(1, 2)), 0, 10000)
	n := 0
	for _, l := range lines {
		n += len(l)
	}
	src := &lineSource{name: "a", lines: lines}
	b.SetBytes(int64(n))
	for b.Loop() {
		if _, err := Run(context.Background(), []Source{src}, &recSink{}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// docSource yields already decoded documents.
type docSource []Document

func (docSource) Name() string { return "docs.parquet" }
func (docSource) Size() int64  { return -1 }
func (s docSource) Records(context.Context) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		for i := range s {
			if !yield(Record{Index: int64(i), Doc: &s[i]}, nil) {
				return
			}
		}
	}
}

// sourceSink records each kept document's id and source.
type sourceSink struct{ recSink }

func (s *sourceSink) Write(docs []*Document) error {
	for _, d := range docs {
		s.kept = append(s.kept, d.ID+" "+d.Source)
	}
	return nil
}

func TestRunKeepsRecordSourceAndDerivesIDFromPosition(t *testing.T) {
	src := docSource{
		{ID: "a", Text: "x"},
		{Text: "y", Source: "crawl-1.warc.gz#17"},
		{Text: "z", Source: "crawl-1.warc.gz#17"},
	}
	sink := &sourceSink{}
	if _, err := Run(context.Background(), []Source{src}, sink, Options{}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"a docs.parquet#0",
		DerivedID("docs.parquet#1") + " crawl-1.warc.gz#17",
		DerivedID("docs.parquet#2") + " crawl-1.warc.gz#17",
	}
	if !slices.Equal(sink.kept, want) {
		t.Errorf("got %q, want %q", sink.kept, want)
	}
}

// cutter truncates text at a byte count, splitting a rune: the classic
// stage bug the engine must not let through to the sinks.
type cutter struct{}

func (cutter) Name() string { return "cutter" }
func (cutter) Process(d *Document) (string, error) {
	d.SetText(d.Text[:2])
	return "", nil
}

func TestRunRepairsTextAStageBroke(t *testing.T) {
	src := &lineSource{name: "u", lines: []string{"1\taé", "2\tabc"}}
	sink := &recSink{}
	stats, err := Run(context.Background(), []Source{src}, sink, Options{Stages: []Stage{cutter{}}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sink.kept, []string{"1:a\uFFFD", "2:ab"}) || stats.Repaired["invalid_utf8_from_stage"] != 1 {
		t.Errorf("kept %q repaired %v", sink.kept, stats.Repaired)
	}
}

// orderProbe records each document's Order.
type orderProbe struct {
	mu     sync.Mutex
	orders []uint64
}

func (*orderProbe) Name() string { return "order_probe" }
func (p *orderProbe) Process(d *Document) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.orders = append(p.orders, d.Order())
	return "", nil
}

// A task's share of the files keeps the files' places in the whole list,
// so document order is unique across tasks.
func TestRunFileIndexesFromTheWholeList(t *testing.T) {
	probe := &orderProbe{}
	srcs := []Source{docSource{{ID: "a"}}, docSource{{ID: "b"}, {ID: "c"}}}
	if _, err := Run(context.Background(), srcs, &recSink{}, Options{Stages: []Stage{probe}, FileIndexes: []int{3, 7}, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	want := []uint64{3 << 40, 7 << 40, 7<<40 | 1}
	if !slices.Equal(probe.orders, want) {
		t.Errorf("orders %x, want %x", probe.orders, want)
	}
	if _, err := Run(context.Background(), srcs, &recSink{}, Options{FileIndexes: []int{1}}); err == nil {
		t.Error("mismatched FileIndexes accepted")
	}
}

// panicky panics on documents containing "crash", as a stage with a bug
// would on one hostile document.
type panicky struct{}

func (panicky) Name() string { return "panicky" }
func (panicky) Process(d *Document) (string, error) {
	if strings.Contains(d.Text, "crash") {
		var m map[string]int
		m["x"]++ // assignment to entry in nil map
	}
	return "", nil
}

// A panic on one document errors that document ("<stage>.panic", with file
// and record) and the run goes on, in a preparatory pass too.
func TestRunRecoversFromAStagePanic(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stages []Stage
	}{
		{"process", []Stage{panicky{}}},
		{"process before a preparer", []Stage{panicky{}, &firstSeen{first: map[string]uint64{}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &lineSource{name: "a.jsonl", lines: []string{"1\tfine", "2\tcrash here", "3\tfine too", "4\tcrash again"}}
			sink := &recSink{}
			stats, err := Run(context.Background(), []Source{src}, sink, Options{Stages: tc.stages, Workers: 2, BatchRecords: 1})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(sink.kept, []string{"1:fine", "3:fine too"}) || !sink.closed {
				t.Errorf("kept %v, closed %v", sink.kept, sink.closed)
			}
			if stats.DocsErrored != 2 || stats.Errored["panicky.panic"] != 2 || stats.Stages[0].Errored != 2 {
				t.Errorf("errored %d %v, stage %+v", stats.DocsErrored, stats.Errored, stats.Stages[0])
			}
			if len(stats.RecordErrors) != 2 || stats.RecordErrors[0].File != "a.jsonl" || stats.RecordErrors[0].Record != 1 ||
				!strings.Contains(stats.RecordErrors[0].Error, "panicked: assignment to entry in nil map") {
				t.Errorf("record errors %+v", stats.RecordErrors)
			}
		})
	}
}

// panicObserver panics in Observe on documents containing "crash".
type panicObserver struct{ *firstSeen }

func (p panicObserver) Name() string { return "observer" }
func (p panicObserver) Observe(d *Document) error {
	if strings.Contains(d.Text, "crash") {
		panic("observer bug")
	}
	return p.firstSeen.Observe(d)
}

// A panic in Observe does not end the run either.
func TestRunRecoversFromAPanicInObserve(t *testing.T) {
	src := &lineSource{name: "a.jsonl", lines: []string{"1\tfine", "2\tcrash here", "3\tfine too"}}
	sink := &recSink{}
	stats, err := Run(context.Background(), []Source{src}, sink, Options{Stages: []Stage{panicObserver{&firstSeen{first: map[string]uint64{}}}}, Workers: 2, BatchRecords: 1})
	if err != nil {
		t.Fatal(err)
	}
	// The preparatory pass errors the document and goes on; the stage
	// then judges a document it never observed.
	if !slices.Equal(sink.kept, []string{"1:fine", "3:fine too"}) || stats.DocsIn != 3 {
		t.Errorf("kept %v, stats %+v", sink.kept, stats)
	}
}

// bigSource yields n records of size bytes each and counts them.
type bigSource struct {
	n, size int
	read    *atomic.Int64
}

func (s *bigSource) Name() string { return "big" }
func (s *bigSource) Size() int64  { return int64(s.n * s.size) }
func (s *bigSource) Records(ctx context.Context) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		raw := []byte(strings.Repeat("x", s.size-2))
		for i := range s.n {
			s.read.Add(1)
			line := fmt.Appendf(nil, "%d\t%s", i%10, raw)
			if !yield(Record{Index: int64(i), Offset: int64(i * s.size), StoredOffset: int64(i * s.size), Raw: line}, nil) {
				return
			}
		}
	}
}
func (s *bigSource) Decode(raw []byte, d *Document) error {
	id, text, _ := strings.Cut(string(raw), "\t")
	d.ID, d.Text = id, text
	return nil
}

// countSink tracks the most records read but not yet written.
type countSink struct {
	read           *atomic.Int64
	written, worst int64
}

func (s *countSink) Write(docs []*Document) error {
	s.worst = max(s.worst, s.read.Load()-s.written)
	s.written += int64(len(docs))
	return nil
}
func (s *countSink) Reject([]*Document, []string) error { return nil }
func (s *countSink) Close() error                       { return nil }
func (s *countSink) Abort() error                       { return nil }

// Large records: the bytes in flight are bounded by MaxInflightBytes, not
// by the number of batches (2×workers+2), so memory does not grow with
// the worker count; and an absurd worker count is clamped.
func TestRunBoundsInflightBytesAndWorkers(t *testing.T) {
	const size = 1 << 20
	for _, tc := range []struct {
		workers  int
		inflight int64
		worst    int64 // records read ahead of the writer, at most
	}{
		{8, 4 << 20, 4 + 1 + 1},          // the budget, the batch being filled, the one read before waiting
		{99_999_999, 4 << 20, 4 + 1 + 1}, // clamped, still bounded
		{2, 256 << 20, 2*2 + 2 + 1 + 1},  // batches bound it first
	} {
		read := &atomic.Int64{}
		sink := &countSink{read: read}
		stats, err := Run(context.Background(), []Source{&bigSource{n: 64, size: size, read: read}}, sink,
			Options{Stages: []Stage{upper{}}, Workers: tc.workers, BatchRecords: 1, MaxInflightBytes: tc.inflight})
		if err != nil {
			t.Fatal(err)
		}
		if stats.DocsOut != 64 || sink.worst > tc.worst {
			t.Errorf("workers %d, inflight %d: %d docs out, up to %d records in flight, want ≤ %d", tc.workers, tc.inflight, stats.DocsOut, sink.worst, tc.worst)
		}
		if stats.Workers > MaxWorkers() {
			t.Errorf("workers %d ran %d workers, more than %d", tc.workers, stats.Workers, MaxWorkers())
		}
	}
}

// rejectID rejects the document with one id.
type rejectID string

func (r rejectID) Name() string { return "reject_id" }
func (r rejectID) Process(d *Document) (string, error) {
	if d.ID == string(r) {
		return "bad_id", nil
	}
	return "", nil
}

// reasonSink records "id:reasons" of the kept documents.
type reasonSink struct{ recSink }

func (s *reasonSink) Write(docs []*Document) error {
	for _, d := range docs {
		s.kept = append(s.kept, d.ID+":"+string(d.Field(ReasonsField)))
	}
	return nil
}

// In tag mode a document an earlier stage tagged is neither observed nor
// judged by a corpus-wide stage, so the copy of a duplicate group left
// untagged is the one filter mode keeps; later per-document stages still
// tag it. StageModes puts one stage alone in tag mode.
func TestRunTagMode(t *testing.T) {
	lines := []string{"1\tx", "2\tx", "3\ty", "4\tx", "5\tdrop y"}
	for _, tc := range []struct {
		name string
		opts Options
		kept []string
		rej  []string
	}{
		{"filter", Options{}, []string{"2:", "3:"}, []string{"1:x", "4:x", "5:drop y"}},
		{"tag", Options{Mode: Tag}, []string{
			`1:["reject_id.bad_id"]`, `2:[]`, `3:[]`, `4:["first_seen.duplicate"]`, `5:["word_filter.has_word"]`}, nil},
		{"one stage in tag mode", Options{StageModes: map[string]Mode{"first_seen": Tag}}, []string{
			`2:[]`, `3:[]`, `4:["first_seen.duplicate"]`}, []string{"1:x", "5:drop y"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &lineSource{name: "a", lines: lines}
			opts := tc.opts
			opts.Stages = []Stage{rejectID("1"), &firstSeen{first: map[string]uint64{}}, wordFilter{"drop"}}
			opts.Workers, opts.BatchRecords = 2, 2
			sink := &reasonSink{}
			if _, err := Run(context.Background(), []Source{src}, sink, opts); err != nil {
				t.Fatal(err)
			}
			if tc.name == "filter" {
				// Filter mode writes no reasons column.
				for i, k := range sink.kept {
					sink.kept[i] = k[:strings.Index(k, ":")+1]
				}
			}
			if !slices.Equal(sink.kept, tc.kept) || !slices.Equal(sink.rej, tc.rej) {
				t.Errorf("kept %q rejected %q, want %q %q", sink.kept, sink.rej, tc.kept, tc.rej)
			}
		})
	}
}
