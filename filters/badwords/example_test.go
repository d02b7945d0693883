package badwords_test

import (
	"fmt"

	"github.com/winnow-data/winnow/filters/badwords"
	"github.com/winnow-data/winnow/pipeline"
)

func Example() {
	s, _ := badwords.New(badwords.Config{})
	doc := &pipeline.Document{Lang: "en", Text: "A classic assessment of the old passage."}
	s.Process(doc)
	n, _ := doc.Signal(badwords.SignalCount)
	fmt.Println("matches:", n) // "ass" is not matched inside words
	// Output: matches: 0
}
