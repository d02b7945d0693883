package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/winnow-data/winnow/dedup/dupstats"
	"github.com/winnow-data/winnow/dedup/minhash"
	"github.com/winnow-data/winnow/pipeline"
	"github.com/winnow-data/winnow/pipeline/job"
)

// newDupstatsCmd is `winnow dupstats`: duplicate rates of the inputs,
// measured with the minhash stage's machinery, nothing written.
func newDupstatsCmd(stdout io.Writer) *cobra.Command {
	var (
		asJSON bool
		langid bool
		c      = minhash.DefaultConfig()
		in     = job.Defaults() // inputs and fields only
		work   int
	)
	cmd := &cobra.Command{
		Use:   "dupstats INPUT... [--json] [--threshold J]",
		Short: "Measure exact and near-duplicate rates without writing a dataset",
		Long: `Read every INPUT and report the share of documents exact_dedup and minhash
would remove (near duplicates include exact ones), per language and per input
file, the cluster-size histogram and the 10 largest clusters. Nothing is
written but the report; --json prints it as one object with every parameter.`,
		Example: `  winnow dupstats crawl/ --json
  winnow dupstats 'crawl/*.jsonl.zst' --threshold 0.7 --langid`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if cmd.Flags().Changed("threshold") && !cmd.Flags().Changed("bands") {
				c.Bands, c.Rows = 0, 0 // choose the banding for the threshold
			}
			if _, err := minhash.New(c); err != nil {
				return fmt.Errorf("%w: %w", job.ErrUsage, err)
			}
			in.Inputs = args
			sources, err := in.Sources(ctx)
			if err != nil {
				return err
			}
			opts := dupstats.Options{MinHash: c, Workers: work}
			if langid {
				spec, ok := pipeline.Lookup("langid")
				if !ok {
					return fmt.Errorf("%w: --langid: no langid stage in this build", job.ErrUsage)
				}
				p, err := spec.NewParams(nil)
				if err != nil {
					return err
				}
				st, err := spec.New(p)
				if err != nil {
					return err
				}
				opts.Before = []pipeline.Stage{st}
			}
			r, err := dupstats.Measure(ctx, sources, opts)
			if err != nil {
				return err
			}
			if asJSON {
				err = r.WriteJSON(stdout)
			} else {
				err = r.WriteTable(stdout)
			}
			if err != nil {
				return err
			}
			if len(r.InputErrors) > 0 {
				return exitError{exitDamaged}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	f.Float64Var(&c.Threshold, "threshold", c.Threshold, "Jaccard similarity from which documents are near duplicates")
	f.IntVar(&c.NumPerm, "num-perm", c.NumPerm, "signature length")
	f.IntVar(&c.Bands, "bands", 0, "LSH bands (0: chosen for the threshold)")
	f.IntVar(&c.Rows, "rows", 0, "rows per band (0: chosen with bands)")
	f.IntVar(&c.ShingleWords, "shingle-words", c.ShingleWords, "words per shingle")
	f.BoolVar(&c.Verify, "verify", c.Verify, "link LSH candidates only when their estimated similarity reaches the threshold")
	f.BoolVar(&c.PerLanguage, "per-language", false, "count duplicates within each language only")
	f.BoolVar(&langid, "langid", false, "identify languages first (otherwise rates per language use the input's lang field)")
	f.StringVar(&c.WorkDir, "work-dir", "", "directory for the index's spill files")
	f.StringSliceVar(&in.Fields.Text, "text-field", in.Fields.Text, "dotted path(s) of the text")
	f.StringVar(&in.Fields.ID, "id-field", in.Fields.ID, "dotted path of the record id")
	f.StringVar(&in.Fields.URL, "url-field", in.Fields.URL, "dotted path of the URL")
	f.StringVar(&in.Fields.Date, "date-field", in.Fields.Date, "dotted path of the date")
	inputFlags(cmd, &in)
	f.IntVar(&work, "workers", 0, "cores to use (default all)")
	return cmd
}
