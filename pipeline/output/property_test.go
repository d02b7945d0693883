package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/winnow-data/winnow/pipeline"
)

// randValue returns a random JSON value; shapes are drawn per field name
// from a small set so that most fields keep a type and some clash.
func randValue(r *rand.Rand, depth int) string {
	switch k := r.IntN(9); {
	case k == 0:
		return "null"
	case k == 1:
		return fmt.Sprint(r.IntN(2) == 0)
	case k == 2:
		return fmt.Sprint(r.Int64N(1<<40) - 1<<39)
	case k == 3:
		return fmt.Sprint(r.Float64() * 100)
	case k == 4 || depth > 3:
		b, _ := json.Marshal([]string{"plain", "ünï", "q\"uote", "nl\n", "😀"}[r.IntN(5)])
		return string(b)
	case k <= 6:
		var parts []string
		for i := r.IntN(4); i > 0; i-- {
			parts = append(parts, randValue(r, depth+1))
		}
		return "[" + strings.Join(parts, ",") + "]"
	default:
		var parts []string
		for i := r.IntN(4); i > 0; i-- {
			parts = append(parts, fmt.Sprintf(`"k%d": %s`, r.IntN(5), randValue(r, depth+1)))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
}

func randDocs(r *rand.Rand, n int) []*pipeline.Document {
	// Each field name has a preferred value, varied now and then.
	shapes := map[string]string{}
	for _, name := range []string{"a", "b", "c", "messages", "meta"} {
		shapes[name] = randValue(r, 0)
	}
	docs := make([]*pipeline.Document, n)
	for i := range docs {
		d := doc(fmt.Sprintf("d%d", i), strings.Repeat("txt ", 1+r.IntN(200)), []string{"en", "de", "", "fr"}[r.IntN(4)], nil)
		for _, s := range []string{"s1", "s2", "s3"} {
			if r.IntN(3) > 0 {
				d.SetSignal(s, r.Float64())
			}
		}
		for name, shape := range shapes {
			switch r.IntN(6) {
			case 0: // absent
			case 1:
				d.SetRawField(name, json.RawMessage(randValue(r, 0)))
			default:
				d.SetRawField(name, json.RawMessage(shape))
			}
		}
		// Fields were added in map order; sort them for a fixed input.
		slicesSortFields(d.Fields)
		if r.IntN(10) == 0 {
			d.URL = "https://example.com/" + d.ID
		}
		docs[i] = d
	}
	return docs
}

func slicesSortFields(f []pipeline.Field) {
	for i := 1; i < len(f); i++ {
		for j := i; j > 0 && f[j].Name < f[j-1].Name; j-- {
			f[j], f[j-1] = f[j-1], f[j]
		}
	}
}

// looseEqual compares a value read back with the one written, allowing
// a JSON-text column (or an empty object written as "{}") to stand for
// the structure it encodes.
func looseEqual(got, want any) bool {
	if reflect.DeepEqual(got, want) {
		return true
	}
	switch g := got.(type) {
	case string:
		var v any
		if json.Unmarshal([]byte(g), &v) != nil {
			return false
		}
		return reflect.DeepEqual(dropNulls(v), want)
	case map[string]any:
		w, ok := want.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k := range g {
			if !looseEqual(g[k], w[k]) {
				return false
			}
		}
		return true
	case []any:
		w, ok := want.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range g {
			if !looseEqual(g[i], w[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// TestPropertyNothingLostAnyBatching writes random documents with random
// limits, split into batches two different ways: the files must be
// byte-identical (output depends on the documents, not on how the engine
// batches them), and every document must come back once, in order, in
// its partition.
func TestPropertyNothingLostAnyBatching(t *testing.T) {
	for seed := uint64(1); seed <= 2; seed++ {
		for _, format := range []Format{Parquet, JSONL, Arrow} {
			t.Run(fmt.Sprintf("%s/seed%d", format, seed), func(t *testing.T) {
				r := rand.New(rand.NewPCG(seed, 99))
				docs := randDocs(r, 100+r.IntN(100))
				opts := Options{
					Format:           format,
					MaxShardBytes:    int64(2_000 + r.IntN(30_000)),
					RowGroupBytes:    int64(500 + r.IntN(8_000)),
					MaxBufferedBytes: int64(1_000 + r.IntN(10_000)),
				}
				split := func() [][]*pipeline.Document {
					var out [][]*pipeline.Document
					for i := 0; i < len(docs); {
						n := 1 + r.IntN(40)
						out = append(out, docs[i:min(i+n, len(docs))])
						i += n
					}
					return out
				}
				dirA, dirB := t.TempDir(), t.TempDir()
				wa := writeAll(t, dirA, opts, split()...)
				t.Logf("%d docs, %d shards", len(docs), len(wa.Files()))
				writeAll(t, dirB, opts, split()...)

				filesA, filesB := listFiles(t, dirA), listFiles(t, dirB)
				if !reflect.DeepEqual(filesA, filesB) {
					t.Fatalf("different files: %v vs %v", filesA, filesB)
				}
				for _, f := range filesA {
					a, _ := os.ReadFile(filepath.Join(dirA, f))
					b, _ := os.ReadFile(filepath.Join(dirB, f))
					if !bytes.Equal(a, b) {
						t.Errorf("%s differs between batchings", f)
					}
				}

				got := map[string][]map[string]any{}
				for _, fi := range wa.Files() {
					got[fi.Partition] = append(got[fi.Partition], readAny(t, filepath.Join(dirA, fi.Path))...)
				}
				want := map[string][]map[string]any{}
				for _, d := range docs {
					p := "lang=" + langCode(d.Lang)
					want[p] = append(want[p], normalize(t, expected(t, d, "")).(map[string]any))
				}
				if len(got) != len(want) {
					t.Fatalf("partitions %d, want %d", len(got), len(want))
				}
				for p, rows := range want {
					if len(got[p]) != len(rows) {
						t.Fatalf("%s: %d rows, want %d", p, len(got[p]), len(rows))
					}
					for i := range rows {
						if !looseEqual(got[p][i], rows[i]) {
							gb, _ := json.Marshal(got[p][i])
							wb, _ := json.Marshal(rows[i])
							t.Fatalf("%s row %d:\n got %s\nwant %s", p, i, gb, wb)
						}
					}
				}
			})
		}
	}
}
