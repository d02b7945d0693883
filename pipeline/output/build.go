package output

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/winnow-data/winnow/internal/jsontext"
)

// recordBuilder turns a partition's buffered documents into one Arrow
// record of the run's schema. Its builders are reused from batch to batch
// and reserved to the batch's exact size, so a batch costs one allocation
// per buffer rather than growth by doubling.
type recordBuilder struct {
	sch      *schema
	rejected bool
	rb       *array.RecordBuilder
	ap       appender
	sigVals  []float64 // by signal slot
	sigSet   []bool
	slots    []int // per column: first signal slot (groups and signals)
	fldVals  [][]byte
	fldSet   []bool
	extra    []byte // the row's extra object
	nExtra   int
}

func newRecordBuilder(mem memory.Allocator, sch *schema, rejected bool) *recordBuilder {
	b := &recordBuilder{
		sch:      sch,
		rejected: rejected,
		rb:       array.NewRecordBuilder(mem, sch.arrowSchema(rejected)),
		slots:    make([]int, len(sch.cols)),
		fldVals:  make([][]byte, len(sch.cols)),
		fldSet:   make([]bool, len(sch.cols)),
	}
	n := 0
	for i, c := range sch.cols {
		b.slots[i] = n
		switch c.kind {
		case colSignal:
			n++
		case colGroup:
			n += len(c.members)
		}
	}
	b.sigVals = make([]float64, n)
	b.sigSet = make([]bool, n)
	return b
}

func (b *recordBuilder) release() { b.rb.Release() }

// addExtra adds member name: raw JSON value v to the row's extra object.
func (b *recordBuilder) addExtra(name string, v []byte) {
	if b.nExtra == 0 {
		b.extra = append(b.extra[:0], '{')
	} else {
		b.extra = append(b.extra, ',')
	}
	b.nExtra++
	b.extra = jsontext.AppendString(b.extra, name)
	b.extra = append(b.extra, ':')
	b.extra = append(b.extra, v...)
}

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
	if b.rejected {
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

	base := canonicalCount(b.rejected)
	cols := b.sch.cols
	extraB := fb[base+len(cols)].(*array.StringBuilder)
	extraB.Reserve(n)
	var num []byte

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
		b.nExtra = 0

		clear(b.sigSet)
		for _, s := range p.sigs[d.sigs.lo:d.sigs.hi] {
			ref, ok := b.sch.sigs[s.Name]
			if !ok {
				if utf8.ValidString(s.Name) && !isCanonical(s.Name) {
					num = appendJSONFloat(num[:0], s.Value)
					b.addExtra(s.Name, num)
				}
				continue
			}
			k := b.slots[ref.col] + max(ref.member, 0)
			if !b.sigSet[k] {
				b.sigVals[k], b.sigSet[k] = s.Value, true
			}
		}

		clear(b.fldSet)
		for _, f := range p.flds[d.flds.lo:d.flds.hi] {
			v := p.arena[f.lo:f.hi]
			i, ok := b.sch.byName[f.name]
			if ok && b.sch.cols[i].kind == colField && !b.fldSet[i] && f.valid && fits(b.sch.cols[i].t, v, 0) {
				b.fldVals[i], b.fldSet[i] = v, true
				continue
			}
			if ok && b.sch.cols[i].kind == colField && !b.fldSet[i] && !f.valid && b.sch.cols[i].t.kind == kJSON {
				// Kept as its text, as in the column's other rows.
				b.fldVals[i], b.fldSet[i] = v, true
				continue
			}
			if !utf8.ValidString(f.name) || isCanonical(f.name) || (ok && b.fldSet[i]) {
				// A name no JSON can carry; a field named like a
				// canonical column, which gives way to it; a duplicate
				// (the first wins).
				continue
			}
			num = appendRawJSON(num[:0], v, f.valid)
			b.addExtra(f.name, num)
		}

		for ci := range cols {
			c := &cols[ci]
			fbd := fb[base+ci]
			switch c.kind {
			case colSignal:
				k := b.slots[ci]
				if b.sigSet[k] {
					fbd.(*array.Float64Builder).Append(b.sigVals[k])
				} else {
					fbd.AppendNull()
				}
			case colGroup:
				sb := fbd.(*array.StructBuilder)
				lo := b.slots[ci]
				set := false
				for k := lo; k < lo+len(c.members); k++ {
					set = set || b.sigSet[k]
				}
				if !set {
					sb.AppendNull()
					continue
				}
				sb.Append(true)
				for m := range c.members {
					mb := sb.FieldBuilder(m).(*array.Float64Builder)
					if b.sigSet[lo+m] {
						mb.Append(b.sigVals[lo+m])
					} else {
						mb.AppendNull()
					}
				}
			case colField:
				var v []byte
				if b.fldSet[ci] {
					v = b.fldVals[ci]
				}
				b.ap.appendValue(fbd, c.t, v, 0)
			}
		}
		if b.nExtra == 0 {
			extraB.AppendNull()
		} else {
			b.extra = append(b.extra, '}')
			extraB.BinaryBuilder.Append(b.extra)
		}
	}
	return b.rb.NewRecordBatch()
}

// fits reports whether the valid JSON value v can be written into a
// column of type t without loss: a value that does not is written to the
// extra column instead.
func fits(t *jtype, v []byte, depth int) bool {
	if len(v) == 0 || v[0] == 'n' {
		return true
	}
	switch t.phys() {
	case kJSON:
		return true
	case kBool:
		return v[0] == 't' || v[0] == 'f'
	case kString:
		return v[0] == '"'
	case kInt:
		if v[0] != '-' && (v[0] < '0' || v[0] > '9') {
			return false
		}
		_, ok := parseInt(v)
		return ok
	case kFloat:
		if v[0] != '-' && (v[0] < '0' || v[0] > '9') {
			return false
		}
		if intLiteral(v) {
			return exactDouble(v) // else a double would round it
		}
		_, ok := parseFloat(v)
		return ok
	case kList:
		if v[0] != '[' || depth >= maxDepth {
			return false
		}
		it := newArrayIter(v)
		for {
			e, ok, err := it.next()
			if err != nil {
				return false
			}
			if !ok {
				return true
			}
			if !fits(t.elem, e, depth+1) {
				return false
			}
		}
	case kStruct:
		if v[0] != '{' || depth >= maxDepth {
			return false
		}
		it := newObjectIter(v, nil)
		for {
			k, e, keyOK, ok, err := it.next()
			if err != nil {
				return false
			}
			if !ok {
				return true
			}
			i := -1
			if keyOK {
				i = t.lookup(k)
			}
			if i < 0 || !fits(t.fields[i].t, e, depth+1) {
				return false // a member without a column would be lost
			}
		}
	}
	return false
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
