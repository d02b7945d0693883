package groups

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/zeebo/xxh3"

	"github.com/winnow-data/winnow/dedup/internal/xchg"
)

// TestPreparedLookup: after a save and load of the prepared state, every
// group of two or more answers as before, any other key is a group of
// one, for table sizes around the index's bucket boundaries.
func TestPreparedLookup(t *testing.T) {
	hdr := xchg.Header{Stage: "test", Kind: xchg.Prepared}
	for _, n := range []int{0, 1, 2, 3, 4, 5, 100, 1000, 4097} {
		rng := rand.New(rand.NewPCG(uint64(n), 1))
		g := New()
		keys := make([]xxh3.Uint128, n)
		for i := range keys {
			keys[i] = xxh3.Uint128{Hi: rng.Uint64(), Lo: rng.Uint64()}
			if i%7 == 0 {
				keys[i].Hi = keys[0].Hi // equal top bits, different keys
			}
			g.Add(keys[i], 0, uint64(10*i), 1)
			g.Add(keys[i], 0, uint64(10*i+1), uint32(i%3+1))
			g.Add(xxh3.Uint128{Hi: rng.Uint64(), Lo: 1}, 0, 1, 1) // a single: not saved
		}
		var buf bytes.Buffer
		if err := g.SavePrepared(&buf, hdr); err != nil {
			t.Fatal(err)
		}
		p := New()
		if err := p.LoadPrepared(bytes.NewReader(buf.Bytes()), hdr); err != nil {
			t.Fatal(err)
		}
		if len(p.table) != n {
			t.Fatalf("n=%d: %d groups loaded", n, len(p.table))
		}
		for i, k := range keys {
			size, kept, ok := p.Lookup(k, uint64(10*i))
			if !ok || !kept || size != uint32(i%3+2) {
				t.Fatalf("n=%d: group %d: size %d kept %v ok %v", n, i, size, kept, ok)
			}
			if _, kept, _ := p.Lookup(k, uint64(10*i+1)); kept {
				t.Fatalf("n=%d: group %d keeps its second document", n, i)
			}
		}
		for range 100 {
			size, kept, ok := p.Lookup(xxh3.Uint128{Hi: rng.Uint64(), Lo: 2}, 5)
			if size != 1 || !kept || !ok {
				t.Fatalf("n=%d: unknown key: size %d kept %v ok %v", n, size, kept, ok)
			}
		}
	}
}
