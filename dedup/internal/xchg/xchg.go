// Package xchg holds the envelope of the files the dedup stages exchange
// between the tasks of a cluster job (pipeline.Exchanger): a header that
// names the stage, the kind of state and the parameters it depends on, the
// stage's records, and a checksum. A file written by another stage, by the
// other step, with other parameters, or truncated, is refused with an
// error saying which.
//
// Layout, little-endian:
//
//	magic    8 B   "WNXCHG\x00\x01"
//	version  u16
//	kind     u8    1 observed, 2 prepared
//	stage    u8 length, name
//	params   u16 length, "name=value" pairs separated by spaces
//	count    u64   records that follow
//	records  the stage's own
//	checksum u64   xxhash64 of every byte before it
package xchg

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/cespare/xxhash/v2"
)

var magic = [8]byte{'W', 'N', 'X', 'C', 'H', 'G', 0, 1}

// Version is the envelope's version; a stage's record layout is part of
// its parameters (see Header.Params).
const Version = 1

// Kind tells an Exchanger's two files apart.
type Kind uint8

// The kinds of state exchanged.
const (
	Observed Kind = 1 // what one task's Observe gathered
	Prepared Kind = 2 // what Prepared built, all Process needs
)

func (k Kind) String() string {
	switch k {
	case Observed:
		return "observed"
	case Prepared:
		return "prepared"
	}
	return fmt.Sprintf("kind %d", uint8(k))
}

// ErrFormat marks a file that is not the expected exchange file or is
// damaged.
var ErrFormat = errors.New("bad exchange file")

// Header identifies an exchange file. Params lists, in a fixed order, the
// parameters the records depend on, including fingerprints of the
// normalisation and hashing code, so a file is never read by a stage
// that would interpret it differently.
type Header struct {
	Stage  string
	Kind   Kind
	Params []Param
}

// Param is one parameter recorded in a header.
type Param struct{ Name, Value string }

func (h Header) params() string {
	var b strings.Builder
	for i, p := range h.Params {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p.Name + "=" + p.Value)
	}
	return b.String()
}

// Writer writes one exchange file through a buffer, hashing as it goes.
type Writer struct {
	bw  *bufio.Writer
	h   *xxhash.Digest
	n   uint64
	cnt uint64
	err error
}

// NewWriter writes h's header and the record count to w.
func NewWriter(w io.Writer, h Header, count uint64) *Writer {
	x := &Writer{bw: bufio.NewWriterSize(w, 256<<10), h: xxhash.New(), cnt: count}
	p := h.params()
	hdr := append([]byte(nil), magic[:]...)
	hdr = binary.LittleEndian.AppendUint16(hdr, Version)
	hdr = append(hdr, byte(h.Kind), byte(len(h.Stage)))
	hdr = append(hdr, h.Stage...)
	hdr = binary.LittleEndian.AppendUint16(hdr, uint16(len(p)))
	hdr = append(hdr, p...)
	hdr = binary.LittleEndian.AppendUint64(hdr, count)
	x.Write(hdr)
	return x
}

// Write adds bytes of records; errors are kept for Close.
func (x *Writer) Write(p []byte) (int, error) {
	if x.err != nil {
		return 0, x.err
	}
	x.h.Write(p)
	n, err := x.bw.Write(p)
	x.err = err
	return n, err
}

// Close writes the checksum and flushes.
func (x *Writer) Close() error {
	if x.err != nil {
		return x.err
	}
	var sum [8]byte
	binary.LittleEndian.PutUint64(sum[:], x.h.Sum64())
	if _, err := x.bw.Write(sum[:]); err != nil {
		return err
	}
	return x.bw.Flush()
}

// Reader reads one exchange file, checking its header against the
// reading stage's and its checksum at the end.
type Reader struct {
	br    *bufio.Reader
	h     *xxhash.Digest
	off   int64
	what  string
	Count uint64
}

// NewReader reads and checks the header of r against want.
func NewReader(r io.Reader, want Header) (*Reader, error) {
	x := &Reader{br: bufio.NewReaderSize(r, 64<<10), h: xxhash.New(), what: want.Stage + " " + want.Kind.String() + " state"}
	var fixed [12]byte
	if err := x.Read(fixed[:], "header"); err != nil {
		return nil, err
	}
	if !bytes.Equal(fixed[:8], magic[:]) {
		return nil, x.errorf("header", "not a winnow exchange file")
	}
	if v := binary.LittleEndian.Uint16(fixed[8:]); v != Version {
		return nil, x.errorf("header", "format version %d, this build reads %d", v, Version)
	}
	kind := Kind(fixed[10])
	stage := make([]byte, fixed[11])
	if err := x.Read(stage, "header"); err != nil {
		return nil, err
	}
	if string(stage) != want.Stage {
		return nil, x.errorf("header", "written by stage %q", stage)
	}
	if kind != want.Kind {
		return nil, x.errorf("header", "holds %s state", kind)
	}
	var pl [2]byte
	if err := x.Read(pl[:], "header"); err != nil {
		return nil, err
	}
	params := make([]byte, binary.LittleEndian.Uint16(pl[:]))
	if err := x.Read(params, "header"); err != nil {
		return nil, err
	}
	if got := string(params); got != want.params() {
		return nil, x.errorf("header", "written with other parameters: %s", diff(got, want.Params))
	}
	var cnt [8]byte
	if err := x.Read(cnt[:], "header"); err != nil {
		return nil, err
	}
	x.Count = binary.LittleEndian.Uint64(cnt[:])
	return x, nil
}

