package minhash

import (
	"math"
	"math/bits"

	"github.com/cespare/xxhash/v2"

	"github.com/winnow-data/winnow/filters/text"
)

// Hasher computes one-permutation MinHash signatures (OPH, Li, Owen &
// Zhang 2012) with optimal densification (Shrivastava 2017) over word
// shingles of dedup-normalised text.
//
// Classic MinHash hashes every shingle once per permutation (112 times);
// OPH hashes it once and uses its high bits to choose one of K bins, each
// bin keeping its minimum. Bins no shingle fell into are filled from a
// deterministic pseudo-random non-empty bin, which keeps the estimator
// unbiased with variance close to classic MinHash. The trade-off is
// compatibility: signatures are not interchangeable with those of
// datatrove or datasketch (different hash family), in exchange for one
// hash per shingle instead of K — see BenchmarkSignature and the README.
//
// A Hasher is not safe for concurrent use; it reuses its scratch space.
type Hasher struct {
	k       int
	shingle int
	bins    []uint64
	walk    []uint16 // see densify
	words   []uint64
	sc      text.WordScanner
}

// NewHasher returns a Hasher for k bins (the signature length) and
// shingles of n words.
func NewHasher(k, n int) *Hasher {
	return &Hasher{k: k, shingle: n, bins: make([]uint64, k), walk: newWalk(k)}
}

const empty = math.MaxUint64

// fmix64 is MurmurHash3's 64-bit finaliser: a bijection that spreads
// every input bit over the output, used to turn cheap combinations of
// word hashes into well-distributed shingle hashes.
func fmix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// shinglePrime is the multiplier of the polynomial that combines the word
// hashes of one shingle, so that word order matters.
const shinglePrime = 0x9e3779b97f4a7c15

// wordHash hashes one word. Words of up to 8 bytes (most words) are
// packed into an integer with their length and mixed, a bijection, so
// they cannot collide; xxhash's setup cost dominated on such short inputs
// (a fifth of the signature's time in profiles).
func wordHash(w string) uint64 {
	if len(w) > 8 {
		return xxhash.Sum64String(w)
	}
	var v uint64
	for i := 0; i < len(w); i++ {
		v |= uint64(w[i]) << (8 * i)
	}
	return packedHash(v, len(w))
}

// packedHash hashes a word of n ≤ 8 bytes packed little-endian into v.
// The length in the top byte keeps "a" and "a\x00" apart; xxhash outputs
// of longer words may coincide with these with probability 2^-64 a pair.
func packedHash(v uint64, n int) uint64 {
	return fmix64(v ^ uint64(n)<<56 ^ 0x6a09e667f3bcc908)
}

// Signature writes the signature of normalized (text as produced by
// text.AppendNormalized) into dst, which must have length k, and reports
// whether the text had any word. Words are those of text.WordScanner, so
// each ideograph of Chinese or Japanese text is a word. Each word
// is hashed once; a shingle's hash combines its n word hashes with a
// rolling polynomial, so a shingle costs a few multiplications rather
// than hashing n words of bytes again. A text of fewer than n words is
// one shingle.
func (h *Hasher) Signature(dst []uint32, normalized string) bool {
	h.words = h.appendWords(h.words[:0], normalized)
	words := h.words
	if len(words) == 0 {
		return false
	}
	bins := h.bins
	for i := range bins {
		bins[i] = empty
	}
	k := uint64(h.k)
	add := func(x uint64) {
		x = fmix64(x)
		b, _ := bits.Mul64(x, k) // bin from the high bits, without division
		if x < bins[b] {
			bins[b] = x
		}
	}
	n := min(h.shingle, len(words))
	// pow is shinglePrime^(n-1), the weight of the word leaving the window.
	pow := uint64(1)
	var x uint64
	for i := 0; i < n; i++ {
		x = x*shinglePrime + words[i]
		if i > 0 {
			pow *= shinglePrime
		}
	}
	add(x)
	for i := n; i < len(words); i++ {
		x = (x-words[i-n]*pow)*shinglePrime + words[i]
		add(x)
	}
	densify(dst, bins, h.walk)
	return true
}

// Masks of the SWAR word scan: a byte of ones, the high bit of each byte,
// and the spaces of a word.
const (
	lows   = 0x0101010101010101
	highs  = 0x8080808080808080
	spaces = 0x2020202020202020
)

