package input

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/winnow-data/winnow/pipeline"
)

func contextWithCancel(t testing.TB) (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

var turnType = arrow.StructOf(
	arrow.Field{Name: "role", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "content", Type: arrow.BinaryTypes.String},
)

var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "text", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "url", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "date", Type: &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}, Nullable: true},
	{Name: "meta", Type: arrow.StructOf(
		arrow.Field{Name: "lang", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "score", Type: arrow.PrimitiveTypes.Float64},
	), Nullable: true},
	{Name: "messages", Type: arrow.ListOf(turnType), Nullable: true},
	{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
}, nil)

type testRow struct {
	id       int64
	text     *string
	url      string
	date     time.Time
	lang     string
	score    float64
	messages [][2]string
	tags     []string
}

func strp(s string) *string { return &s }

// writeParquet writes rows as a zstd-compressed Parquet file with row
// groups of rowGroup rows.
func writeParquet(t testing.TB, rows []testRow, rowGroup int64) []byte {
	t.Helper()
	b := array.NewRecordBuilder(memory.DefaultAllocator, testSchema)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.Int64Builder).Append(r.id)
		if r.text != nil {
			b.Field(1).(*array.StringBuilder).Append(*r.text)
		} else {
			b.Field(1).AppendNull()
		}
		if r.url != "" {
			b.Field(2).(*array.StringBuilder).Append(r.url)
		} else {
			b.Field(2).AppendNull()
		}
		if !r.date.IsZero() {
			b.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(r.date.UnixMilli()))
		} else {
			b.Field(3).AppendNull()
		}
		sb := b.Field(4).(*array.StructBuilder)
		sb.Append(true)
		sb.FieldBuilder(0).(*array.StringBuilder).Append(r.lang)
		sb.FieldBuilder(1).(*array.Float64Builder).Append(r.score)
		lb := b.Field(5).(*array.ListBuilder)
		lb.Append(true)
		tb := lb.ValueBuilder().(*array.StructBuilder)
		for _, m := range r.messages {
			tb.Append(true)
			tb.FieldBuilder(0).(*array.StringBuilder).Append(m[0])
			tb.FieldBuilder(1).(*array.StringBuilder).Append(m[1])
		}
		gb := b.Field(6).(*array.ListBuilder)
		gb.Append(true)
		for _, g := range r.tags {
			gb.ValueBuilder().(*array.StringBuilder).Append(g)
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd), parquet.WithMaxRowGroupLength(rowGroup))
	w, err := pqarrow.NewFileWriter(testSchema, &buf, props, pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func smallParquet(t testing.TB) []byte {
	return writeParquet(t, []testRow{{id: 1, text: strp("hi"), messages: [][2]string{{"user", "q"}}}}, 10)
}

func TestParquet(t *testing.T) {
	day := time.Date(2024, 3, 4, 5, 6, 7, 0, time.UTC)
	rows := []testRow{
		{id: 7, text: strp("first"), url: "https://e.com/1", date: day, lang: "en", score: 0.5,
			messages: [][2]string{{"user", "Hi?"}, {"assistant", "Hello!"}}, tags: []string{"a", "b"}},
		{id: 8, text: nil, lang: "de"},
		{id: 9, text: strp("third \"q\"\n"), lang: "fr", score: 2},
	}
	data := writeParquet(t, rows, 2)
	t.Run("default mapping", func(t *testing.T) {
		r := readAll(t, mustOpenBytes(t, "rows.parquet", data, Options{}))
		if r.fileErr != nil {
			t.Fatal(r.fileErr)
		}
		if got := r.texts(); !reflect.DeepEqual(got, []string{"first", "third \"q\"\n"}) {
			t.Errorf("texts %q", got)
		}
		if !reflect.DeepEqual(r.index, []int64{0, 2}) || len(r.recErrs) != 1 || r.recErrs[0].Reason != "missing_text" || r.recErrs[0].Index != 1 {
			t.Errorf("indexes %v, errors %v", r.index, r.recErrs)
		}
		d := r.docs[0]
		if d.ID != "7" || d.URL != "https://e.com/1" || !d.Date.Equal(day) {
			t.Errorf("id %q url %q date %v", d.ID, d.URL, d.Date)
		}
		want := `date="2024-03-04T05:06:07Z" meta={"lang":"en","score":0.5} messages=[{"content":"Hi?","role":"user"},{"content":"Hello!","role":"assistant"}] tags=["a","b"]`
		if got := fieldsString(d); got != want {
			t.Errorf("fields\n%s\nwant\n%s", got, want)
		}
		if got := fieldsString(r.docs[1]); !strings.HasPrefix(got, `date=null meta={"lang":"fr","score":2} messages=[] tags=[]`) {
			t.Errorf("fields of row 2: %s", got)
		}
	})
	t.Run("chat turns and struct paths", func(t *testing.T) {
		r := readAll(t, mustOpenBytes(t, "rows.parquet", data, Options{TextFields: []string{"messages"}, IDField: "meta.lang"}))
		if len(r.docs) != 3 || r.docs[0].Text != "Hi?\n\nHello!" || r.docs[1].Text != "" {
			t.Fatalf("texts %q, errors %v", r.texts(), r.recErrs)
		}
		if r.docs[1].ID != "de" {
			t.Errorf("id from meta.lang: %q", r.docs[1].ID)
		}
	})
	t.Run("text over MaxRecordBytes", func(t *testing.T) {
		r := readAll(t, mustOpenBytes(t, "rows.parquet", data, Options{MaxRecordBytes: 6}))
		if got := r.texts(); !reflect.DeepEqual(got, []string{"first"}) || !reflect.DeepEqual(r.reasons(), []string{"missing_text", "record_too_large"}) {
			t.Errorf("texts %q, errors %v", got, r.reasons())
		}
	})
	t.Run("no text column", func(t *testing.T) {
		r := readAll(t, mustOpenBytes(t, "rows.parquet", data, Options{TextFields: []string{"body"}}))
		if r.fileErr == nil || !strings.Contains(r.fileErr.Error(), "columns: id, text, url") {
			t.Errorf("file error %v", r.fileErr)
		}
	})
}

func TestParquetManyRowGroups(t *testing.T) {
	var rows []testRow
	for i := range 5000 {
		rows = append(rows, testRow{id: int64(i), text: strp(fmt.Sprintf("row %d", i))})
	}
	data := writeParquet(t, rows, 700)
	r := readAll(t, mustOpenBytes(t, "many.parquet", data, Options{}))
	if r.fileErr != nil || len(r.docs) != 5000 {
		t.Fatalf("%d docs, %v", len(r.docs), r.fileErr)
	}
	for i, d := range r.docs {
		if d.Text != fmt.Sprintf("row %d", i) || r.index[i] != int64(i) || d.ID != fmt.Sprint(i) {
			t.Fatalf("row %d: %q id %q index %d", i, d.Text, d.ID, r.index[i])
		}
	}
}

func TestParquetCorrupt(t *testing.T) {
	var rows []testRow
	for i := range 3000 {
		rows = append(rows, testRow{id: int64(i), text: strp(strings.Repeat(fmt.Sprintf("row %d ", i), 20))})
	}
	data := writeParquet(t, rows, 1000)
	for _, at := range []int{len(data) / 3, len(data) / 2, 2 * len(data) / 3} {
		bad := bytes.Clone(data)
		for i := at; i < at+64; i++ {
			bad[i] ^= 0x5a
		}
		src, err := openBytes(t, "bad.parquet", bad, Options{})
		if err != nil {
			continue
		}
		r := readAll(t, src)
		damaged := len(r.recovered)
		if r.fileErr != nil {
			damaged++
		}
		// Damage loses at most the row groups it touches.
		if n := len(r.docs) + len(r.recErrs); n < 3000-1000*damaged || damaged == 0 && n != 3000 {
			t.Errorf("damage at %d: %d records and %d damage reports", at, n, damaged)
		}
	}
	// A truncated file has no footer.
	r := readAll(t, mustOpenBytes(t, "cut.parquet", data[:len(data)/2], Options{}))
	if r.fileErr == nil || len(r.docs) != 0 {
		t.Errorf("truncated: %d docs, error %v", len(r.docs), r.fileErr)
	}
}

func TestParquetDictionaryStrings(t *testing.T) {
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	schema := arrow.NewSchema([]arrow.Field{{Name: "text", Type: dt}, {Name: "kind", Type: dt}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for _, v := range [][2]string{{"a", "x"}, {"b", "y"}, {"a", "x"}} {
		b.Field(0).(*array.BinaryDictionaryBuilder).AppendString(v[0])
		b.Field(1).(*array.BinaryDictionaryBuilder).AppendString(v[1])
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	w, err := pqarrow.NewFileWriter(schema, &buf, parquet.NewWriterProperties(), pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := readAll(t, mustOpenBytes(t, "dict.parquet", buf.Bytes(), Options{}))
	if got := r.texts(); !reflect.DeepEqual(got, []string{"a", "b", "a"}) || r.fileErr != nil {
		t.Fatalf("texts %q, error %v", got, r.fileErr)
	}
	if got := fieldsString(r.docs[1]); got != `kind="y"` {
		t.Errorf("fields %s", got)
	}
}

// damagePage corrupts the middle of the text column's chunk in row group
// g, so that its page fails to decompress.
func damagePage(t testing.TB, data []byte, g int) []byte {
	t.Helper()
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	cc, err := pf.MetaData().RowGroup(g).ColumnChunk(1)
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(data)
	// The chunk's size counts from its dictionary page, if it has one.
	start := cc.DataPageOffset()
	if cc.HasDictionaryPage() {
		start = cc.DictionaryPageOffset()
	}
	end := start + cc.TotalCompressedSize()
	mid := cc.DataPageOffset() + (end-cc.DataPageOffset())/2
	for i := mid; i < mid+32; i++ {
		bad[i] ^= 0x5a
	}
	return bad
}

// TestParquetDamagedRowGroup: a damaged page loses its own row group
// only; every other group is read, and the damage names the group.
func TestParquetDamagedRowGroup(t *testing.T) {
	for _, tc := range []struct{ groups, damaged int }{{2, 1}, {5, 3}, {5, 0}, {3, 2}} {
		t.Run(fmt.Sprintf("group %d of %d", tc.damaged, tc.groups), func(t *testing.T) {
			const per = 400
			var rows []testRow
			for i := range tc.groups * per {
				rows = append(rows, testRow{id: int64(i), text: strp(strings.Repeat(fmt.Sprintf("row %d ", i), 20))})
			}
			bad := damagePage(t, writeParquet(t, rows, per), tc.damaged)
			src := mustOpenBytes(t, "bad.parquet", bad, Options{})
			got := map[int64]bool{}
			var damage []*pipeline.FileError
			for rec, err := range src.Records(t.Context()) {
				var fe *pipeline.FileError
				switch {
				case errors.As(err, &fe):
					damage = append(damage, fe)
				case err != nil:
					t.Fatalf("unexpected error %v", err)
				default:
					if want := fmt.Sprintf("row %d ", rec.Index); !strings.HasPrefix(rec.Doc.Text, want) {
						t.Fatalf("record %d holds %.20q", rec.Index, rec.Doc.Text)
					}
					got[rec.Index] = true
				}
			}
			for i := range int64(tc.groups * per) {
				if int(i)/per != tc.damaged && !got[i] {
					t.Fatalf("row %d of intact row group %d lost (%d rows read)", i, int(i)/per, len(got))
				}
			}
			if len(damage) != 1 {
				t.Fatalf("%d damage reports, want 1", len(damage))
			}
			fe := damage[0]
			if msg := fe.Error(); !strings.Contains(msg, fmt.Sprintf("row group %d ", tc.damaged)) || !strings.Contains(msg, "bad.parquet") {
				t.Errorf("damage report %q does not name the file and row group", msg)
			}
			if lo := int64(tc.damaged * per); fe.Records < lo || fe.Records >= lo+per {
				t.Errorf("damage at row %d, outside the damaged group", fe.Records)
			}
			if fe.Recovered != (tc.damaged+1 < tc.groups) {
				t.Errorf("recovered %v", fe.Recovered)
			}
		})
	}
}

// wideParquet is a one-row Parquet file of n columns: text and n-1 null
// int8 columns.
func wideParquet(t testing.TB, n int) []byte {
	fields := []arrow.Field{{Name: "text", Type: arrow.BinaryTypes.String}}
	for i := 1; i < n; i++ {
		fields = append(fields, arrow.Field{Name: fmt.Sprintf("c%d", i), Type: arrow.PrimitiveTypes.Int8, Nullable: true})
	}
	schema := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).Append("hello")
	for i := 1; i < n; i++ {
		b.Field(i).AppendNull()
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	w, err := pqarrow.NewFileWriter(schema, &buf, parquet.NewWriterProperties(parquet.WithDictionaryDefault(false), parquet.WithStats(false)), pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestParquetWideCancel: reading a file of very many columns, slow in
// the Parquet library, ends within a second of cancellation.
func TestParquetWideCancel(t *testing.T) {
	src := mustOpenBytes(t, "wide.parquet", wideParquet(t, 30000), Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		for _, err := range src.Records(ctx) {
			var fe *pipeline.FileError
			if errors.As(err, &fe) {
				t.Errorf("cancelled read reported %v", err)
			}
		}
		close(done)
	}()
	select {
	case <-done:
		t.Skip("the file was read before it could be cancelled: a faster machine than this test expects")
	case <-time.After(300 * time.Millisecond):
	}
	cancel()
	start := time.Now()
	select {
	case <-done:
		if d := time.Since(start); d > time.Second {
			t.Errorf("ended %v after cancellation", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still reading 10 s after cancellation")
	}
}
