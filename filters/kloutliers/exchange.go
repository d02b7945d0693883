package kloutliers

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/cespare/xxhash/v2"

	"github.com/winnow-data/winnow/filters/text"
)

// Exchange files (pipeline.Exchanger, when the reference is built from
// the input): the observed state of a task is the reference of its share,
// the prepared state the reference of the whole — each in the reference
// file format (Save), so their size does not grow with the corpus: a
// header of ≈ 24 B per language and the zstd-compressed sketch, at most
// 4 × sketch_width × 4 B (32 MiB by default) and much less while the
// sketch is sparse. Around it, an envelope:
//
//	magic    8 B   "WNKLXCH\x00"
//	version  u16
//	kind     u8    1 observed, 2 prepared
//	params   u16 length, "name=value" pairs separated by spaces
//	reference      as Save writes it (with its own checksum of the counters)
//	checksum u64   xxhash64 of the envelope's header and the languages'
//	               totals, which the reference's own checksum leaves out
//
// LoadObserved adds the counts straight into the sketch Observe fills.

var xchMagic = [8]byte{'W', 'N', 'K', 'L', 'X', 'C', 'H', 0}

const xchVersion = 1

const (
	kindObserved = 1
	kindPrepared = 2
)

var kindNames = map[byte]string{kindObserved: "observed", kindPrepared: "prepared"}

// probes exercise case folding and word segmentation in several scripts.
var probes = []string{
	"The Quick  Brown FOX jumps over 13 lazy dogs, don't it?",
	"Ça coûte 25,50 € : «déjà vu» ÉCOLE Straße Café\u0301",
	"Москва столица России. Ελληνικά ΚΕΙΜΕΝΑ.",
	"中文文本测试，日本語のテキスト。한국어 텍스트입니다 ภาษาไทยไม่มีช่องว่าง",
}

// tokenKey fingerprints the tokens of the probes, so state saved by a
// build that segments, folds or hashes words differently is refused.
var tokenKey = sync.OnceValue(func() string {
	h := xxhash.New()
	var buf []byte
	for _, p := range probes {
		for _, w := range text.AppendWords(nil, p) {
			var t uint64
			t, buf = tokenHash(buf, "xx", w)
			h.Write(binary.LittleEndian.AppendUint64(nil, t))
		}
	}
	return fmt.Sprintf("%016x", h.Sum64())
})

func (p *Preparing) xchParams() string {
	return "depth=" + strconv.Itoa(Depth) + " sketch_width=" + strconv.Itoa(int(p.width)) + " tokens=" + tokenKey()
}

func (p *Preparing) xchHeader(kind byte) []byte {
	params := p.xchParams()
	hdr := append([]byte(nil), xchMagic[:]...)
	hdr = binary.LittleEndian.AppendUint16(hdr, xchVersion)
	hdr = append(hdr, kind)
	hdr = binary.LittleEndian.AppendUint16(hdr, uint16(len(params)))
	return append(hdr, params...)
}

// langSum hashes the envelope's header with the languages' totals.
func langSum(hdr []byte, r *Reference) uint64 {
	h := xxhash.New()
	h.Write(hdr)
	for l, st := range r.Langs() {
		h.Write(binary.LittleEndian.AppendUint16(nil, uint16(len(l))))
		h.WriteString(l)
		h.Write(binary.LittleEndian.AppendUint64(nil, uint64(st.Docs)))
		h.Write(binary.LittleEndian.AppendUint64(nil, uint64(st.Tokens)))
	}
	return h.Sum64()
}

func (p *Preparing) saveState(w io.Writer, kind byte, r *Reference) error {
	hdr := p.xchHeader(kind)
	bw := bufio.NewWriter(w)
	bw.Write(hdr)
	if err := r.Save(bw); err != nil {
		return fmt.Errorf("stage %s: saving %s state: %w", Name, kindNames[kind], err)
	}
	bw.Write(binary.LittleEndian.AppendUint64(nil, langSum(hdr, r)))
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("stage %s: saving %s state: %w", Name, kindNames[kind], err)
	}
	return nil
}

// loadState adds the reference of a file of kind to the builder.
func (p *Preparing) loadState(r io.Reader, kind byte) error {
	what := Name + " " + kindNames[kind] + " state"
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrFormat, what, fmt.Sprintf(format, args...))
	}
	if p.b == nil {
		return fmt.Errorf("stage %s: loading %s state after Prepared", Name, kindNames[kind])
	}
	br := bufio.NewReader(r)
	want := p.xchHeader(kind)
	var fixed [13]byte
	if _, err := io.ReadFull(br, fixed[:]); err != nil {
		return fail("header: %v", err)
	}
	if !bytes.Equal(fixed[:8], xchMagic[:]) {
		return fail("not a winnow kl_outliers exchange file")
	}
	if v := binary.LittleEndian.Uint16(fixed[8:]); v != xchVersion {
		return fail("format version %d, this build reads %d", v, xchVersion)
	}
	if fixed[10] != kind {
		return fail("holds %s state", kindNames[fixed[10]])
	}
	params := make([]byte, binary.LittleEndian.Uint16(fixed[11:]))
	if _, err := io.ReadFull(br, params); err != nil {
		return fail("header: %v", err)
	}
	if got, w := string(params), p.xchParams(); got != w {
		return fail("written with other parameters: %q, this stage has %q", got, w)
	}
	got, err := decodeReference(br, p.b)
	if err != nil {
		return fmt.Errorf("%s: reference: %w", what, err)
	}
	var sum [8]byte
	if _, err := io.ReadFull(br, sum[:]); err != nil {
		return fail("checksum: %v", err)
	}
	if binary.LittleEndian.Uint64(sum[:]) != langSum(want, got) {
		return fail("checksum does not match the header and languages (damaged file)")
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		return fail("bytes after the checksum")
	}
	return nil
}

// SaveObserved implements pipeline.Exchanger: the reference of the
// documents this process observed.
func (p *Preparing) SaveObserved(w io.Writer) error {
	if p.b == nil {
		return fmt.Errorf("stage %s: SaveObserved after Prepared", Name)
	}
	return p.saveState(w, kindObserved, p.b.snapshot())
}

// LoadObserved implements pipeline.Exchanger: the saved counts are added
// to the sketch being built.
func (p *Preparing) LoadObserved(r io.Reader) error { return p.loadState(r, kindObserved) }

// SavePrepared implements pipeline.Exchanger: the reference Prepared
// built.
func (p *Preparing) SavePrepared(w io.Writer) error {
	if p.ref == nil {
		return fmt.Errorf("stage %s: SavePrepared before Prepared", Name)
	}
	return p.saveState(w, kindPrepared, p.ref)
}

// LoadPrepared implements pipeline.Exchanger: the reference is read into
// the sketch this stage allocated, and used as if built here.
func (p *Preparing) LoadPrepared(r io.Reader) error {
	if err := p.loadState(r, kindPrepared); err != nil {
		return err
	}
	p.ref = p.b.Reference()
	p.b = nil
	return nil
}
