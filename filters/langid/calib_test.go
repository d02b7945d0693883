package langid

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"testing"
)

// junk returns texts that are in no language: identifiers, code, random
// letters, numbers with units, base64, keyboard mash.
func junk() []string {
	rng := rand.New(rand.NewPCG(1, 2))
	letters := "abcdefghijklmnopqrstuvwxyz"
	var out []string
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = letters[rng.IntN(len(letters))]
		}
		return string(b)
	}
	for i := 0; i < 20; i++ {
		var w []string
		for j := 0; j < 20+rng.IntN(40); j++ {
			w = append(w, word(2+rng.IntN(8)))
		}
		out = append(out, strings.Join(w, " "))
	}
	code := []string{
		"func main() { x := make([]int, 10); for i := range x { x[i] = i * 2 }; fmt.Println(x) }",
		"SELECT id, name, created_at FROM users WHERE status = 'active' AND age > 21 ORDER BY name LIMIT 50;",
		"<div class=\"nav\"><ul><li><a href=\"/home\">Home</a></li><li><a href=\"/about\">About</a></li></ul></div>",
		"import numpy as np\nx = np.zeros((10, 10))\nfor i in range(10):\n    x[i, i] = 1\nprint(x.sum())",
		"{\"id\": 12, \"sku\": \"XK-2291-B\", \"qty\": 4, \"price\": 19.99, \"tags\": [\"red\", \"xl\", \"cotton\"]}",
	}
	out = append(out, code...)
	for i := 0; i < 10; i++ {
		var b strings.Builder
		for j := 0; j < 30; j++ {
			fmt.Fprintf(&b, "%s-%d %dkg %s%d ", strings.ToUpper(word(3)), rng.IntN(9999), rng.IntN(99), word(1), rng.IntN(999))
		}
		out = append(out, b.String())
	}
	for i := 0; i < 10; i++ {
		b := make([]byte, 300)
		const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
		for j := range b {
			b[j] = b64[rng.IntN(len(b64))]
		}
		out = append(out, string(b))
	}
	return out
}

func quantiles(xs []float64) string {
	if len(xs) == 0 {
		return "-"
	}
	sort.Float64s(xs)
	q := func(p float64) float64 { return xs[int(p*float64(len(xs)-1))] }
	return fmt.Sprintf("n=%d min %.4f p1 %.4f p5 %.4f p25 %.4f median %.4f", len(xs), xs[0], q(0.01), q(0.05), q(0.25), q(0.5))
}

// TestCalibration checks the default min_score against the labelled set
// and generated junk: it keeps every correctly identified document and
// nearly every paragraph. With LANGID_CALIBRATE=1 it prints the score
// distributions the default was chosen from.
func TestCalibration(t *testing.T) {
	d, es := shared(t)
	docs, paras := sharedResults(t)
	var right, wrong, paraRight, paraWrong, junkScores []float64
	for i, s := range es.Docs {
		r := docs[i]
		if r.Code() == s.Lang {
			right = append(right, r.Score)
		} else {
			wrong = append(wrong, r.Score)
		}
	}
	for i, s := range es.Paragraphs {
		r := paras[i]
		if r.Code() == s.Lang {
			paraRight = append(paraRight, r.Score)
		} else {
			paraWrong = append(paraWrong, r.Score)
		}
	}
	for _, s := range junk() {
		junkScores = append(junkScores, d.Detect(s).Score)
	}
	if os.Getenv("LANGID_CALIBRATE") != "" {
		fmt.Println("docs right:      ", quantiles(right))
		fmt.Println("docs wrong:      ", quantiles(wrong))
		fmt.Println("paragraphs right:", quantiles(paraRight))
		fmt.Println("paragraphs wrong:", paraWrong)
		fmt.Println("junk:            ", quantiles(junkScores))
		for _, th := range []float64{0.3, 0.5, 0.65, 0.8, 0.9, 0.99} {
			fmt.Printf("min_score %.2f: drops %d/%d right docs, %d/%d right paragraphs, %d/%d wrong paragraphs, %d/%d junk\n", th,
				below(right, th), len(right), below(paraRight, th), len(paraRight), below(paraWrong, th), len(paraWrong), below(junkScores, th), len(junkScores))
		}
	}
	if n := below(right, DefaultMinScore); n > 0 {
		t.Errorf("min_score %v drops %d correctly identified documents", DefaultMinScore, n)
	}
	if n := below(paraRight, DefaultMinScore); float64(n) > 0.01*float64(len(paraRight)) {
		t.Errorf("min_score %v drops %d of %d correctly identified paragraphs", DefaultMinScore, n, len(paraRight))
	}
}

func below(xs []float64, th float64) int {
	n := 0
	for _, x := range xs {
		if x < th {
			n++
		}
	}
	return n
}
