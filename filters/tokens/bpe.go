package tokens

import (
	"container/heap"
	"math"
)

const noRank = math.MaxUint32

// part is one token of a piece being merged: it starts at byte start and
// rank is the rank of the merge of this part with the next one.
type part struct {
	start int
	rank  uint32
}

// merger holds the scratch of byte-pair merges; one per goroutine.
type merger struct {
	parts []part
	heap  mergeHeap
	next  []int32 // linked list over parts for long pieces
	prev  []int32
	ver   []uint32
}

// quadraticLimit is the piece length up to which the plain rescan of
// tiktoken's _byte_pair_merge is used; longer pieces (a run of 100,000
// letters is one piece) go through a heap so a hostile text stays
// O(n log n). Both pick the lowest rank, the leftmost one among equals,
// so they give the same tokens.
const quadraticLimit = 64

// count returns the number of tokens of piece (tiktoken's
// byte_pair_encode, counted): a piece that is a token is one, otherwise
// its bytes are merged pairwise, lowest rank first.
func (e *Encoding) count(m *merger, piece string) int {
	if len(piece) == 1 {
		return 1
	}
	if e.rank(piece) != noRank {
		return 1
	}
	if len(piece) <= quadraticLimit {
		return len(m.mergeSmall(e, piece))
	}
	return m.mergeLarge(e, piece, nil)
}

// appendTokens appends the token ids of piece.
func (e *Encoding) appendTokens(m *merger, dst []int, piece string) []int {
	if r, ok := e.ranks[piece]; ok {
		return append(dst, int(r))
	}
	if len(piece) <= quadraticLimit {
		parts := m.mergeSmall(e, piece)
		for i, p := range parts {
			end := len(piece)
			if i+1 < len(parts) {
				end = parts[i+1].start
			}
			dst = append(dst, int(e.ranks[piece[p.start:end]]))
		}
		return dst
	}
	var out []int
	m.mergeLarge(e, piece, func(start, end int) {
		out = append(out, int(e.ranks[piece[start:end]]))
	})
	return append(dst, out...)
}

// rank returns the rank of the byte sequence s, noRank when it is not a
// token. Nearly every lookup a merge makes is of two to seven bytes: pairs
// come from a dense table, three to seven bytes from an open-addressing
// table keyed by the bytes packed into an integer (one cache line per
// probe, against two and a string comparison in a Go map); longer
// sequences from the map of every token.
func (e *Encoding) rank(s string) uint32 {
	switch {
	case len(s) == 2:
		return e.pairs[uint16(s[0])<<8|uint16(s[1])]
	case len(s) <= 7:
		return e.short.get(packShort(s))
	}
	if r, ok := e.ranks[s]; ok {
		return r
	}
	return noRank
}

// shortTable maps packed keys to ranks: linear probing over a power-of-two
// array at most half full. Key 0 marks an empty slot (a packed key always
// has its length in the top byte).
type shortTable struct {
	slots []shortSlot
	mask  uint64
}

type shortSlot struct {
	key  uint64
	rank uint32
}

func newShortTable(n int) shortTable {
	size := 1
	for size < 2*n {
		size <<= 1
	}
	return shortTable{slots: make([]shortSlot, size), mask: uint64(size - 1)}
}

func shortHash(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	return k
}

func (t *shortTable) put(k uint64, r uint32) {
	for i := shortHash(k) & t.mask; ; i = (i + 1) & t.mask {
		if t.slots[i].key == 0 || t.slots[i].key == k {
			t.slots[i] = shortSlot{k, r}
			return
		}
	}
}

func (t *shortTable) get(k uint64) uint32 {
	for i := shortHash(k) & t.mask; ; i = (i + 1) & t.mask {
		switch t.slots[i].key {
		case k:
			return t.slots[i].rank
		case 0:
			return noRank
		}
	}
}

// packShort packs up to seven bytes and their count into a uint64.
func packShort(s string) uint64 {
	k := uint64(len(s)) << 56
	for i := 0; i < len(s); i++ {
		k |= uint64(s[i]) << (8 * i)
	}
	return k
}

