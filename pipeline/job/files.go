package job

import (
	"context"
	"fmt"

	"github.com/winnow-data/winnow/pipeline/storage"
)

// outputDir is the output location as the steps use it: small files
// (markers, stats), the stages' exchange files, listing.
type outputDir struct{ *storage.Bucket }

func openOutput(ctx context.Context, loc string) (outputDir, error) {
	b, err := storage.Open(ctx, loc)
	if err != nil {
		return outputDir{}, fmt.Errorf("output: %w", err)
	}
	return outputDir{b}, nil
}

// ListNames returns the names of the objects under prefix, sorted.
func (d outputDir) ListNames(ctx context.Context, prefix string) ([]string, error) {
	var names []string
	for o, err := range d.List(ctx, prefix) {
		if err != nil {
			return names, err
		}
		names = append(names, o.Name)
	}
	return names, nil
}
