package linededup_test

import (
	"context"
	"fmt"

	"github.com/winnow-data/winnow/dedup/internal/memio"
	"github.com/winnow-data/winnow/dedup/linededup"
	"github.com/winnow-data/winnow/pipeline"
)

func ExampleNew() {
	st, err := linededup.New(linededup.Config{MaxCount: 2, BucketDocs: 30_000_000})
	if err != nil {
		panic(err)
	}
	src := memio.Texts("pages.jsonl",
		"Accept cookies\nThe first article.",
		"Accept cookies\nThe second article.",
		"Accept cookies\nThe third article.",
	)
	sink := &memio.Sink{}
	if _, err := pipeline.Run(context.Background(), []pipeline.Source{src}, sink, pipeline.Options{Stages: []pipeline.Stage{st}}); err != nil {
		panic(err)
	}
	for _, k := range sink.Kept {
		fmt.Printf("%q\n", k.Text)
	}
	// Output:
	// "The first article."
	// "The second article."
	// "The third article."
}
