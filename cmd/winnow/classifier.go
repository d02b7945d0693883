package main

import (
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/winnow-data/winnow/filters/fasttext"
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
	cmd.AddCommand(newClassifierPredictCmd(stdout), newClassifierTestCmd(stdout))
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
			k, th, err := kAndThreshold(args[2:])
			if err != nil {
				return err
			}
			m, err := fasttext.LoadFile(args[0])
			if err != nil {
				return err
			}
			in, done, err := openInput(cmd, args[1])
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
			k, th, err := kAndThreshold(args[2:])
			if err != nil {
				return err
			}
			m, err := fasttext.LoadFile(args[0])
			if err != nil {
				return err
			}
			in, done, err := openInput(cmd, args[1])
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
