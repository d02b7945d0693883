package fasttext

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// eachLine calls fn for every line of r as the reference's getLine loop
// sees it: the text before each newline, with the "</s>" the newline
// becomes, and a last line without a newline, without it.
func eachLine(r io.Reader, fn func(line string, withEOS bool) error) error {
	br := bufio.NewReaderSize(r, 1<<16)
	var long []byte
	for {
		b, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, b...)
			continue
		}
		if long != nil {
			b = append(long, b...)
			long = nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if len(b) > 0 {
			eol := b[len(b)-1] == '\n'
			if eol {
				b = b[:len(b)-1]
			}
			if ferr := fn(string(b), eol); ferr != nil {
				return ferr
			}
		}
		if err != nil {
			return nil
		}
	}
}

// WritePredictions writes, for every line of r, what `fasttext predict`
// (withProb false) or `fasttext predict-prob` (withProb true) prints with
// the same k and threshold: the labels, each followed by its probability
// in C++'s default float format, separated by spaces, one line per input
// line (empty when nothing reaches the threshold).
func (m *Model) WritePredictions(w io.Writer, r io.Reader, k int, threshold float32, withProb bool) error {
	bw := bufio.NewWriter(w)
	s := m.pool.Get().(*state)
	defer m.pool.Put(s)
	var preds []Prediction
	var num []byte
	err := eachLine(r, func(line string, withEOS bool) error {
		m.dict.line(&s.lineState, line, withEOS)
		preds = m.appendResults(preds[:0], s, k, threshold)
		for i, p := range preds {
			if i > 0 {
				bw.WriteByte(' ')
			}
			bw.WriteString(p.Label)
			if withProb {
				bw.WriteByte(' ')
				num = AppendCFloat(num[:0], float64(p.Prob), 6)
				bw.Write(num)
			}
		}
		return bw.WriteByte('\n')
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// TestResult is what `fasttext test` measures: over the N lines that have
// a known label and at least one known input token, the precision and
// recall of the top-K predictions.
type TestResult struct {
	N                            int
	K                            int
	Gold, Predicted, GoldCorrect int64
}

// Precision is the share of predicted labels that were right.
func (t TestResult) Precision() float64 { return float64(t.GoldCorrect) / float64(t.Predicted) }

// Recall is the share of the right labels that were predicted.
func (t TestResult) Recall() float64 { return float64(t.GoldCorrect) / float64(t.Gold) }

// WriteTo prints the result as `fasttext test` does (Meter's general
// metrics): N, then P@K and R@K with three significant digits.
func (t TestResult) WriteTo(w io.Writer) (int64, error) {
	n, err := fmt.Fprintf(w, "N\t%d\nP@%d\t%s\nR@%d\t%s\n", t.N,
		t.K, AppendCFloat(nil, t.Precision(), 3), t.K, AppendCFloat(nil, t.Recall(), 3))
	return int64(n), err
}

// Test evaluates the model on labelled lines (fastText format, "__label__x
// text" per line) as FastText::test does.
func (m *Model) Test(r io.Reader, k int, threshold float32) (TestResult, error) {
	res := TestResult{K: k}
	if k <= 0 {
		k = m.out.rows()
	}
	s := m.pool.Get().(*state)
	defer m.pool.Put(s)
	err := eachLine(r, func(line string, withEOS bool) error {
		m.dict.line(&s.lineState, line, withEOS)
		if len(s.labels) == 0 || s.nids == 0 {
			return nil
		}
		m.average(s.hidden, s.nids)
		m.predictHidden(s, k, threshold)
		res.N++
		res.Gold += int64(len(s.labels))
		res.Predicted += int64(len(s.heap))
		for _, p := range s.heap {
			for _, l := range s.labels {
				if l == p.id {
					res.GoldCorrect++
					break
				}
			}
		}
		return nil
	})
	return res, err
}

// AppendCFloat appends x as C++'s ostream prints a floating-point value
// with the given precision in its default format (printf's %.<prec>g:
// trailing zeros dropped, exponent of at least two digits), "-nan" for
// the NaN of 0/0 as glibc prints it.
func AppendCFloat(dst []byte, x float64, prec int) []byte {
	if x != x {
		return append(dst, "-nan"...)
	}
	return strconv.AppendFloat(dst, x, 'g', prec, 64)
}
