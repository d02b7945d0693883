package pipeline

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Stage is one step of a pipeline: it sees one document and keeps it
// (possibly rewriting its text or adding signals) or drops it.
//
// Process is called from several goroutines at once and must be safe for
// concurrent use; per-call scratch space belongs in a sync.Pool. It returns
// an empty reason to keep the document, or a short snake_case reason to
// drop it; the engine reports it as "<stage>.<reason>" and, by the run's
// Mode, drops the document or keeps it with the reason listed (tag mode).
// A stage has no mode of its own: it always writes its signals, applies
// its rewrites and returns its reason. An error marks the
// document as errored (counted in docs_errored with the error's text) and
// the run goes on: errors are for documents a stage cannot process, never
// for documents it rejects.
//
// Accounting, timing and writing rejected documents are the engine's work,
// not the stage's.
type Stage interface {
	Name() string
	Process(doc *Document) (reason string, err error)
}

// Preparer is implemented by stages that need the whole dataset before
// they can judge a document (de-duplication, corpus statistics). The
// engine runs a preparatory pass first: every document that reaches the
// stage is passed to Observe (concurrently, in no particular order, so a
// stage orders by Document.Order where order matters), then Prepared is
// called once, then the main pass calls Process as usual.
//
// What a Preparer holds between the passes is the only state allowed to
// grow with the corpus; each documents its bytes per document.
type Preparer interface {
	Stage
	Observe(doc *Document) error
	Prepared(ctx context.Context) error
}

// Exchanger is a Preparer whose preparatory work can be split over the
// tasks of a cluster job (see pipeline/job's steps): every task observes
// its share of the input and saves what it saw; one task loads every
// share, calls Prepared and saves the result; the tasks of the later steps
// load that result instead of observing again. The bytes are the stage's
// own format and are only read back by the same build of the stage.
//
// Observations merged this way must give the same Prepared state as one
// process observing everything, whatever the split: stages already order
// by Document.Order, which is global across tasks.
type Exchanger interface {
	Preparer
	// SaveObserved writes what Observe has gathered in this process.
	SaveObserved(w io.Writer) error
	// LoadObserved adds one task's saved observations, as if this
	// process had observed those documents itself. It is called once per
	// task, in task order, before Prepared.
	LoadObserved(r io.Reader) error
	// SavePrepared writes the state Prepared built: all Process needs.
	SavePrepared(w io.Writer) error
	// LoadPrepared restores that state into a newly built stage, which
	// then processes documents as if it had observed them itself.
	//
	// After an error from LoadObserved or LoadPrepared the stage's state
	// is undefined (a merge cannot be undone halfway): discard the stage.
	LoadPrepared(r io.Reader) error
}

// Closer is implemented by stages holding resources to release when the
// run ends.
type Closer interface {
	Close() error
}

// Param declares one parameter of a stage: its name in the config file,
// its default and one line of documentation. The CLI, the config file,
// `winnow stages` and the README table are all generated from these.
type Param struct {
	Name    string
	Default any // bool, int, float64, string, []string or time.Duration
	Doc     string
	// Min and Max, when set (see Bound), bound an int or float64
	// parameter: a value outside is refused when the config is read,
	// before any input is, rather than failing (or exhausting memory or
	// file descriptors) in the middle of a run.
	Min, Max *float64
}

// Bound returns a bound for Param.Min or Param.Max.
func Bound(v float64) *float64 { return &v }

// check returns an error when v, a value of the parameter, is outside
// its bounds.
func (d Param) check(v any) error {
	var x float64
	switch n := v.(type) {
	case int:
		x = float64(n)
	case float64:
		x = n
		if n != n {
			return fmt.Errorf("NaN is not a value")
		}
	default:
		return nil
	}
	switch {
	case d.Min != nil && d.Max != nil && (x < *d.Min || x > *d.Max):
		return fmt.Errorf("%v is outside %v..%v", v, *d.Min, *d.Max)
	case d.Min != nil && x < *d.Min:
		return fmt.Errorf("%v is below the minimum %v", v, *d.Min)
	case d.Max != nil && x > *d.Max:
		return fmt.Errorf("%v is above the maximum %v", v, *d.Max)
	}
	return nil
}

