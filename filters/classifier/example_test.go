package classifier_test

import (
	"fmt"
	"log"

	"github.com/winnow-data/winnow/filters/classifier"
	"github.com/winnow-data/winnow/pipeline"
)

// The stage scores a document with the label's probability and drops it
// below min_score.
func Example() {
	s, err := classifier.New(classifier.Config{
		Name:     "classifier:demo",
		Model:    "../fasttext/testdata/tiny.bin",
		Label:    "c2",
		MinScore: 0.3,
	})
	if err != nil {
		log.Fatal(err)
	}
	doc := &pipeline.Document{Text: "kato rimé lusa"}
	reason, err := s.Process(doc)
	if err != nil {
		log.Fatal(err)
	}
	score, _ := doc.Signal("classifier:demo.score")
	fmt.Printf("score %.3f, top label %s, dropped: %q\n", score, doc.Field("classifier:demo.label"), reason)
	// Output: score 0.334, top label "c2", dropped: ""
}
