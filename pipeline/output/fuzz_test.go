package output

import (
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/winnow-data/winnow/pipeline"
)

var jsonSeeds = []string{
	`null`, `true`, `false`, `0`, `-0`, `1.5e300`, `1e999`, `-9223372036854775808`, `9223372036854775808`,
	`"plain"`, `"esc \" \\ \/ \b\f\n\r\t \u00e9 \ud83d\ude00 \ud800 x"`, "\"bad \xff utf8\"",
	`[]`, `{}`, `[1, 2.5, null]`, `[[1], [2, [3]]]`, `{"a": {"b": [true, null]}, "c": "x"}`,
	`[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello", "extra": 1}]`,
	`{"a": 1, "a": "dup"}`, `{"": 1}`, `{"\u00e9": 1}`, ` {"a" : [ 1 , 2 ] } `,
	`{"a":`, `[1,]`, `{"a" 1}`, `01`, `1.`, `-`, `"unterminated`, `tru`, `[1 2]`, `{"a":1}}`,
	`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
	`123456789012345678901234567890`, `1e999999`, `-1e-999999`, `9007199254740993`, `[1, 9007199254740993, 0.5]`,
	`{"a": 1, "b": {"c": 1e400}}`,
}

// FuzzJSONField feeds arbitrary bytes as a passthrough field value: the
// scanner must agree with encoding/json on validity, writing must never
// panic, and a value written with plain nested types must read back equal.
func FuzzJSONField(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(checkJSONField)
}

func checkJSONField(t *testing.T, data []byte) {
	{
		valid := validValue(data)
		if valid != json.Valid(data) {
			t.Fatalf("validValue(%q) = %v, encoding/json says %v", data, valid, !valid)
		}
		p := &partition{key: "lang=en", lang: "en"}
		d := &pipeline.Document{ID: "1", Text: "t", Lang: "en", Fields: []pipeline.Field{{Name: "f", Value: data}}}
		p.append(d, "en", "")
		sch := newSchema(0)
		sch.sampleDoc(nil, d.Fields)
		sch.fix()
		rb := newRecordBuilder(memory.DefaultAllocator, sch, false)
		defer rb.release()
		rec := rb.build(p)
		defer rec.Release()
		if rec.NumRows() != 1 {
			t.Fatalf("%d rows", rec.NumRows())
		}
		rows := recordRows(t, rec)
		got := rows[0]["f"]
		if !rec.Column(int(rec.NumCols()) - 1).IsNull(0) {
			t.Fatalf("the sampled value %q does not fit its own column", data)
		}
		ft := sch.cols[0].t
		if !valid {
			if ft.kind != kJSON {
				t.Fatalf("invalid JSON inferred as %v", ft.kind)
			}
			return
		}
		if ft.kind == kJSON && got == nil && string(trimSpace(data)) == "null" {
			return
		}
		if ft.kind == kJSON {
			// Kept as text: the text is the value, UTF-8 repaired.
			if s, _ := got.(string); s != string(appendValidUTF8(nil, trimSpace(data))) {
				t.Fatalf("JSON text %q, want %q", s, trimSpace(data))
			}
			return
		}
		if !plain(ft) {
			return
		}
		var want any
		if err := json.Unmarshal(data, &want); err != nil {
			return // a number beyond float64, written as ±Inf
		}
		if w := normalize(t, want); !reflect.DeepEqual(normalize(t, got), w) {
			t.Fatalf("read back %#v, want %#v", got, w)
		}
	}
}

// plain reports whether t has no JSON-text node: values of such types
// read back as the same structure.
func plain(t *jtype) bool {
	switch t.phys() {
	case kJSON:
		return false
	case kList:
		return plain(t.elem)
	case kStruct:
		for _, f := range t.fields {
			if !plain(f.t) {
				return false
			}
		}
	}
	return true
}

// FuzzDecodeString checks string unescaping against encoding/json.
func FuzzDecodeString(f *testing.F) {
	for _, s := range jsonSeeds {
		if len(s) > 0 && s[0] == '"' {
			f.Add([]byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 || data[0] != '"' {
			return
		}
		got, end, err := decodeString(nil, data)
		var want string
		jerr := json.Unmarshal(data, &want)
		if jerr == nil {
			if err != nil || end != len(trimSpace(data)) {
				t.Fatalf("decodeString(%q): end %d err %v; encoding/json accepts it", data, end, err)
			}
			if string(got) != want {
				t.Fatalf("decodeString(%q) = %q, encoding/json gives %q", data, got, want)
			}
		}
		if err == nil && !utf8.Valid(got) {
			t.Fatalf("decodeString(%q) = %q: invalid UTF-8", data, got)
		}
	})
}
