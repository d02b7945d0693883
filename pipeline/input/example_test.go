package input_test

import (
	"context"
	"fmt"
	"log"

	"github.com/winnow-data/winnow/pipeline"
	"github.com/winnow-data/winnow/pipeline/input"
)

// Expand finds the input files under a directory (skipping hidden files
// and job markers such as _SUCCESS), and Open reads each in its own
// format, here JSON Lines, plain text and gzip-compressed JSON Lines.
func Example() {
	files, err := input.Expand([]string{"testdata/example"})
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range files {
		src, err := input.Open(f, input.Options{})
		if err != nil {
			log.Fatal(err)
		}
		dec, _ := src.(pipeline.Decoder)
		for rec, err := range src.Records(context.Background()) {
			if err != nil {
				log.Fatal(err)
			}
			doc := rec.Doc
			if doc == nil { // JSON Lines: decoded by the engine's workers
				doc = &pipeline.Document{}
				if err := dec.Decode(rec.Raw, doc); err != nil {
					log.Fatal(err)
				}
			}
			fmt.Printf("%s#%d id=%q text=%q fields=%d\n", f.Path, rec.Index, doc.ID, doc.Text, len(doc.Fields))
		}
	}
	// Output:
	// testdata/example/a.jsonl#0 id="doc-1" text="The first document." fields=0
	// testdata/example/a.jsonl#1 id="doc-2" text="The second one." fields=1
	// testdata/example/b.txt#0 id="" text="A whole file is one document.\n" fields=0
	// testdata/example/part2/c.jsonl.gz#0 id="doc-3" text="Compressed, in a subdirectory." fields=0
}

// Options map other record layouts to documents: here the text is the
// join of an instruction and its response, and the id sits in a nested
// object.
func ExampleOptions() {
	files, err := input.Expand([]string{"testdata/instruct.jsonl"})
	if err != nil {
		log.Fatal(err)
	}
	src, err := input.Open(files[0], input.Options{
		TextFields: []string{"instruction", "response"},
		IDField:    "meta.uid",
	})
	if err != nil {
		log.Fatal(err)
	}
	for rec, err := range src.Records(context.Background()) {
		if err != nil {
			log.Fatal(err)
		}
		var doc pipeline.Document
		if err := src.(pipeline.Decoder).Decode(rec.Raw, &doc); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("id=%s text=%q\n", doc.ID, doc.Text)
		for _, f := range doc.Fields {
			fmt.Printf("  %s: %s\n", f.Name, f.Value)
		}
	}
	// Output:
	// id=u-17 text="Name a primary colour.\n\nRed."
	//   instruction: "Name a primary colour."
	//   response: "Red."
	//   meta: {"uid":"u-17"}
}
