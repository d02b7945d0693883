package input

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/winnow-data/winnow/internal/jsontext"
	"github.com/winnow-data/winnow/pipeline"
)

// parquetSource reads a Parquet file record batch by record batch,
// decoding rows into documents while reading.
type parquetSource struct {
	in *input
}

func openParquet(in *input) (pipeline.Source, error) { return &parquetSource{in: in}, nil }

func (s *parquetSource) Name() string { return s.in.file.Path }
func (s *parquetSource) Size() int64  { return s.in.file.Size }

// batchBytes is the decoded size a record batch aims at: big enough to
// amortise per-batch work, small enough that memory stays flat whatever
// the row group size.
const batchBytes = 8 << 20

// Records yields one document per row; Record.Offset is -1 (rows have no
// byte offset of their own). Row groups are read one by one: damage in a
// row group (a corrupt page) is a recovered *pipeline.FileError naming
// the group and the row where decoding failed, at the stored offset of
// the group, and reading goes on with the next group, so every group
// that decodes is kept. Record indexes are row numbers in the file.
func (s *parquetSource) Records(ctx context.Context) iter.Seq2[pipeline.Record, error] {
	return func(yield func(pipeline.Record, error) bool) {
		r := &parquetReader{src: s, yield: yield}
		err := r.read(ctx)
		if err != nil && !r.stopped && ctx.Err() == nil {
			yield(pipeline.Record{}, &pipeline.FileError{File: s.Name(), Offset: r.damageOffset(), Records: r.rows, Err: err})
		}
	}
}

type parquetReader struct {
	src     *parquetSource
	yield   func(pipeline.Record, error) bool
	pf      *file.Reader
	rows    int64 // index of the next row
	stopped bool  // yield returned false
}

// damageOffset is the stored offset of the row group holding the next
// row, or 0 when unknown.
func (r *parquetReader) damageOffset() int64 {
	if r.pf == nil {
		return 0
	}
	md := r.pf.MetaData()
	rows := r.rows
	for k := 0; k < md.NumRowGroups(); k++ {
		rg := md.RowGroup(k)
		if rows < rg.NumRows() {
			return groupOffset(rg)
		}
		rows -= rg.NumRows()
	}
	return 0
}

// groupOffset is the stored offset of a row group, or 0 when unknown.
func groupOffset(rg *metadata.RowGroupMetaData) int64 {
	if off := rg.FileOffset(); off > 0 {
		return off
	}
	if cc, err := rg.ColumnChunk(0); err == nil {
		return cc.DataPageOffset()
	}
	return 0
}

// read reads the file; an error it returns ends the file (the footer,
// the schema). Damage inside a row group is reported by readGroup.
func (r *parquetReader) read(ctx context.Context) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("corrupt Parquet data: %v", p)
		}
	}()
	props := parquet.NewReaderProperties(memory.DefaultAllocator)
	// Read pages through a buffered stream instead of whole column chunks,
	// so memory does not grow with row group size.
	props.BufferedStreamEnabled = true
	// Opening parses the footer, which a file of very many columns makes
	// long: it runs on a goroutine of its own so that cancellation is
	// answered at once.
	pf, err := cancellable(ctx, func() (*file.Reader, error) { return openParquetFile(r.src.in.file, props) })
	if err != nil {
		return err
	}
	r.pf = pf
	defer pf.Close()
	md := pf.MetaData()
	total := pf.NumRows()
	if total <= 0 {
		return nil
	}
	var decoded int64
	for k := 0; k < md.NumRowGroups(); k++ {
		decoded += md.RowGroup(k).TotalByteSize()
	}
	batch := int64(1024)
	if decoded > 0 {
		batch = max(1, min(8192, batchBytes*total/decoded))
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: batch}, memory.DefaultAllocator)
	if err != nil {
		return err
	}
	schema, err := cancellable(ctx, fr.Schema)
	if err != nil {
		return err
	}
	plan, err := r.src.plan(schema)
	if err != nil {
		return err
	}
	for k := 0; k < md.NumRowGroups(); k++ {
		first := r.rows
		n := md.RowGroup(k).NumRows()
		gerr := r.readGroup(ctx, fr, k, plan, total)
		if r.stopped || ctx.Err() != nil {
			return nil
		}
		if gerr != nil {
			fe := &pipeline.FileError{File: r.src.Name(), Offset: groupOffset(md.RowGroup(k)), Records: r.rows, Recovered: k+1 < md.NumRowGroups(),
				Err: fmt.Errorf("row group %d (rows %d to %d): damaged at row %d, %d rows lost: %w", k, first, first+n-1, r.rows, first+n-r.rows, gerr)}
			if !r.yield(pipeline.Record{}, fe) {
				r.stopped = true
				return nil
			}
		}
		r.rows = first + n
	}
	return nil
}

