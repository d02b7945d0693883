// Package dupstats measures the duplicate rates of a dataset without
// writing one: it runs the minhash machinery (dedup/minhash, keeping every document)
// over the sources and counts what exact_dedup and minhash would remove,
// overall, per language and per input file, with the cluster-size
// histogram and the largest clusters. It is what `winnow dupstats` calls.
package dupstats

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"text/tabwriter"

	"github.com/zeebo/xxh3"

	"github.com/winnow-data/winnow/dedup/exact"
	"github.com/winnow-data/winnow/dedup/minhash"
	"github.com/winnow-data/winnow/filters/text"
	"github.com/winnow-data/winnow/pipeline"
)

// Options configure a measurement.
type Options struct {
	// MinHash is the near-duplicate configuration.
	MinHash minhash.Config
	// Before are stages run ahead of the measurement, e.g. langid so
	// that rates per language are known.
	Before []pipeline.Stage
	// Workers as pipeline.Options.
	Workers  int
	Progress func(pipeline.Progress)
}

// Rate is the duplicate accounting of one slice of the data.
type Rate struct {
	Name               string  `json:"name"`
	Documents          int64   `json:"documents"`
	ExactDuplicates    int64   `json:"exact_duplicates"`
	ExactDuplicateRate float64 `json:"exact_duplicate_rate"`
	Duplicates         int64   `json:"duplicates"`
	DuplicateRate      float64 `json:"duplicate_rate"`
}

func (r *Rate) finish() {
	if r.Documents > 0 {
		r.ExactDuplicateRate = float64(r.ExactDuplicates) / float64(r.Documents)
		r.DuplicateRate = float64(r.Duplicates) / float64(r.Documents)
	}
}

// Bin is one bar of the cluster-size histogram: clusters of Min..Max
// documents (Max 0: no upper bound).
type Bin struct {
	Min       int   `json:"min_size"`
	Max       int   `json:"max_size"`
	Clusters  int64 `json:"clusters"`
	Documents int64 `json:"documents"`
}

// Cluster is one of the largest clusters.
type Cluster struct {
	ID       uint64 `json:"dup_cluster_id"`
	Size     int    `json:"size"`
	SampleID string `json:"sample_id"`
	Sample   string `json:"sample_text"`
}

// Params echoes the parameters used.
type Params struct {
	NumPerm      int    `json:"num_perm"`
	Bands        int    `json:"bands"`
	Rows         int    `json:"rows"`
	ShingleWords int    `json:"shingle_words"`
	Verify       bool   `json:"verify"`
	PerLanguage  bool   `json:"per_language"`
	Keep         string `json:"keep"`
}

// Report is the result of a measurement. Duplicates counts what minhash
// at Threshold would remove, exact duplicates included (their similarity
// is 1); ExactDuplicates what exact_dedup alone would remove.
type Report struct {
	Threshold float64 `json:"threshold"`
	Params    Params  `json:"params"`
	Rate
	DocsErrored     int64                 `json:"docs_errored"`
	InputErrors     []pipeline.InputError `json:"input_errors"`
	ClusterSizes    []Bin                 `json:"cluster_sizes"`
	Languages       []Rate                `json:"languages"`
	Files           []Rate                `json:"files"`
	LargestClusters []Cluster             `json:"largest_clusters"`
	Seconds         float64               `json:"seconds"`
}

// sample is how many characters of a cluster's first document are shown.
const sample = 100

