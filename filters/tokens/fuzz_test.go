package tokens

import (
	"slices"
	"strings"
	"testing"
)

// FuzzCount: pieces cover the text, Count agrees with Encode, the ids
// decode to the text, and long pieces merge as short ones do.
func FuzzCount(f *testing.F) {
	for _, s := range []string{"hello world", "I'm 12345 東京 👋🏽", "  \r\n\t x", "'ſ \u0085'd", strings.Repeat("ab", 100)} {
		f.Add(s)
	}
	encs := []*Encoding{mustBuiltin(f, "cl100k_base"), mustBuiltin(f, "o200k_base")}
	decs := make([]map[uint32]string, len(encs))
	for i, e := range encs {
		decs[i] = make(map[uint32]string, len(e.ranks))
		for k, v := range e.ranks {
			decs[i][v] = k
		}
	}
	f.Fuzz(func(t *testing.T, text string) {
		for i, e := range encs {
			pieces := slices.Collect(e.pattern.Pieces(text))
			if strings.Join(pieces, "") != text {
				t.Fatalf("pieces %q do not join to %q", pieces, text)
			}
			ids := e.Encode(text)
			if e.Count(text) != len(ids) {
				t.Fatalf("Count %d, Encode %d ids", e.Count(text), len(ids))
			}
			var b strings.Builder
			for _, id := range ids {
				b.WriteString(decs[i][uint32(id)])
			}
			if b.String() != text {
				t.Fatalf("decode(encode(%q)) = %q", text, b.String())
			}
			var m merger
			for _, p := range pieces {
				if len(p) < 2 {
					continue
				}
				if small, large := len(m.mergeSmall(e, p)), m.mergeLarge(e, p, nil); small != large {
					t.Fatalf("piece %q: rescan %d tokens, heap %d", p, small, large)
				}
			}
		}
	})
}
