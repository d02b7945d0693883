package output

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/winnow-data/winnow/pipeline"
)

// kind is a node of the type lattice inferred for passthrough fields:
// null below everything, int below float, jsonText above everything (a
// column of JSON text holds any value).
type kind uint8

const (
	kNull kind = iota
	kBool
	kInt
	kFloat
	kString
	kList
	kStruct
	kJSON
)

// maxStructFields bounds the columns of one inferred struct. Objects used
// as maps (one key per header, per word) would otherwise grow a column per
// key; past the bound the field is kept as JSON text.
const maxStructFields = 256

// jtype is the type inferred for one JSON value position.
type jtype struct {
	kind   kind
	elem   *jtype   // kList: the element type
	fields []jfield // kStruct: members in first-seen order
	index  map[string]int
}

type jfield struct {
	name string
	t    *jtype
}

func (t *jtype) clone() *jtype {
	c := &jtype{kind: t.kind}
	if t.elem != nil {
		c.elem = t.elem.clone()
	}
	if t.fields != nil {
		c.fields = make([]jfield, len(t.fields))
		for i, f := range t.fields {
			c.fields[i] = jfield{f.name, f.t.clone()}
		}
	}
	return c
}

// lookup returns the index of the struct member named k, or -1.
func (t *jtype) lookup(k []byte) int {
	if t.index != nil {
		if i, ok := t.index[string(k)]; ok {
			return i
		}
		return -1
	}
	for i := range t.fields {
		if t.fields[i].name == string(k) {
			return i
		}
	}
	return -1
}

func (t *jtype) addField(name string) *jtype {
	ft := &jtype{}
	t.fields = append(t.fields, jfield{name, ft})
	if t.index != nil {
		t.index[name] = len(t.fields) - 1
	} else if len(t.fields) > 8 {
		// Linear search is faster for the few members of typical
		// records (chat turns have two); a map pays off beyond.
		t.index = make(map[string]int, 2*len(t.fields))
		for i, f := range t.fields {
			t.index[f.name] = i
		}
	}
	return ft
}

// phys is the kind written: a struct without members cannot be a Parquet
// group, so it is written as JSON text ("{}").
func (t *jtype) phys() kind {
	if t.kind == kStruct && len(t.fields) == 0 {
		return kJSON
	}
	return t.kind
}

// arrowType maps the inferred type to plain Arrow types that DuckDB,
// pyarrow and Hugging Face datasets read without extensions.
func (t *jtype) arrowType() arrow.DataType {
	switch t.phys() {
	case kNull:
		return arrow.Null
	case kBool:
		return arrow.FixedWidthTypes.Boolean
	case kInt:
		return arrow.PrimitiveTypes.Int64
	case kFloat:
		return arrow.PrimitiveTypes.Float64
	case kList:
		return arrow.ListOf(t.elem.arrowType())
	case kStruct:
		fs := make([]arrow.Field, len(t.fields))
		for i, f := range t.fields {
			fs[i] = arrow.Field{Name: f.name, Type: f.t.arrowType(), Nullable: true}
		}
		return arrow.StructOf(fs...)
	default: // kString, kJSON
		return arrow.BinaryTypes.String
	}
}

// inferrer widens types to admit values, recording whether anything
// changed: a shard's schema is fixed, so a change means a new shard.
type inferrer struct {
	changed bool
}

func (in *inferrer) toJSON(t *jtype) {
	if t.kind != kJSON {
		*t = jtype{kind: kJSON}
		in.changed = true
	}
}

// widen makes t admit a value of kind k.
func (in *inferrer) widen(t *jtype, k kind) {
	switch {
	case t.kind == k || t.kind == kJSON || t.kind == kFloat && k == kInt:
	case t.kind == kNull || t.kind == kInt && k == kFloat:
		t.kind = k
		in.changed = true
	default:
		in.toJSON(t)
	}
}

// absorb widens t to admit the valid JSON value v (no surrounding space).
// Values nested deeper than maxDepth, objects with keys that cannot name
// a column and structs with too many members make t JSON text.
func (in *inferrer) absorb(t *jtype, v []byte, depth int) error {
	if len(v) == 0 || t.kind == kJSON {
		return nil
	}
	switch c := v[0]; {
	case c == 'n':
		return nil
	case c == 't' || c == 'f':
		in.widen(t, kBool)
	case c == '"':
		in.widen(t, kString)
	case c == '-' || c >= '0' && c <= '9':
		_, isInt, err := scanNumber(v, 0)
		if err != nil {
			return err
		}
		if isInt {
			in.widen(t, kInt)
		} else {
			in.widen(t, kFloat)
		}
	case c == '[':
		if depth >= maxDepth {
			in.toJSON(t)
			return nil
		}
		if in.widen(t, kList); t.kind != kList {
			return nil
		}
		if t.elem == nil {
			t.elem = &jtype{}
			in.changed = true
		}
		it := newArrayIter(v)
		for {
			e, ok, err := it.next()
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			if err := in.absorb(t.elem, e, depth+1); err != nil {
				return err
			}
		}
	case c == '{':
		if depth >= maxDepth {
			in.toJSON(t)
			return nil
		}
		if in.widen(t, kStruct); t.kind != kStruct {
			return nil
		}
		it := newObjectIter(v, nil)
		for {
			k, e, keyOK, ok, err := it.next()
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			if !keyOK {
				in.toJSON(t)
				return nil
			}
			var ft *jtype
			if i := t.lookup(k); i >= 0 {
				ft = t.fields[i].t
			} else {
				if len(t.fields) >= maxStructFields {
					in.toJSON(t)
					return nil
				}
				ft = t.addField(string(k))
				in.changed = true
			}
			if err := in.absorb(ft, e, depth+1); err != nil {
				return err
			}
		}
	default:
		return errSyntax
	}
	return nil
}

