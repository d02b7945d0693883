package output

import (
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/winnow-data/winnow/pipeline"
)

// Limits of the passthrough schema (see the package documentation).
const (
	// DefaultMaxFields is the default of Options.MaxFields.
	DefaultMaxFields = 256
	// maxFieldLeaves bounds the leaf columns of one passthrough field's
	// nested type; past it the field is JSON text.
	maxFieldLeaves = 1024
	// DefaultSampleRecords is how many documents Options.Sample should
	// hold at most (SampleSource reads that many).
	DefaultSampleRecords = 10000
)

// canonical columns, in order.
var canonical = []string{"id", "text", "url", "lang", "lang_score", "source"}

const (
	// reasonColumn is the extra column of rejected shards.
	reasonColumn = "reason"
	// ExtraColumn is the last column of every shard: a JSON object of the
	// fields and signals that have no column of their own (first seen
	// after the sample, past MaxFields, or a value that does not fit its
	// column's type), null when there are none.
	ExtraColumn = "extra"
)

// reserved reports whether name is a column winnow writes itself, so no
// field or signal group may take it. "reason" is reserved in kept shards
// too, as every shard of a run has the same columns.
func reserved(name string) bool {
	switch name {
	case "id", "text", "url", "lang", "lang_score", "source", reasonColumn, ExtraColumn, "":
		return true
	}
	return false
}

// isCanonical reports whether name is one of the canonical columns: a
// field or signal of that name gives way to it (the readers fill the
// canonical columns from the record's own id, text and url).
func isCanonical(name string) bool {
	switch name {
	case "id", "text", "url", "lang", "lang_score", "source":
		return true
	}
	return false
}

// colKind is what a column after the canonical ones holds.
type colKind uint8

const (
	colSignal colKind = iota // one signal without a group: a double
	colGroup                 // signals "group.member": a struct of doubles
	colField                 // a field, of type t
)

// column is one column after the canonical ones.
type column struct {
	name     string
	kind     colKind
	members  []string // colGroup: member names, in order
	t        *jtype   // colField
	declared bool     // a stage declared it: its type is fixed
}

// sigRef locates a signal: its column and, in a group, its member.
type sigRef struct{ col, member int }

// schema is the column set of every shard of a run: the canonical
// columns (and reason in rejected shards), the declared and sampled
// columns, then extra. It is fixed before the first row group is
// written; nothing changes it afterwards.
type schema struct {
	cols   []column
	byName map[string]int    // column name → index in cols
	sigs   map[string]sigRef // signal name → place
	fields int               // passthrough (undeclared) field columns
	max    int               // MaxFields
}

func newSchema(maxFields int) *schema {
	if maxFields <= 0 {
		maxFields = DefaultMaxFields
	}
	return &schema{byName: map[string]int{}, sigs: map[string]sigRef{}, max: maxFields}
}

// addSignal gives signal name a place, in its group's struct column when
// it has one; false when the name is taken by a field or reserved.
func (s *schema) addSignal(name string, declared bool) bool {
	if _, ok := s.sigs[name]; ok {
		return true
	}
	group, member := pipeline.SplitSignal(name)
	if group == "" {
		if reserved(name) {
			return false
		}
		if _, taken := s.byName[name]; taken {
			return false
		}
		s.byName[name] = len(s.cols)
		s.sigs[name] = sigRef{len(s.cols), -1}
		s.cols = append(s.cols, column{name: name, kind: colSignal, declared: declared})
		return true
	}
	i, ok := s.byName[group]
	if !ok {
		if reserved(group) {
			return false
		}
		i = len(s.cols)
		s.byName[group] = i
		s.cols = append(s.cols, column{name: group, kind: colGroup, declared: declared})
	}
	c := &s.cols[i]
	if c.kind != colGroup || len(c.members) >= maxStructFields {
		return false
	}
	s.sigs[name] = sigRef{i, len(c.members)}
	c.members = append(c.members, member)
	return true
}

// declareField adds a stage's field with the type its shape gives.
func (s *schema) declareField(name, shape string) {
	if reserved(name) {
		return
	}
	if _, taken := s.byName[name]; taken {
		return
	}
	t := &jtype{kind: kJSON}
	if shape != "" {
		if b := trimSpace([]byte(shape)); validValue(b) {
			t = &jtype{}
			var in inferrer
			if in.absorb(t, b, 0) != nil {
				t = &jtype{kind: kJSON}
			}
		}
	}
	settle(t)
	s.byName[name] = len(s.cols)
	s.cols = append(s.cols, column{name: name, kind: colField, t: t, declared: true})
}

