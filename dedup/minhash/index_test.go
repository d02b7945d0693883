package minhash

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestLinkBucketSkipsOnlyNoOps: passing over members already linked (the
// root callback) reads fewer signatures and gives the same clusters as
// deciding every member, over many bands of random buckets whose members
// are near-duplicates, borderline or unrelated.
func TestLinkBucketSkipsOnlyNoOps(t *testing.T) {
	const k, docs, bands = 64, 400, 14
	rng := rand.New(rand.NewPCG(9, 9))
	// Families of signatures: each member differs from its family's base
	// in a random share of entries (0–12 %, or 0–40 % for a third), so
	// pairs straddle the threshold.
	sigs := make([][]uint32, docs)
	var base []uint32
	for i := range sigs {
		if i%8 == 0 {
			base = make([]uint32, k)
			for j := range base {
				base[j] = rng.Uint32()
			}
		}
		s := append([]uint32(nil), base...)
		rate := 0.12 // mostly near-duplicates of the base...
		if rng.IntN(3) == 0 {
			rate = 0.4 // ...some borderline or apart
		}
		edits := int(rng.Float64() * rate * k)
		for range edits {
			s[rng.IntN(k)] = rng.Uint32()
		}
		sigs[i] = s
	}
	// Buckets: per band, each document falls in its family's bucket with
	// probability 0.7, else in a random one; members in input order.
	var buckets [][]uint32
	for range bands {
		byKey := map[int][]uint32{}
		for i := range docs {
			key := i / 8
			if rng.Float64() > 0.7 {
				key = rng.IntN(docs / 8)
			}
			byKey[key] = append(byKey[key], uint32(i))
		}
		for key := range docs / 8 {
			buckets = append(buckets, byKey[key])
		}
	}
	run := func(skip, verify bool) (roots []uint32, reads int) {
		uf := newUnionFind(docs)
		bufs := newSigBufs(k)
		for _, g := range buckets {
			var root func(j int) uint32
			if skip {
				root = func(j int) uint32 { return uf.find(g[j]) }
			}
			err := linkBucket(len(g), verify, 0.8,
				func(j int, dst []uint32) error { reads++; copy(dst, sigs[g[j]]); return nil },
				func(j, i int) { uf.union(g[j], g[i]) }, root, bufs)
			if err != nil {
				t.Fatal(err)
			}
		}
		for i := range docs {
			roots = append(roots, uf.find(uint32(i)))
		}
		return roots, reads
	}
	unverified, _ := run(false, false)
	unverifiedSkip, _ := run(true, false)
	if !slices.Equal(unverified, unverifiedSkip) {
		t.Errorf("without verification, passing over linked members changes the clusters")
	}
	all, readsAll := run(false, true)
	some, readsSome := run(true, true)
	links := 0
	for i := range docs {
		if all[i] != some[i] {
			t.Fatalf("document %d: cluster %d when every member is decided, %d when linked ones are passed over", i, all[i], some[i])
		}
		if all[i] != uint32(i) {
			links++
		}
	}
	if links == 0 || links == docs-docs/8 {
		t.Fatalf("%d of %d documents linked: the buckets do not exercise verification", links, docs)
	}
	if readsSome >= readsAll {
		t.Errorf("passing over linked members read %d signatures, deciding all %d", readsSome, readsAll)
	}
	t.Logf("%d documents linked; %d signature reads instead of %d", links, readsSome, readsAll)
}

// TestLinkBucketChain: a member already in the first member's cluster
// still links its predecessor when only the predecessor is similar to it.
func TestLinkBucketChain(t *testing.T) {
	sigs := [][]uint32{
		{0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, // A
		{0, 0, 0, 0, 0, 0, 0, 0, 1, 1}, // X: 0.8 to A
		{0, 0, 0, 0, 2, 2, 1, 1, 1, 1}, // D: 0.4 to A, 0.8 to C
		{0, 0, 0, 0, 0, 0, 1, 1, 1, 1}, // C: 0.6 to A, 0.8 to X
	}
	for _, skip := range []bool{false, true} {
		uf := newUnionFind(len(sigs))
		for _, g := range [][]uint32{{0, 1, 3}, {0, 2, 3}} {
			var root func(j int) uint32
			if skip {
				root = func(j int) uint32 { return uf.find(g[j]) }
			}
			err := linkBucket(len(g), true, 0.8,
				func(j int, dst []uint32) error { copy(dst, sigs[g[j]]); return nil },
				func(j, i int) { uf.union(g[j], g[i]) }, root, newSigBufs(10))
			if err != nil {
				t.Fatal(err)
			}
		}
		for i := range sigs {
			if uf.find(uint32(i)) != 0 {
				t.Errorf("skip %v: document %d in cluster %d, want all in 0", skip, i, uf.find(uint32(i)))
			}
		}
	}
}

// TestDensifyTable: the tabulated walk fills bins exactly as computing
// every step does, from one non-empty bin to all of them.
func TestDensifyTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, k := range []int{1, 7, 112, 256} {
		walk := newWalk(k)
		bins := make([]uint64, k)
		a, b := make([]uint32, k), make([]uint32, k)
		for filled := 1; filled <= k; filled = filled*2 + 1 {
			for range 20 {
				for i := range bins {
					bins[i] = empty
				}
				for range filled {
					bins[rng.IntN(k)] = rng.Uint64() >> 1
				}
				densify(a, bins, walk)
				densify(b, bins, nil)
				for i := range a {
					if a[i] != b[i] {
						t.Fatalf("k %d, %d filled: bin %d is %d with the table, %d without", k, filled, i, a[i], b[i])
					}
				}
			}
		}
	}
}

// TestBuildDamagedSpill: a band file cut short makes Build fail with the
// band named, whichever band it is, without hanging the reader.
func TestBuildDamagedSpill(t *testing.T) {
	for _, band := range []int{0, 5, 13} {
		ix, err := NewIndex(IndexOptions{K: 112, Bands: 14, Rows: 8, Threshold: 0.8, Verify: true, Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		sig := make([]uint32, 112)
		for i := range 1000 {
			sig[i%112]++
			if err := ix.Add(uint64(i), 0, sig, 0); err != nil {
				t.Fatal(err)
			}
		}
		if err := ix.bandW[band].Flush(); err != nil {
			t.Fatal(err)
		}
		if err := ix.bandF[band].Truncate(8 * 500); err != nil {
			t.Fatal(err)
		}
		err = ix.Build()
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("band %d ", band)) {
			t.Errorf("band %d cut short: Build error %v", band, err)
		}
		ix.Close()
	}
}

// TestEachRecordInOrder: records come out in input order whatever the
// order they were added in, sorted in memory or merged from runs.
func TestEachRecordInOrder(t *testing.T) {
	defer func(n int) { sortRun = n }(sortRun)
	for _, run := range []int{1, 7, 64, 1000} {
		sortRun = run
		ix, err := NewIndex(IndexOptions{K: 8, Bands: 2, Rows: 4, Threshold: 0.8, Signatures: true, Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(6, 6))
		for _, o := range rng.Perm(300) {
			sig := []uint32{uint32(o), 1, 2, 3, 4, 5, 6, uint32(o * 7)}
			if err := ix.Add(uint64(o)<<20, int64(-o), sig, uint64(o)); err != nil {
				t.Fatal(err)
			}
		}
		var got []uint64
		err = ix.eachRecordInOrder(func(rec []byte) error {
			o := binary.LittleEndian.Uint64(rec)
			key, scope, first := int64(binary.LittleEndian.Uint64(rec[8:])), binary.LittleEndian.Uint64(rec[16:]), binary.LittleEndian.Uint32(rec[24:])
			if key != -int64(o>>20) || scope != o>>20 || first != uint32(o>>20) {
				t.Fatalf("run %d: record of order %#x holds key %d, scope %d, signature %d", run, o, key, scope, first)
			}
			got = append(got, o)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 300 || !slices.IsSorted(got) {
			t.Errorf("run %d: %d records, sorted %v", run, len(got), slices.IsSorted(got))
		}
		if left, _ := filepath.Glob(filepath.Join(ix.dir, "run-*")); len(left) > 0 {
			t.Errorf("run %d: sorted runs left behind: %v", run, left)
		}
		ix.Close()
	}
}
