package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/winnow-data/winnow/filters/kloutliers"
	"github.com/winnow-data/winnow/pipeline"
	"github.com/winnow-data/winnow/pipeline/job"
)

// newReferenceCmd returns `winnow reference`, whose `build` subcommand
// saves the token-distribution reference the kl_outliers stage loads.
func newReferenceCmd() *cobra.Command {
	ref := &cobra.Command{
		Use:   "reference",
		Short: "Build token-distribution references for the kl_outliers stage",
	}
	var (
		out        string
		configPath string
		stages     []string
		width      int
		c          = job.Defaults()
	)
	build := &cobra.Command{
		Use:   "build INPUT... -o ref.bin",
		Short: "Count the words of each language of the inputs into a reference file",
		Long: `Read every INPUT, run the stages that come before kl_outliers in the default
pipeline (extraction, language identification, filters; --stages to choose),
count the words of each kept document per language in a fixed-size sketch,
and save it. Use it with: winnow run ... --config with
stages: {kl_outliers: {reference: ref.bin}}.`,
		Example: `  winnow reference build 'crawl/*.jsonl.zst' -o ref.bin
  winnow reference build data/ -o ref.bin --stages langid --langs en,de`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("%w: -o is required", job.ErrUsage)
			}
			if configPath != "" {
				fromFile, err := job.Load(configPath)
				if err != nil {
					return err
				}
				fromFile.Fields, fromFile.Workers = c.Fields, max(c.Workers, fromFile.Workers)
				if cmd.Flags().Changed("langs") {
					fromFile.Langs = c.Langs
				}
				if cmd.Flags().Changed("include") {
					fromFile.Include = c.Include
				}
				if cmd.Flags().Changed("exclude") {
					fromFile.Exclude = c.Exclude
				}
				c = fromFile
			}
			if c.Workers > 0 {
				runtime.GOMAXPROCS(c.Workers)
			}
			c.Only = stages
			if !cmd.Flags().Changed("stages") {
				c.Only = []string{"none"}
				var names []string
				for _, s := range pipeline.Specs() {
					if s.Default && s.Order < kloutliers.Order {
						names = append(names, s.Name)
					}
				}
				if len(names) > 0 {
					c.Only = names
				}
			}
			c.Mode, c.Skip = "", nil
			st, err := c.BuildStages()
			if err != nil {
				return err
			}
			b, err := kloutliers.NewBuilder(width)
			if err != nil {
				return fmt.Errorf("%w: %w", job.ErrUsage, err)
			}
			c.Inputs = args
			// Interrupting ends the reading (and a wait on a pipe).
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			sources, err := c.Sources(ctx)
			if err != nil {
				return err
			}
			st = append(st, builderStage{b})
			stats, err := pipeline.Run(ctx, sources, discard{}, pipeline.Options{Stages: st, Workers: c.Workers})
			if err != nil {
				return err
			}
			r := b.Reference()
			if err := kloutliers.SaveFile(r, out); err != nil {
				return err
			}
			w := cmd.ErrOrStderr()
			fmt.Fprintf(w, "%s: %d documents read, %d counted\n", out, stats.DocsIn, stats.DocsOut)
			for lang, s := range r.Langs() {
				fmt.Fprintf(w, "  %-4s %9d docs %12d words\n", lang, s.Docs, s.Tokens)
			}
			if len(stats.InputErrors) > 0 {
				fmt.Fprintf(w, "winnow: %d input file(s) damaged; intact records counted\n", len(stats.InputErrors))
				return exitError{exitDamaged}
			}
			return nil
		},
	}
	f := build.Flags()
	f.StringVarP(&out, "output", "o", "", "reference file to write (required)")
	f.StringVar(&configPath, "config", "", "YAML file with the run's settings (stage parameters, fields)")
	f.StringSliceVar(&stages, "stages", nil, "stages to run before counting (default: the default pipeline's stages before kl_outliers)")
	f.IntVar(&width, "sketch-width", kloutliers.DefaultWidth, "counters per sketch row (power of two); the file's stage must use the same")
	f.StringSliceVar(&c.Langs, "langs", nil, "count only documents in these languages")
	f.StringSliceVar(&c.Fields.Text, "text-field", c.Fields.Text, "dotted path(s) of the text")
	f.StringVar(&c.Fields.ID, "id-field", c.Fields.ID, "dotted path of the record id")
	f.StringVar(&c.Fields.URL, "url-field", c.Fields.URL, "dotted path of the URL")
	f.IntVar(&c.Workers, "workers", 0, "cores to use (default all)")
	inputFlags(build, &c)
	ref.AddCommand(build)
	return ref
}

// builderStage counts every document that reaches it into the reference.
type builderStage struct{ b *kloutliers.Builder }

func (s builderStage) Name() string { return "reference" }

func (s builderStage) Process(doc *pipeline.Document) (string, error) {
	s.b.Add(doc)
	return "", nil
}

// discard is the sink of a counting run: nothing is written.
type discard struct{}

func (discard) Write([]*pipeline.Document) error            { return nil }
func (discard) Reject([]*pipeline.Document, []string) error { return nil }
func (discard) Close() error                                { return nil }
func (discard) Abort() error                                { return nil }
