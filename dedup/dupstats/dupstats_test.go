package dupstats

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/winnow-data/winnow/dedup/internal/memio"
	"github.com/winnow-data/winnow/dedup/minhash"
	"github.com/winnow-data/winnow/pipeline"
)

const (
	a  = "The city council met on Tuesday to discuss the new budget for schools and roads, and after a long debate the members agreed to raise spending on repairs by ten percent next year."
	a2 = "the city council met on tuesday to discuss the new budget for schools and roads and after a long debate the members agreed to raise spending on repairs by ten percent next year"
	a3 = "The city council met on Tuesday to discuss the new budget for schools and roads, and after a long debate the members agreed to raise spending on repairs by ten percent next year, officials said."
	b  = "Heat the oven to two hundred degrees, butter a round tin, and whisk four eggs with sugar until pale before folding in the flour and a pinch of salt, then bake for forty minutes."
)

func TestMeasure(t *testing.T) {
	f0 := &memio.Source{Path: "f0", Docs: []pipeline.Document{{ID: "a", Text: a, Lang: "en"}, {ID: "b", Text: b, Lang: "en"}}}
	f1 := &memio.Source{Path: "f1", Docs: []pipeline.Document{{ID: "a2", Text: a2, Lang: "en"}, {ID: "a3", Text: a3, Lang: "fr"}}}
	c := minhash.DefaultConfig()
	c.WorkDir = t.TempDir()
	r, err := Measure(context.Background(), []pipeline.Source{f0, f1}, Options{MinHash: c, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	// a2 is an exact duplicate of a after normalisation; a3 a near one.
	if r.Documents != 4 || r.ExactDuplicates != 1 || r.Duplicates != 2 || r.DuplicateRate != 0.5 {
		t.Errorf("overall %+v", r.Rate)
	}
	if r.Files[0].Duplicates != 0 || r.Files[1].Duplicates != 2 || r.Files[1].ExactDuplicates != 1 {
		t.Errorf("files %+v", r.Files)
	}
	if len(r.Languages) != 2 || r.Languages[0].Name != "en" || r.Languages[0].Documents != 3 || r.Languages[1].Duplicates != 1 {
		t.Errorf("languages %+v", r.Languages)
	}
	if len(r.LargestClusters) != 1 || r.LargestClusters[0].Size != 3 || r.LargestClusters[0].SampleID != "a" || len([]rune(r.LargestClusters[0].Sample)) != 100 {
		t.Errorf("largest %+v", r.LargestClusters)
	}
	if r.ClusterSizes[0].Clusters != 1 || r.ClusterSizes[2].Clusters != 1 || r.ClusterSizes[2].Documents != 3 {
		t.Errorf("histogram %+v", r.ClusterSizes)
	}
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"documents", "threshold", "exact_duplicate_rate", "duplicate_rate", "params", "cluster_sizes"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	buf.Reset()
	if err := r.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "threshold 0.80") || !strings.Contains(buf.String(), "largest clusters") {
		t.Errorf("table:\n%s", buf.String())
	}
}
