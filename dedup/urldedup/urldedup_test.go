package urldedup

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/winnow-data/winnow/dedup/internal/memio"
	"github.com/winnow-data/winnow/pipeline"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"HTTP://Example.COM", "http://example.com/"},
		{"https://example.com:443/a?b=1#top", "https://example.com/a?b=1"},
		{"http://example.com:8080/A", "http://example.com:8080/A"},
		{"http://user:pw@example.com./x", "http://example.com/x"},
		{"  not a url ", "not a url"},
		{"http://[::1]:80/", "http://[::1]/"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func run(t *testing.T, st pipeline.Stage, src *memio.Source) *memio.Sink {
	t.Helper()
	sink := &memio.Sink{}
	if _, err := pipeline.Run(context.Background(), []pipeline.Source{src}, sink, pipeline.Options{Stages: []pipeline.Stage{st}, Workers: 2, BatchRecords: 1}); err != nil {
		t.Fatal(err)
	}
	return sink
}

func TestURLDedup(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2024, 5, d, 0, 0, 0, 0, time.UTC) }
	src := &memio.Source{Path: "a", Docs: []pipeline.Document{
		{ID: "old", URL: "http://example.com/page", Date: day(1), Text: "v1"},
		{ID: "new", URL: "HTTP://example.com/page#x", Date: day(9), Text: "v2"},
		{ID: "other", URL: "http://example.com/other", Date: day(1), Text: "o"},
		{ID: "nourl", Text: "n"},
		{ID: "nourl2", Text: "n"},
		{ID: "tie1", URL: "http://t.org/", Date: day(3)},
		{ID: "tie2", URL: "http://t.org", Date: day(3)},
		{ID: "undated", URL: "http://t.org/"},
	}}
	st, err := New("most_recent")
	if err != nil {
		t.Fatal(err)
	}
	sink := run(t, st, src)
	if got, want := sink.IDs(), []string{"new", "other", "nourl", "nourl2", "tie1"}; !slices.Equal(got, want) {
		t.Errorf("kept %v, want %v", got, want)
	}
	for _, r := range sink.Rejected {
		if r.Reason != "url_dedup.older_version" {
			t.Errorf("reason %q", r.Reason)
		}
	}
}
