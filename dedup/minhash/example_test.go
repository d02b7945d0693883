package minhash_test

import (
	"context"
	"fmt"

	"github.com/winnow-data/winnow/dedup/internal/memio"
	"github.com/winnow-data/winnow/dedup/minhash"
	"github.com/winnow-data/winnow/filters/text"
	"github.com/winnow-data/winnow/pipeline"
)

func ExampleHasher() {
	h := minhash.NewHasher(112, 5)
	a, b := make([]uint32, 112), make([]uint32, 112)
	h.Signature(a, text.Normalize("The quick brown fox jumps over the lazy dog near the river bank today."))
	h.Signature(b, text.Normalize("the quick brown fox jumps over the lazy dog near the river bank today"))
	fmt.Println(minhash.Similarity(a, b))
	// Output: 1
}

func ExampleCandidate() {
	for _, s := range []float64{0.5, 0.8, 0.9} {
		fmt.Printf("J=%.1f: %.3f\n", s, minhash.Candidate(s, 14, 8))
	}
	// Output:
	// J=0.5: 0.053
	// J=0.8: 0.924
	// J=0.9: 1.000
}

func ExampleNew() {
	st, err := minhash.New(minhash.DefaultConfig())
	if err != nil {
		panic(err)
	}
	src := memio.Texts("docs.jsonl",
		"Breaking: the river flooded the old town on Monday, and residents were moved to the school gym overnight.",
		"A recipe for bread: flour, water, salt and yeast, kneaded for ten minutes and left to rise for two hours.",
		"BREAKING - The river flooded the old town on Monday, and residents were moved to the school gym overnight!",
	)
	sink := &memio.Sink{}
	if _, err := pipeline.Run(context.Background(), []pipeline.Source{src}, sink, pipeline.Options{Stages: []pipeline.Stage{st}}); err != nil {
		panic(err)
	}
	for _, k := range sink.Kept {
		fmt.Println("kept", k.ID, "cluster size", k.Fields[minhash.FieldClusterSize])
	}
	for _, r := range sink.Rejected {
		fmt.Println("dropped", r.ID, r.Reason)
	}
	// Output:
	// kept 0 cluster size 2
	// kept 1 cluster size 1
	// dropped 2 minhash.near_duplicate
}
