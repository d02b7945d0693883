package pipeline

import "strings"

// Column declares one output column a stage may set on documents: a
// numeric signal or a field. The output writes every declared column in
// every shard, with the declared type, whether or not a document in that
// shard got a value — so the shards of one run share one schema.
type Column struct {
	// Name is the signal's name ("stage.signal") or the field's.
	Name string
	// Signal marks a numeric signal (Document.SetSignal): always a
	// double. Signals named "stage.signal" are written as member signal
	// of a struct column stage.
	Signal bool
	// Shape is, for a field, a JSON value whose shape gives the column's
	// type: `""` string, `0` 64-bit integer, `0.5` double, `false`
	// boolean, `[x]` list of x's type, `{"a":x,…}` struct of those
	// members. Empty means JSON text (a string column holding any value
	// as its JSON encoding).
	Shape string
}

// SignalColumns declares signals by name.
func SignalColumns(names ...string) []Column {
	cols := make([]Column, len(names))
	for i, n := range names {
		cols[i] = Column{Name: n, Signal: true}
	}
	return cols
}

// Declarer is implemented by stages that set signals or fields: Columns
// lists every one the stage may set, in the order they should appear. A
// signal or field a stage sets without declaring it is written only if
// the run's passthrough sample saw it (see pipeline/output), else into
// the output's extra column.
type Declarer interface {
	Columns() []Column
}

// DeclaredColumns returns the columns the stages declare, in pipeline
// order, each name once (the first declaration wins).
func DeclaredColumns(stages []Stage) []Column {
	var out []Column
	seen := map[string]bool{}
	for _, s := range stages {
		d, ok := s.(Declarer)
		if !ok {
			continue
		}
		for _, c := range d.Columns() {
			if c.Name == "" || seen[c.Name] {
				continue
			}
			seen[c.Name] = true
			out = append(out, c)
		}
	}
	return out
}

// SplitSignal splits a signal name at its first dot into the struct
// column it is written to and its member there; a name without a dot
// (or with nothing before or after it) is a column of its own (group "").
func SplitSignal(name string) (group, member string) {
	i := strings.IndexByte(name, '.')
	if i <= 0 || i == len(name)-1 {
		return "", name
	}
	return name[:i], name[i+1:]
}
