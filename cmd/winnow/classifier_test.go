package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/winnow-data/winnow/filters/fasttext"
)

// The tiny models and the reference CLI's outputs on them (see
// filters/fasttext/testdata/README.md).
const ftdata = "../../filters/fasttext/testdata"

func winnowOut(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestClassifierPredictPrintsWhatFasttextPrints(t *testing.T) {
	for _, c := range []struct {
		args   []string
		golden string
	}{
		{[]string{"tiny.bin", "tiny-test.txt", "-1"}, "tiny.bin.predict-prob"},
		{[]string{"tiny.ftz", "tiny-test.txt", "2", "0.1"}, "tiny.ftz.predict-prob"},
	} {
		args := []string{"classifier", "predict", filepath.Join(ftdata, c.args[0]), filepath.Join(ftdata, c.args[1])}
		code, out, msg := winnowOut(t, append(args, c.args[2:]...)...)
		want, _ := os.ReadFile(filepath.Join(ftdata, c.golden))
		if code != 0 || out != string(want) {
			t.Errorf("%v: exit %d %s\n%s\nwant\n%s", c.args, code, msg, out, want)
		}
	}
}

func TestClassifierTestPrintsWhatFasttextPrints(t *testing.T) {
	_, a, _ := winnowOut(t, "classifier", "test", ftdata+"/tiny.bin", ftdata+"/tiny-test.txt")
	_, b, _ := winnowOut(t, "classifier", "test", ftdata+"/tiny.ftz", ftdata+"/tiny-test.txt", "2")
	want, err := os.ReadFile(ftdata + "/tiny.test-output")
	if err != nil {
		t.Fatal(err)
	}
	if a+b != string(want) {
		t.Errorf("got\n%s%s\nwant\n%s", a, b, want)
	}
}

func TestClassifierUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"classifier", "predict", ftdata + "/tiny.bin"},
		{"classifier", "predict", ftdata + "/tiny.bin", "-", "0"},
		{"classifier", "test", ftdata + "/tiny.bin", "-", "x"},
	} {
		if code, _, msg := winnowOut(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d (%s), want 2", args, code, msg)
		}
	}
	if code, _, msg := winnowOut(t, "classifier", "predict", ftdata+"/tiny-test.txt", "-"); code != exitFailure || !strings.Contains(msg, "tiny-test.txt") {
		t.Errorf("not a model: exit %d %q", code, msg)
	}
}

// winnow run --only classifier keeps exactly the documents whose
// probability for the label reaches min_score.
func TestRunClassifierKeepsExactlyAboveMinScore(t *testing.T) {
	m, err := fasttext.LoadFile(ftdata + "/tiny.bin")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "docs.jsonl")
	lines, _ := os.ReadFile(ftdata + "/tiny-test.txt")
	var jsonl bytes.Buffer
	prob := map[string]float32{}
	for i, l := range strings.Split(string(lines), "\n")[:50] { // the held-out lines
		text := strings.Join(strings.Fields(l)[1:], " ")
		id := fmt.Sprintf("d%02d", i)
		fmt.Fprintf(&jsonl, "{\"id\":%q,\"text\":%q}\n", id, text)
		for _, p := range m.Predict(text, -1, 0) {
			if p.Label == "__label__c0" {
				prob[id] = p.Prob
			}
		}
	}
	os.WriteFile(in, jsonl.Bytes(), 0o644)
	// The threshold is one document's own probability: it must be kept.
	min := prob["d07"]
	cfg := filepath.Join(dir, "winnow.yaml")
	os.WriteFile(cfg, fmt.Appendf(nil, "stages:\n  classifier:\n    model: %s\n    label: c0\n    min_score: %v\n",
		filepath.Join(ftdata, "tiny.bin"), min), 0o644)
	out := filepath.Join(dir, "out")
	if code, msg := winnow(t, "run", in, "-o", out, "--config", cfg, "--only", "classifier", "--output-format", "jsonl", "-q"); code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	kept := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(out, "lang=*", "*.jsonl.zst"))
	zr, _ := zstd.NewReader(nil)
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		plain, err := zr.DecodeAll(raw, nil)
		if err != nil {
			t.Fatal(err)
		}
		for line := range bytes.Lines(plain) {
			var r struct {
				ID         string
				Label      string `json:"classifier_label"`
				Classifier struct {
					Score float64 `json:"score"`
				} `json:"classifier"`
			}
			if err := json.Unmarshal(line, &r); err != nil {
				t.Fatal(err)
			}
			kept[r.ID] = true
			if score := r.Classifier.Score; score != float64(prob[r.ID]) && fmt.Sprint(score) != fmt.Sprint(prob[r.ID]) || r.Label == "" {
				t.Errorf("%s: columns score %v label %q, want %v", r.ID, score, r.Label, prob[r.ID])
			}
		}
	}
	want := 0
	for id, p := range prob {
		if (p >= min) != kept[id] {
			t.Errorf("%s: probability %v, min_score %v, kept %v", id, p, min, kept[id])
		}
		if p >= min {
			want++
		}
	}
	if len(kept) != want || want == 0 || want == len(prob) {
		t.Errorf("kept %d of %d, want %d (a threshold that splits)", len(kept), len(prob), want)
	}
	st := readStats(t, filepath.Join(out, "stats.json"))
	if fmt.Sprint(st) == "" {
		t.Error("no stats")
	}
}

