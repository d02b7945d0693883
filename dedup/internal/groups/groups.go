// Package groups holds the state shared by url_dedup and exact_dedup:
// documents grouped by a 128-bit key, each group with its size and the
// document it keeps, and that state's exchange files (pipeline.Exchanger).
//
// Observed file: one 36-byte record per distinct key — key 16 B, the
// kept document's priority key 8 B and order 8 B, the group's size 4 B —
// written shard by shard, each shard sorted by key. Prepared file: one
// 28-byte record per group of two or more documents — key 16 B, kept
// order 8 B, size 4 B — sorted by key; a document whose key is absent is
// alone in its group. In RAM after LoadPrepared: 32 B per such group plus
// 2 B of index.
package groups

import (
	"cmp"
	"encoding/binary"
	"io"
	"math/bits"
	"slices"
	"sync"

	"github.com/zeebo/xxh3"

	"github.com/winnow-data/winnow/dedup/internal/keep"
	"github.com/winnow-data/winnow/dedup/internal/xchg"
)

const shards = 64

type best struct {
	key   int64
	order uint64
	count uint32
}

// Groups is safe for concurrent Add and Lookup.
type Groups struct {
	shards [shards]struct {
		mu sync.Mutex
		m  map[xxh3.Uint128]best
		_  [40]byte // keep shards on separate cache lines
	}
	// After LoadPrepared: groups of two or more, sorted by key, and the
	// first entry of each top-bits bucket of the key.
	table []entry
	index []uint32
	shift uint
}

type entry struct {
	hi, lo uint64
	order  uint64
	count  uint32
}

// New returns empty groups.
func New() *Groups {
	g := &Groups{}
	for i := range g.shards {
		g.shards[i].m = make(map[xxh3.Uint128]best)
	}
	return g
}

// Add counts n documents of group h, of which the preferred one has
// priority key k and input order o.
func (g *Groups) Add(h xxh3.Uint128, k int64, o uint64, n uint32) {
	sh := &g.shards[h.Lo%shards]
	sh.mu.Lock()
	b, seen := sh.m[h]
	if !seen || keep.Less(k, o, b.key, b.order) {
		b.key, b.order = k, o
	}
	b.count += n
	sh.m[h] = b
	sh.mu.Unlock()
}

// Lookup returns the size of group h and whether it keeps the document
// at order. ok is false for a key never added — except after
// LoadPrepared, which holds only groups of two or more: any other key is
// a group of one.
func (g *Groups) Lookup(h xxh3.Uint128, order uint64) (size uint32, kept, ok bool) {
	if g.index != nil {
		b := h.Hi >> g.shift // 0 when shift is 64
		for i := int(g.index[b]); i < int(g.index[b+1]); i++ {
			if e := &g.table[i]; e.hi == h.Hi && e.lo == h.Lo {
				return e.count, e.order == order, true
			}
		}
		return 1, true, true
	}
	sh := &g.shards[h.Lo%shards]
	sh.mu.Lock()
	b, seen := sh.m[h]
	sh.mu.Unlock()
	return b.count, b.order == order, seen
}

const (
	observedSize = 36
	preparedSize = 28
)

// SaveObserved writes every group.
func (g *Groups) SaveObserved(w io.Writer, h xchg.Header) error {
	n := 0
	for i := range g.shards {
		n += len(g.shards[i].m)
	}
	x := xchg.NewWriter(w, h, uint64(n))
	type kv struct {
		h xxh3.Uint128
		b best
	}
	var buf []kv
	var rec [observedSize]byte
	for i := range g.shards {
		sh := &g.shards[i]
		sh.mu.Lock()
		buf = buf[:0]
		for k, b := range sh.m {
			buf = append(buf, kv{k, b})
		}
		sh.mu.Unlock()
		// Sorted so that the same observations give the same bytes.
		slices.SortFunc(buf, func(a, b kv) int { return cmpKey(a.h, b.h) })
		for _, e := range buf {
			binary.LittleEndian.PutUint64(rec[0:], e.h.Hi)
			binary.LittleEndian.PutUint64(rec[8:], e.h.Lo)
			binary.LittleEndian.PutUint64(rec[16:], uint64(e.b.key))
			binary.LittleEndian.PutUint64(rec[24:], e.b.order)
			binary.LittleEndian.PutUint32(rec[32:], e.b.count)
			x.Write(rec[:])
		}
	}
	return x.Close()
}

