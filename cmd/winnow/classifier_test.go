package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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
	want, _ := os.ReadFile(ftdata + "/tiny.test")
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
				ID    string
				Label string  `json:"classifier.label"`
				Score float64 `json:"classifier.score"`
			}
			if err := json.Unmarshal(line, &r); err != nil {
				t.Fatal(err)
			}
			kept[r.ID] = true
			if r.Score != float64(prob[r.ID]) && fmt.Sprint(r.Score) != fmt.Sprint(prob[r.ID]) || r.Label == "" {
				t.Errorf("%s: columns score %v label %q, want %v", r.ID, r.Score, r.Label, prob[r.ID])
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
