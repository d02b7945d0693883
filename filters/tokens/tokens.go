// Package tokens counts the tokens of texts with the byte-pair encodings
// of OpenAI's tiktoken — cl100k_base, o200k_base, or any rank file in
// tiktoken's format (Llama 3's tokenizer ships as one) — and provides the
// `tokens` stage, which writes each kept document's count.
//
// Counts equal tiktoken's encode_ordinary (special tokens such as
// <|endoftext|> are ordinary text): the pre-tokenisation rules are
// reproduced rule by rule (pretok.go, after the patterns of tiktoken's
// openai_public.py), and merging is tiktoken's byte_pair_merge (src/lib.rs).
// The tests compare with js-tiktoken, a port of the same, on multilingual
// text with emoji, CRLF, code and long digit runs.
//
// The rank files of cl100k_base and o200k_base are embedded
// (zstd-compressed, byte-identical to OpenAI's, as js-tiktoken 1.0.21 ships
// them; MIT, see NOTICE) and parsed on first use (~0.1 s).
package tokens

import (
	"bufio"
	"bytes"
	"embed"
	"encoding/base64"
	"fmt"
	"io"
	"iter"
	"os"
	"strconv"
	"sync"

	"github.com/klauspost/compress/zstd"
)

//go:embed data/*.tiktoken.zst
var data embed.FS

// Encoding is a byte-pair encoding: ranks of byte sequences and a
// pre-tokenisation pattern. It is safe for concurrent use.
type Encoding struct {
	name    string
	pattern Pattern
	ranks   map[string]uint32 // every token
	pairs   []uint32          // rank of every two-byte sequence, noRank if none
	short   shortTable        // tokens of three to seven bytes, by packShort
	pool    sync.Pool
}

var builtin = map[string]Pattern{
	"cl100k_base": PatternCL100K,
	"o200k_base":  PatternO200K,
}

var (
	builtinMu sync.Mutex
	loaded    = map[string]*Encoding{}
)

// Builtin returns the named embedded encoding, cl100k_base or o200k_base,
// loading it on first use.
func Builtin(name string) (*Encoding, error) {
	pat, ok := builtin[name]
	if !ok {
		return nil, fmt.Errorf("tokens: unknown encoding %q (built in: cl100k_base, o200k_base)", name)
	}
	builtinMu.Lock()
	defer builtinMu.Unlock()
	if e := loaded[name]; e != nil {
		return e, nil
	}
	raw, err := data.ReadFile("data/" + name + ".tiktoken.zst")
	if err != nil {
		return nil, err
	}
	dec, err := zstd.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	e, err := Read(name, dec, pat)
	if err != nil {
		return nil, err
	}
	loaded[name] = e
	return e, nil
}

// Open returns the encoding of a tiktoken rank file ("<base64 bytes>
// <rank>" per line) cut into pieces by pattern.
func Open(path string, pattern Pattern) (*Encoding, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	defer f.Close()
	return Read(path, f, pattern)
}

// maxRankFile bounds what Read accepts: o200k_base is 3.6 MB.
const maxRankFile = 64 << 20

// Read parses a tiktoken rank file from r; name labels errors.
func Read(name string, r io.Reader, pattern Pattern) (*Encoding, error) {
	e := &Encoding{name: name, pattern: pattern, ranks: make(map[string]uint32, 1<<17)}
	sc := bufio.NewScanner(io.LimitReader(r, maxRankFile))
	sc.Buffer(make([]byte, 4096), 1<<16)
	var buf []byte
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(b) == 0 {
			continue
		}
		sp := bytes.IndexByte(b, ' ')
		if sp < 0 {
			return nil, fmt.Errorf("tokens: %s line %d: want \"<base64> <rank>\"", name, line)
		}
		rank, err := strconv.ParseUint(string(b[sp+1:]), 10, 32)
		if err != nil || rank >= noRank {
			return nil, fmt.Errorf("tokens: %s line %d: bad rank %q", name, line, b[sp+1:])
		}
		buf = buf[:0]
		buf, err = base64.StdEncoding.AppendDecode(buf, b[:sp])
		if err != nil || len(buf) == 0 {
			return nil, fmt.Errorf("tokens: %s line %d: bad base64 token", name, line)
		}
		e.ranks[string(buf)] = uint32(rank)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("tokens: %s line %d: %w", name, line+1, err)
	}
	// Byte-level BPE needs every single byte as a token, or some text
	// could not be encoded at all.
	for b := 0; b < 256; b++ {
		if _, ok := e.ranks[string([]byte{byte(b)})]; !ok {
			return nil, fmt.Errorf("tokens: %s: byte 0x%02x has no rank (not a byte-level BPE rank file)", name, b)
		}
	}
	e.pairs = make([]uint32, 1<<16)
	for i := range e.pairs {
		e.pairs[i] = noRank
	}
	nshort := 0
	for k := range e.ranks {
		if len(k) != 2 && len(k) <= 7 {
			nshort++
		}
	}
	e.short = newShortTable(nshort)
	for k, r := range e.ranks {
		switch {
		case len(k) == 2:
			e.pairs[uint16(k[0])<<8|uint16(k[1])] = r
		case len(k) <= 7:
			e.short.put(packShort(k), r)
		}
	}
	e.pool.New = func() any { return new(merger) }
	return e, nil
}

// Name returns the encoding's name (or the path it was read from).
func (e *Encoding) Name() string { return e.name }

// Count returns the number of tokens of text.
func (e *Encoding) Count(text string) int {
	m := e.pool.Get().(*merger)
	n := 0
	for i := 0; i < len(text); {
		j := e.pattern.next(text, i)
		n += e.count(m, text[i:j])
		i = j
	}
	e.pool.Put(m)
	return n
}

// Encode returns the token ids of text (tiktoken's encode_ordinary).
func (e *Encoding) Encode(text string) []int {
	m := e.pool.Get().(*merger)
	var out []int
	for i := 0; i < len(text); {
		j := e.pattern.next(text, i)
		out = e.appendTokens(m, out, text[i:j])
		i = j
	}
	e.pool.Put(m)
	return out
}

// Pieces yields the pre-tokenisation pieces of text in order; they
// concatenate to text.
func (p Pattern) Pieces(text string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for i := 0; i < len(text); {
			j := p.next(text, i)
			if !yield(text[i:j]) {
				return
			}
			i = j
		}
	}
}
