package exact_test

import (
	"context"
	"fmt"

	"github.com/winnow-data/winnow/dedup/exact"
	"github.com/winnow-data/winnow/dedup/internal/memio"
	"github.com/winnow-data/winnow/pipeline"
)

func ExampleNew() {
	st, err := exact.New("first", false)
	if err != nil {
		panic(err)
	}
	src := memio.Texts("docs.jsonl", "Hello, World!", "something else", "hello world")
	sink := &memio.Sink{}
	if _, err := pipeline.Run(context.Background(), []pipeline.Source{src}, sink, pipeline.Options{Stages: []pipeline.Stage{st}}); err != nil {
		panic(err)
	}
	fmt.Println(sink.IDs(), sink.Rejected[0].Reason)
	// Output: [0 1] exact_dedup.duplicate
}
