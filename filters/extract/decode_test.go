package extract

import (
	"golang.org/x/net/html"
	"testing"
)

func TestDecodeMatchesLibrary(t *testing.T) {
	for _, s := range []string{"a &amp; b", "&lt;p&gt;", "&#8212;&#x41;&#X42;", "AT&T", "& and &&", "&nbsp;x", "&notit;", "&amp", "&#0;", "&#x80;", "&#xD800;", "&#99999999;", "&eacute;t&eacute;", "&unknownentity;", "&", "a&", "&#;", "&#x;", "&Aacute;", "&#65", "&lt", "x &copy y", "&amp;amp;"} {
		got := string(decode([]byte(s)))
		if want := html.UnescapeString(s); got != want {
			t.Errorf("%q: got %q want %q", s, got, want)
		}
	}
}

// FuzzDecode checks the fast reference decoder against x/net/html's.
func FuzzDecode(f *testing.F) {
	f.Add("a &amp; b &#8212; &eacute; &bogus; &#x110000; AT&T")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(decode([]byte(s))), html.UnescapeString(s); got != want {
			t.Fatalf("%q: got %q want %q", s, got, want)
		}
	})
}
