package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/winnow-data/winnow/filters/classifier"
	"github.com/winnow-data/winnow/filters/fasttext"
	"github.com/winnow-data/winnow/pipeline"
	"github.com/winnow-data/winnow/pipeline/input"
	"github.com/winnow-data/winnow/pipeline/job"
)

// newClassifierCmd mirrors the fastText CLI's supervised commands, so a
// user's habits carry over; the work is filters/fasttext's.
func newClassifierCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "classifier",
		Short: "Train, test, quantize and run fastText classifiers (as the fasttext CLI does)",
		Long: `Work with fastText supervised classifiers (.bin, and .ftz when quantized),
in pure Go and with the reference CLI's file format and answers: a model
trained here loads in 'fasttext', and 'predict' prints what
'fasttext predict-prob' prints. The classifier stage of 'winnow run' uses
such a model to filter documents.`,
	}
	cmd.AddCommand(newClassifierTrainCmd(), newClassifierPredictCmd(stdout), newClassifierTestCmd(stdout), newClassifierQuantizeCmd())
	return cmd
}

func newClassifierTrainCmd() *cobra.Command {
	var (
		out        string
		labelField string
		textFields []string
		o          = fasttext.DefaultTrainOptions()
	)
	cmd := &cobra.Command{
		Use:   "train INPUT... -o MODEL.bin [flags]",
		Short: "Train a supervised fastText classifier, as 'fasttext supervised' does",
		Long: `Train a classifier on INPUT and write MODEL.bin, which 'fasttext' and the
classifier stage load. INPUT is a file in fastText format ("__label__x text"
per line) or, with --label-field, records in any format 'winnow run' reads
(JSONL, Parquet, ...): the label is that field (a string, a number or a
list), the text --text-field.

The flags are fastText's, with its defaults. With --threads 1 training is
deterministic and gives the model 'fasttext supervised -thread 1' gives, byte
for byte; more threads share the weights without locks (hogwild), as
fastText's do.`,
		Example: `  winnow classifier train train.txt -o quality.bin --word-ngrams 2 --epoch 10
  winnow classifier train pos.jsonl neg.jsonl --label-field label -o quality.bin
  winnow classifier train train.txt -o lid.bin --loss hs --minn 2 --maxn 4 --dim 16`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return job.UsageError("-o MODEL.bin is required")
			}
			input := args[0]
			if labelField != "" {
				tmp, err := os.CreateTemp("", "winnow-train-*.txt")
				if err != nil {
					return err
				}
				defer os.Remove(tmp.Name())
				td := &classifier.TrainingData{LabelField: labelField}
				err = writeTrainingData(cmd, td, tmp, args, textFields)
				if cerr := tmp.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "%d labelled records (%d without a label left out)\n", td.Lines, td.Unlabelled)
				input = tmp.Name()
			} else if len(args) > 1 {
				return job.UsageError("several inputs need --label-field (a fastText-format file is one INPUT)")
			}
			if cmd.Flags().Changed("lr") {
				o.LR = float64(float32(o.LR)) // fastText reads -lr as a float
			}
			m, err := fasttext.Train(cmd.Context(), input, o)
			if err != nil {
				if errors.Is(err, context.Canceled) {
					return err
				}
				return fmt.Errorf("%w: %w", job.ErrUsage, err)
			}
			if err := m.SaveFile(out); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%s: %d labels, dim %d\n", out, len(m.Labels()), m.Dim())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&out, "output", "o", "", "the model file to write (MODEL.bin)")
	f.StringVar(&labelField, "label-field", "", "records' field holding the label(s); unset: INPUT is in fastText format")
	f.StringSliceVar(&textFields, "text-field", []string{"text"}, "with --label-field: dotted path(s) of the text")
	f.IntVar(&o.Dim, "dim", o.Dim, "size of word vectors")
	f.IntVar(&o.Epoch, "epoch", o.Epoch, "number of epochs")
	f.Float64Var(&o.LR, "lr", o.LR, "learning rate")
	f.IntVar(&o.WordNgrams, "word-ngrams", o.WordNgrams, "max length of word n-grams")
	f.IntVar(&o.Minn, "minn", o.Minn, "min length of char n-grams")
	f.IntVar(&o.Maxn, "maxn", o.Maxn, "max length of char n-grams (0: none)")
	f.IntVar(&o.Bucket, "bucket", o.Bucket, "number of n-gram hash buckets")
	f.IntVar(&o.MinCount, "min-count", o.MinCount, "minimal number of word occurrences")
	f.IntVar(&o.MinCountLabel, "min-count-label", o.MinCountLabel, "minimal number of label occurrences")
	f.StringVar(&o.Loss, "loss", o.Loss, "loss function: softmax, hs, ova or ns")
	f.IntVar(&o.Neg, "neg", o.Neg, "negatives sampled (loss ns)")
	f.IntVar(&o.Threads, "threads", o.Threads, "training threads (1: deterministic)")
	f.IntVar(&o.Seed, "seed", o.Seed, "random seed")
	f.IntVar(&o.LRUpdateRate, "lr-update-rate", o.LRUpdateRate, "tokens between learning-rate updates")
	f.StringVar(&o.Label, "label", o.Label, "label prefix")
	return cmd
}