// readGroup yields the rows of row group k; a panic inside the Parquet
// library on corrupt data becomes an error.
func (r *parquetReader) readGroup(ctx context.Context, fr *pqarrow.FileReader, k int, plan *parquetPlan, total int64) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("corrupt Parquet data: %v", p)
		}
	}()
	// Making the reader costs time quadratic in the number of columns
	// inside the Parquet library (each column's chunk reader scans every
	// column's index location), and a batch of a very wide file is slow
	// to decode: both run on a goroutine of their own so that
	// cancellation is answered at once. A reader abandoned that way is
	// left to the collector.
	rr, err := cancellable(ctx, func() (pqarrow.RecordReader, error) { return fr.GetRecordReader(ctx, nil, []int{k}) })
	if err != nil {
		return err
	}
	abandoned := false
	defer func() {
		if !abandoned {
			rr.Release()
		}
	}()
	doc := &pipeline.Document{}
	size := r.src.Size()
	for {
		more, err := cancellable(ctx, func() (bool, error) { return rr.Next(), nil })
		if err != nil {
			abandoned = true
			return nil
		}
		if !more {
			break
		}
		rec := rr.RecordBatch()
		plan.bind(rec)
		for i := 0; i < int(rec.NumRows()); i++ {
			doc.Reset()
			var out pipeline.Record
			var rerr error
			if reason := plan.row(i, doc); reason != "" {
				rerr = &pipeline.RecordError{File: r.src.Name(), Index: r.rows, Offset: -1, Reason: reason}
			} else {
				out = pipeline.Record{Index: r.rows, Offset: -1, Doc: doc}
				if size > 0 {
					out.StoredOffset = size * (r.rows + 1) / total
				}
			}
			r.rows++
			if !r.yield(out, rerr) {
				r.stopped = true
				return nil
			}
		}
	}
	return rr.Err()
}

