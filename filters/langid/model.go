package langid

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/winnow-data/winnow/filters/fasttext"
	"github.com/winnow-data/winnow/filters/langid/lid176"
	"github.com/winnow-data/winnow/pipeline/storage"
)

// loadFastText reads a fastText model with the pure-Go engine.
func loadFastText(r io.Reader) (Model, error) {
	m, err := fasttext.Load(r)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// embedded is the embedded lid.176 model, loaded once per process and
// shared: it is read-only once loaded.
var embedded struct {
	once sync.Once
	m    Model
	err  error
}

// LoadModel loads the fastText model at loc (a path or storage URL), or
// the embedded lid.176.ftz when loc is empty.
func LoadModel(ctx context.Context, loc string) (Model, error) {
	if loc == "" {
		embedded.once.Do(func() {
			embedded.m, embedded.err = loadFastText(bytes.NewReader(lid176.Model))
			if embedded.err != nil {
				embedded.err = fmt.Errorf("embedded lid.176.ftz: %w", embedded.err)
			}
		})
		return embedded.m, embedded.err
	}
	dir, name := filepath.Split(loc)
	if storage.IsURL(loc) {
		// The bucket is the URL without its last path element; its
		// parameters (?region=...) stay with it.
		u, err := url.Parse(loc)
		if err != nil {
			return nil, fmt.Errorf("model %q: %w", loc, err)
		}
		d, n := path.Split(u.Path)
		u.Path, name = d, n
		dir = u.String()
	}
	if dir == "" {
		dir = "."
	}
	if name == "" {
		return nil, fmt.Errorf("model %q: want a file", loc)
	}
	b, err := storage.Open(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	defer b.Close()
	r, err := b.NewReader(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	defer r.Close()
	m, err := loadFastText(r)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", loc, err)
	}
	if !isLID(m) {
		return nil, fmt.Errorf("model %s: its labels are not language codes (__label__xx), want a language-identification model like lid.176", loc)
	}
	return m, nil
}

// isLID reports whether m's labels look like lid.176's: language codes
// of two or three letters.
func isLID(m Model) bool {
	labels := m.Labels()
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		c, ok := strings.CutPrefix(l, "__label__")
		if !ok || len(c) < 2 || len(c) > 3 || strings.Trim(c, "abcdefghijklmnopqrstuvwxyz") != "" {
			return false
		}
	}
	return true
}

// newIdentifier builds the backend cfg names.
func newIdentifier(cfg Config) (Identifier, error) {
	switch cfg.Backend {
	case BackendLingua:
		if cfg.Model != "" {
			return nil, fmt.Errorf("model %q: the lingua backend uses no fastText model", cfg.Model)
		}
		d := cfg.Detector
		if d == nil {
			langs, err := ParseLanguages(cfg.Languages)
			if err != nil {
				return nil, fmt.Errorf("languages: %w", err)
			}
			d = NewDetector(Options{Languages: langs})
		}
		return Lingua{D: d}, nil
	case BackendFastText:
		m, err := LoadModel(context.Background(), cfg.Model)
		if err != nil {
			return nil, err
		}
		all, err := NewFastText(m, nil, 0)
		if err != nil {
			return nil, err
		}
		var codes []string
		for _, s := range cfg.Languages {
			c, err := parseCode(s, all.Codes())
			if err != nil {
				return nil, fmt.Errorf("languages: %w", err)
			}
			codes = append(codes, c)
		}
		if len(codes) == 0 {
			return all, nil
		}
		return NewFastText(m, codes, 0)
	case "", BackendHybrid:
		langs, err := ParseLanguages(cfg.Languages)
		if err != nil {
			return nil, fmt.Errorf("languages: %w", err)
		}
		m, err := LoadModel(context.Background(), cfg.Model)
		if err != nil {
			return nil, err
		}
		// Lingua's models load language by language when lingua is first
		// asked about one: most text never needs them.
		return NewHybrid(NewDetector(Options{Languages: langs, Lazy: true}), m, HybridOptions{}), nil
	}
	return nil, fmt.Errorf("backend %q: want hybrid, fasttext or lingua", cfg.Backend)
}

// parseCode resolves a language code or name to a partition code among
// codes: lingua's codes and names (ParseLanguage), else one of codes
// itself or a fastText label ("no", "sh", "als"; see LabelCode).
func parseCode(s string, codes []string) (string, error) {
	if l, err := ParseLanguage(s); err == nil {
		return Code(l), nil
	}
	c := LabelCode(strings.ToLower(strings.TrimSpace(s)))
	for _, x := range codes {
		if x == c {
			return c, nil
		}
	}
	return "", fmt.Errorf("unknown language %q (want an ISO 639-1/639-3 code or an English name of one of the backend's %d languages)", s, len(codes))
}