// canonical columns, in order; a signal or field of one of these names is
// skipped in favour of the canonical column.
var canonical = []string{"id", "text", "url", "lang", "lang_score", "source"}

// reasonColumn is the extra column of rejected shards.
const reasonColumn = "reason"

// isCanonical reports whether name is a column winnow writes itself: a
// signal or field of that name gives way to it. "reason" is one only in
// rejected shards, so a record's own reason field (common in fine-tuning
// data) passes through to the kept ones.
func isCanonical(name string, rejected bool) bool {
	switch name {
	case "id", "text", "url", "lang", "lang_score", "source":
		return true
	case reasonColumn:
		return rejected
	}
	return false
}

// schema is the column set of one partition's shards: the canonical
// columns, then signals and fields in first-seen order. It only grows.
type schema struct {
	rejected bool
	signals  []string
	sigIndex map[string]int
	fields   []jfield
	fldIndex map[string]int
}

func newSchema(rejected bool) *schema {
	return &schema{rejected: rejected, sigIndex: map[string]int{}, fldIndex: map[string]int{}}
}

func (s *schema) clone() *schema {
	c := newSchema(s.rejected)
	c.signals = append(c.signals, s.signals...)
	for k, v := range s.sigIndex {
		c.sigIndex[k] = v
	}
	c.fields = make([]jfield, len(s.fields))
	for i, f := range s.fields {
		c.fields[i] = jfield{f.name, f.t.clone()}
		c.fldIndex[f.name] = i
	}
	return c
}

// canonicalCount is the number of columns before the signals.
func (s *schema) canonicalCount() int {
	if s.rejected {
		return len(canonical) + 1
	}
	return len(canonical)
}

// absorbSignal adds signal name when new; a field of that name gives way.
func (s *schema) absorbSignal(name string, in *inferrer) {
	if isCanonical(name, s.rejected) {
		return
	}
	if _, ok := s.sigIndex[name]; ok {
		return
	}
	s.sigIndex[name] = len(s.signals)
	s.signals = append(s.signals, name)
	in.changed = true
	// A field of that name gives way to the signal.
	if i, ok := s.fldIndex[name]; ok {
		s.fields = append(s.fields[:i], s.fields[i+1:]...)
		delete(s.fldIndex, name)
		for j := i; j < len(s.fields); j++ {
			s.fldIndex[s.fields[j].name] = j
		}
	}
}

// fieldType returns the type of field name, adding it when new, or nil
// when the name belongs to a canonical column or a signal.
func (s *schema) fieldType(name string, in *inferrer) *jtype {
	if i, ok := s.fldIndex[name]; ok {
		return s.fields[i].t
	}
	if isCanonical(name, s.rejected) || name == "" {
		return nil
	}
	if _, ok := s.sigIndex[name]; ok {
		return nil
	}
	t := &jtype{}
	if name == pipeline.ReasonsField {
		// Declared by the engine in tag mode: list<string> from the
		// first shard on, even when every list in it is empty.
		t = &jtype{kind: kList, elem: &jtype{kind: kString}}
	}
	s.fldIndex[name] = len(s.fields)
	s.fields = append(s.fields, jfield{name, t})
	in.changed = true
	return t
}

// arrowSchema returns the Arrow schema of shards with this column set.
func (s *schema) arrowSchema() *arrow.Schema {
	fs := make([]arrow.Field, 0, s.canonicalCount()+len(s.signals)+len(s.fields))
	str := arrow.BinaryTypes.String
	fs = append(fs,
		arrow.Field{Name: "id", Type: str},
		arrow.Field{Name: "text", Type: str},
		arrow.Field{Name: "url", Type: str, Nullable: true},
		arrow.Field{Name: "lang", Type: str},
		arrow.Field{Name: "lang_score", Type: arrow.PrimitiveTypes.Float64},
		arrow.Field{Name: "source", Type: str},
	)
	if s.rejected {
		fs = append(fs, arrow.Field{Name: reasonColumn, Type: str})
	}
	for _, name := range s.signals {
		fs = append(fs, arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Float64, Nullable: true})
	}
	for _, f := range s.fields {
		fs = append(fs, arrow.Field{Name: f.name, Type: f.t.arrowType(), Nullable: true})
	}
	return arrow.NewSchema(fs, nil)
}
