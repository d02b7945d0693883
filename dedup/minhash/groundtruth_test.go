package minhash

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/winnow-data/winnow/dedup/internal/memio"
	"github.com/winnow-data/winnow/filters/text"
)

// The ground-truth benchmark: families of documents generated with
// controlled edits, the true Jaccard similarity of every pair computed
// exactly on the 5-word shingle sets of the normalised text, and the
// stage's clusters compared with it.

// corpus is a generated dataset with the ids of each document's family.
type corpus struct {
	texts  []string
	family []int
}

// punctuate turns a word list into web-like prose: capitals, commas,
// full stops, so that the normalisation matters.
func punctuate(rng *rand.Rand, words []string) string {
	var b strings.Builder
	start := true
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		if start {
			w = strings.ToUpper(w[:1]) + w[1:]
			start = false
		}
		b.WriteString(w)
		switch r := rng.IntN(20); {
		case r == 0:
			b.WriteString(".")
			start = true
		case r == 1:
			b.WriteString(",")
		}
	}
	return b.String()
}

// generate builds families: a root of 80–800 words, then variants with
// word-level edits (substitutions, insertions, deletions) at rates from
// 0 to 10 % (most below 3 %), variants that keep a prefix and rewrite the rest (similarity
// 0.2–0.6: the hard negatives), and unrelated singletons.
func generate(seed uint64, families int) corpus {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	var c corpus
	for f := range families {
		n := 80 + rng.IntN(720)
		root := strings.Fields(randomWords(rng, n))
		c.texts = append(c.texts, punctuate(rng, root))
		c.family = append(c.family, f)
		for range rng.IntN(5) {
			var v []string
			if rng.IntN(3) == 0 {
				keepN := int(float64(len(root)) * (0.3 + 0.4*rng.Float64()))
				v = append(append([]string{}, root[:keepN]...), strings.Fields(randomWords(rng, len(root)-keepN))...)
			} else {
				v = strings.Fields(editWords(rng, strings.Join(root, " "), 0.1*rng.Float64()*rng.Float64()))
			}
			c.texts = append(c.texts, punctuate(rng, v))
			c.family = append(c.family, f)
		}
	}
	// Shuffle so families are spread over the input.
	rng.Shuffle(len(c.texts), func(i, j int) {
		c.texts[i], c.texts[j] = c.texts[j], c.texts[i]
		c.family[i], c.family[j] = c.family[j], c.family[i]
	})
	return c
}

// truth computes, exactly, the Jaccard similarity of every pair sharing
// at least one shingle (through an inverted index), and each document's
// best similarity to any other.
func truth(texts []string) (pairs map[[2]int]float64, best []float64) {
	sets := make([]map[string]bool, len(texts))
	inv := map[string][]int{}
	for i, t := range texts {
		sets[i] = shingles(text.Normalize(t), 5)
		for s := range sets[i] {
			inv[s] = append(inv[s], i)
		}
	}
	inter := map[[2]int]int{}
	for _, docs := range inv {
		for a := 0; a < len(docs); a++ {
			for b := a + 1; b < len(docs); b++ {
				inter[[2]int{docs[a], docs[b]}]++
			}
		}
	}
	pairs = map[[2]int]float64{}
	best = make([]float64, len(texts))
	for p, n := range inter {
		j := float64(n) / float64(len(sets[p[0]])+len(sets[p[1]])-n)
		pairs[p] = j
		best[p[0]] = max(best[p[0]], j)
		best[p[1]] = max(best[p[1]], j)
	}
	return pairs, best
}

// groundTruth is the benchmark's result.
type groundTruth struct {
	docs, highPairs, lowDocs      int
	recall, falseRemoval, fpMerge float64
}

func evaluate(t testing.TB, c corpus, cfg Config) groundTruth {
	pairs, best := truth(c.texts)
	cfg.WorkDir = t.TempDir()
	st, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sink := runStage(t, st, 2, memio.Texts("gt", c.texts...))
	cluster := make([]string, len(c.texts))
	removed := make([]bool, len(c.texts))
	idx := func(id string) int {
		var i int
		fmt.Sscan(id, &i)
		return i
	}
	for _, k := range sink.Kept {
		cluster[idx(k.ID)] = k.Fields[FieldClusterID]
	}
	for _, k := range sink.Rejected {
		cluster[idx(k.ID)] = k.Fields[FieldClusterID]
		removed[idx(k.ID)] = true
	}
	var g groundTruth
	g.docs = len(c.texts)
	var found, lowMerged, merged int
	for p, j := range pairs {
		same := cluster[p[0]] == cluster[p[1]]
		if j >= 0.9 {
			g.highPairs++
			if same {
				found++
			}
		}
		if same {
			merged++
			if j <= 0.5 {
				lowMerged++
			}
		}
	}
	var lowRemoved int
	for i, b := range best {
		if b <= 0.5 {
			g.lowDocs++
			if removed[i] {
				lowRemoved++
			}
		}
	}
	g.recall = float64(found) / float64(max(g.highPairs, 1))
	g.falseRemoval = float64(lowRemoved) / float64(max(g.lowDocs, 1))
	g.fpMerge = float64(lowMerged) / float64(max(merged, 1))
	return g
}

// TestGroundTruth asserts the quality targets: recall ≥ 0.95 on
// pairs with Jaccard ≥ 0.9, and at most 0.5 % of the documents whose best
// Jaccard to any other is ≤ 0.5 removed.
func TestGroundTruth(t *testing.T) {
	families := 600
	if testing.Short() {
		families = 200
	}
	c := generate(11, families)
	g := evaluate(t, c, DefaultConfig())
	t.Logf("%d docs: recall(J≥0.9) %.4f over %d pairs; false removals(best J≤0.5) %.4f%% of %d docs; merged pairs with J≤0.5 %.4f",
		g.docs, g.recall, g.highPairs, 100*g.falseRemoval, g.lowDocs, g.fpMerge)
	if g.highPairs < 100 || g.lowDocs < 100 {
		t.Fatalf("generator gave too few pairs to judge: %+v", g)
	}
	if g.recall < 0.95 {
		t.Errorf("recall %.4f < 0.95", g.recall)
	}
	if g.falseRemoval > 0.005 {
		t.Errorf("false removals %.4f > 0.005", g.falseRemoval)
	}
}

// BenchmarkGroundTruth reports the quality figures as metrics.
func BenchmarkGroundTruth(b *testing.B) {
	c := generate(12, 2000)
	for _, verify := range []bool{true, false} {
		b.Run(fmt.Sprintf("verify=%v", verify), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Verify = verify
			var g groundTruth
			for b.Loop() {
				g = evaluate(b, c, cfg)
			}
			b.ReportMetric(g.recall, "recall@0.9")
			b.ReportMetric(100*g.falseRemoval, "%false_removal@0.5")
			b.ReportMetric(float64(g.docs), "docs")
		})
	}
}
