package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// fullSink records every field of what it is handed.
type fullSink struct{ kept, rej []string }

func describe(d *Document) string {
	var f []string
	for _, x := range d.Fields {
		f = append(f, x.Name+"="+string(x.Value))
	}
	return fmt.Sprintf("%s|%q|%s|%s|%v|%s|%s|%v|%v|%d", d.ID, d.Text, d.URL, d.Lang, d.LangScore,
		d.Date.Format(time.RFC3339Nano), d.Source, d.Signals, f, d.Order())
}

func (s *fullSink) Write(docs []*Document) error {
	for _, d := range docs {
		s.kept = append(s.kept, describe(d))
	}
	return nil
}

func (s *fullSink) Reject(docs []*Document, reasons []string) error {
	for i, d := range docs {
		s.rej = append(s.rej, reasons[i]+" "+describe(d))
	}
	return nil
}
func (s *fullSink) Close() error { return nil }
func (s *fullSink) Abort() error { return nil }

// tagger sets what language identification would, and a date in a zone.
type tagger struct{}

func (tagger) Name() string { return "tagger" }
func (tagger) Process(d *Document) (string, error) {
	d.Lang, d.LangScore = "xx", 0.25+float64(len(d.Text)%4)/8
	if len(d.Text)%3 != 0 {
		d.Date = time.Date(2024, 2, 29, 12, 0, len(d.Text), 5, time.FixedZone("X", 3600))
	}
	d.SetField("tag", []byte(`{"k":[1,2]}`))
	return "", nil
}

// The spill changes nothing: documents, their fields and outcomes, and
// the accounting are those of a run that rereads the sources each pass.
func TestRunSpillEqualsRereading(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var files [][]string
	for f := range 3 {
		files = append(files, genLines(rng, f, 400+rng.IntN(300)))
	}
	run := func(noSpill bool, workers int) (*fullSink, *Stats) {
		var sources []Source
		for i, lines := range files {
			sources = append(sources, &lineSource{name: fmt.Sprintf("f%d", i), lines: lines})
		}
		sink := &fullSink{}
		dir := t.TempDir()
		stats, err := Run(context.Background(), sources, sink, Options{
			Stages: []Stage{wordFilter{"drop"}, tagger{}, &firstSeen{first: map[string]uint64{}},
				upper{}, &firstSeen{first: map[string]uint64{}}},
			Workers: workers, BatchRecords: 7, NoSpill: noSpill, SpillDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Errorf("spill left behind: %v", left)
		}
		stats.Seconds, stats.Workers = 0, 0
		for i := range stats.Stages {
			stats.Stages[i].Seconds = 0
		}
		return sink, stats
	}
	want, wantStats := run(true, 1)
	if len(want.kept) == 0 || len(want.rej) == 0 || wantStats.DocsErrored == 0 {
		t.Fatalf("the input should give kept, rejected and errored documents: %+v", wantStats)
	}
	for _, workers := range []int{1, 3} {
		got, gotStats := run(false, workers)
		if !slices.Equal(got.kept, want.kept) {
			t.Errorf("workers %d: kept documents differ with the spill (%d vs %d)", workers, len(got.kept), len(want.kept))
			for i := range min(len(got.kept), len(want.kept)) {
				if got.kept[i] != want.kept[i] {
					t.Errorf("first difference:\n got %s\nwant %s", got.kept[i], want.kept[i])
					break
				}
			}
		}
		if !slices.Equal(got.rej, want.rej) {
			t.Errorf("workers %d: rejected documents differ with the spill", workers)
		}
		g, w := fmt.Sprintf("%+v", *gotStats), fmt.Sprintf("%+v", *wantStats)
		if g != w {
			t.Errorf("workers %d: stats differ with the spill:\n got %.600s\nwant %.600s", workers, g, w)
		}
	}
}

// A damaged spill is an error, never a panic.
func TestSpillDamaged(t *testing.T) {
	sw, err := newTempSpill(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b := &batch{name: "f", fileIndex: 2}
	it := b.add()
	it.doc = Document{ID: "a", Text: "hello", Signals: []Signal{{"s", 1}}, Fields: []Field{{"x", []byte("1")}}}
	it = b.add()
	it.outcome, it.reason, it.readErr = errored, "input.bad", fmt.Errorf("bad json")
	sw.write(b)
	name, err := sw.finish()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	for cut := range len(raw) {
		sr, err := newSpillReader(bytes.NewReader(raw[:cut]))
		if err != nil {
			continue
		}
		var got batch
		for range 3 {
			if sr.next(&got) != nil {
				break
			}
		}
		sr.close()
	}
	sr, err := newSpillReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer sr.close()
	var got batch
	if err := sr.next(&got); err != nil {
		t.Fatal(err)
	}
	if got.n != 2 || describe(&got.items[0].doc) != describe(&b.items[0].doc) || got.items[1].readErr.Error() != "bad json" || got.name != "f" || got.fileIndex != 2 {
		t.Errorf("read back %+v", got.items[:got.n])
	}
	if !strings.Contains(fmt.Sprint(sr.next(&got)), "EOF") {
		t.Error("no EOF after the last batch")
	}
}