// mergeSmall is tiktoken's _byte_pair_merge (src/lib.rs): it returns the
// parts (their starts) the piece ends up as.
func (m *merger) mergeSmall(e *Encoding, piece string) []part {
	parts := m.parts[:0]
	for i := 0; i < len(piece)-1; i++ {
		parts = append(parts, part{i, e.rank(piece[i : i+2])})
	}
	parts = append(parts, part{len(piece) - 1, noRank}, part{len(piece), noRank})
	rankAt := func(i int) uint32 {
		if i+3 < len(parts) {
			return e.rank(piece[parts[i].start:parts[i+3].start])
		}
		return noRank
	}
	for {
		minRank, mi := uint32(noRank), -1
		for i := 0; i < len(parts)-1; i++ {
			if parts[i].rank < minRank {
				minRank, mi = parts[i].rank, i
			}
		}
		if mi < 0 {
			break
		}
		if mi > 0 {
			parts[mi-1].rank = rankAt(mi - 1)
		}
		parts[mi].rank = rankAt(mi)
		parts = append(parts[:mi+1], parts[mi+2:]...)
	}
	m.parts = parts
	return parts[:len(parts)-1]
}

// mergeLarge gives the result of mergeSmall with a heap of candidate
// merges and a linked list of parts. It returns the number of tokens and
// calls emit (when not nil) with each token's byte range in order.
func (m *merger) mergeLarge(e *Encoding, piece string, emit func(start, end int)) int {
	n := len(piece)
	// Part i starts at byte i until merged away; next/prev link the live
	// parts; ver invalidates stale heap entries.
	m.next = resize(m.next, n+1)
	m.prev = resize(m.prev, n+1)
	m.ver = resizeU(m.ver, n+1)
	for i := 0; i <= n; i++ {
		m.next[i] = int32(i + 1)
		m.prev[i] = int32(i - 1)
		m.ver[i] = 0
	}
	m.heap = m.heap[:0]
	// rankOf is the rank of merging the part at i with the one after it.
	rankOf := func(i int) uint32 {
		j := int(m.next[i])
		if j >= n {
			return noRank
		}
		k := int(m.next[j])
		return e.rank(piece[i:k])
	}
	for i := 0; i < n-1; i++ {
		if r := e.rank(piece[i : i+2]); r != noRank {
			m.heap = append(m.heap, cand{rank: r, start: int32(i)})
		}
	}
	heap.Init(&m.heap)
	count := n
	for m.heap.Len() > 0 {
		c := heap.Pop(&m.heap).(cand)
		i := int(c.start)
		if m.ver[i] != c.ver {
			continue // stale: the part merged or its neighbour changed
		}
		// Merge part i with the next one.
		j := int(m.next[i])
		k := int(m.next[j])
		m.next[i] = int32(k)
		if k <= n {
			m.prev[k] = int32(i)
		}
		m.ver[j]++ // j is gone
		count--
		m.ver[i]++
		if r := rankOf(i); r != noRank {
			heap.Push(&m.heap, cand{rank: r, start: int32(i), ver: m.ver[i]})
		}
		if p := int(m.prev[i]); p >= 0 {
			m.ver[p]++
			if r := rankOf(p); r != noRank {
				heap.Push(&m.heap, cand{rank: r, start: int32(p), ver: m.ver[p]})
			}
		}
	}
	if emit != nil {
		for i := 0; i < n; i = int(m.next[i]) {
			emit(i, int(m.next[i]))
		}
	}
	return count
}

type cand struct {
	rank  uint32
	start int32
	ver   uint32
}

// mergeHeap orders candidate merges by rank, then by position: the
// leftmost of equal ranks merges first, as in tiktoken's scan.
type mergeHeap []cand

func (h mergeHeap) Len() int { return len(h) }
func (h mergeHeap) Less(i, j int) bool {
	if h[i].rank != h[j].rank {
		return h[i].rank < h[j].rank
	}
	return h[i].start < h[j].start
}
func (h mergeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)   { *h = append(*h, x.(cand)) }
func (h *mergeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func resize(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

func resizeU(s []uint32, n int) []uint32 {
	if cap(s) < n {
		return make([]uint32, n)
	}
	return s[:n]
}
