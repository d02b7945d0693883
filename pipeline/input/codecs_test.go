package input

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// TestCodecsReadAlike reads the same JSONL plain, zstd- and
// gzip-compressed: records, positions and errors must not depend on the
// codec, with lines crossing the read-ahead's buffers.
func TestCodecsReadAlike(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var data bytes.Buffer
	for i := range 400 {
		switch {
		case i%97 == 5:
			data.WriteString("{\"text\":\"" + strings.Repeat("long ", 60<<10) + "\"}\n") // over MaxRecordBytes
		case i%31 == 0:
			data.WriteString("\n  \r\n")
		}
		fmt.Fprintf(&data, "{\"id\":%d,\"text\":%q}\r\n", i, strings.Repeat("w", rng.IntN(3000)))
	}
	data.WriteString(`{"text":"last, without newline"}`)
	opts := Options{MaxRecordBytes: 256 << 10}
	read := func(name string, stored []byte) ([]string, []int64, []string) {
		var raws, errs []string
		var offs []int64
		for rec, err := range mustOpenBytes(t, name, stored, opts).Records(t.Context()) {
			if err != nil {
				errs = append(errs, err.Error()[strings.Index(err.Error(), ":"):])
				continue
			}
			raws = append(raws, string(rec.Raw))
			offs = append(offs, rec.Index, rec.Offset)
		}
		return raws, offs, errs
	}
	wantRaw, wantOff, wantErr := read("plain.jsonl", data.Bytes())
	if len(wantRaw) != 401 || len(wantErr) != 5 {
		t.Fatalf("plain: %d records, errors %q", len(wantRaw), wantErr)
	}
	for name, stored := range map[string][]byte{
		"c.jsonl.zst": zstdBytes(t, data.Bytes()),
		"c.jsonl.gz":  gzipBytes(t, data.Bytes()),
	} {
		raw, off, errs := read(name, stored)
		if !reflect.DeepEqual(raw, wantRaw) || !reflect.DeepEqual(off, wantOff) || !reflect.DeepEqual(errs, wantErr) {
			t.Errorf("%s reads differently from plain: %d records, errors %q", name, len(raw), errs)
		}
	}
}
