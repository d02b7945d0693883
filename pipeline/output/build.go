package output

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// recordBuilder turns a partition's buffered documents into one Arrow
// record of a fixed schema. Its builders are reused from batch to batch
// and reserved to the batch's exact size, so a batch costs one allocation
// per buffer rather than growth by doubling.
type recordBuilder struct {
	sch     *schema
	rb      *array.RecordBuilder
	ap      appender
	sigVals []float64
	sigSet  []bool
	fldVals [][]byte
}

func newRecordBuilder(mem memory.Allocator, sch *schema) *recordBuilder {
	return &recordBuilder{
		sch:     sch,
		rb:      array.NewRecordBuilder(mem, sch.arrowSchema()),
		sigVals: make([]float64, len(sch.signals)),
		sigSet:  make([]bool, len(sch.signals)),
		fldVals: make([][]byte, len(sch.fields)),
	}
}

func (b *recordBuilder) release() { b.rb.Release() }

// build returns the record of p's buffered documents; the caller releases it.
func (b *recordBuilder) build(p *partition) arrow.RecordBatch {
	n := len(p.docs)
	fb := b.rb.Fields()
	id := fb[0].(*array.StringBuilder)
	text := fb[1].(*array.StringBuilder)
	url := fb[2].(*array.StringBuilder)
	lang := fb[3].(*array.StringBuilder)
	score := fb[4].(*array.Float64Builder)
	source := fb[5].(*array.StringBuilder)
	var reason *array.StringBuilder
	if b.sch.rejected {
		reason = fb[6].(*array.StringBuilder)
		reason.Reserve(n)
		reason.ReserveData(p.sizes.reason)
	}
	id.Reserve(n)
	id.ReserveData(p.sizes.id)
	text.Reserve(n)
	text.ReserveData(p.sizes.text)
	url.Reserve(n)
	url.ReserveData(p.sizes.url)
	lang.Reserve(n)
	lang.ReserveData(p.sizes.lang)
	score.Reserve(n)
	source.Reserve(n)
	source.ReserveData(p.sizes.source)

	base := b.sch.canonicalCount()
	sigB := make([]*array.Float64Builder, len(b.sch.signals))
	for i := range sigB {
		sigB[i] = fb[base+i].(*array.Float64Builder)
		sigB[i].Reserve(n)
	}
	fbase := base + len(sigB)

	for di := range p.docs {
		d := &p.docs[di]
		appendString(id, d.id)
		text.Append(d.text) // valid UTF-8: the pipeline.Sink contract
		if d.url == "" {
			url.AppendNull()
		} else {
			appendString(url, d.url)
		}
		lang.Append(d.lang) // a validated code
		score.Append(d.langScore)
		appendString(source, d.source)
		if reason != nil {
			appendString(reason, d.reason)
		}

		if len(sigB) > 0 {
			clear(b.sigSet)
			for j, s := range p.sigs[d.sigs.lo:d.sigs.hi] {
				// Documents mostly carry the same signals in the
				// same order: try the position before the map.
				k := -1
				if j < len(b.sch.signals) && b.sch.signals[j] == s.Name {
					k = j
				} else if i, ok := b.sch.sigIndex[s.Name]; ok {
					k = i
				}
				if k >= 0 && !b.sigSet[k] {
					b.sigVals[k], b.sigSet[k] = s.Value, true
				}
			}
			for k, sb := range sigB {
				if b.sigSet[k] {
					sb.Append(b.sigVals[k])
				} else {
					sb.AppendNull()
				}
			}
		}

		if len(b.fldVals) > 0 {
			clear(b.fldVals)
			for j, f := range p.flds[d.flds.lo:d.flds.hi] {
				k := -1
				if j < len(b.sch.fields) && b.sch.fields[j].name == f.name {
					k = j
				} else if i, ok := b.sch.fldIndex[f.name]; ok {
					k = i
				}
				if k >= 0 && b.fldVals[k] == nil {
					b.fldVals[k] = p.arena[f.lo:f.hi]
				}
			}
			for k, v := range b.fldVals {
				b.ap.appendValue(fb[fbase+k], b.sch.fields[k].t, v, 0)
			}
		}
	}
	return b.rb.NewRecordBatch()
}

