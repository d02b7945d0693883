package dupstats_test

import (
	"context"
	"fmt"

	"github.com/winnow-data/winnow/dedup/dupstats"
	"github.com/winnow-data/winnow/dedup/internal/memio"
	"github.com/winnow-data/winnow/dedup/minhash"
	"github.com/winnow-data/winnow/pipeline"
)

func ExampleMeasure() {
	src := memio.Texts("docs.jsonl",
		"Breaking: the river flooded the old town on Monday, and residents were moved to the school gym overnight.",
		"breaking the river flooded the old town on monday and residents were moved to the school gym overnight",
		"A recipe for bread: flour, water, salt and yeast, kneaded for ten minutes and left to rise for two hours.",
		"A recipe for bread: flour, water, salt and yeast, kneaded for ten minutes and left to rise for two hours!",
	)
	r, err := dupstats.Measure(context.Background(), []pipeline.Source{src}, dupstats.Options{MinHash: minhash.DefaultConfig()})
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Documents, r.ExactDuplicateRate, r.DuplicateRate)
	// Output: 4 0.5 0.5
}
