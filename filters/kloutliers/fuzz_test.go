package kloutliers

import (
	"bytes"
	"testing"

	"github.com/winnow-data/winnow/pipeline"
)

// FuzzLoadReference: arbitrary bytes never panic or allocate beyond the
// header's checked sizes; what loads saves back to the same bytes.
func FuzzLoadReference(f *testing.F) {
	b, _ := NewBuilder(MinWidth)
	b.Add(&pipeline.Document{Lang: "en", Text: "the cat sat on the mat"})
	b.Add(&pipeline.Document{Lang: "de", Text: "die Katze"})
	var buf bytes.Buffer
	if err := b.Reference().Save(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte("WNKLREF\x00"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		ref, err := LoadReference(bytes.NewReader(raw))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := ref.Save(&out); err != nil {
			t.Fatal(err)
		}
		again, err := LoadReference(&out)
		if err != nil {
			t.Fatalf("saved reference does not load: %v", err)
		}
		if again.Width() != ref.Width() || len(again.langs) != len(ref.langs) {
			t.Fatal("round trip changed the reference")
		}
	})
}