// Spec declares a stage kind: its canonical name, a one-line summary, its
// place in the default pipeline order and its parameters, with the
// constructor that builds a stage from parameter values.
type Spec struct {
	Name    string
	Summary string
	// Order sorts stages into pipeline order: lower runs first.
	Order int
	// Default reports whether the stage is part of the default pipeline.
	Default bool
	// Instances reports whether the stage may run several times in one
	// pipeline as named instances "name:instance" (classifier:quality,
	// classifier:code); New reads the full name from Params.Name and
	// names its signals and reasons after it.
	Instances bool
	Params    []Param
	New       func(p Params) (Stage, error)
}

var (
	registryMu sync.RWMutex
	registry   = map[string]Spec{}
)

// Register adds a stage kind. It panics on a duplicate or malformed spec:
// registration happens in init functions, where that is a programming
// error.
func Register(s Spec) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if s.Name == "" || s.New == nil {
		panic("pipeline: Register needs a name and a constructor")
	}
	if _, dup := registry[s.Name]; dup {
		panic("pipeline: stage registered twice: " + s.Name)
	}
	registry[s.Name] = s
}

// Specs returns every registered stage kind in pipeline order.
func Specs() []Spec {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]Spec, 0, len(registry))
	for _, s := range registry {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Order != out[j].Order {
			return out[i].Order < out[j].Order
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Lookup returns the spec of the stage named name.
func Lookup(name string) (Spec, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	s, ok := registry[name]
	return s, ok
}

// Params holds a stage's parameter values: the declared defaults
// overridden by the user's settings, checked against the declaration.
type Params struct {
	stage  string
	values map[string]any
}

// NewParams resolves settings (from the config file, any YAML-decoded
// values) against the spec's declared parameters. An unknown name or a
// value of the wrong type is an error naming the stage and parameter.
func (s Spec) NewParams(settings map[string]any) (Params, error) {
	p := Params{stage: s.Name, values: make(map[string]any, len(s.Params))}
	for _, d := range s.Params {
		p.values[d.Name] = d.Default
	}
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		i := slices.IndexFunc(s.Params, func(d Param) bool { return d.Name == k })
		if i < 0 {
			return p, fmt.Errorf("stage %s: unknown parameter %q (known: %s)", s.Name, k, s.paramNames())
		}
		v, err := coerce(s.Params[i].Default, settings[k])
		if err == nil {
			err = s.Params[i].check(v)
		}
		if err != nil {
			return p, fmt.Errorf("stage %s: parameter %s: %w", s.Name, k, err)
		}
		p.values[k] = v
	}
	return p, nil
}

func (s Spec) paramNames() string {
	names := make([]string, len(s.Params))
	for i, d := range s.Params {
		names[i] = d.Name
	}
	return strings.Join(names, ", ")
}

// coerce converts v (as decoded from YAML or a flag) to the type of def.
func coerce(def, v any) (any, error) {
	switch def.(type) {
	case bool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			return strconv.ParseBool(x)
		}
	case int:
		switch x := v.(type) {
		case int:
			return x, nil
		case int64:
			return int(x), nil
		case uint64:
			return int(x), nil
		case float64:
			if x == float64(int(x)) {
				return int(x), nil
			}
		case string:
			return strconv.Atoi(x)
		}
	case float64:
		switch x := v.(type) {
		case float64:
			return x, nil
		case int:
			return float64(x), nil
		case int64:
			return float64(x), nil
		case uint64:
			return float64(x), nil
		case string:
			return strconv.ParseFloat(x, 64)
		}
	case string:
		switch x := v.(type) {
		case string:
			return x, nil
		}
	case []string:
		switch x := v.(type) {
		case []string:
			return x, nil
		case string:
			if x == "" {
				return []string{}, nil
			}
			parts := strings.Split(x, ",")
			for i := range parts {
				parts[i] = strings.TrimSpace(parts[i])
			}
			return parts, nil
		case []any:
			out := make([]string, len(x))
			for i, e := range x {
				s, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("list element %v is not a string", e)
				}
				out[i] = s
			}
			return out, nil
		}
	case time.Duration:
		switch x := v.(type) {
		case string:
			return time.ParseDuration(x)
		case int:
			return time.Duration(x) * time.Second, nil
		}
	}
	return nil, fmt.Errorf("value %v (%T) does not fit the parameter's type %T", v, v, def)
}