// winnow classifier train with one thread writes the model the reference
// CLI wrote (testdata/tiny.bin), byte for byte; quantize gives a .ftz that
// predicts as the CLI's.
func TestClassifierTrainAndQuantizeMatchTheCLI(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.bin")
	code, _, msg := winnowOut(t, "classifier", "train", ftdata+"/tiny-train.txt", "-o", model, "--threads", "1",
		"--dim", "4", "--bucket", "300", "--minn", "2", "--maxn", "3", "--word-ngrams", "2", "--epoch", "10")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	got, _ := os.ReadFile(model)
	want, _ := os.ReadFile(ftdata + "/tiny.bin")
	if !bytes.Equal(got, want) {
		t.Error("the trained model differs from the reference CLI's")
	}
	if code, _, msg := winnowOut(t, "classifier", "quantize", model, "--dsub", "2", "--qnorm", "--cutoff", "280"); code != 0 {
		t.Fatalf("quantize: exit %d: %s", code, msg)
	}
	_, out, _ := winnowOut(t, "classifier", "predict", filepath.Join(dir, "m.ftz"), ftdata+"/tiny-test.txt", "2", "0.1")
	golden, _ := os.ReadFile(ftdata + "/tiny.ftz.predict-prob")
	if out != string(golden) {
		t.Error("the quantized model predicts differently from the reference CLI's")
	}
}

// --label-field trains on records: labels from a string, a number or a
// list; records without one are left out.
func TestClassifierTrainFromRecords(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "docs.jsonl")
	var b strings.Builder
	for i := 0; i < 200; i++ {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "{\"text\":\"good clean prose\\nabout science %d\",\"label\":\"hq\"}\n", i)
		case 1:
			fmt.Fprintf(&b, "{\"text\":\"buy cheap spam now %d\",\"label\":[\"lq\"]}\n", i)
		case 2:
			fmt.Fprintf(&b, "{\"text\":\"click here spam %d\",\"label\":0}\n", i)
		default:
			fmt.Fprintf(&b, "{\"text\":\"no label %d\"}\n", i)
		}
	}
	os.WriteFile(in, []byte(b.String()), 0o644)
	model := filepath.Join(dir, "q.bin")
	code, _, msg := winnowOut(t, "classifier", "train", in, "--label-field", "label", "-o", model, "--threads", "1", "--epoch", "20", "--dim", "8")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	if !strings.Contains(msg, "150 labelled records (50 without a label left out)") {
		t.Errorf("summary: %s", msg)
	}
	m, err := fasttext.LoadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	labels := m.Labels()
	slices.Sort(labels)
	if got := strings.Join(labels, " "); got != "__label__0 __label__hq __label__lq" {
		t.Errorf("labels %q", got)
	}
	if p := m.Predict("good clean prose about science", 1, 0); len(p) == 0 || p[0].Label != "__label__hq" {
		t.Errorf("prediction %v", p)
	}
	if code, _, _ := winnowOut(t, "classifier", "train", in, "-o", model); code != exitUsage {
		t.Errorf("JSONL without --label-field: exit %d, want 2 (no labels)", code)
	}
}
