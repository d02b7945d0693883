package groups

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/zeebo/xxh3"

	"github.com/winnow-data/winnow/dedup/internal/xchg"
)

// BenchmarkLookup compares the per-document lookup of the main pass in
// the map a process fills while observing and in the table LoadPrepared
// builds, for 1,000,000 groups of two.
func BenchmarkLookup(b *testing.B) {
	const n = 1_000_000
	rng := rand.New(rand.NewPCG(1, 2))
	keys := make([]xxh3.Uint128, n)
	g := New()
	for i := range keys {
		keys[i] = xxh3.Uint128{Hi: rng.Uint64(), Lo: rng.Uint64()}
		g.Add(keys[i], 0, uint64(i), 2)
	}
	var buf bytes.Buffer
	hdr := xchg.Header{Stage: "bench", Kind: xchg.Prepared}
	if err := g.SavePrepared(&buf, hdr); err != nil {
		b.Fatal(err)
	}
	p := New()
	if err := p.LoadPrepared(bytes.NewReader(buf.Bytes()), hdr); err != nil {
		b.Fatal(err)
	}
	for name, g := range map[string]*Groups{"map": g, "table": p} {
		b.Run(name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				g.Lookup(keys[i%n], uint64(i%n))
				i += 7919
			}
		})
	}
}
