package output

import (
	"bytes"
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
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
	// bigInt (kInt) records an integer seen that a double cannot hold
	// exactly: the column must not widen to double.
	bigInt bool
}

type jfield struct {
	name string
	t    *jtype
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

// inferrer widens types to admit the values of the sample.
type inferrer struct{}

func (in *inferrer) toJSON(t *jtype) {
	if t.kind != kJSON {
		*t = jtype{kind: kJSON}
	}
}

// widen makes t admit a value of kind k.
func (in *inferrer) widen(t *jtype, k kind) {
	switch {
	case t.kind == k || t.kind == kJSON || t.kind == kFloat && k == kInt:
	case t.kind == kNull || t.kind == kInt && k == kFloat:
		t.kind = k
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
		if _, _, err := scanNumber(v, 0); err != nil {
			return err
		}
		switch n := numberKind(v); {
		case n == kJSON:
			// Beyond int64 and double (1e999, 30 digits): kept exactly,
			// as its text.
			in.toJSON(t)
		case n == kInt && !exactDouble(v):
			// A double column would round it: never widen past int64.
			if in.widen(t, kInt); t.kind == kFloat {
				in.toJSON(t)
			} else if t.kind == kInt {
				t.bigInt = true
			}
		case n == kFloat && t.kind == kInt && t.bigInt:
			in.toJSON(t)
		default:
			in.widen(t, n)
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

// numberKind classifies the valid JSON number v: kInt when it fits int64,
// kFloat when a double holds it (rounded to the nearest, as every JSON
// reader does, but neither overflowing to ±Inf nor underflowing a
// non-zero value to 0), kJSON otherwise — such numbers are kept as text
// rather than altered.
func numberKind(v []byte) kind {
	if intLiteral(v) {
		if _, ok := parseInt(v); ok {
			return kInt
		}
		return kJSON
	}
	if _, ok := parseFloat(v); ok {
		return kFloat
	}
	return kJSON
}

// parseFloat parses the valid JSON number v as a double, reporting false
// when the double would not be the number: out of range (±Inf) or a
// non-zero value that underflows to 0.
func parseFloat(v []byte) (float64, bool) {
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, false
	}
	if f == 0 && !zeroLiteral(v) {
		return 0, false
	}
	return f, true
}

// intLiteral reports whether the JSON number v is written as an integer
// (no fraction, no exponent), whatever its size.
func intLiteral(v []byte) bool {
	return bytes.IndexAny(v, ".eE") < 0
}

// zeroLiteral reports whether the number's mantissa has only zero digits.
func zeroLiteral(v []byte) bool {
	for _, c := range v {
		switch {
		case c == 'e' || c == 'E':
			return true
		case c >= '1' && c <= '9':
			return false
		}
	}
	return true
}

// exactDouble reports whether the JSON integer v converts to a double
// exactly (|v| ≤ 2^53, or a multiple of a power of two that fits).
func exactDouble(v []byte) bool {
	n, ok := parseInt(v)
	if !ok {
		return false
	}
	if n >= -(1<<53) && n <= 1<<53 {
		return true
	}
	f := float64(n)
	return f < 0x1p63 && f >= -0x1p63 && int64(f) == n
}
