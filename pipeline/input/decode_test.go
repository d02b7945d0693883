package input

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/winnow-data/winnow/pipeline"
)

func decodeLine(t *testing.T, opts Options, line string) (*pipeline.Document, error) {
	t.Helper()
	m, err := compile(opts)
	if err != nil {
		t.Fatal(err)
	}
	doc := &pipeline.Document{}
	err = m.decodeJSON("f.jsonl", []byte(line), doc)
	return doc, err
}

func fieldsString(d *pipeline.Document) string {
	var parts []string
	for _, f := range d.Fields {
		parts = append(parts, f.Name+"="+string(f.Value))
	}
	return strings.Join(parts, " ")
}

func TestDecode(t *testing.T) {
	chat := Options{TextFields: []string{"messages"}}
	instr := Options{TextFields: []string{"instruction", "input", "response"}}
	nested := Options{TextFields: []string{"doc.body"}, IDField: "meta.ids.doc", URLField: "meta.url"}
	tests := []struct {
		name   string
		opts   Options
		line   string
		text   string
		id     string
		url    string
		fields string // name=value, space separated
	}{
		{name: "plain", line: `{"text":"hello"}`, text: "hello"},
		{name: "whitespace around", line: " \t{ \"text\" : \"hello\" }  ", text: "hello"},
		{name: "escapes", line: `{"text":"a\nb\t\"c\" \\ \/ \u00e9 \ud83d\ude00"}`, text: "a\nb\t\"c\" \\ / é 😀"},
		{name: "lone surrogate becomes U+FFFD", line: `{"text":"x\ud800y\udc00z"}`, text: "x\uFFFDy\uFFFDz"},
		{name: "empty text is text", line: `{"text":""}`, text: ""},
		{name: "id, url, other fields in order", line: `{"b":1,"id":"x-1","text":"t","url":"https://e.com/","a":{"k":[1,2]},"lang":"xx","source":"s"}`,
			text: "t", id: "x-1", url: "https://e.com/", fields: `b=1 a={"k":[1,2]}`},
		{name: "numeric id keeps its JSON form", line: `{"id":12345678901234567890,"text":"t"}`, text: "t", id: "12345678901234567890"},
		{name: "negative float id", line: `{"id":-1.5e3,"text":"t"}`, text: "t", id: "-1.5e3"},
		{name: "null id and url", line: `{"id":null,"url":null,"text":"t"}`, text: "t"},
		{name: "field values keep original bytes", line: `{"text":"t","m":{ "a" : [ 1 , 2 ] },"s":"\u00e9"}`, text: "t", fields: `m={ "a" : [ 1 , 2 ] } s="\u00e9"`},
		{name: "duplicate key: last wins, first place", line: `{"a":1,"text":"one","b":2,"a":3,"text":"two"}`, text: "two", fields: "a=3 b=2"},
		{name: "escaped key", line: `{"te\u0078t":"t","\u0061":1}`, text: "t", fields: "a=1"},
		{name: "date passes through", line: `{"text":"t","date":"2024-05-06"}`, text: "t", fields: `date="2024-05-06"`},
		{name: "nested paths", opts: nested, line: `{"doc":{"body":"deep","n":1},"meta":{"url":"u","ids":{"doc":"d7"}}}`,
			text: "deep", id: "d7", url: "u", fields: `doc={"body":"deep","n":1} meta={"url":"u","ids":{"doc":"d7"}}`},
		{name: "dotted key matched whole first", opts: Options{TextFields: []string{"a.b"}}, line: `{"a.b":"whole","a":{"b":"nested"}}`,
			text: "whole", fields: `a.b="whole" a={"b":"nested"}`},
		{name: "instruction and response join, empty input left out", opts: instr,
			line: `{"instruction":"Add 2 and 2.","input":"","response":"4"}`,
			text: "Add 2 and 2.\n\n4", fields: `instruction="Add 2 and 2." input="" response="4"`},
		{name: "chat turns join contents", opts: chat,
			line:   `{"messages":[{"role":"user","content":"Hi?"},{"role":"assistant","content":"Hello!"}]}`,
			text:   "Hi?\n\nHello!",
			fields: `messages=[{"role":"user","content":"Hi?"},{"role":"assistant","content":"Hello!"}]`},
		{name: "empty conversation is empty text", opts: chat, line: `{"messages":[]}`, text: "", fields: "messages=[]"},
		{name: "list of strings", line: `{"text":["p1","p2"]}`, text: "p1\n\np2"},
		// The text is unescaped while it is scanned; these check that the
		// member that wins is the one whose text is kept.
		{name: "duplicate text, escaped key last", line: `{"text":"one","te\u0078t":"two"}`, text: "two"},
		{name: "duplicate text, list last", line: `{"text":"one","text":["two","three"]}`, text: "two\n\nthree"},
		{name: "duplicate text, string after list", line: `{"text":["one"],"text":"two"}`, text: "two"},
		{name: "escaped quote early in a long text", line: `{"text":"\"` + strings.Repeat("x", 5000) + `\"","f":"` + strings.Repeat("y", 9000) + `"}`,
			text: `"` + strings.Repeat("x", 5000) + `"`, fields: `f="` + strings.Repeat("y", 9000) + `"`},
		{name: "escaped backslashes before the closing quote", line: `{"text":"a\\\"b\\\\","f":1}`, text: `a\"b\\`, fields: "f=1"},
		{name: "surrogate pair and lone surrogate", line: `{"text":"\ud83d\ude00\ud83d\u0041"}`, text: "😀\uFFFDA"},
		{name: "text from second path when first absent", opts: Options{TextFields: []string{"title", "body"}}, line: `{"body":"b"}`, text: "b", fields: `body="b"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := decodeLine(t, tc.opts, tc.line)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if doc.Text != tc.text || doc.ID != tc.id || doc.URL != tc.url {
				t.Errorf("text, id, url = %q, %q, %q; want %q, %q, %q", doc.Text, doc.ID, doc.URL, tc.text, tc.id, tc.url)
			}
			if got := fieldsString(doc); got != tc.fields {
				t.Errorf("fields = %s\nwant     %s", got, tc.fields)
			}
			for _, f := range doc.Fields {
				if !json.Valid(f.Value) {
					t.Errorf("field %s: invalid JSON %q", f.Name, f.Value)
				}
			}
		})
	}
}

func TestDecodeInvalidUTF8InString(t *testing.T) {
	line := "{\"text\":\"ok \xff\xfe bad\",\"x\":\"\xc3\"}"
	doc, err := decodeLine(t, Options{}, line)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if doc.Text != "ok \xff\xfe bad" {
		t.Errorf("text = %q; the bytes should pass through for the engine to repair", doc.Text)
	}
	if got := fieldsString(doc); got != "x=\"\xc3\"" {
		t.Errorf("fields = %q", got)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		line, reason string
		opts         Options
	}{
		{`{"text":"unterminated}`, "malformed_json", Options{}},
		{`{"text":"a",}`, "malformed_json", Options{}},
		{`{"text":"a"} x`, "malformed_json", Options{}},
		{`{"text":"a"}{"text":"b"}`, "malformed_json", Options{}},
		{`{"text":"tab	inside"}`, "malformed_json", Options{}},
		{`{"text":"\x"}`, "malformed_json", Options{}},
		{`{"text":"\u12G4"}`, "malformed_json", Options{}},
		{`{"text":01}`, "malformed_json", Options{}},
		{`{"text":1.}`, "malformed_json", Options{}},
		{`{"text":tru}`, "malformed_json", Options{}},
		{`{text:"a"}`, "malformed_json", Options{}},
		{`{"a":[1,2}`, "malformed_json", Options{}},
		{`{"a":{"b":1]}`, "malformed_json", Options{}},
		{strings.Repeat("[", 20000) + strings.Repeat("]", 20000), "malformed_json", Options{}}, // too deep
		{`["text"]`, "not_an_object", Options{}},
		{`"text"`, "not_an_object", Options{}},
		{`42`, "not_an_object", Options{}},
		{`{}`, "missing_text", Options{}},
		{`{"text":null}`, "missing_text", Options{}},
		{`{"text":42}`, "missing_text", Options{}},
		{`{"text":{"a":"b"}}`, "missing_text", Options{}},
		{`{"body":"b"}`, "missing_text", Options{}},
		{`{"messages":[{"role":"user"}]}`, "missing_text", Options{TextFields: []string{"messages"}}},
		{`{"doc":"not an object"}`, "missing_text", Options{TextFields: []string{"doc.body"}}},
	}
	for _, tc := range tests {
		name := tc.line
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			_, err := decodeLine(t, tc.opts, tc.line)
			var re *pipeline.RecordError
			if !errors.As(err, &re) {
				t.Fatalf("error %v, want RecordError %s", err, tc.reason)
			}
			if re.Reason != tc.reason {
				t.Errorf("reason %s (%v), want %s", re.Reason, re, tc.reason)
			}
			// encoding/json agrees on what is malformed.
			var v any
			if jerr := json.Unmarshal([]byte(tc.line), &v); (jerr != nil) != (tc.reason == "malformed_json") {
				t.Errorf("encoding/json error %v disagrees with reason %s", jerr, tc.reason)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	tests := []struct {
		in   string
		want time.Time
	}{
		{`"2024-01-02"`, utc(2024, 1, 2, 0, 0, 0, 0)},
		{`"2024-01-02T03:04:05Z"`, utc(2024, 1, 2, 3, 4, 5, 0)},
		{`"2024-01-02t03:04:05z"`, utc(2024, 1, 2, 3, 4, 5, 0)},
		{`"2024-01-02T03:04:05.123Z"`, utc(2024, 1, 2, 3, 4, 5, 123e6)},
		{`"2024-01-02T03:04:05+02:00"`, utc(2024, 1, 2, 1, 4, 5, 0)},
		{`"2024-01-02T03:04:05-0130"`, utc(2024, 1, 2, 4, 34, 5, 0)},
		{`"2024-01-02 03:04:05"`, utc(2024, 1, 2, 3, 4, 5, 0)},
		{`"2024-01-02T03:04:05.5"`, utc(2024, 1, 2, 3, 4, 5, 5e8)},
		{`"2024-01-02T03:04:05.000000+00:00"`, utc(2024, 1, 2, 3, 4, 5, 0)},
		{`1704164645`, utc(2024, 1, 2, 3, 4, 5, 0)},
		{`1704164645.25`, utc(2024, 1, 2, 3, 4, 5, 25e7)},
		{`"yesterday"`, time.Time{}},
		{`"2024-13-02"`, time.Time{}},
		{`"2024-01-02T03:04:05 UTC"`, time.Time{}},
		{`1e300`, time.Time{}},
		{`true`, time.Time{}},
	}
	for _, tc := range tests {
		if got := jsonDate([]byte(tc.in)); !got.Equal(tc.want) {
			t.Errorf("date %s = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestDecodeMatchesEncodingJSON is a property test: for random records,
// the text, id, url and fields Decode finds are what encoding/json sees.
func TestDecodeMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m, _ := compile(Options{})
	for n := 0; n < 2000; n++ {
		rec := randomRecord(rng)
		line, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		if rng.IntN(2) == 0 {
			line = []byte(respace(rng, string(line)))
		}
		doc := &pipeline.Document{}
		if err := m.decodeJSON("f", line, doc); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		var want map[string]any
		json.Unmarshal(line, &want)
		if doc.Text != want["text"] {
			t.Fatalf("%s: text %q, want %q", line, doc.Text, want["text"])
		}
		if s, _ := want["id"].(string); doc.ID != s {
			t.Fatalf("%s: id %q, want %q", line, doc.ID, s)
		}
		if s, _ := want["url"].(string); doc.URL != s {
			t.Fatalf("%s: url %q, want %q", line, doc.URL, s)
		}
		got := map[string]any{}
		for _, f := range doc.Fields {
			var v any
			if err := json.Unmarshal(f.Value, &v); err != nil {
				t.Fatalf("%s: field %s: %v", line, f.Name, err)
			}
			got[f.Name] = v
		}
		for _, k := range []string{"id", "text", "url"} {
			delete(want, k)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: fields %v, want %v", line, got, want)
		}
	}
}

// randomRecord builds a record with a text, maybe an id and url, and a few
// random fields, all with awkward strings.
func randomRecord(rng *rand.Rand) map[string]any {
	rec := map[string]any{"text": randomString(rng)}
	if rng.IntN(2) == 0 {
		rec["id"] = randomString(rng)
	}
	if rng.IntN(2) == 0 {
		rec["url"] = "https://example.com/" + randomString(rng)
	}
	for i := rng.IntN(5); i > 0; i-- {
		rec[randomString(rng)] = randomValue(rng, 3)
	}
	return rec
}

func randomString(rng *rand.Rand) string {
	alphabet := []string{"a", "Z", " ", "\n", "\t", "\"", "\\", "/", "é", "☕", "😀", "\u2028", "\x00", "\x1f", "<", "&"}
	var b strings.Builder
	for i := rng.IntN(12); i > 0; i-- {
		b.WriteString(alphabet[rng.IntN(len(alphabet))])
	}
	return b.String()
}

func randomValue(rng *rand.Rand, depth int) any {
	switch k := rng.IntN(7); {
	case k == 0 || depth == 0:
		return randomString(rng)
	case k == 1:
		return rng.NormFloat64() * 1e6
	case k == 2:
		return rng.IntN(2) == 0
	case k == 3:
		return nil
	case k == 4:
		var l []any
		for i := rng.IntN(4); i > 0; i-- {
			l = append(l, randomValue(rng, depth-1))
		}
		return l
	default:
		m := map[string]any{}
		for i := rng.IntN(4); i > 0; i-- {
			m[randomString(rng)] = randomValue(rng, depth-1)
		}
		return m
	}
}

// respace inserts JSON whitespace before the structural characters and
// strings of a compact encoding.
func respace(rng *rand.Rand, s string) string {
	var b strings.Builder
	inString, esc := false, false
	for _, r := range s {
		if !inString && strings.ContainsRune(`{}[],:"`, r) && rng.IntN(3) == 0 {
			b.WriteString([]string{" ", "\t", "\r", "  "}[rng.IntN(4)])
		}
		b.WriteRune(r)
		switch {
		case esc:
			esc = false
		case r == '\\':
			esc = true
		case r == '"':
			inString = !inString
		}
	}
	return b.String()
}

// FuzzDecodeJSONL checks that Decode never panics, that it accepts exactly
// the JSON objects encoding/json accepts, and that on those it agrees with
// encoding/json about the text.
func FuzzDecodeJSONL(f *testing.F) {
	for _, s := range []string{
		`{"text":"hello","id":1}`,
		`{"text":"a\nb\u00e9\ud83d\ude00","meta":{"x":[1,2.5e3,true,null]}}`,
		`{"text":["a","b"],"url":"u"}`,
		`{"text":"\ud800"}`,
		`{"text":1e5}`,
		`[1,2]`,
		`{"a":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`,
		"{\"text\":\"\xff\"}",
		`{"text":"x",}`,
	} {
		f.Add([]byte(s))
	}
	m, _ := compile(Options{})
	f.Fuzz(func(t *testing.T, line []byte) {
		doc := &pipeline.Document{}
		err := m.decodeJSON("f", line, doc)
		// json.Valid for the syntax: Unmarshal also fails on numbers out of
		// float64's range, which are valid JSON.
		var jerr error
		if !json.Valid(line) {
			jerr = errors.New("invalid JSON")
		}
		var v any
		d := json.NewDecoder(bytes.NewReader(line))
		d.UseNumber()
		d.Decode(&v)
		obj, isObj := v.(map[string]any)
		var re *pipeline.RecordError
		if err != nil && !errors.As(err, &re) {
			t.Fatalf("error %v is not a RecordError", err)
		}
		switch {
		case jerr != nil:
			if err == nil || re.Reason != "malformed_json" {
				t.Fatalf("encoding/json: %v; Decode: %v", jerr, err)
			}
			return
		case !isObj:
			if err == nil || re.Reason != "not_an_object" {
				t.Fatalf("value %T; Decode: %v", v, err)
			}
			return
		}
		if _, isText := obj["text"].(string); isText {
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if want := obj["text"].(string); replaceInvalid(doc.Text) != want {
				t.Fatalf("text %q, want %q", doc.Text, want)
			}
		} else if _, isList := obj["text"].([]any); !isList && err == nil {
			t.Fatalf("no text, yet no error (text %q)", doc.Text)
		}
		for _, fl := range doc.Fields {
			if !json.Valid(fl.Value) {
				t.Fatalf("field %s: invalid JSON %q", fl.Name, fl.Value)
			}
		}
	})
}

// replaceInvalid replaces each invalid UTF-8 byte with U+FFFD, as
// encoding/json does when it decodes a string.
func replaceInvalid(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r)
		i += n
	}
	return b.String()
}

var _ = fmt.Sprint

func TestControlFree(t *testing.T) {
	for n := 0; n < 80; n++ {
		b := bytes.Repeat([]byte{'a'}, n)
		if !controlFree(b) {
			t.Fatalf("len %d: control character reported in plain bytes", n)
		}
		for i := 0; i < n; i++ {
			for _, c := range []byte{0x00, 0x1f, '\n'} {
				b[i] = c
				if controlFree(b) {
					t.Fatalf("len %d: byte %#x at %d missed", n, c, i)
				}
			}
			for _, c := range []byte{' ', 0x7f, 0x80, 0xff} { // space, DEL and UTF-8 bytes are allowed
				b[i] = c
				if !controlFree(b) {
					t.Fatalf("len %d: byte %#x at %d reported", n, c, i)
				}
			}
			b[i] = 'a'
		}
	}
}
