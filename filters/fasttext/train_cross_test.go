package fasttext

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// cliArgs renders o as `fasttext supervised` arguments.
func cliArgs(o TrainOptions) []string {
	return []string{"-dim", strconv.Itoa(o.Dim), "-epoch", strconv.Itoa(o.Epoch), "-lr", strconv.FormatFloat(o.LR, 'g', -1, 64),
		"-wordNgrams", strconv.Itoa(o.WordNgrams), "-minCount", strconv.Itoa(o.MinCount), "-minn", strconv.Itoa(o.Minn),
		"-maxn", strconv.Itoa(o.Maxn), "-bucket", strconv.Itoa(o.Bucket), "-loss", o.Loss, "-neg", strconv.Itoa(o.Neg),
		"-thread", strconv.Itoa(o.Threads), "-seed", strconv.Itoa(o.Seed)}
}

// With one thread, training is deterministic in the reference, and
// winnow's model is the CLI's byte for byte.
func TestTrainOneThreadEqualsCLI(t *testing.T) {
	bin := fasttextCLI(t)
	dir := t.TempDir()
	lines := corpus(11, 5, 1500)
	train := filepath.Join(dir, "train.txt")
	os.WriteFile(train, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	for _, c := range []struct {
		name string
		mod  func(*TrainOptions)
	}{
		{"softmax_bigrams", func(o *TrainOptions) { o.WordNgrams = 2; o.Bucket = 10000 }},
		{"hs_subwords", func(o *TrainOptions) { o.Loss = "hs"; o.Minn, o.Maxn = 2, 4; o.Bucket = 10000 }},
		{"ova", func(o *TrainOptions) { o.Loss = "ova"; o.WordNgrams = 3; o.Bucket = 5000; o.MinCount = 2 }},
		{"ns", func(o *TrainOptions) { o.Loss = "ns"; o.Neg = 3; o.Seed = 7; o.LR = 0.5 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := DefaultTrainOptions()
			o.Dim, o.Epoch, o.Threads = 10, 3, 1
			c.mod(&o)
			out := filepath.Join(dir, c.name)
			runCLI(t, bin, append([]string{"supervised", "-input", train, "-output", out, "-verbose", "0"}, cliArgs(o)...)...)
			want, err := os.ReadFile(out + ".bin")
			if err != nil {
				t.Fatal(err)
			}
			o.LR = float64(float32(o.LR)) // the CLI reads -lr as a float
			m, err := Train(context.Background(), train, o)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := m.Save(&got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				n := 0
				for n < len(want) && n < got.Len() && want[n] == got.Bytes()[n] {
					n++
				}
				t.Errorf("model differs from the CLI's (%d and %d bytes) from byte %d", got.Len(), len(want), n)
			}
		})
	}
}

// Quantizing a CLI-trained model gives the CLI's .ftz byte for byte
// (one thread when retraining).
func TestQuantizeEqualsCLI(t *testing.T) {
	bin := fasttextCLI(t)
	dir := t.TempDir()
	// Two base models: five labels, and 260 for -qout (which needs 256).
	bases := map[string]string{}
	for name, classes := range map[string]int{"few": 5, "many": 260} {
		lines := corpus(12, classes, 2000)
		train := filepath.Join(dir, name+".txt")
		os.WriteFile(train, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
		base := filepath.Join(dir, name)
		runCLI(t, bin, "supervised", "-input", train, "-output", base, "-verbose", "0", "-thread", "1",
			"-dim", "8", "-epoch", "2", "-wordNgrams", "2", "-minn", "2", "-maxn", "3", "-bucket", "2000")
		bases[name] = base
	}
	for _, c := range []struct {
		name, base string
		args       []string
		o          func(*QuantizeOptions)
	}{
		{"plain", "few", nil, func(o *QuantizeOptions) {}},
		{"qnorm_dsub3", "few", []string{"-qnorm", "-dsub", "3"}, func(o *QuantizeOptions) { o.Qnorm, o.Dsub = true, 3 }},
		{"qout_cutoff", "many", []string{"-qout", "-qnorm", "-cutoff", "1000"}, func(o *QuantizeOptions) { o.Qout, o.Qnorm, o.Cutoff = true, true, 1000 }},
		{"retrain", "few", []string{"-cutoff", "600", "-retrain", "-epoch", "1", "-lr", "0.1", "-thread", "1"}, func(o *QuantizeOptions) {
			o.Cutoff, o.Retrain, o.Epoch, o.LR, o.Threads, o.Input = 600, true, 1, float64(float32(0.1)), 1, bases["few"]+".txt"
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			base := bases[c.base]
			out := filepath.Join(dir, c.name)
			raw, _ := os.ReadFile(base + ".bin")
			os.WriteFile(out+".bin", raw, 0o644)
			runCLI(t, bin, append([]string{"quantize", "-input", base + ".txt", "-output", out, "-verbose", "0"}, c.args...)...)
			want, err := os.ReadFile(out + ".ftz")
			if err != nil {
				t.Fatal(err)
			}
			m, err := LoadFile(base + ".bin")
			if err != nil {
				t.Fatal(err)
			}
			o := DefaultQuantizeOptions()
			c.o(&o)
			if err := m.Quantize(context.Background(), o); err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := m.Save(&got); err != nil {
				t.Fatal(err)
			}
			// The reference writes the pruned index in its hash map's
			// order; written back in key order, the files must be equal.
			ref, err := Load(bytes.NewReader(want))
			if err != nil {
				t.Fatal(err)
			}
			var norm bytes.Buffer
			if err := ref.Save(&norm); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), norm.Bytes()) {
				n := 0
				for n < norm.Len() && n < got.Len() && norm.Bytes()[n] == got.Bytes()[n] {
					n++
				}
				t.Errorf(".ftz differs from the CLI's (%d and %d bytes) from byte %d", got.Len(), norm.Len(), n)
			}
		})
	}
}

