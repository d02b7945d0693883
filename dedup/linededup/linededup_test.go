package linededup

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/winnow-data/winnow/dedup/internal/memio"
	"github.com/winnow-data/winnow/pipeline"
)

func run(t *testing.T, c Config, workers int, src *memio.Source) *memio.Sink {
	t.Helper()
	c.WorkDir = t.TempDir()
	st, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	sink := &memio.Sink{}
	if _, err := pipeline.Run(context.Background(), []pipeline.Source{src}, sink, pipeline.Options{Stages: []pipeline.Stage{st}, Workers: workers, BatchRecords: 2}); err != nil {
		t.Fatal(err)
	}
	return sink
}

// docs returns n documents sharing the boilerplate lines menu and footer
// around a unique body.
func docs(n int) *memio.Source {
	var texts []string
	for i := range n {
		texts = append(texts, fmt.Sprintf("Home | About | Contact\r\nArticle %c body text.\n\n© 2024 Example Ltd.", 'a'+i))
	}
	return memio.Texts("a", texts...)
}

func TestLineDedup(t *testing.T) {
	tests := []struct {
		name  string
		src   *memio.Source
		cfg   Config
		texts []string
	}{
		{"lines at the limit stay", docs(3), Config{MaxCount: 3, BucketDocs: 100}, []string{
			"Home | About | Contact\r\nArticle a body text.\n\n© 2024 Example Ltd.",
			"Home | About | Contact\r\nArticle b body text.\n\n© 2024 Example Ltd.",
			"Home | About | Contact\r\nArticle c body text.\n\n© 2024 Example Ltd.",
		}},
		{"lines above the limit go, other bytes stay", docs(3), Config{MaxCount: 2, BucketDocs: 100}, []string{
			"Article a body text.\n\n",
			"Article b body text.\n\n",
			"Article c body text.\n\n",
		}},
		{"normalised before counting", memio.Texts("a", "MENU: home\nx", "menu home!\ny", "Menu  HOME\nz"), Config{MaxCount: 2, BucketDocs: 100}, []string{"x", "y", "z"}},
		{"counts per bucket of documents", docs(4), Config{MaxCount: 2, BucketDocs: 2}, []string{
			"Home | About | Contact\r\nArticle a body text.\n\n© 2024 Example Ltd.",
			"Home | About | Contact\r\nArticle b body text.\n\n© 2024 Example Ltd.",
			"Home | About | Contact\r\nArticle c body text.\n\n© 2024 Example Ltd.",
			"Home | About | Contact\r\nArticle d body text.\n\n© 2024 Example Ltd.",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := run(t, tt.cfg, 2, tt.src)
			var got []string
			for _, k := range sink.Kept {
				got = append(got, k.Text)
			}
			if !slices.Equal(got, tt.texts) {
				t.Errorf("texts\n%q\nwant\n%q", got, tt.texts)
			}
		})
	}
}

func TestEmptiedDropped(t *testing.T) {
	src := memio.Texts("a", "same line\n---", "same line", "same line\nunique")
	sink := run(t, Config{MaxCount: 2, BucketDocs: 10}, 1, src)
	if got := sink.IDs(); !slices.Equal(got, []string{"2"}) {
		t.Errorf("kept %v", got)
	}
	if len(sink.Rejected) != 2 || sink.Rejected[0].Reason != "line_dedup.empty" {
		t.Errorf("rejected %+v", sink.Rejected)
	}
	if sink.Kept[0].Text != "unique" || sink.Kept[0].Signals[SignalFraction] != 0.5 {
		t.Errorf("kept %+v", sink.Kept[0])
	}
}

func TestDeterministic(t *testing.T) {
	var texts []string
	for i := range 300 {
		texts = append(texts, strings.Repeat(fmt.Sprintf("line %d\n", i%7), 1+i%3)+fmt.Sprintf("own %c%c", 'a'+i%26, 'a'+i/26))
	}
	src := memio.Texts("a", texts...)
	ref := run(t, Config{MaxCount: 6, BucketDocs: 50}, 1, src)
	for _, w := range []int{2, 4} {
		got := run(t, Config{MaxCount: 6, BucketDocs: 50}, w, src)
		if fmt.Sprint(got.Kept) != fmt.Sprint(ref.Kept) {
			t.Errorf("workers=%d differ", w)
		}
	}
	if len(ref.Kept) != 300 {
		t.Errorf("kept %d", len(ref.Kept))
	}
}
