package minhash

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"

	"github.com/winnow-data/winnow/dedup/internal/keep"
)

// Index is the single-machine LSH index: documents are added with their
// signature (concurrently, in any order), Build links candidates into
// clusters, and Lookup answers for one document in the main pass.
//
// Memory. Only small per-document arrays stay in RAM; band keys and
// signatures are spilled to files in a temporary directory:
//
//	while adding   order 8 B + priority key 8 B              = 16 B/doc
//	Build (peak)   + id by rank and rank by id 8 B
//	               + union-find parent 4 B + one band's
//	               (key, rank) pairs 16 B, sorted in place   = 44 B/doc
//	               + the next band's pairs, sorted meanwhile
//	               when there is more than one core          = 60 B/doc
//	after Build    order 8 B + cluster 4 B + size 4 B
//	               + kept member 4 B                         = 20 B/doc
//
// On disk: 8 B per band (112 B with 14 bands) and, with verification or
// IndexOptions.Signatures, the scope (8 B) and 4 B per signature entry
// (456 B with K = 112) per document.
//
// Determinism: the clusters are the connected components of the linked
// pairs; the members of a band's bucket are visited in input order and
// the pairs linked are a function of the bucket alone, so the result does
// not depend on the order documents were added in, nor on the order of
// the bands. Each cluster is named by its first document in input order.
type Index struct {
	k, bands, rows int
	threshold      float64
	verify         bool

	dir   string
	mu    sync.Mutex
	bandF []*os.File
	bandW []*bufio.Writer
	sigF  *os.File
	sigW  *bufio.Writer
	buf   []byte
	err   error

	orders []uint64
	keys   []int64

	// After Build, indexed by rank in input order.
	sorted  []uint64
	cluster []uint32 // rank of the cluster's first member
	size    []uint32 // at the cluster's first member: members
	best    []uint32 // at the cluster's first member: rank of the kept one
}

// IndexOptions configure an Index.
type IndexOptions struct {
	// K is the signature length; Bands × Rows ≤ K.
	K, Bands, Rows int
	// Threshold is the Jaccard similarity from which candidates are
	// linked when Verify is set.
	Threshold float64
	Verify    bool
	// Signatures keeps the signatures (spilled) without verification
	// too, for Each.
	Signatures bool
	// Dir is where the spill directory is made; "" for os.TempDir.
	Dir string
}

// NewIndex creates an empty index and its spill files.
func NewIndex(o IndexOptions) (*Index, error) {
	if o.Bands < 1 || o.Rows < 1 || o.Bands*o.Rows > o.K {
		return nil, fmt.Errorf("minhash: %d bands × %d rows do not fit %d hashes", o.Bands, o.Rows, o.K)
	}
	dir, err := os.MkdirTemp(o.Dir, "winnow-minhash-")
	if err != nil {
		return nil, fmt.Errorf("minhash: spill directory: %w", err)
	}
	ix := &Index{k: o.K, bands: o.Bands, rows: o.Rows, threshold: o.Threshold, verify: o.Verify, dir: dir}
	for b := range o.Bands {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("band-%03d", b)))
		if err != nil {
			ix.Close()
			return nil, fmt.Errorf("minhash: %w", err)
		}
		ix.bandF = append(ix.bandF, f)
		ix.bandW = append(ix.bandW, bufio.NewWriterSize(f, 32<<10))
	}
	if o.Verify || o.Signatures {
		f, err := os.Create(filepath.Join(dir, "signatures"))
		if err != nil {
			ix.Close()
			return nil, fmt.Errorf("minhash: %w", err)
		}
		ix.sigF, ix.sigW = f, bufio.NewWriterSize(f, 256<<10)
	}
	return ix, nil
}

// BandKey hashes band b of sig together with scope (0, or a hash of the
// language when deduplicating within each language).
func BandKey(sig []uint32, b, rows int, scope uint64) uint64 {
	h := fmix64(scope ^ uint64(b+1)*0x9e3779b97f4a7c15)
	for _, v := range sig[b*rows : (b+1)*rows] {
		h = fmix64(h*shinglePrime ^ uint64(v))
	}
	return h
}