// writeTrainingData converts labelled records of the inputs into a
// fastText-format file.
func writeTrainingData(cmd *cobra.Command, td *classifier.TrainingData, w io.Writer, args, textFields []string) error {
	files, err := input.Expand(args)
	if err != nil {
		return fmt.Errorf("%w: %w", job.ErrUsage, err)
	}
	iopts := input.Options{TextFields: textFields}
	var sources []pipeline.Source
	for _, f := range files {
		src, err := input.Open(f, iopts)
		if err != nil {
			return fmt.Errorf("opening %s: %w", f.Path, err)
		}
		sources = append(sources, src)
	}
	if err := td.Write(cmd.Context(), w, sources, 0); err != nil {
		return err
	}
	if td.Stats != nil && len(td.Stats.InputErrors) > 0 {
		return fmt.Errorf("%d input file(s) damaged: %v", len(td.Stats.InputErrors), td.Stats.InputErrors[0])
	}
	return nil
}

func newClassifierQuantizeCmd() *cobra.Command {
	var (
		out string
		o   = fasttext.DefaultQuantizeOptions()
	)
	cmd := &cobra.Command{
		Use:   "quantize MODEL.bin [-o MODEL.ftz] [flags]",
		Short: "Compress a model to .ftz, as 'fasttext quantize' does",
		Long: `Product-quantize MODEL.bin's vectors (and, with --qout, its classifier) into
a .ftz file, typically 10-100x smaller. --cutoff keeps only the words and
n-grams of largest norm; --retrain then fine-tunes them on --input. The
result equals 'fasttext quantize' with the same flags (--threads 1 when
retraining).`,
		Example: `  winnow classifier quantize quality.bin
  winnow classifier quantize quality.bin -o small.ftz --qnorm --cutoff 100000 --retrain --input train.txt`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				out = strings.TrimSuffix(args[0], ".bin") + ".ftz"
			}
			if o.Retrain && o.Input == "" {
				return job.UsageError("--retrain needs --input (the training data)")
			}
			if cmd.Flags().Changed("lr") {
				o.LR = float64(float32(o.LR)) // fastText reads -lr as a float
			}
			m, err := fasttext.LoadFile(args[0])
			if err != nil {
				return err
			}
			if err := m.Quantize(cmd.Context(), o); err != nil {
				return fmt.Errorf("%w: %s: %w", job.ErrUsage, args[0], err)
			}
			return m.SaveFile(out)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&out, "output", "o", "", "the .ftz file to write (default MODEL.ftz)")
	f.IntVar(&o.Dsub, "dsub", o.Dsub, "size of each sub-vector")
	f.BoolVar(&o.Qnorm, "qnorm", false, "quantize the norms separately")
	f.BoolVar(&o.Qout, "qout", false, "quantize the classifier too (256 labels or more)")
	f.IntVar(&o.Cutoff, "cutoff", 0, "number of words and n-grams to keep (0: all)")
	f.BoolVar(&o.Retrain, "retrain", false, "with --cutoff: fine-tune the kept vectors on --input")
	f.StringVar(&o.Input, "input", "", "training data for --retrain (fastText format)")
	f.IntVar(&o.Epoch, "epoch", o.Epoch, "retraining epochs")
	f.Float64Var(&o.LR, "lr", o.LR, "retraining learning rate")
	f.IntVar(&o.Threads, "threads", o.Threads, "retraining threads (1: deterministic)")
	return cmd
}

