package job

import (
	"context"
	"errors"
	"iter"
	"os"
	"strings"

	"github.com/winnow-data/winnow/pipeline"
	"github.com/winnow-data/winnow/pipeline/input"
)

// Bounds of the passthrough sample (see sample).
const (
	sampleRecordsPerFile = 100
	sampleFiles          = 1000
)

// sample yields the documents from which the output types the input's
// passthrough fields: the first sampleRecordsPerFile records of each
// input file of the whole run (not this task's share), in the sorted file
// order, at most output.DefaultSampleRecords in all and from at most
// sampleFiles files. Every task of a run reads the same sample, so every
// task's shards get the same schema. Records that cannot be read are
// skipped: the run itself reports them.
func (c Config) sample(ctx context.Context, all []input.File, limit int) iter.Seq[*pipeline.Document] {
	iopts := input.Options{TextFields: c.Fields.Text, IDField: c.Fields.ID, URLField: c.Fields.URL, DateField: c.Fields.Date}
	return func(yield func(*pipeline.Document) bool) {
		n := 0
		for fi, f := range all {
			if fi >= sampleFiles || n >= limit || ctx.Err() != nil {
				return
			}
			if !rereadable(f) {
				continue // a pipe read here would lose its records for the run
			}
			src, err := input.Open(f, iopts)
			if err != nil {
				continue
			}
			dec, _ := src.(pipeline.Decoder)
			k := 0
			var doc pipeline.Document
			for rec, err := range src.Records(ctx) { // stopping closes the file
				if err != nil {
					var re *pipeline.RecordError
					if errors.As(err, &re) {
						continue
					}
					break
				}
				d := rec.Doc
				if d == nil {
					if dec == nil {
						continue
					}
					doc.Reset()
					if dec.Decode(rec.Raw, &doc) != nil {
						continue
					}
					d = &doc
				}
				if !yield(d) {
					return
				}
				n++
				if k++; k >= sampleRecordsPerFile || n >= limit {
					break
				}
			}
		}
	}
}

// rereadable reports whether f can be read for the sample and again for
// the run: an object or a regular local file, not a pipe, FIFO or device.
func rereadable(f input.File) bool {
	if f.Bucket != nil || strings.Contains(f.Path, "://") {
		return true
	}
	st, err := os.Stat(f.Path)
	return err == nil && st.Mode().IsRegular()
}