// Add records one document: its place in input order, its priority key
// (see keep.Policy) and its signature. It is safe for concurrent use.
func (ix *Index) Add(order uint64, key int64, sig []uint32, scope uint64) error {
	var stack [32]uint64 // the usual band counts need no heap allocation
	bandKeys := stack[:0]
	for b := range ix.bands {
		bandKeys = append(bandKeys, BandKey(sig, b, ix.rows, scope))
	}
	return ix.add(order, key, bandKeys, sig, scope)
}

// add records one document with its band keys and, when the index keeps
// signatures, its signature.
func (ix *Index) add(order uint64, key int64, bandKeys []uint64, sig []uint32, scope uint64) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.err != nil {
		return ix.err
	}
	if len(ix.orders) == 1<<32-1 {
		ix.err = errors.New("minhash: more than 2^32-1 documents in one index")
		return ix.err
	}
	for b, w := range ix.bandW {
		// Encoded in the writer's own buffer: no copy, no allocation.
		if _, err := w.Write(binary.LittleEndian.AppendUint64(w.AvailableBuffer(), bandKeys[b])); err != nil {
			ix.err = fmt.Errorf("minhash: spilling band keys: %w", err)
			return ix.err
		}
	}
	if ix.sigW != nil {
		ix.buf = binary.LittleEndian.AppendUint64(ix.buf[:0], scope)
		for _, v := range sig {
			ix.buf = binary.LittleEndian.AppendUint32(ix.buf, v)
		}
		if _, err := ix.sigW.Write(ix.buf); err != nil {
			ix.err = fmt.Errorf("minhash: spilling signatures: %w", err)
			return ix.err
		}
	}
	ix.orders = append(ix.orders, order)
	ix.keys = append(ix.keys, key)
	return nil
}

// Each calls fn for every document added, in the order they were added,
// with its band keys (8 B each, when bands is set) and, when the index
// keeps signatures, its scope and signature as 8 + 4·K bytes (else nil).
// It must not run concurrently with Add, and only before Build; the
// slices are reused between calls.
func (ix *Index) Each(bands bool, fn func(order uint64, key int64, bandKeys, sig []byte) error) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.err != nil {
		return ix.err
	}
	// Section readers leave the files' offsets where Add appends.
	section := func(f *os.File, w *bufio.Writer) (*bufio.Reader, error) {
		if err := w.Flush(); err != nil {
			return nil, fmt.Errorf("minhash: spilling to %s: %w", f.Name(), err)
		}
		fi, err := f.Stat()
		if err != nil {
			return nil, fmt.Errorf("minhash: %w", err)
		}
		return bufio.NewReaderSize(io.NewSectionReader(f, 0, fi.Size()), 64<<10), nil
	}
	var bandR []*bufio.Reader
	if bands {
		for b, f := range ix.bandF {
			r, err := section(f, ix.bandW[b])
			if err != nil {
				return err
			}
			bandR = append(bandR, r)
		}
	}
	var sigR *bufio.Reader
	var sig []byte
	if ix.sigF != nil {
		r, err := section(ix.sigF, ix.sigW)
		if err != nil {
			return err
		}
		sigR, sig = r, make([]byte, 8+4*ix.k)
	}
	bandKeys := make([]byte, 8*len(bandR))
	for i, o := range ix.orders {
		for b, r := range bandR {
			if _, err := io.ReadFull(r, bandKeys[8*b:8*b+8]); err != nil {
				return fmt.Errorf("minhash: reading band %d at document %d: %w", b, i, err)
			}
		}
		if sigR != nil {
			if _, err := io.ReadFull(sigR, sig); err != nil {
				return fmt.Errorf("minhash: reading signature %d: %w", i, err)
			}
		}
		if err := fn(o, ix.keys[i], bandKeys, sig); err != nil {
			return err
		}
	}
	return nil
}

