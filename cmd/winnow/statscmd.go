package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/winnow-data/winnow/pipeline/job"
	"github.com/winnow-data/winnow/pipeline/storage"
)

func newStatsCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "stats",
		Short: "Work with a run's accounting",
	}
	var tasks int
	merge := &cobra.Command{
		Use:   "merge OUT",
		Short: "Merge the accounting of every task of a cluster run into OUT/stats.json",
		Long: `Read the completion marker of every write task under OUT/_tasks/write/ and
write their combined accounting to OUT/stats.json (what the merge step of
'winnow launch' does). Fails (status 1), naming them, if tasks have not
finished: the run's task count is --tasks, or else the one the markers
record. Exits 3 when some input files were damaged.`,
		Example: `  winnow stats merge out/
  winnow stats merge s3://bucket/clean/ --tasks 64`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := storage.CheckLocation(args[0]); err != nil {
				return fmt.Errorf("%w: %w", job.ErrUsage, err)
			}
			stats, err := job.MergeStatsTo(cmd.Context(), args[0], tasks)
			if err != nil {
				return err
			}
			stats.Summary(stderr)
			fmt.Fprintf(stdout, "%s/stats.json: %d documents in, %d kept\n", args[0], stats.DocsIn, stats.DocsOut)
			if len(stats.InputErrors) > 0 {
				return exitError{exitDamaged}
			}
			return nil
		},
	}
	merge.Flags().IntVar(&tasks, "tasks", 0, "number of write tasks (default: counted from the markers)")
	root.AddCommand(merge)
	return root
}
