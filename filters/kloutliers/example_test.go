package kloutliers_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/winnow-data/winnow/filters/kloutliers"
	"github.com/winnow-data/winnow/pipeline"
)

func Example() {
	docs := []*pipeline.Document{
		{Lang: "en", Text: "the cat sat on the mat"},
		{Lang: "en", Text: "the dog sat on the rug"},
	}
	ref, _ := kloutliers.BuildReference(context.Background(), slices.Values(docs))
	var file bytes.Buffer
	ref.Save(&file) // what `winnow reference build` writes
	loaded, _ := kloutliers.LoadReference(&file)
	fmt.Println(loaded.Count("en", "The"), loaded.Lang("en").Docs)

	st, _ := kloutliers.New(kloutliers.Config{Loaded: loaded})
	doc := &pipeline.Document{Lang: "en", Text: "the cat sat on the rug"}
	st.Process(doc)
	ood, _ := doc.Signal(kloutliers.SignalOOD)
	fmt.Println("out of distribution:", ood)
	// Output:
	// 4 2
	// out of distribution: 0
}