// Measure reads the sources and returns their duplicate report.
func Measure(ctx context.Context, sources []pipeline.Source, o Options) (*Report, error) {
	mh, err := minhash.New(o.MinHash)
	if err != nil {
		return nil, err
	}
	cfg := mh.Config()
	stages := append(slices.Clip(o.Before), &probe{Stage: mh})
	s := &sink{files: make([]Rate, len(sources)), langs: map[string]*Rate{}, sizes: clusterBins()}
	for i, src := range sources {
		s.files[i].Name = src.Name()
	}
	stats, err := pipeline.Run(ctx, sources, s, pipeline.Options{Stages: stages, Workers: o.Workers, Progress: o.Progress})
	if err != nil {
		return nil, err
	}
	r := &Report{
		Threshold: cfg.Threshold,
		Params: Params{NumPerm: cfg.NumPerm, Bands: cfg.Bands, Rows: cfg.Rows, ShingleWords: cfg.ShingleWords,
			Verify: cfg.Verify, PerLanguage: cfg.PerLanguage, Keep: cmp.Or(cfg.Keep, "first")},
		Rate:        s.all,
		DocsErrored: stats.DocsErrored,
		InputErrors: stats.InputErrors,
		Files:       s.files,
		Seconds:     stats.Seconds,
	}
	r.Name = "all"
	r.finish()
	for i := range r.Files {
		r.Files[i].finish()
	}
	for _, l := range s.langs {
		l.finish()
		r.Languages = append(r.Languages, *l)
	}
	slices.SortFunc(r.Languages, func(a, b Rate) int {
		return cmp.Or(cmp.Compare(b.Documents, a.Documents), cmp.Compare(a.Name, b.Name))
	})
	r.ClusterSizes = s.sizes
	r.LargestClusters = s.top
	return r, nil
}

// clusterBins returns the histogram's empty bins.
func clusterBins() []Bin {
	var bins []Bin
	for _, b := range [][2]int{{1, 1}, {2, 2}, {3, 5}, {6, 10}, {11, 100}, {101, 1000}, {1001, 0}} {
		bins = append(bins, Bin{Min: b[0], Max: b[1]})
	}
	return bins
}

// probeKey memoises on the document whether it is an exact duplicate of
// an earlier one, set by the probe on the workers for the sink.
type probeKey struct{}

// probe is the minhash stage, which also tells exact duplicates apart.
// In the preparatory pass it takes each document's exact-duplicate key
// from the normalised text minhash has just memoised on it (24 bytes a
// document); Prepared sorts them and keeps the input order of every
// document that repeats an earlier one (8 bytes a duplicate), which the
// main pass looks up. The main pass reads the documents again and would
// otherwise normalise every text a second time, a third of the
// measurement's time, and the sink kept a map of every key.
type probe struct {
	*minhash.Stage
	mu    sync.Mutex
	keys  []orderKey
	dups  []uint64 // sorted
	ready bool
}

type orderKey struct {
	order uint64
	key   xxh3.Uint128
}

// Observe implements pipeline.Preparer.
func (p *probe) Observe(doc *pipeline.Document) error {
	if err := p.Stage.Observe(doc); err != nil {
		return err
	}
	n := text.DocNormalized(doc)
	if n == "" {
		return nil // no words: never an exact duplicate, as exact_dedup
	}
	k := orderKey{doc.Order(), exact.Hash(n, "")}
	p.mu.Lock()
	p.keys = append(p.keys, k)
	p.mu.Unlock()
	return nil
}

// Prepared implements pipeline.Preparer.
func (p *probe) Prepared(ctx context.Context) error {
	slices.SortFunc(p.keys, func(a, b orderKey) int {
		return cmp.Or(cmp.Compare(a.key.Hi, b.key.Hi), cmp.Compare(a.key.Lo, b.key.Lo), cmp.Compare(a.order, b.order))
	})
	for i := 1; i < len(p.keys); i++ {
		if p.keys[i].key == p.keys[i-1].key {
			p.dups = append(p.dups, p.keys[i].order)
		}
	}
	p.keys = nil
	slices.Sort(p.dups)
	p.ready = true
	return p.Stage.Prepared(ctx)
}

// Process implements pipeline.Stage.
func (p *probe) Process(doc *pipeline.Document) (string, error) {
	if !p.ready {
		return "", fmt.Errorf("dupstats: Process before the preparatory pass")
	}
	_, dup := slices.BinarySearch(p.dups, doc.Order())
	doc.Memo(probeKey{}, func(*pipeline.Document) any { return dup })
	// Every document reaches the sink, near-duplicates too: the sink
	// reads the cluster columns minhash wrote.
	_, err := p.Stage.Process(doc)
	return "", err
}

// sink tallies documents in input order.
type sink struct {
	all   Rate
	files []Rate
	langs map[string]*Rate
	sizes []Bin // the cluster-size histogram, counted at each cluster's first document
	top   []Cluster
}

