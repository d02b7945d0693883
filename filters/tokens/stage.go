package tokens

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/winnow-data/winnow/pipeline"
)

// Name is the stage's canonical name.
const Name = "tokens"

// Column is the field the stage writes: the document's token count.
const Column = pipeline.TokensField

func init() {
	pipeline.Register(pipeline.Spec{
		Name:    Name,
		Summary: "count each document's tokens with a byte-pair encoding (tiktoken's cl100k_base, o200k_base or a rank file); column tokens",
		Order:   90,
		Params: []pipeline.Param{
			{Name: "tokenizer", Default: "cl100k_base", Doc: "cl100k_base, o200k_base, or the path of a tiktoken rank file (\"<base64> <rank>\" lines, as Llama 3's tokenizer.model)"},
			{Name: "pattern", Default: "cl100k", Doc: "with a rank file: its pre-tokenisation rule, cl100k (also Llama 3's) or o200k"},
		},
		New: func(p pipeline.Params) (pipeline.Stage, error) {
			return New(Config{Tokenizer: p.String("tokenizer"), Pattern: p.String("pattern")})
		},
	})
}

// Config configures the stage.
type Config struct {
	// Tokenizer is a built-in encoding name or the path of a rank file;
	// empty means cl100k_base.
	Tokenizer string
	// Pattern is the pre-tokenisation rule of a rank file: "cl100k"
	// (default) or "o200k". Built-in encodings carry their own.
	Pattern string
}

// Stage writes each document's token count in the tokens column. It never
// drops a document.
type Stage struct {
	enc *Encoding
}

// New returns the stage configured by c; the encoding is loaded now, so a
// missing rank file is a configuration error.
func New(c Config) (*Stage, error) {
	name := c.Tokenizer
	if name == "" {
		name = "cl100k_base"
	}
	var enc *Encoding
	var err error
	if _, ok := builtin[name]; ok {
		enc, err = Builtin(name)
	} else {
		var pat Pattern
		switch strings.TrimSuffix(c.Pattern, "_base") {
		case "", "cl100k":
			pat = PatternCL100K
		case "o200k":
			pat = PatternO200K
		default:
			return nil, fmt.Errorf("stage %s: pattern %q: want cl100k or o200k", Name, c.Pattern)
		}
		enc, err = Open(name, pat)
	}
	if err != nil {
		return nil, fmt.Errorf("stage %s: %w", Name, err)
	}
	return &Stage{enc: enc}, nil
}

// Name returns "tokens".
func (s *Stage) Name() string { return Name }

// Process sets the tokens column.
func (s *Stage) Process(doc *pipeline.Document) (string, error) {
	n := s.enc.Count(doc.Text)
	doc.SetRawField(Column, strconv.AppendInt(nil, int64(n), 10))
	return "", nil
}

// Columns declares the tokens column: a 64-bit integer in every shard.
func (s *Stage) Columns() []pipeline.Column {
	return []pipeline.Column{{Name: Column, Shape: "0"}}
}