// appendWords appends the hash of every word of normalized to dst. The
// normalisation leaves words separated by single spaces, except runs of
// scripts written without spaces. Eight bytes are read at a time: the
// first space among them ends an ASCII word of up to 8 bytes (most
// words), whose bytes packed are its hash's input (as wordHash does);
// longer words end at the next space; only words with non-ASCII bytes go
// through the slower word scanner, which splits those runs.
func (h *Hasher) appendWords(dst []uint64, s string) []uint64 {
	i := 0
	for i+8 <= len(s) {
		x := text.Load64(s[i:])
		z := x ^ spaces
		// The lowest byte of z that is zero (a space in x) gets its high
		// bit set; bytes above it may too, and do not matter.
		t := (z - lows) &^ z & highs
		if t != 0 {
			n := bits.TrailingZeros64(t) >> 3
			if n == 0 {
				i++
				continue
			}
			v := x & (1<<(8*n) - 1)
			if v&highs != 0 {
				dst = h.scanWords(dst, s[i:i+n])
			} else {
				dst = append(dst, packedHash(v, n))
			}
			i += n + 1
			continue
		}
		// A word of more than eight bytes: eight more at a time.
		high := x & highs
		end := i + 8
		for end+8 <= len(s) {
			y := text.Load64(s[end:])
			z := y ^ spaces
			if t := (z - lows) &^ z & highs; t != 0 {
				n := bits.TrailingZeros64(t) >> 3
				high |= y & (1<<(8*n) - 1) & highs
				end += n
				break
			}
			high |= y & highs
			end += 8
		}
		if end+8 > len(s) {
			for ; end < len(s) && s[end] != ' '; end++ {
				high |= uint64(s[end])
			}
		}
		w := s[i:end]
		switch {
		case high&highs != 0:
			dst = h.scanWords(dst, w)
		case len(w) == 8:
			dst = append(dst, packedHash(x, 8))
		default:
			dst = append(dst, xxhash.Sum64String(w))
		}
		i = end + 1
	}
	// The last few bytes, one at a time.
	for i < len(s) {
		if s[i] == ' ' {
			i++
			continue
		}
		start := i
		var v uint64
		var high byte
		for ; i < len(s) && s[i] != ' '; i++ {
			high |= s[i]
			v |= uint64(s[i]) << (8 * (i - start))
		}
		if high >= 0x80 {
			dst = h.scanWords(dst, s[start:i])
		} else {
			dst = append(dst, packedHash(v, i-start))
		}
	}
	return dst
}

// scanWords appends the hashes of the words text.WordScanner finds in w,
// a space-free run holding non-ASCII bytes.
func (h *Hasher) scanWords(dst []uint64, w string) []uint64 {
	h.sc.Reset(w)
	for h.sc.Next() {
		dst = append(dst, wordHash(h.sc.Word()))
	}
	return dst
}

// walkSteps is how many steps of each bin's densification walk a Hasher
// keeps in a table; a walk that goes further (a text with very few
// shingles) computes the rest.
const walkSteps = 32

// walkStep returns step attempt (from 1) of empty bin i's walk among k
// bins.
func walkStep(i, attempt, k uint64) uint64 {
	j, _ := bits.Mul64(fmix64(i<<32|attempt), k)
	return j
}

// newWalk tabulates the first walkSteps steps of every bin's walk; nil
// for more bins than a uint16 names.
func newWalk(k int) []uint16 {
	if k > 1<<16 {
		return nil
	}
	w := make([]uint16, k*walkSteps)
	for i := range k {
		for a := range walkSteps {
			w[i*walkSteps+a] = uint16(walkStep(uint64(i), uint64(a+1), uint64(k)))
		}
	}
	return w
}

// densify copies bins into dst, filling every empty bin i from the first
// non-empty bin met by a pseudo-random walk seeded by i (optimal
// densification): the walk depends only on i, so two documents fill a
// bin from the same source bin whenever both have it, which keeps the
// collision probability of a bin equal to the Jaccard similarity.
// The stored value is the low 32 bits of the minimum: the high bits only
// name the bin. walk holds the walks' first steps (see newWalk): short
// texts leave most bins empty, and hashing every step was a tenth of the
// time on a corpus of paragraphs.
func densify(dst []uint32, bins []uint64, walk []uint16) {
	k := uint64(len(bins))
next:
	for i, v := range bins {
		if v != empty {
			dst[i] = uint32(v)
			continue
		}
		attempt := uint64(1)
		if walk != nil {
			for _, j := range walk[i*walkSteps : (i+1)*walkSteps] {
				if bins[j] != empty {
					dst[i] = uint32(bins[j])
					continue next
				}
			}
			attempt = walkSteps + 1
		}
		for ; ; attempt++ {
			if j := walkStep(uint64(i), attempt, k); bins[j] != empty {
				dst[i] = uint32(bins[j])
				break
			}
		}
	}
}

// Similarity estimates the Jaccard similarity of the texts whose
// signatures are a and b: the share of equal entries.
func Similarity(a, b []uint32) float64 {
	if len(a) == 0 || len(a) != len(b) {
		return 0
	}
	eq := 0
	for i := range a {
		if a[i] == b[i] {
			eq++
		}
	}
	return float64(eq) / float64(len(a))
}