// sampleField widens field name's column to admit the sampled value v
// (valid reports whether v is valid JSON), adding the column when there
// is room. Declared columns keep their type.
func (s *schema) sampleField(name string, v []byte, valid bool) {
	i, ok := s.byName[name]
	if !ok {
		if reserved(name) || s.fields >= s.max || !validName(name) {
			return
		}
		i = len(s.cols)
		s.byName[name] = i
		s.cols = append(s.cols, column{name: name, kind: colField, t: &jtype{}})
		s.fields++
	}
	c := &s.cols[i]
	if c.kind != colField || c.declared {
		return
	}
	var in inferrer
	if !valid || in.absorb(c.t, v, 0) != nil {
		in.toJSON(c.t) // kept as its text: nothing is lost
	}
}

// fix settles the sampled types: a type never seen (only nulls, only
// empty lists) becomes JSON text, and so does a field with more than
// maxFieldLeaves leaf columns.
func (s *schema) fix() {
	for i := range s.cols {
		c := &s.cols[i]
		if c.kind == colField && !c.declared {
			settle(c.t)
			if leaves(c.t) > maxFieldLeaves {
				*c.t = jtype{kind: kJSON}
			}
		}
	}
}

// settle turns every node of t that no value determined into JSON text.
func settle(t *jtype) {
	switch t.phys() {
	case kNull:
		*t = jtype{kind: kJSON}
	case kList:
		settle(t.elem)
	case kStruct:
		for _, f := range t.fields {
			settle(f.t)
		}
	}
}

// leaves counts the leaf columns of t.
func leaves(t *jtype) int {
	switch t.phys() {
	case kList:
		return leaves(t.elem)
	case kStruct:
		n := 0
		for _, f := range t.fields {
			n += leaves(f.t)
		}
		return n
	}
	return 1
}

// validName reports whether a field name can name a column: valid UTF-8
// (Parquet names are strings).
func validName(name string) bool {
	return name != "" && utf8.ValidString(name)
}

// signalType is a signal's Arrow type.
var signalType = arrow.PrimitiveTypes.Float64

// arrowSchema returns the Arrow schema of the shards: rejected ones have
// reason after source.
func (s *schema) arrowSchema(rejected bool) *arrow.Schema {
	str := arrow.BinaryTypes.String
	fs := []arrow.Field{
		{Name: "id", Type: str},
		{Name: "text", Type: str},
		{Name: "url", Type: str, Nullable: true},
		{Name: "lang", Type: str},
		{Name: "lang_score", Type: arrow.PrimitiveTypes.Float64},
		{Name: "source", Type: str},
	}
	if rejected {
		fs = append(fs, arrow.Field{Name: reasonColumn, Type: str})
	}
	for _, c := range s.cols {
		fs = append(fs, arrow.Field{Name: c.name, Type: c.arrowType(), Nullable: true})
	}
	fs = append(fs, arrow.Field{Name: ExtraColumn, Type: str, Nullable: true})
	return arrow.NewSchema(fs, nil)
}

func (c *column) arrowType() arrow.DataType {
	switch c.kind {
	case colSignal:
		return signalType
	case colGroup:
		fs := make([]arrow.Field, len(c.members))
		for i, m := range c.members {
			fs[i] = arrow.Field{Name: m, Type: signalType, Nullable: true}
		}
		return arrow.StructOf(fs...)
	}
	return c.t.arrowType()
}

// canonicalCount is the number of columns before s.cols.
func canonicalCount(rejected bool) int {
	if rejected {
		return len(canonical) + 1
	}
	return len(canonical)
}

// DescribeColumns returns the columns cols give a shard, in order, each
// as its name and Arrow type (signals grouped into their stage's struct
// column): the README's table of stage columns.
func DescribeColumns(cols []pipeline.Column) [][2]string {
	s := newSchema(0)
	for _, c := range cols {
		if c.Signal {
			s.addSignal(c.Name, true)
		} else {
			s.declareField(c.Name, c.Shape)
		}
	}
	out := make([][2]string, len(s.cols))
	for i := range s.cols {
		out[i] = [2]string{s.cols[i].name, s.cols[i].arrowType().String()}
	}
	return out
}