func cmpKey(a, b xxh3.Uint128) int {
	if c := cmp.Compare(a.Hi, b.Hi); c != 0 {
		return c
	}
	return cmp.Compare(a.Lo, b.Lo)
}

// LoadObserved adds the groups of one saved observation.
func (g *Groups) LoadObserved(r io.Reader, h xchg.Header) error {
	x, err := xchg.NewReader(r, h)
	if err != nil {
		return err
	}
	var rec [observedSize]byte
	for i := range x.Count {
		if err := x.Record(rec[:], i); err != nil {
			return err
		}
		n := binary.LittleEndian.Uint32(rec[32:])
		if n == 0 {
			return x.Errorf("a group of no documents")
		}
		key := xxh3.Uint128{Hi: binary.LittleEndian.Uint64(rec[0:]), Lo: binary.LittleEndian.Uint64(rec[8:])}
		g.Add(key, int64(binary.LittleEndian.Uint64(rec[16:])), binary.LittleEndian.Uint64(rec[24:]), n)
	}
	return x.Close()
}

// SavePrepared writes the groups of two or more documents.
func (g *Groups) SavePrepared(w io.Writer, h xchg.Header) error {
	var es []entry
	if g.index != nil {
		es = g.table
	} else {
		for i := range g.shards {
			for k, b := range g.shards[i].m {
				if b.count > 1 {
					es = append(es, entry{k.Hi, k.Lo, b.order, b.count})
				}
			}
		}
		slices.SortFunc(es, cmpEntry)
	}
	x := xchg.NewWriter(w, h, uint64(len(es)))
	var rec [preparedSize]byte
	for _, e := range es {
		binary.LittleEndian.PutUint64(rec[0:], e.hi)
		binary.LittleEndian.PutUint64(rec[8:], e.lo)
		binary.LittleEndian.PutUint64(rec[16:], e.order)
		binary.LittleEndian.PutUint32(rec[24:], e.count)
		x.Write(rec[:])
	}
	return x.Close()
}

func cmpEntry(a, b entry) int {
	if c := cmp.Compare(a.hi, b.hi); c != 0 {
		return c
	}
	return cmp.Compare(a.lo, b.lo)
}

// LoadPrepared replaces the groups with a prepared state; Add must not be
// called afterwards.
func (g *Groups) LoadPrepared(r io.Reader, h xchg.Header) error {
	x, err := xchg.NewReader(r, h)
	if err != nil {
		return err
	}
	// Grown as records arrive, not sized by the header's count, which
	// may be damaged.
	var table []entry
	var rec [preparedSize]byte
	for i := range x.Count {
		if err := x.Record(rec[:], i); err != nil {
			return err
		}
		e := entry{binary.LittleEndian.Uint64(rec[0:]), binary.LittleEndian.Uint64(rec[8:]),
			binary.LittleEndian.Uint64(rec[16:]), binary.LittleEndian.Uint32(rec[24:])}
		if e.count < 2 {
			return x.Errorf("a group of %d documents", e.count)
		}
		if n := len(table); n > 0 && cmpEntry(table[n-1], e) >= 0 {
			return x.Errorf("keys out of order")
		}
		table = append(table, e)
	}
	if err := x.Close(); err != nil {
		return err
	}
	g.setTable(slices.Clip(table))
	return nil
}

// setTable indexes table (sorted by key) by the top bits of the key,
// about two entries per bucket.
func (g *Groups) setTable(table []entry) {
	b := uint(0)
	if len(table) > 2 {
		b = uint(bits.Len(uint(len(table) / 2))) // buckets ≈ len/2 … len
	}
	g.shift = 64 - b
	g.index = make([]uint32, 1<<b+1)
	j := 0
	for t := range 1 << b {
		g.index[t] = uint32(j)
		for j < len(table) && (b == 0 || table[j].hi>>g.shift == uint64(t)) {
			j++
		}
	}
	g.index[1<<b] = uint32(len(table))
	g.table = table
	for i := range g.shards {
		g.shards[i].m = nil
	}
}
