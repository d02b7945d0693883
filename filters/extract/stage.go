package extract

import (
	"github.com/winnow-data/winnow/pipeline"
)

func init() {
	d := DefaultOptions()
	pipeline.Register(pipeline.Spec{
		Name:    "extract",
		Summary: "main-content text from HTML pages: boilerplate removed, code and math kept, no markdown (Llama 3 §3.1.1)",
		Order:   10,
		Default: true,
		Params: []pipeline.Param{
			{Name: "favour_precision", Default: d.FavourPrecision, Doc: "take only the page's main-content container when it marks one"},
			{Name: "include_tables", Default: d.IncludeTables, Doc: "keep table rows, cells separated by a tab"},
			{Name: "include_images", Default: d.IncludeImages, Doc: "keep image alt text that reads as a formula or a sentence"},
			{Name: "max_link_density", Default: d.MaxLinkDensity, Doc: "drop blocks whose share of link text is above this", Min: pipeline.Bound(0), Max: pipeline.Bound(1)},
			{Name: "max_html_bytes", Default: d.MaxHTMLBytes, Doc: "read at most this many bytes of a page (0: all)", Min: pipeline.Bound(0)},
		},
		New: func(p pipeline.Params) (pipeline.Stage, error) {
			return NewStage(Options{
				FavourPrecision: p.Bool("favour_precision"),
				IncludeTables:   p.Bool("include_tables"),
				IncludeImages:   p.Bool("include_images"),
				MaxLinkDensity:  p.Float("max_link_density"),
				MaxHTMLBytes:    p.Int("max_html_bytes"),
			}), nil
		},
	})
}

// Stage is the extract stage.
type Stage struct {
	x *Extractor
}

// NewStage returns the extract stage with opts.
func NewStage(opts Options) *Stage {
	return &Stage{x: New(opts)}
}

// Name returns "extract".
func (s *Stage) Name() string { return "extract" }

// Process replaces an HTML document's text with its main content and
// sets the fields title and html_lang; other documents pass unchanged.
// A page with no text left is dropped as "empty".
func (s *Stage) Process(doc *pipeline.Document) (string, error) {
	if !IsHTML(doc) {
		return "", nil
	}
	res := s.x.Extract([]byte(doc.Text))
	if res.Title != "" {
		if err := doc.SetField("title", res.Title); err != nil {
			return "", err
		}
	}
	if res.Lang != "" {
		if err := doc.SetField("html_lang", res.Lang); err != nil {
			return "", err
		}
	}
	doc.SetText(res.Text)
	if res.Text == "" {
		return "empty", nil
	}
	return "", nil
}

// Columns implements pipeline.Declarer: the page's title and its
// declared language, on HTML documents.
func (s *Stage) Columns() []pipeline.Column {
	return []pipeline.Column{{Name: "title", Shape: `""`}, {Name: "html_lang", Shape: `""`}}
}