// Len returns the number of documents added.
func (ix *Index) Len() int { return len(ix.orders) }

type bandEntry struct {
	key uint64
	id  uint32
}

// Build links the candidates of every band and computes the clusters.
func (ix *Index) Build() error {
	if ix.err != nil {
		return ix.err
	}
	for _, w := range ix.bandW {
		if err := w.Flush(); err != nil {
			return fmt.Errorf("minhash: spilling band keys: %w", err)
		}
	}
	if ix.sigW != nil {
		if err := ix.sigW.Flush(); err != nil {
			return fmt.Errorf("minhash: spilling signatures: %w", err)
		}
	}
	n := len(ix.orders)
	// Documents are numbered by rank in input order for the rest of
	// Build: a band's buckets then sort on (key, rank) without looking
	// anything up, and the union-find's roots are the clusters' first
	// members.
	byOrder := ix.byInputOrder()
	for r := 1; r < n; r++ {
		if o := ix.orders[byOrder[r]]; o == ix.orders[byOrder[r-1]] {
			// Ranks, and so the clusters, would depend on the order of
			// Add: two indexes of one earlier run under against.
			return fmt.Errorf("minhash: document order %#x added twice (against holds two indexes of the same run?)", o)
		}
	}
	rank := make([]uint32, n)
	for r, id := range byOrder {
		rank[id] = uint32(r)
	}
	uf := newUnionFind(n)
	sigs := newSigBufs(ix.k)
	// One goroutine reads and sorts the bands while this one links their
	// buckets, one band ahead when there is more than one core: a band's
	// pairs more in memory (16 B/doc) for a Build about a third shorter.
	// Linking stays in band order on this goroutine.
	buffers := 1
	if runtime.GOMAXPROCS(0) > 1 && len(ix.bandF) > 1 {
		buffers = 2
	}
	free := make(chan []bandEntry, buffers)
	for range buffers {
		free <- make([]bandEntry, n)
	}
	type sortedBand struct {
		entries []bandEntry
		err     error
	}
	ready := make(chan sortedBand)
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer close(ready)
		raw := make([]byte, 64<<10)
		br := bufio.NewReaderSize(nil, 1<<20) // one for all bands: 1 MiB each was garbage
		for b, f := range ix.bandF {
			var entries []bandEntry
			select {
			case entries = <-free:
			case <-done:
				return
			}
			err := readBand(b, f, br, entries, rank, raw)
			select {
			case ready <- sortedBand{entries, err}:
			case <-done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	for band := range ready {
		if band.err != nil {
			return band.err
		}
		entries := band.entries
		for lo := 0; lo < n; {
			hi := lo + 1
			for hi < n && entries[hi].key == entries[lo].key {
				hi++
			}
			group := entries[lo:hi]
			err := linkBucket(len(group), ix.verify, ix.threshold,
				func(j int, dst []uint32) error { return ix.readSig(dst, byOrder[group[j].id]) },
				func(j, i int) { uf.union(group[j].id, group[i].id) },
				func(j int) uint32 { return uf.find(group[j].id) }, sigs)
			if err != nil {
				return err
			}
			lo = hi
		}
		free <- entries // never blocks: the buffer came from free
	}
	close(free)
	rank = nil
	// The bands' pairs (16–32 B/doc) and ranks are garbage now; collected
	// before finish allocates its 20 B/doc, the heap's peak stays at what
	// is live instead of adding the two (a few milliseconds a million
	// documents).
	runtime.GC()

	ix.finish(byOrder, uf.find)
	return nil
}

// readBand reads band b's spilled keys from f, through r, into entries, one per
// document with its rank in input order, and sorts them by key, then
// rank, so each bucket's members are consecutive and in input order.
func readBand(b int, f *os.File, r *bufio.Reader, entries []bandEntry, rank []uint32, raw []byte) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("minhash: band %d: %w", b, err)
	}
	r.Reset(f)
	n := len(entries)
	for i := 0; i < n; {
		m := min(len(raw)/8, n-i)
		if _, err := io.ReadFull(r, raw[:8*m]); err != nil {
			return fmt.Errorf("minhash: reading band %d at document %d: %w", b, i, err)
		}
		for j := range m {
			entries[i+j] = bandEntry{binary.LittleEndian.Uint64(raw[8*j:]), rank[i+j]}
		}
		i += m
	}
	slices.SortFunc(entries, func(x, y bandEntry) int {
		switch {
		case x.key < y.key:
			return -1
		case x.key > y.key:
			return 1
		case x.id < y.id:
			return -1
		case x.id > y.id:
			return 1
		}
		return 0
	})
	return nil
}