// cancellable runs f on a goroutine of its own and returns its result,
// or ctx's error as soon as ctx is done (f then finishes unobserved).
// It is for the few library calls that take long on hostile input and
// take no context.
func cancellable[T any](ctx context.Context, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				var zero T
				ch <- result{zero, fmt.Errorf("corrupt Parquet data: %v", p)}
			}
		}()
		v, err := f()
		ch <- result{v, err}
	}()
	select {
	case res := <-ch:
		return res.v, res.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// colRef is a column reached by a dotted path: a top-level column and then
// struct children.
type colRef struct {
	top      int
	children []int
	// Bound to the current batch: the struct arrays on the way (for their
	// nulls) and the leaf.
	parents []arrow.Array
	leaf    arrow.Array
}

func (c *colRef) bind(rec arrow.RecordBatch) {
	a := rec.Column(c.top)
	c.parents = c.parents[:0]
	for _, ch := range c.children {
		c.parents = append(c.parents, a)
		a = a.(*array.Struct).Field(ch)
	}
	c.leaf = a
}

func (c *colRef) valid(i int) bool {
	for _, p := range c.parents {
		if p.IsNull(i) {
			return false
		}
	}
	return c.leaf.IsValid(i)
}

// parquetPlan maps a file's columns to document fields.
type parquetPlan struct {
	text          []*colRef
	id, url, date *colRef // nil when absent
	// lang, langScore and source are winnow's own columns in a shard of
	// an earlier run; nil when absent.
	lang, langScore, source *colRef
	pass                    []int // top-level columns passed through
	names                   []string
	// sigs are struct columns of doubles: an earlier run's signals
	// ("stage.signal" is member signal of column stage), adopted as
	// signals again so a chained run writes them the same way.
	sigs    []sigGroup
	sigArrs []*array.Struct
	cols    []arrow.Array
	ends    []int
	hint    int
	// maxRecordBytes bounds a row's text, as it bounds a JSONL line.
	maxRecordBytes int64
}

// findColumn resolves p in schema: a top-level column named p.full, else
// segment by segment through struct columns.
func findColumn(schema *arrow.Schema, p path) *colRef {
	if idx := schema.FieldIndices(p.full); len(idx) > 0 {
		return &colRef{top: idx[len(idx)-1]}
	}
	if len(p.segs) == 1 {
		return nil
	}
	idx := schema.FieldIndices(p.segs[0])
	if len(idx) == 0 {
		return nil
	}
	c := &colRef{top: idx[len(idx)-1]}
	t := schema.Field(c.top).Type
	for _, seg := range p.segs[1:] {
		st, ok := t.(*arrow.StructType)
		if !ok {
			return nil
		}
		k, ok := st.FieldIdx(seg)
		if !ok {
			return nil
		}
		c.children = append(c.children, k)
		t = st.Field(k).Type
	}
	return c
}

func (s *parquetSource) plan(schema *arrow.Schema) (*parquetPlan, error) {
	m := s.in.fields
	p := &parquetPlan{maxRecordBytes: m.maxRecordBytes}
	for _, tp := range m.text {
		if c := findColumn(schema, tp); c != nil {
			p.text = append(p.text, c)
		}
	}
	if len(p.text) == 0 {
		var want, have []string
		for _, tp := range m.text {
			want = append(want, tp.full)
		}
		for _, f := range schema.Fields() {
			have = append(have, f.Name)
		}
		return nil, fmt.Errorf("no text column: none of %s is a column (columns: %s)",
			strings.Join(want, ", "), strings.Join(have, ", "))
	}
	p.id, p.url, p.date = findColumn(schema, m.id), findColumn(schema, m.url), findColumn(schema, m.date)
	own := func(name string) *colRef { return findColumn(schema, path{full: name, segs: []string{name}}) }
	p.lang, p.langScore, p.source = own("lang"), own("lang_score"), own("source")
	for i, f := range schema.Fields() {
		if names, ok := signalGroup(f); ok && !canonical(f.Name) {
			p.sigs = append(p.sigs, sigGroup{col: i, names: names})
			continue
		}
		if !canonical(f.Name) {
			p.pass = append(p.pass, i)
			p.names = append(p.names, f.Name)
		}
	}
	return p, nil
}

func (p *parquetPlan) bind(rec arrow.RecordBatch) {
	for _, c := range p.text {
		c.bind(rec)
	}
	for _, c := range []*colRef{p.id, p.url, p.date, p.lang, p.langScore, p.source} {
		if c != nil {
			c.bind(rec)
		}
	}
	p.cols = p.cols[:0]
	for _, i := range p.pass {
		p.cols = append(p.cols, rec.Column(i))
	}
	p.sigArrs = p.sigArrs[:0]
	for _, g := range p.sigs {
		st, _ := rec.Column(g.col).(*array.Struct)
		p.sigArrs = append(p.sigArrs, st)
	}
}

// sigGroup is a struct column read as signals.
type sigGroup struct {
	col   int
	names []string // "column.member", by member
}

// signalGroup reports whether f is a struct column of doubles, as winnow
// writes the signals of one stage, and the signals' names.
func signalGroup(f arrow.Field) ([]string, bool) {
	st, ok := f.Type.(*arrow.StructType)
	if !ok || st.NumFields() == 0 {
		return nil, false
	}
	names := make([]string, st.NumFields())
	for k, m := range st.Fields() {
		if m.Type.ID() != arrow.FLOAT64 || m.Name == "" {
			return nil, false
		}
		names[k] = f.Name + "." + m.Name
	}
	return names, true
}

// row fills doc from row i of the bound batch, or returns the reason it
// cannot.
func (p *parquetPlan) row(i int, doc *pipeline.Document) string {
	var parts []string
	found := false
	for _, c := range p.text {
		if !c.valid(i) {
			continue
		}
		var ok bool
		if parts, ok = appendArrowText(parts, c.leaf, i); ok {
			found = true
		}
	}
	if !found {
		return "missing_text"
	}
	n := 0
	for _, s := range parts {
		n += len(s)
	}
	if int64(n) > p.maxRecordBytes {
		return "record_too_large"
	}
	doc.Text = joinParts(parts)
	if p.id != nil && p.id.valid(i) {
		doc.ID = arrowID(p.id.leaf, i)
	}
	if p.url != nil && p.url.valid(i) {
		if s, ok := arrowString(p.url.leaf, i); ok {
			doc.URL = strings.Clone(s)
		}
	}
	if p.date != nil && p.date.valid(i) {
		doc.Date = arrowDate(p.date.leaf, i)
	}
	// A shard of an earlier run keeps its language and provenance, so
	// runs can be chained (identify languages once, dedup later).
	if p.lang != nil && p.lang.valid(i) {
		if s, ok := arrowString(p.lang.leaf, i); ok {
			doc.Lang = strings.Clone(s)
		}
	}
	if p.langScore != nil && p.langScore.valid(i) {
		if f, ok := p.langScore.leaf.(*array.Float64); ok {
			doc.LangScore = f.Value(i)
		}
	}
	if p.source != nil && p.source.valid(i) {
		if s, ok := arrowString(p.source.leaf, i); ok {
			doc.Source = strings.Clone(s)
		}
	}
	for k, st := range p.sigArrs {
		if st == nil || st.IsNull(i) {
			continue
		}
		for m, name := range p.sigs[k].names {
			if f, ok := st.Field(m).(*array.Float64); ok && f.IsValid(i) {
				doc.Signals = append(doc.Signals, pipeline.Signal{Name: name, Value: f.Value(i)})
			}
		}
	}
	// Every passed-through value of the row shares one buffer: the engine
	// keeps the document after the batch is released.
	// Sized like the previous row's, to append without regrowing.
	buf := make([]byte, 0, p.hint)
	p.ends = p.ends[:0]
	for _, a := range p.cols {
		buf = appendArrowJSON(buf, a, i)
		p.ends = append(p.ends, len(buf))
	}
	p.hint = len(buf) + len(buf)/4
	start := 0
	for k, end := range p.ends {
		// A null extra column (winnow's, of an earlier run) is no field.
		if p.names[k] != "extra" || end-start != 4 || string(buf[start:end]) != "null" {
			doc.Fields = append(doc.Fields, pipeline.Field{Name: p.names[k], Value: json.RawMessage(buf[start:end:end])})
		}
		start = end
	}
	return ""
}

// arrowString returns the string at i of a string or binary array. The
// result aliases the batch's memory.
func arrowString(a arrow.Array, i int) (string, bool) {
	switch a := a.(type) {
	case *array.Dictionary: // categorical strings, as pandas writes them
		return arrowString(a.Dictionary(), a.GetValueIndex(i))
	case interface{ Value(int) string }: // String, LargeString, StringView
		return a.Value(i), true
	case interface{ ValueString(int) string }: // Binary, LargeBinary, BinaryView
		return a.ValueString(i), true
	}
	return "", false
}

// appendArrowText appends the text of value i: a string, or the strings
// (or the "content" of struct elements: chat turns) of a list.
func appendArrowText(parts []string, a arrow.Array, i int) ([]string, bool) {
	if s, ok := arrowString(a, i); ok {
		return append(parts, s), true
	}
	l, ok := a.(array.ListLike)
	if !ok {
		return parts, false
	}
	start, end := l.ValueOffsets(i)
	vals := l.ListValues()
	if st, ok := vals.(*array.Struct); ok {
		k, ok := st.DataType().(*arrow.StructType).FieldIdx("content")
		if !ok {
			return parts, start == end
		}
		n0 := len(parts)
		content := st.Field(k)
		for j := int(start); j < int(end); j++ {
			if st.IsValid(j) && content.IsValid(j) {
				if s, ok := arrowString(content, j); ok {
					parts = append(parts, s)
				}
			}
		}
		return parts, start == end || len(parts) > n0
	}
	n0 := len(parts)
	for j := int(start); j < int(end); j++ {
		if vals.IsValid(j) {
			if s, ok := arrowString(vals, j); ok {
				parts = append(parts, s)
			}
		}
	}
	return parts, start == end || len(parts) > n0
}

// joinParts joins the non-empty parts with a blank line into a new
// string (the parts alias the batch's memory).
func joinParts(parts []string) string {
	if len(parts) == 1 {
		return strings.Clone(parts[0])
	}
	n := 0
	for _, s := range parts {
		n += len(s) + 2
	}
	var b strings.Builder
	b.Grow(n)
	for _, s := range parts {
		if s == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(s)
	}
	return b.String()
}

func arrowID(a arrow.Array, i int) string {
	if s, ok := arrowString(a, i); ok {
		return strings.Clone(s)
	}
	switch a := a.(type) {
	case *array.Int64:
		return strconv.FormatInt(a.Value(i), 10)
	case *array.Int32:
		return strconv.FormatInt(int64(a.Value(i)), 10)
	case *array.Int16:
		return strconv.FormatInt(int64(a.Value(i)), 10)
	case *array.Int8:
		return strconv.FormatInt(int64(a.Value(i)), 10)
	case *array.Uint64:
		return strconv.FormatUint(a.Value(i), 10)
	case *array.Uint32:
		return strconv.FormatUint(uint64(a.Value(i)), 10)
	case *array.Uint16:
		return strconv.FormatUint(uint64(a.Value(i)), 10)
	case *array.Uint8:
		return strconv.FormatUint(uint64(a.Value(i)), 10)
	}
	return ""
}

func arrowDate(a arrow.Array, i int) time.Time {
	switch a := a.(type) {
	case *array.Timestamp:
		return a.Value(i).ToTime(a.DataType().(*arrow.TimestampType).Unit).UTC()
	case *array.Date32:
		return a.Value(i).ToTime().UTC()
	case *array.Date64:
		return a.Value(i).ToTime().UTC()
	case *array.Int64:
		return unixSeconds(float64(a.Value(i)))
	case *array.Int32:
		return unixSeconds(float64(a.Value(i)))
	case *array.Float64:
		return unixSeconds(a.Value(i))
	}
	if s, ok := arrowString(a, i); ok {
		return parseDate(s)
	}
	return time.Time{}
}

// appendArrowJSON appends value i of a as JSON: strings and numbers
// directly, anything else through arrow's own JSON form.
func appendArrowJSON(buf []byte, a arrow.Array, i int) []byte {
	if a.IsNull(i) {
		return append(buf, "null"...)
	}
	if s, ok := arrowString(a, i); ok {
		return jsontext.AppendString(buf, s)
	}
	switch a := a.(type) {
	case *array.Int64:
		return strconv.AppendInt(buf, a.Value(i), 10)
	case *array.Int32:
		return strconv.AppendInt(buf, int64(a.Value(i)), 10)
	case *array.Float64:
		return appendJSONFloat(buf, a.Value(i), 64)
	case *array.Float32:
		return appendJSONFloat(buf, float64(a.Value(i)), 32)
	case *array.Boolean:
		return strconv.AppendBool(buf, a.Value(i))
	}
	raw, err := marshalArrow(a, i)
	if err != nil || !json.Valid(raw) {
		return append(buf, "null"...)
	}
	return append(buf, raw...)
}

// marshalArrow encodes one value with arrow's JSON marshalling, which
// panics on values it cannot encode.
func marshalArrow(a arrow.Array, i int) (raw []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	return json.Marshal(a.GetOneForMarshal(i))
}

func appendJSONFloat(buf []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(buf, "null"...) // JSON has no NaN or infinity
	}
	return strconv.AppendFloat(buf, f, 'g', -1, bits)
}
