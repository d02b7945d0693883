package fasttext

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
)

// testdata/tiny.bin and tiny.ftz were trained by the reference CLI (see
// testdata/README.md); the .predict-prob and .test files are its outputs.
func loadTiny(t testing.TB, name string) *Model {
	t.Helper()
	m, err := LoadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestGoldenPredictProb(t *testing.T) {
	in, err := os.ReadFile("testdata/tiny-test.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		model     string
		k         int
		threshold float32
	}{
		{"tiny.bin", -1, 0},
		{"tiny.ftz", 2, 0.1},
	} {
		want, err := os.ReadFile("testdata/" + c.model + ".predict-prob")
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := loadTiny(t, c.model).WritePredictions(&got, bytes.NewReader(in), c.k, c.threshold, true); err != nil {
			t.Fatal(err)
		}
		if got.String() != string(want) {
			t.Errorf("%s: predict-prob differs from the reference CLI:\ngot:\n%s\nwant:\n%s", c.model, got.String(), want)
		}
	}
}

func TestGoldenTest(t *testing.T) {
	in, err := os.ReadFile("testdata/tiny-test.txt")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/tiny.test-output")
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	for _, c := range []struct {
		model string
		k     int
	}{{"tiny.bin", 1}, {"tiny.ftz", 2}} {
		res, err := loadTiny(t, c.model).Test(bytes.NewReader(in), c.k, 0)
		if err != nil {
			t.Fatal(err)
		}
		res.WriteTo(&got)
	}
	if got.String() != string(want) {
		t.Errorf("test output:\n%s\nwant:\n%s", got.String(), want)
	}
}

// Predict on one text equals the CLI on that text as one line.
func TestPredictIsOneLine(t *testing.T) {
	m := loadTiny(t, "tiny.bin")
	for _, text := range []string{"", "kato rimé", "kato\nrimé", "lu  sa\tni\n", "日de"} {
		var want bytes.Buffer
		line := strings.ReplaceAll(text, "\n", " ") + "\n"
		if err := m.WritePredictions(&want, strings.NewReader(line), 3, 0, true); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		for i, p := range m.Predict(text, 3, 0) {
			if i > 0 {
				got.WriteByte(' ')
			}
			got.WriteString(p.Label + " " + string(AppendCFloat(nil, float64(p.Prob), 6)))
		}
		got.WriteByte('\n')
		if got.String() != want.String() {
			t.Errorf("Predict(%q) = %q, the line gives %q", text, got.String(), want.String())
		}
	}
}

func TestPredictKAndThreshold(t *testing.T) {
	m := loadTiny(t, "tiny.bin")
	all := m.Predict("kato rimé lusa", -1, 0)
	if len(all) != 3 {
		t.Fatalf("k=-1 gave %d labels, want all 3", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].Prob > all[i-1].Prob {
			t.Errorf("not sorted: %v", all)
		}
	}
	if got := m.Predict("kato rimé lusa", 1, 0); len(got) != 1 || got[0] != all[0] {
		t.Errorf("k=1: %v, want %v", got, all[:1])
	}
	th := all[1].Prob
	for _, p := range m.Predict("kato rimé lusa", 5, th) {
		if p.Prob < th {
			t.Errorf("threshold %v let %v through", th, p)
		}
	}
	if got := m.Predict("kato rimé lusa", 5, 2); len(got) != 0 {
		t.Errorf("threshold 2: %v, want none", got)
	}
}

func TestLabels(t *testing.T) {
	m := loadTiny(t, "tiny.bin")
	got := m.Labels()
	if len(got) != 3 {
		t.Fatalf("labels %v", got)
	}
	for _, l := range got {
		if !strings.HasPrefix(l, "__label__c") {
			t.Errorf("label %q", l)
		}
	}
	got[0] = "changed"
	if m.Labels()[0] == "changed" {
		t.Error("Labels exposes the model's slice")
	}
}

// The hash must take bytes as signed chars: "é" (0xC3 0xA9) hashes
// differently from the textbook FNV-1a.
func TestHashSignedChar(t *testing.T) {
	fnv := func(s string) uint32 {
		h := uint32(2166136261)
		for i := 0; i < len(s); i++ {
			h = (h ^ uint32(s[i])) * 16777619
		}
		return h
	}
	if hash("abc") != fnv("abc") {
		t.Error("ASCII must hash as plain FNV-1a")
	}
	if hash("é") == fnv("é") {
		t.Error("bytes >= 0x80 must be sign-extended")
	}
	if got := hash("é"); got != 0x3cfa68c1 { // computed with the reference expression in C
		t.Errorf("hash(é) = %#x", got)
	}
}

func TestPredictAppendAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("skipped: sync.Pool drops items under the race detector")
	}
	for _, name := range []string{"tiny.bin", "tiny.ftz"} {
		m := loadTiny(t, name)
		dst := make([]Prediction, 0, 8)
		text := "kato rimé lusa zöni бора 日de unknownword"
		m.PredictAppend(dst, text, -1, 0)
		if n := testing.AllocsPerRun(100, func() { dst = m.PredictAppend(dst[:0], text, -1, 0) }); n != 0 {
			t.Errorf("%s: %v allocations per PredictAppend", name, n)
		}
	}
}