// diff describes how the saved parameters differ from the stage's.
func diff(saved string, want []Param) string {
	got := map[string]string{}
	for _, f := range strings.Fields(saved) {
		k, v, _ := strings.Cut(f, "=")
		got[k] = v
	}
	var out []string
	for _, p := range want {
		v, ok := got[p.Name]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s missing (this stage: %s)", p.Name, p.Value))
		case v != p.Value:
			out = append(out, fmt.Sprintf("%s=%s (this stage: %s)", p.Name, v, p.Value))
		}
		delete(got, p.Name)
	}
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%s=%s (unknown to this stage)", k, got[k]))
	}
	if len(out) == 0 {
		return fmt.Sprintf("%q", saved)
	}
	return strings.Join(out, ", ")
}

func (x *Reader) errorf(what, format string, args ...any) error {
	return fmt.Errorf("%w: %s: byte %d: %s: %s", ErrFormat, x.what, x.off, what, fmt.Sprintf(format, args...))
}

// Read fills p; what names the part being read, for errors.
func (x *Reader) Read(p []byte, what string) error {
	n, err := io.ReadFull(x.br, p)
	x.h.Write(p[:n])
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("%w: %s: byte %d: %s: %w", ErrFormat, x.what, x.off+int64(n), what, err)
	}
	x.off += int64(n)
	return nil
}

// Record reads record i of Count into p.
func (x *Reader) Record(p []byte, i uint64) error {
	if i >= x.Count {
		return x.errorf("record", "record %d of %d", i, x.Count)
	}
	n, err := io.ReadFull(x.br, p)
	x.h.Write(p[:n])
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("%w: %s: byte %d: record %d of %d: %w", ErrFormat, x.what, x.off+int64(n), i, x.Count, err)
	}
	x.off += int64(n)
	return nil
}

// Errorf returns a format error at the current position, for a record
// whose content is wrong.
func (x *Reader) Errorf(format string, args ...any) error {
	return x.errorf("record", format, args...)
}

// Close checks the checksum and that nothing follows it.
func (x *Reader) Close() error {
	sum := x.h.Sum64()
	var got [8]byte
	if _, err := io.ReadFull(x.br, got[:]); err != nil {
		return x.errorf("checksum", "missing (truncated file): %v", err)
	}
	if binary.LittleEndian.Uint64(got[:]) != sum {
		return x.errorf("checksum", "does not match the content (damaged file)")
	}
	x.off += 8
	if _, err := x.br.ReadByte(); err != io.EOF {
		return x.errorf("end", "bytes after the checksum")
	}
	return nil
}

// Probes are texts exercising case, accents, digits, punctuation, white
// space and several scripts; stages hash what their normalisation and
// hashing code make of them into a fingerprint parameter, so files written
// by a build that normalises differently are refused.
var Probes = []string{
	"The Quick  Brown\tFox — jumps over 13 lazy dogs!",
	"Ça coûte 25,50 € : «déjà vu» ÉCOLE Straße ǅ",
	"Cafe\u0301 na\u0308ive ﬁne Ⅻ ① ＡＢＣ ｶﾀｶﾅ",
	"Москва — столица России. Ελληνικά κείμενα.",
	"中文文本测试，日本語のテキスト。한국어 텍스트입니다",
	"ภาษาไทยไม่มีช่องว่าง العربية עברית हिन्दी",
	"line one\nline two\r\nline three\rlast",
	"https://Example.COM:443/Path/To?q=1&b=2#frag",
	"http://user:pw@[::1]:80/ HTTP://EXAMPLE.com.",
	"  \u00a0\u200b\ufeff emoji 👍🏽 e-mail@host.org 3.14159 x^2",
}

// Fingerprint hashes the strings a stage derives from the probes.
func Fingerprint(parts ...[]byte) string {
	h := xxhash.New()
	for _, p := range parts {
		var l [8]byte
		binary.LittleEndian.PutUint64(l[:], uint64(len(p)))
		h.Write(l[:])
		h.Write(p)
	}
	return fmt.Sprintf("%016x", h.Sum64())
}
