#!/bin/sh
# Submits the steps of this winnow run in order, as 'winnow launch slurm'
# does: each step is an array job that starts when every task of the step
# before has succeeded (afterok). Tasks that finished in an earlier run
# exit at once, so running this again resumes the run.
set -eu
cd "$(dirname "$0")"
j1=$(sbatch --parsable 01-observe-exact_dedup.sbatch | cut -d';' -f1)
echo "observe-exact_dedup: job $j1"
j2=$(sbatch --parsable --dependency=afterok:$j1 02-prepare-exact_dedup.sbatch | cut -d';' -f1)
echo "prepare-exact_dedup: job $j2"
j3=$(sbatch --parsable --dependency=afterok:$j2 03-write.sbatch | cut -d';' -f1)
echo "write: job $j3"
j4=$(sbatch --parsable --dependency=afterok:$j3 04-merge.sbatch | cut -d';' -f1)
echo "merge: job $j4"