func TestPredictConcurrent(t *testing.T) {
	m := loadTiny(t, "tiny.ftz")
	texts := []string{"kato rimé", "lusa zöni", "бора", "日de ka", ""}
	want := make([][]Prediction, len(texts))
	for i, s := range texts {
		want[i] = m.Predict(s, -1, 0)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var dst []Prediction
			for n := 0; n < 200; n++ {
				i := n % len(texts)
				dst = m.PredictAppend(dst[:0], texts[i], -1, 0)
				if len(dst) != len(want[i]) || (len(dst) > 0 && dst[0] != want[i][0]) {
					t.Errorf("concurrent Predict(%q) = %v, want %v", texts[i], dst, want[i])
					return
				}
			}
		}()
	}
	wg.Wait()
}

// Every truncation of a valid file is an error naming the offset, never a
// panic; so are a wrong magic and a newer version.
func TestLoadErrors(t *testing.T) {
	for _, name := range []string{"tiny.bin", "tiny.ftz"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < len(data); n++ {
			_, err := Load(bytes.NewReader(data[:n]))
			if err == nil {
				t.Fatalf("%s truncated to %d bytes loaded", name, n)
			}
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "offset") {
				t.Fatalf("%s truncated to %d bytes: error %q lacks ErrFormat or the offset", name, n, err)
			}
		}
		bad := append([]byte(nil), data...)
		bad[0] ^= 1
		if _, err := Load(bytes.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "magic") {
			t.Errorf("bad magic: %v", err)
		}
		bad = append([]byte(nil), data...)
		bad[4] = 13
		if _, err := Load(bytes.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "version 13") {
			t.Errorf("version 13: %v", err)
		}
	}
	if _, err := LoadFile("testdata/missing.bin"); err == nil {
		t.Error("a missing file loaded")
	}
}

// A header claiming a huge matrix fails at the end of the data without
// allocating what it claims.
func TestLoadHugeClaim(t *testing.T) {
	data, err := os.ReadFile("testdata/tiny.bin")
	if err != nil {
		t.Fatal(err)
	}
	m := loadTiny(t, "tiny.bin")
	// The input matrix's row count follows the dictionary and the quant
	// flag; find it as the first int64 equal to nwords+bucket after the
	// labels.
	rows := int64(m.in.rows())
	var at int = -1
	for i := 0; i+8 <= len(data); i++ {
		if int64(uint64(data[i])|uint64(data[i+1])<<8|uint64(data[i+2])<<16|uint64(data[i+3])<<24) == rows && data[i+4] == 0 && data[i+5] == 0 && data[i+6] == 0 && data[i+7] == 0 {
			at = i
			break
		}
	}
	if at < 0 {
		t.Fatal("matrix header not found")
	}
	bad := append([]byte(nil), data...)
	bad[at+5] = 0x10 // about 2^44 rows
	var ms1, ms2 runtimeMem
	ms1.read()
	_, err = Load(bytes.NewReader(bad))
	ms2.read()
	if err == nil {
		t.Fatal("a huge claimed matrix loaded")
	}
	if grew := ms2.total - ms1.total; grew > 64<<20 {
		t.Errorf("loading allocated %d bytes", grew)
	}
}

// A file declaring absurd n-gram lengths is refused rather than left to
// expand every word quadratically.
func TestLoadRefusesHugeMaxn(t *testing.T) {
	data, err := os.ReadFile("testdata/tiny.bin")
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), data...)
	// args start at offset 8: dim ws epoch minCount neg wordNgrams loss
	// model bucket minn maxn, each an int32; maxn is the eleventh.
	binary.LittleEndian.PutUint32(bad[8+10*4:], 1<<30)
	if _, err := Load(bytes.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "maxn") {
		t.Errorf("maxn 2^30: %v", err)
	}
}

// Prediction sums rows as it finds them: a document that is one 4 MB
// token (a base64 blob in a crawl) under a char n-gram model costs the
// token's copy, not 4 bytes per n-gram (about 10 million of them here).
func TestPredictMemoryIndependentOfNgrams(t *testing.T) {
	m := loadTiny(t, "tiny.bin") // minn 2, maxn 3
	blob := strings.Repeat("QUJDRA", 700000)
	var before, after runtimeMem
	before.read()
	got := m.Predict(blob, 1, 0) // a fresh model: no scratch kept yet
	after.read()
	if grew := after.total - before.total; grew > 16<<20 {
		t.Errorf("predicting a 4 MB token allocated %d MB", grew>>20)
	}
	var want bytes.Buffer
	m.WritePredictions(&want, strings.NewReader(blob+"\n"), 1, 0, false)
	if len(got) != 1 || got[0].Label+"\n" != want.String() {
		t.Errorf("Predict %v, predict %q", got, want.String())
	}
}
