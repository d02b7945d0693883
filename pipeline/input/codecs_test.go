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

// lineEvent is one line as a splitter handed it on.
type lineEvent struct {
	Line    string
	Off     int64
	TooLong bool
}

// TestLineSplitterMatchesLineReader checks that splitting written chunks
// gives exactly what splitting a read stream gives, wherever the chunk
// boundaries fall: lines inside one write, across several, too long,
// blank, and a last line without a newline.
func TestLineSplitterMatchesLineReader(t *testing.T) {
	cases := []struct {
		name string
		data string
		max  int64
	}{
		{"empty", "", 10},
		{"one line", "abc\n", 10},
		{"no final newline", "abc\ndef", 10},
		{"blank lines", "\n\nab\n\n", 10},
		{"exactly max", "0123456789\nx\n", 10},
		{"one over max", "0123456789A\nx\n", 10},
		{"long last line", "x\n0123456789ABCDEF", 10},
		{"long lines in a row", "0123456789ABCDEF\n0123456789ABCDEF\nok\n", 10},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 40 {
		var b strings.Builder
		for range 1 + rng.IntN(30) {
			b.WriteString(strings.Repeat("x", rng.IntN(40)))
			if rng.IntN(8) > 0 {
				b.WriteByte('\n')
			}
		}
		cases = append(cases, struct {
			name string
			data string
			max  int64
		}{fmt.Sprintf("random %d", i), b.String(), int64(1 + rng.IntN(30))})
	}
	for _, c := range cases {
		var want []lineEvent
		lr := newLineReader(strings.NewReader(c.data), c.max)
		for {
			line, off, tooLong, err := lr.next()
			if err != nil {
				break
			}
			want = append(want, lineEvent{string(line), off, tooLong})
		}
		for _, size := range []int{1, 2, 3, 7, 64, 1 << 20} {
			var got []lineEvent
			sp := &lineSplitter{max: c.max, line: func(line []byte, off int64, tooLong bool) bool {
				got = append(got, lineEvent{string(line), off, tooLong})
				return true
			}}
			for rest := []byte(c.data); len(rest) > 0; {
				n := min(size, len(rest))
				// The splitter may keep nothing of what it is written.
				chunk := append([]byte(nil), rest[:n]...)
				sp.Write(chunk)
				clear(chunk)
				rest = rest[n:]
			}
			sp.flush()
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s, writes of %d:\n got %+v\nwant %+v", c.name, size, got, want)
			}
		}
	}
}
