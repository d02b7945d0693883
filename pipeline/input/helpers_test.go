package input

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/winnow-data/winnow/pipeline"
)

// result is what a source yielded, decoded the way the engine does it.
type result struct {
	docs    []*pipeline.Document
	index   []int64 // Record.Index of each doc
	recErrs []*pipeline.RecordError
	fileErr *pipeline.FileError
	// recovered are the damage reports after which reading went on.
	recovered []*pipeline.FileError
	otherErr  error
}

func (r result) texts() []string {
	out := make([]string, len(r.docs))
	for i, d := range r.docs {
		out[i] = d.Text
	}
	return out
}

func (r result) reasons() []string {
	var out []string
	for _, e := range r.recErrs {
		out = append(out, e.Reason)
	}
	return out
}

// readAll reads every record of src, decoding raw records with its
// Decoder; decode errors count as record errors.
func readAll(t testing.TB, src pipeline.Source) result {
	t.Helper()
	var r result
	dec, _ := src.(pipeline.Decoder)
	for rec, err := range src.Records(context.Background()) {
		if err != nil {
			var re *pipeline.RecordError
			var fe *pipeline.FileError
			switch {
			case errors.As(err, &re):
				r.recErrs = append(r.recErrs, re)
				continue
			case errors.As(err, &fe) && fe.Recovered:
				if r.fileErr != nil {
					t.Fatalf("recovered damage %v after %v", fe, r.fileErr)
				}
				r.recovered = append(r.recovered, fe)
				continue
			case errors.As(err, &fe):
				if r.fileErr != nil {
					t.Fatalf("second file error %v after %v", fe, r.fileErr)
				}
				r.fileErr = fe
				continue
			default:
				r.otherErr = err
				continue
			}
		}
		if r.fileErr != nil {
			t.Fatalf("record after file error %v", r.fileErr)
		}
		d := &pipeline.Document{}
		if rec.Doc != nil {
			*d = *rec.Doc
			d.Fields = append([]pipeline.Field(nil), rec.Doc.Fields...)
		} else {
			if dec == nil {
				t.Fatalf("raw record from a source without Decoder")
			}
			raw := append([]byte(nil), rec.Raw...)
			if err := dec.Decode(raw, d); err != nil {
				var re *pipeline.RecordError
				if !errors.As(err, &re) {
					t.Fatalf("decode error %v is not a RecordError", err)
				}
				re.Index = rec.Index
				r.recErrs = append(r.recErrs, re)
				continue
			}
			// The raw buffer may be reused by the engine: poison it to
			// catch aliasing.
			for i := range raw {
				raw[i] = 'X'
			}
		}
		r.docs = append(r.docs, d)
		r.index = append(r.index, rec.Index)
	}
	return r
}

// openBytes writes data to a file called name in a new temporary directory
// and opens it.
func openBytes(t testing.TB, name string, data []byte, opts Options) (pipeline.Source, error) {
	t.Helper()
	p := writeTemp(t, name, data)
	return Open(File{Path: p, Size: int64(len(data))}, opts)
}

func mustOpenBytes(t testing.TB, name string, data []byte, opts Options) pipeline.Source {
	t.Helper()
	src, err := openBytes(t, name, data, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", name, err)
	}
	return src
}

func writeTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func gzipBytes(t testing.TB, data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zstdBytes(t testing.TB, data []byte) []byte {
	w, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	return w.EncodeAll(data, nil)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
