package extract_test

import (
	"fmt"

	"github.com/winnow-data/winnow/filters/extract"
	"github.com/winnow-data/winnow/pipeline"
)

func ExampleExtractor_Extract() {
	page := `<html lang="en"><head><title>Tides</title></head><body>
<nav><a href="/">Home</a> <a href="/about">About</a></nav>
<article>
  <h1>Why the sea has tides</h1>
  <p>The <em>Moon's</em> gravity pulls the oceans into two bulges.</p>
  <pre>height(t) = A * cos(w * t)</pre>
</article>
<footer>&copy; 2024 Example</footer>
</body></html>`
	r := extract.New(extract.DefaultOptions()).Extract([]byte(page))
	fmt.Println(r.Title, "|", r.Lang)
	fmt.Println(r.Text)
	// Output:
	// Tides | en
	// Why the sea has tides
	// The Moon's gravity pulls the oceans into two bulges.
	// height(t) = A * cos(w * t)
}

func ExampleStage_Process() {
	st := extract.NewStage(extract.DefaultOptions())
	doc := &pipeline.Document{Text: `<!doctype html><title>Hi</title><p>Hello, world.</p>`}
	reason, _ := st.Process(doc)
	fmt.Printf("%q %q %s\n", reason, doc.Text, doc.Field("title"))
	// Output:
	// "" "Hello, world." "Hi"
}