// appendString appends s, replacing invalid UTF-8: Parquet readers
// reject it in string columns.
func appendString(b *array.StringBuilder, s string) {
	if utf8.ValidString(s) {
		b.Append(s)
	} else {
		b.Append(strings.ToValidUTF8(s, "\uFFFD"))
	}
}

// appender writes JSON values into builders of their inferred types.
type appender struct {
	str   []byte     // decoded strings
	spans [][][]byte // per depth: the member values of a struct
}

func (a *appender) spansAt(depth, n int) [][]byte {
	for len(a.spans) <= depth {
		a.spans = append(a.spans, nil)
	}
	s := a.spans[depth]
	if cap(s) < n {
		s = make([][]byte, n)
	}
	s = s[:n]
	clear(s)
	a.spans[depth] = s
	return s
}

// appendValue appends the valid JSON value v (nil when absent) to bld,
// whose type was inferred from values including v. A value that does not
// fit (which inference rules out) is written as null rather than panic.
func (a *appender) appendValue(bld array.Builder, t *jtype, v []byte, depth int) {
	if len(v) == 0 || v[0] == 'n' {
		bld.AppendNull()
		return
	}
	switch t.phys() {
	case kBool:
		if b, ok := bld.(*array.BooleanBuilder); ok && (v[0] == 't' || v[0] == 'f') {
			b.Append(v[0] == 't')
			return
		}
	case kInt:
		if b, ok := bld.(*array.Int64Builder); ok {
			if n, ok := parseInt(v); ok {
				b.Append(n)
				return
			}
		}
	case kFloat:
		if b, ok := bld.(*array.Float64Builder); ok {
			// Overflow gives ±Inf with an error; keep the infinity.
			f, err := strconv.ParseFloat(string(v), 64)
			if err == nil || f != 0 {
				b.Append(f)
				return
			}
		}
	case kString:
		if b, ok := bld.(*array.StringBuilder); ok && v[0] == '"' && len(v) >= 2 {
			raw := v[1 : len(v)-1]
			if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
				b.BinaryBuilder.Append(raw)
				return
			}
			var err error
			if a.str, _, err = decodeString(a.str[:0], v); err == nil {
				b.BinaryBuilder.Append(a.str)
				return
			}
		}
	case kJSON:
		if b, ok := bld.(*array.StringBuilder); ok {
			if utf8.Valid(v) {
				b.BinaryBuilder.Append(v)
			} else {
				a.str = appendValidUTF8(a.str[:0], v)
				b.BinaryBuilder.Append(a.str)
			}
			return
		}
	case kList:
		if b, ok := bld.(*array.ListBuilder); ok && v[0] == '[' {
			b.Append(true)
			vb := b.ValueBuilder()
			it := newArrayIter(v)
			for {
				e, ok, err := it.next()
				if err != nil || !ok {
					return
				}
				a.appendValue(vb, t.elem, e, depth+1)
			}
		}
	case kStruct:
		if b, ok := bld.(*array.StructBuilder); ok && v[0] == '{' {
			b.Append(true)
			spans := a.spansAt(depth, len(t.fields))
			it := newObjectIter(v, nil)
			for {
				k, e, keyOK, ok, err := it.next()
				if err != nil || !ok {
					break
				}
				if !keyOK {
					continue
				}
				if i := t.lookup(k); i >= 0 {
					spans[i] = e // the last of duplicate keys wins, as in encoding/json
				}
			}
			for i := range t.fields {
				a.appendValue(b.FieldBuilder(i), t.fields[i].t, spans[i], depth+1)
			}
			return
		}
	}
	bld.AppendNull()
}