// usageArgs makes a wrong argument count a usage error (exit status 2).
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return job.UsageError("%s: %v", cmd.CommandPath(), err)
		}
		return nil
	}
}

// openInput opens INPUT, "-" being standard input.
func openInput(cmd *cobra.Command, name string) (io.Reader, func(), error) {
	if name == "-" {
		return cmd.InOrStdin(), func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

// kAndThreshold parses the optional K and THRESHOLD arguments.
func kAndThreshold(args []string) (int, float32, error) {
	k, th := 1, float32(0)
	if len(args) > 0 {
		v, err := strconv.Atoi(args[0])
		if err != nil || v == 0 || v < -1 {
			return 0, 0, job.UsageError("K %q: want a positive number of labels, or -1 for all", args[0])
		}
		k = v
	}
	if len(args) > 1 {
		v, err := strconv.ParseFloat(args[1], 32)
		if err != nil {
			return 0, 0, job.UsageError("THRESHOLD %q: want a probability", args[1])
		}
		th = float32(v)
	}
	return k, th, nil
}

func newClassifierPredictCmd(stdout io.Writer) *cobra.Command {
	var noProb bool
	cmd := &cobra.Command{
		Use:   "predict MODEL INPUT [K] [THRESHOLD]",
		Short: "Print the K most probable labels of each line of INPUT with their probabilities",
		Long: `For each line of INPUT ("-" for standard input), print the K (default 1;
-1 for all) most probable labels whose probability reaches THRESHOLD
(default 0), each followed by its probability: byte for byte what
'fasttext predict-prob MODEL INPUT K THRESHOLD' prints.`,
		Example: `  winnow classifier predict quality.bin pages.txt
  winnow classifier predict lid.176.ftz - 3 0.1 < lines.txt`,
		Args: usageArgs(cobra.RangeArgs(2, 4)),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, in, k, th, done, err := modelAndInput(cmd, args)
			if err != nil {
				return err
			}
			defer done()
			return m.WritePredictions(stdout, in, k, th, !noProb)
		},
	}
	cmd.Flags().BoolVar(&noProb, "no-prob", false, "print the labels only, as 'fasttext predict' does")
	cmd.Flags().SetInterspersed(false) // K may be -1
	return cmd
}

// modelAndInput reads the arguments MODEL INPUT [K] [THRESHOLD] of
// predict and test: the model loaded, INPUT opened (done closes it), K
// and the threshold.
func modelAndInput(cmd *cobra.Command, args []string) (*fasttext.Model, io.Reader, int, float32, func(), error) {
	k, th, err := kAndThreshold(args[2:])
	if err != nil {
		return nil, nil, 0, 0, nil, err
	}
	m, err := fasttext.LoadFile(args[0])
	if err != nil {
		return nil, nil, 0, 0, nil, err
	}
	in, done, err := openInput(cmd, args[1])
	if err != nil {
		return nil, nil, 0, 0, nil, err
	}
	return m, in, k, th, done, nil
}

func newClassifierTestCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "test MODEL INPUT [K] [THRESHOLD]",
		Short: "Print N, P@K and R@K of the model on labelled lines, as 'fasttext test' does",
		Long: `Evaluate MODEL on INPUT ("-" for standard input), lines in fastText format
("__label__x text"): print the number of lines with a known label and a
known word (N), and the precision and recall of the K (default 1) most
probable labels reaching THRESHOLD (default 0) — what 'fasttext test'
prints.`,
		Example: `  winnow classifier test quality.bin valid.txt
  winnow classifier test quality.bin valid.txt 2`,
		Args: usageArgs(cobra.RangeArgs(2, 4)),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, in, k, th, done, err := modelAndInput(cmd, args)
			if err != nil {
				return err
			}
			defer done()
			res, err := m.Test(in, k, th)
			if err != nil {
				return fmt.Errorf("%s: %w", args[1], err)
			}
			_, err = res.WriteTo(stdout)
			return err
		},
	}
	cmd.Flags().SetInterspersed(false) // K may be -1
	return cmd
}
