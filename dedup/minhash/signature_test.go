package minhash

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func sig(t testing.TB, h *Hasher, s string) []uint32 {
	dst := make([]uint32, h.k)
	if !h.Signature(dst, s) {
		t.Fatalf("no signature for %q", s)
	}
	return dst
}

func TestSignatureRules(t *testing.T) {
	h := NewHasher(112, 5)
	a := sig(t, h, "the quick brown fox jumps over the lazy dog")
	tests := []struct {
		name string
		text string
		same bool
	}{
		{"identical", "the quick brown fox jumps over the lazy dog", true},
		{"extra spaces are not words", "the  quick brown fox jumps over the lazy dog ", true},
		{"different words", "a completely different sentence about something else entirely", false},
		{"word order matters", "dog lazy the over jumps fox brown quick the", false},
	}
	for _, tt := range tests {
		b := sig(t, h, tt.text)
		if got := Similarity(a, b) == 1; got != tt.same {
			t.Errorf("%s: similarity %.2f", tt.name, Similarity(a, b))
		}
	}
	if h.Signature(make([]uint32, 112), "") {
		t.Error("empty text has a signature")
	}
	short := sig(t, h, "two words")
	if Similarity(short, sig(t, h, "two words")) != 1 {
		t.Error("short texts are not one shingle")
	}
}

// shingles returns the set of 5-word shingles of s, for true Jaccard.
func shingles(s string, n int) map[string]bool {
	w := strings.Fields(s)
	out := map[string]bool{}
	if len(w) < n {
		out[strings.Join(w, " ")] = true
		return out
	}
	for i := 0; i+n <= len(w); i++ {
		out[strings.Join(w[i:i+n], " ")] = true
	}
	return out
}

func jaccard(a, b map[string]bool) float64 {
	inter := 0
	for k := range a {
		if b[k] {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

// TestSimilarityAccuracy checks that the estimate tracks true Jaccard
// within a few standard deviations, for long and short texts (the latter
// exercising densification).
func TestSimilarityAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	h := NewHasher(112, 5)
	for _, words := range []int{30, 300} {
		var sumErr float64
		const trials = 200
		for range trials {
			a := randomWords(rng, words)
			b := editWords(rng, a, rng.Float64()*0.3)
			tj := jaccard(shingles(a, 5), shingles(b, 5))
			est := Similarity(sig(t, h, a), sig(t, h, b))
			sd := math.Sqrt(tj*(1-tj)/112) + 0.01
			if math.Abs(est-tj) > 5*sd {
				t.Errorf("%d words: true %.3f estimated %.3f", words, tj, est)
			}
			sumErr += est - tj
		}
		if bias := sumErr / trials; math.Abs(bias) > 0.02 {
			t.Errorf("%d words: mean error %.3f, want unbiased", words, bias)
		}
	}
}

func TestBanding(t *testing.T) {
	tests := []struct {
		threshold   float64
		bands, rows int
	}{
		{0.8, 14, 8},
		{0.5, 37, 3},
		{0.9, 8, 13},
	}
	for _, tt := range tests {
		b, r, err := Banding(tt.threshold, 112)
		if err != nil || b != tt.bands || r != tt.rows {
			t.Errorf("Banding(%v) = %d×%d %v, want %d×%d", tt.threshold, b, r, err, tt.bands, tt.rows)
		}
	}
	if p := Candidate(0.9, 14, 8); p < 0.999 {
		t.Errorf("recall at 0.9 = %v", p)
	}
	if _, _, err := Banding(1, 112); err == nil {
		t.Error("threshold 1 accepted")
	}
}

var vocab = func() []string {
	rng := rand.New(rand.NewPCG(7, 7))
	v := make([]string, 5000)
	for i := range v {
		n := 2 + rng.IntN(9)
		b := make([]byte, n)
		for j := range b {
			b[j] = byte('a' + rng.IntN(26))
		}
		v[i] = string(b) + fmt.Sprint(i%10 == 0)[:0]
	}
	return v
}()

func randomWords(rng *rand.Rand, n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = vocab[rng.IntN(len(vocab))]
	}
	return strings.Join(w, " ")
}

// editWords applies about rate×len random word edits (substitute, insert,
// delete) to s.
func editWords(rng *rand.Rand, s string, rate float64) string {
	w := strings.Fields(s)
	edits := int(rate * float64(len(w)))
	for range edits {
		i := rng.IntN(len(w))
		switch rng.IntN(3) {
		case 0:
			w[i] = vocab[rng.IntN(len(vocab))]
		case 1:
			w = append(w[:i], append([]string{vocab[rng.IntN(len(vocab))]}, w[i:]...)...)
		default:
			if len(w) > 1 {
				w = append(w[:i], w[i+1:]...)
			}
		}
	}
	return strings.Join(w, " ")
}