// sortRun is how many records eachRecordInOrder sorts in memory at
// once (64 MiB with 112 bins); a variable for tests.
var sortRun = 64 << 20 / recordSize(112)

// eachRecordInOrder calls fn with every document's record in the staged
// format (order, key, scope, signature) in input order. The signatures
// were spilled in the order documents were added, which the workers
// interleave: runs of sortRun records are sorted in memory and, when
// there are several, written to the spill directory and merged. fn must
// not keep rec. It must not run concurrently with Add, and only before
// Build.
func (ix *Index) eachRecordInOrder(fn func(rec []byte) error) error {
	size := recordSize(ix.k)
	chunk := make([]byte, 0, min(ix.Len(), sortRun)*size)
	var runs []*os.File
	defer func() {
		for _, f := range runs {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	// sorted returns chunk's records sorted by order.
	sorted := func() [][]byte {
		recs := make([][]byte, 0, len(chunk)/size)
		for p := 0; p < len(chunk); p += size {
			recs = append(recs, chunk[p:p+size])
		}
		slices.SortFunc(recs, func(a, b []byte) int {
			return cmpU64(binary.LittleEndian.Uint64(a), binary.LittleEndian.Uint64(b))
		})
		return recs
	}
	spill := func() error {
		f, err := os.CreateTemp(ix.dir, "run-*")
		if err != nil {
			return fmt.Errorf("minhash: %w", err)
		}
		runs = append(runs, f)
		w := bufio.NewWriterSize(f, 1<<20)
		for _, rec := range sorted() {
			w.Write(rec)
		}
		if err := w.Flush(); err != nil {
			return fmt.Errorf("minhash: sorting the index: %w", err)
		}
		chunk = chunk[:0]
		return nil
	}
	err := ix.Each(false, func(order uint64, key int64, _, sig []byte) error {
		if len(chunk) == cap(chunk) {
			if err := spill(); err != nil {
				return err
			}
		}
		chunk = binary.LittleEndian.AppendUint64(chunk, order)
		chunk = binary.LittleEndian.AppendUint64(chunk, uint64(key))
		chunk = append(chunk, sig...) // scope, signature
		return nil
	})
	if err != nil {
		return err
	}
	if len(runs) == 0 {
		for _, rec := range sorted() {
			if err := fn(rec); err != nil {
				return err
			}
		}
		return nil
	}
	if len(chunk) > 0 {
		if err := spill(); err != nil {
			return err
		}
	}
	chunk = nil
	// Merge the runs, smallest head first.
	h := make(runHeap, 0, len(runs))
	for _, f := range runs {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("minhash: sorting the index: %w", err)
		}
		r := &sortedRun{r: bufio.NewReaderSize(f, 256<<10), rec: make([]byte, size)}
		if ok, err := r.next(); err != nil {
			return err
		} else if ok {
			h = append(h, r)
		}
	}
	heap.Init(&h)
	for len(h) > 0 {
		r := h[0]
		if err := fn(r.rec); err != nil {
			return err
		}
		ok, err := r.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	return nil
}

// sortedRun is one sorted run of eachRecordInOrder, at its current record.
type sortedRun struct {
	r   *bufio.Reader
	rec []byte
}

// next reads the run's next record and reports whether there was one.
func (r *sortedRun) next() (bool, error) {
	switch _, err := io.ReadFull(r.r, r.rec); err {
	case nil:
		return true, nil
	case io.EOF:
		return false, nil
	default:
		return false, fmt.Errorf("minhash: sorting the index: %w", err)
	}
}

// runHeap orders runs by the order field of their current record.
type runHeap []*sortedRun

func (h runHeap) Len() int { return len(h) }
func (h runHeap) Less(i, j int) bool {
	return binary.LittleEndian.Uint64(h[i].rec) < binary.LittleEndian.Uint64(h[j].rec)
}
func (h runHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)   { *h = append(*h, x.(*sortedRun)) }
func (h *runHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	*h = old[:len(old)-1]
	return r
}

// byInputOrder returns the ids of the documents (their place in Add
// order) sorted by input order.
func (ix *Index) byInputOrder() []uint32 {
	byOrder := make([]uint32, len(ix.orders))
	for i := range byOrder {
		byOrder[i] = uint32(i)
	}
	slices.SortFunc(byOrder, func(a, b uint32) int { return cmpU64(ix.orders[a], ix.orders[b]) })
	return byOrder
}

// finish numbers documents by input order and describes each cluster at
// its first member, given the ids in input order and the union-find over
// ranks in that order, whose roots are the clusters' first members.
func (ix *Index) finish(byOrder []uint32, find func(rank uint32) uint32) {
	n := len(byOrder)
	ix.sorted = make([]uint64, n)
	ix.cluster = make([]uint32, n)
	ix.size = make([]uint32, n)
	ix.best = make([]uint32, n)
	for rank, id := range byOrder {
		ix.sorted[rank] = ix.orders[id]
		c := find(uint32(rank))
		ix.cluster[rank] = c
		ix.size[c]++
		if c == uint32(rank) {
			ix.best[c] = c
			continue
		}
		bid := byOrder[ix.best[c]]
		if keep.Less(ix.keys[id], ix.orders[id], ix.keys[bid], ix.orders[bid]) {
			ix.best[c] = uint32(rank)
		}
	}
	ix.orders, ix.keys = nil, nil
}

func (ix *Index) readSig(dst []uint32, id uint32) error {
	if cap(ix.buf) < 4*ix.k {
		ix.buf = make([]byte, 4*ix.k)
	}
	b := ix.buf[:4*ix.k]
	// Each record is the scope (8 B), then the signature.
	if _, err := ix.sigF.ReadAt(b, int64(id)*int64(8+len(b))+8); err != nil {
		return fmt.Errorf("minhash: reading signature %d: %w", id, err)
	}
	for i := range dst {
		dst[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return nil
}

// Cluster describes a document's near-duplicate cluster.
type Cluster struct {
	// ID is the input order (Document.Order) of the cluster's first
	// document, stable across runs over the same input.
	ID uint64
	// Size is the number of documents in the cluster, 1 for a unique one.
	Size int
	// Keep reports whether this document is the one the cluster keeps.
	Keep bool
}

// Lookup returns the cluster of the document at order, after Build; ok
// is false for a document that was never added.
func (ix *Index) Lookup(order uint64) (c Cluster, ok bool) {
	rank, found := slices.BinarySearch(ix.sorted, order)
	if !found {
		return Cluster{ID: order, Size: 1, Keep: true}, false
	}
	first := ix.cluster[rank]
	return Cluster{ID: ix.sorted[first], Size: int(ix.size[first]), Keep: ix.best[first] == uint32(rank)}, true
}

// duplicates calls fn for each document of this run (not of against) in
// a cluster of two or more, in input order, after Build.
func (ix *Index) duplicates(fn func(clusterEntry)) {
	for rank, o := range ix.sorted {
		c := ix.cluster[rank]
		if ix.size[c] < 2 || o&againstOrder != 0 {
			continue
		}
		fn(clusterEntry{order: o, id: ix.sorted[c], size: ix.size[c], keep: ix.best[c] == uint32(rank)})
	}
}

// Close removes the spill files.
func (ix *Index) Close() error {
	for _, f := range ix.bandF {
		f.Close()
	}
	if ix.sigF != nil {
		ix.sigF.Close()
	}
	ix.bandF, ix.sigF = nil, nil
	return os.RemoveAll(ix.dir)
}

// sigBufs are the signatures linkBucket holds: the bucket's first member,
// the current one and its predecessor.
type sigBufs struct{ first, cur, prev []uint32 }

func newSigBufs(k int) *sigBufs {
	return &sigBufs{make([]uint32, k), make([]uint32, k), make([]uint32, k)}
}

// linkBucket decides which members of one LSH bucket (n documents sharing
// a band key, in input order) are linked: each member j ≥ 1 to the first
// member, or failing verification to its predecessor j−1. The decision
// depends on the bucket alone — not on links found in other bands — so
// bands can be processed apart, in any order, by different tasks, and
// give the same clusters (the staged mode relies on it).
//
// root, when not nil, names the cluster a member is in so far: a member
// already in the cluster of both the first member and its predecessor can
// only make links that change nothing, so it is passed over without
// reading its signature. A near-duplicate pair meets in most of the bands
// and only the first needs their signatures. Roots are asked once a
// member, again only after a link. Signatures are read when needed, each
// at most once.
func linkBucket(n int, verify bool, threshold float64, sig func(j int, dst []uint32) error, link func(j, i int), root func(j int) uint32, b *sigBufs) error {
	if n < 2 {
		return nil
	}
	const unknown = ^uint32(0)
	if !verify {
		r0 := unknown
		for j := 1; j < n; j++ {
			if root != nil {
				if r0 == unknown {
					r0 = root(0)
				}
				if root(j) == r0 {
					continue
				}
				r0 = unknown
			}
			link(j, 0)
		}
		return nil
	}
	firstRead, prevAt := false, -1 // b.prev holds member prevAt's signature
	r0, rPrev := unknown, unknown  // roots of the first member and of j−1
	for j := 1; j < n; j++ {
		rj := unknown
		if root != nil {
			if r0 == unknown {
				r0 = root(0)
			}
			if rPrev == unknown {
				rPrev = root(j - 1)
			}
			if rj = root(j); rj == r0 && rj == rPrev {
				continue // rPrev stays right for j+1: rj equals it
			}
		}
		if !firstRead {
			if err := sig(0, b.first); err != nil {
				return err
			}
			firstRead = true
		}
		if err := sig(j, b.cur); err != nil {
			return err
		}
		linked := false
		if Similarity(b.cur, b.first) >= threshold {
			link(j, 0)
			linked = true
		} else if j > 1 {
			if prevAt != j-1 {
				if err := sig(j-1, b.prev); err != nil {
					return err
				}
			}
			if Similarity(b.cur, b.prev) >= threshold {
				link(j, j-1)
				linked = true
			}
		}
		b.cur, b.prev = b.prev, b.cur
		prevAt = j
		if linked {
			r0, rPrev = unknown, unknown // roots change with a link
		} else {
			rPrev = rj
		}
	}
	return nil
}

// unionFind is a disjoint-set forest over document ids; the smaller id
// becomes the root, so the forest does not depend on the order of unions.
type unionFind []uint32

func newUnionFind(n int) unionFind {
	uf := make(unionFind, n)
	for i := range uf {
		uf[i] = uint32(i)
	}
	return uf
}

func (uf unionFind) find(x uint32) uint32 {
	for uf[x] != x {
		uf[x] = uf[uf[x]] // path halving
		x = uf[x]
	}
	return x
}

func (uf unionFind) union(a, b uint32) {
	ra, rb := uf.find(a), uf.find(b)
	if ra == rb {
		return
	}
	if ra < rb {
		ra, rb = rb, ra
	}
	uf[ra] = rb
}