func (s *sink) Write(docs []*pipeline.Document) error {
	for _, d := range docs {
		exactDup, _ := d.Memo(probeKey{}, func(*pipeline.Document) any { return false }).(bool)
		id, _ := strconv.ParseUint(string(d.Field(minhash.FieldClusterID)), 10, 64)
		size, _ := strconv.Atoi(string(d.Field(minhash.FieldClusterSize)))
		// Clusters are named by their first document, the one keep=first
		// keeps; the others are what a dedup would remove.
		nearDup := id != d.Order()
		if !nearDup {
			for i := range s.sizes {
				if b := &s.sizes[i]; size >= b.Min && (b.Max == 0 || size <= b.Max) {
					b.Clusters++
					b.Documents += int64(size)
					break
				}
			}
			if size > 1 {
				s.consider(Cluster{ID: id, Size: size, SampleID: d.ID, Sample: prefix(d.Text, sample)})
			}
		}
		lang := d.Lang
		if lang == "" {
			lang = "und"
		}
		l := s.langs[lang]
		if l == nil {
			l = &Rate{Name: lang}
			s.langs[lang] = l
		}
		for _, r := range []*Rate{&s.all, l, s.file(d.FileIndex)} {
			r.Documents++
			if exactDup {
				r.ExactDuplicates++
			}
			if nearDup {
				r.Duplicates++
			}
		}
	}
	return nil
}

func (s *sink) file(i int) *Rate {
	if i < 0 || i >= len(s.files) {
		return &Rate{}
	}
	return &s.files[i]
}

// consider keeps the 10 largest clusters, ties to the earliest.
func (s *sink) consider(c Cluster) {
	i, _ := slices.BinarySearchFunc(s.top, c, func(a, b Cluster) int {
		return cmp.Or(cmp.Compare(b.Size, a.Size), cmp.Compare(a.ID, b.ID))
	})
	if i >= 10 {
		return
	}
	s.top = slices.Insert(s.top, i, c)
	if len(s.top) > 10 {
		s.top = s.top[:10]
	}
}

func prefix(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

func (s *sink) Reject([]*pipeline.Document, []string) error { return nil }
func (s *sink) Close() error                                { return nil }
func (s *sink) Abort() error                                { return nil }

// WriteJSON writes the report as one indented JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes the report as readable tables.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	p := r.Params
	fmt.Fprintf(w, "threshold %.2f (num_perm %d = %d bands × %d rows, %d-word shingles, verify %v, per_language %v)\n\n",
		r.Threshold, p.NumPerm, p.Bands, p.Rows, p.ShingleWords, p.Verify, p.PerLanguage)
	rates := func(title string, rs []Rate) {
		fmt.Fprintf(tw, "%s\tdocuments\texact dups\texact rate\tnear dups\tnear rate\t\n", title)
		for _, x := range rs {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f%%\t%d\t%.2f%%\t\n", x.Name, x.Documents, x.ExactDuplicates, 100*x.ExactDuplicateRate, x.Duplicates, 100*x.DuplicateRate)
		}
		fmt.Fprintln(tw, "\t\t\t\t\t\t")
	}
	rates("", []Rate{r.Rate})
	rates("language", r.Languages)
	rates("file", r.Files)
	fmt.Fprintf(tw, "cluster size\tclusters\tdocuments\t\n")
	for _, b := range r.ClusterSizes {
		label := strconv.Itoa(b.Min)
		switch {
		case b.Max == 0:
			label += "+"
		case b.Max != b.Min:
			label += "–" + strconv.Itoa(b.Max)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t\n", label, b.Clusters, b.Documents)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.LargestClusters) > 0 {
		fmt.Fprintf(w, "\nlargest clusters\n")
		for _, c := range r.LargestClusters {
			fmt.Fprintf(w, "%6d  %-20s %q\n", c.Size, c.SampleID, c.Sample)
		}
	}
	if r.DocsErrored > 0 || len(r.InputErrors) > 0 {
		fmt.Fprintf(w, "\n%d documents errored, %d input files damaged\n", r.DocsErrored, len(r.InputErrors))
	}
	return nil
}
