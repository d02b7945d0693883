package quality_test

import (
	"fmt"
	"strings"

	"github.com/winnow-data/winnow/filters/quality"
	"github.com/winnow-data/winnow/pipeline"
)

// A stage judges one document: an empty reason keeps it, and the
// numbers it computed are on the document as signals.
func ExampleNewGopherQuality() {
	st := quality.NewGopherQuality(quality.DefaultGopherQuality())
	doc := &pipeline.Document{Lang: "en", Text: "Click here. Click here. Click here."}
	reason, _ := st.Process(doc)
	words, _ := doc.Signal("gopher_quality.words")
	fmt.Println(reason, words)
	// Output: too_few_words 6
}

// c4 removes the lines that fail its rules and keeps the rest as they
// were.
func ExampleNewC4() {
	st := quality.NewC4(quality.DefaultC4())
	doc := &pipeline.Document{Lang: "en", Text: strings.Join([]string{
		"Home",
		"The library opens at nine.",
		"It closes at six on weekdays.",
		"Please enable JavaScript to see the map.",
		"Entry is free for residents.",
		"Children's books are on the first floor.",
		"Study rooms can be booked online.",
	}, "\n")}
	reason, _ := st.Process(doc)
	fmt.Printf("%q\n%s\n", reason, doc.Text)
	// Output:
	// ""
	// The library opens at nine.
	// It closes at six on weekdays.
	// Entry is free for residents.
	// Children's books are on the first floor.
	// Study rooms can be booked online.
}

// The stage writes its signals and returns the rule the document breaks;
// the engine's mode decides whether that drops or only tags it.
func ExampleNewGopherRepetition() {
	st, _ := quality.NewGopherRepetition(quality.DefaultGopherRepetition())
	doc := &pipeline.Document{Text: strings.Repeat("Buy now!\n", 5)}
	reason, _ := st.Process(doc)
	frac, _ := doc.Signal("gopher_repetition.dup_line_frac")
	fmt.Printf("%q %.1f\n", reason, frac)
	// Output: "dup_line_frac" 0.8
}