// Hogwild training (several threads updating shared weights without
// locks, as the reference does) reaches the CLI's precision: both models,
// trained with two threads on the same data, are scored by the CLI's own
// test on held-out lines.
func TestTrainThreadsPrecisionNearCLI(t *testing.T) {
	if raceEnabled {
		t.Skip("skipped: hogwild training races by design")
	}
	bin := fasttextCLI(t)
	dir := t.TempDir()
	lines := corpus(21, 8, 14000)
	train, valid := filepath.Join(dir, "train.txt"), filepath.Join(dir, "valid.txt")
	os.WriteFile(train, []byte(strings.Join(lines[:10000], "\n")+"\n"), 0o644)
	os.WriteFile(valid, []byte(strings.Join(lines[10000:], "\n")+"\n"), 0o644)
	for _, loss := range []string{"softmax", "hs", "ova"} {
		o := DefaultTrainOptions()
		o.Dim, o.Epoch, o.Threads, o.WordNgrams, o.Bucket, o.Loss = 16, 5, 2, 2, 100000, loss
		cliModel := filepath.Join(dir, "cli-"+loss)
		runCLI(t, bin, append([]string{"supervised", "-input", train, "-output", cliModel, "-verbose", "0"}, cliArgs(o)...)...)
		o.LR = float64(float32(o.LR))
		m, err := Train(context.Background(), train, o)
		if err != nil {
			t.Fatal(err)
		}
		ours := filepath.Join(dir, "ours-"+loss+".bin")
		if err := m.SaveFile(ours); err != nil {
			t.Fatal(err)
		}
		p1 := func(model string) float64 {
			out := runCLI(t, bin, "test", model, valid)
			for _, l := range strings.Split(out, "\n") {
				if v, ok := strings.CutPrefix(l, "P@1\t"); ok {
					f, _ := strconv.ParseFloat(v, 64)
					return f
				}
			}
			t.Fatalf("no P@1 in %q", out)
			return 0
		}
		a, b := p1(cliModel+".bin"), p1(ours)
		t.Logf("%s: P@1 CLI %.3f, winnow %.3f", loss, a, b)
		if b < a-0.01 {
			t.Errorf("%s: winnow's P@1 %.3f is more than a point below the CLI's %.3f", loss, b, a)
		}
	}
}
