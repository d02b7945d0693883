package extract

import (
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// FuzzExtract feeds arbitrary bytes to the extractor: it must not panic
// or hang, must be deterministic, must not grow the text beyond what
// character references can expand to, and must keep valid UTF-8 valid.
func FuzzExtract(f *testing.F) {
	paths, _ := filepath.Glob("testdata/eval/fixtures/*.html")
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`<p>a<math><annotation encoding="TeX">x</annotation></math><script type="math/tex">y</script><img alt="z=1">`))
	f.Add([]byte(`<table><tr><td>a<td>b<tr><td>c</table><pre>x
 y</pre><!-- c --><![CDATA[d]]><?pi?><textarea>t</textarea>`))
	x := New(DefaultOptions())
	f.Fuzz(func(t *testing.T, src []byte) {
		r := x.Extract(src)
		if again := x.Extract(src); again != r {
			t.Fatalf("not deterministic: %q then %q", r.Text, again.Text)
		}
		if len(r.Text) > 3*len(src)+16 {
			t.Fatalf("text of %d bytes from %d bytes of HTML", len(r.Text), len(src))
		}
		if utf8.Valid(src) && (!utf8.ValidString(r.Text) || !utf8.ValidString(r.Title)) {
			t.Fatalf("invalid UTF-8 out of valid input: %q", r.Text)
		}
	})
}
