package pipeline_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/winnow-data/winnow/pipeline"
	"github.com/winnow-data/winnow/pipeline/input"
	"github.com/winnow-data/winnow/pipeline/output"
)

// noLorem drops placeholder pages: a stage is a name and a rule.
type noLorem struct{}

func (noLorem) Name() string { return "no_lorem" }
func (noLorem) Process(d *pipeline.Document) (string, error) {
	if strings.Contains(strings.ToLower(d.Text), "lorem ipsum") {
		return "placeholder", nil // reported as no_lorem.placeholder
	}
	return "", nil
}

// A pipeline from stages, run over inputs, writing shards: the README's
// library example.
func Example() {
	out, err := os.MkdirTemp("", "winnow-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(out)

	// List finds the files (walking directories, skipping non-inputs);
	// OpenFiles detects each one's format and compression, skips binary
	// files and turns unreadable ones into reported damage.
	ctx := context.Background()
	files, err := input.List(ctx, []string{"../testdata/sample"}, input.Options{})
	if err != nil {
		log.Fatal(err)
	}
	sources, err := input.OpenFiles(ctx, files, input.Options{})
	if err != nil {
		log.Fatal(err)
	}
	sink, err := output.New(out, output.Options{Rejected: true})
	if err != nil {
		log.Fatal(err)
	}
	stats, err := pipeline.Run(ctx, sources, sink,
		pipeline.Options{Stages: []pipeline.Stage{noLorem{}}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(stats.DocsIn, "in,", stats.DocsOut, "kept,", stats.Stages[0].Dropped)
	// Output: 392 in, 385 kept, map[placeholder:7]
}