// Name returns the name the stage runs under: the spec's name, or
// "name:instance" for a named instance.
func (p Params) Name() string { return p.stage }

// NewInstanceParams is NewParams for the named instance "name:instance"
// of a spec that allows instances.
func (s Spec) NewInstanceParams(instance string, settings map[string]any) (Params, error) {
	p, err := s.NewParams(settings)
	p.stage = s.Name + ":" + instance
	return p, err
}

// Values returns every parameter's value by name (a copy), durations as
// text ("90s").
func (p Params) Values() map[string]any {
	out := make(map[string]any, len(p.values))
	for k, v := range p.values {
		if d, ok := v.(time.Duration); ok {
			v = d.String()
		}
		out[k] = v
	}
	return out
}

// Bool returns the value of a bool parameter.
func (p Params) Bool(name string) bool { return get[bool](p, name) }

// Int returns the value of an int parameter.
func (p Params) Int(name string) int { return get[int](p, name) }

// Float returns the value of a float64 parameter.
func (p Params) Float(name string) float64 { return get[float64](p, name) }

// String returns the value of a string parameter.
func (p Params) String(name string) string { return get[string](p, name) }

// Strings returns the value of a []string parameter.
func (p Params) Strings(name string) []string { return get[[]string](p, name) }

// Duration returns the value of a time.Duration parameter.
func (p Params) Duration(name string) time.Duration { return get[time.Duration](p, name) }

// get panics on an undeclared name or a type mismatch: both are bugs in
// the stage's own code, never user input (NewParams checked that).
func get[T any](p Params, name string) T {
	v, ok := p.values[name]
	if !ok {
		panic(fmt.Sprintf("stage %s: parameter %q is not declared", p.stage, name))
	}
	t, ok := v.(T)
	if !ok {
		panic(fmt.Sprintf("stage %s: parameter %q is %T, not %T", p.stage, name, v, *new(T)))
	}
	return t
}

// Mode says what the engine does with a document a stage would drop. It
// is the engine's, not the stages': a stage always computes its signals,
// applies its rewrites and returns the reason it would drop a document.
type Mode uint8

const (
	// Filter drops the document at the first stage that returns a
	// reason.
	Filter Mode = iota
	// Tag keeps the document, appends "<stage>.<reason>" to its reasons
	// column and passes it on to the next stage, so every rule that
	// would have dropped it is listed and the documents with no reason
	// are exactly those Filter keeps.
	Tag
)

// String returns "filter" or "tag".
func (m Mode) String() string {
	if m == Tag {
		return "tag"
	}
	return "filter"
}

// ParseMode reads a mode: "filter" (or empty) or "tag".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "", "filter":
		return Filter, nil
	case "tag":
		return Tag, nil
	}
	return Filter, fmt.Errorf("mode %q: want filter or tag", s)
}

// TokensField is the field holding a document's token count (an
// integer, set by the tokens stage); the engine sums it over the kept
// documents into Stats.TokensOut and Stats.TokensByLang.
const TokensField = "tokens"

// tokenCount reads d's TokensField.
func tokenCount(d *Document) (int64, bool) {
	f := d.Field(TokensField)
	if len(f) == 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(f), 10, 64)
	return n, err == nil
}

// ReasonsField is the column tag mode adds to every document: the list of
// rules ("<stage>.<reason>") that would have dropped it, empty for the
// documents filter mode keeps.
const ReasonsField = "reasons"
