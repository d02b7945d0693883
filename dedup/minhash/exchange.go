package minhash

import (
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/cespare/xxhash/v2"

	"github.com/winnow-data/winnow/dedup/internal/xchg"
	"github.com/winnow-data/winnow/filters/text"
	"github.com/winnow-data/winnow/pipeline"
)

// The stage's exchange files (pipeline.Exchanger), in the envelope of
// dedup/internal/xchg:
//
//   - observed, with verification or save_index: per document a record of
//     the staged signatures-*.bin format — order 8 B, priority key 8 B,
//     scope 8 B, signature 4·num_perm B (472 B at num_perm 112);
//     without: order 8 B, priority key 8 B, band keys 8·bands B (128 B at
//     14 bands)
//   - prepared: per document of a cluster of two or more, the clusters.bin
//     record — order 8 B, cluster id 8 B, size 4 B, kept 1 B, 3 B of
//     zeros; nothing for the others. LoadPrepared holds the same 24 B per
//     such document in RAM.
//
// save_index is written by Prepared, so in a cluster job by the prepare
// step, from the signatures every task observed; against is read there
// too. The later steps only load the clusters.

// signatureLayout reports whether observations carry signatures rather
// than band keys: verification and save_index need them.
func (s *Stage) signatureLayout() bool { return s.cfg.Verify || s.cfg.SaveIndex != "" }

// fingerprint hashes the signatures and band keys of the probe texts
// under the stage's configuration, so state saved by a build that
// normalises, shingles or hashes differently is refused.
func (s *Stage) fingerprint() string {
	h := NewHasher(s.cfg.NumPerm, s.cfg.ShingleWords)
	sig := make([]uint32, s.cfg.NumPerm)
	var parts [][]byte
	for _, p := range xchg.Probes {
		if !h.Signature(sig, text.DocNormalized(&pipeline.Document{Text: p})) {
			continue
		}
		var b []byte
		for _, v := range sig {
			b = binary.LittleEndian.AppendUint32(b, v)
		}
		for band := range s.cfg.Bands {
			b = binary.LittleEndian.AppendUint64(b, BandKey(sig, band, s.cfg.Rows, xxhash.Sum64String("en")))
		}
		parts = append(parts, b)
	}
	return xchg.Fingerprint(parts...)
}

// fingerprints caches fingerprint by [num_perm, shingle_words, bands,
// rows].
var fingerprints sync.Map

func (s *Stage) header(k xchg.Kind) xchg.Header {
	s.fpOnce.Do(func() {
		key := [4]int{s.cfg.NumPerm, s.cfg.ShingleWords, s.cfg.Bands, s.cfg.Rows}
		fp, ok := fingerprints.Load(key)
		if !ok {
			fp, _ = fingerprints.LoadOrStore(key, s.fingerprint())
		}
		s.fp = fp.(string)
	})
	layout := "bands"
	if s.signatureLayout() {
		layout = "signatures"
	}
	return xchg.Header{Stage: Name, Kind: k, Params: []xchg.Param{
		{Name: "num_perm", Value: strconv.Itoa(s.cfg.NumPerm)},
		{Name: "bands", Value: strconv.Itoa(s.cfg.Bands)},
		{Name: "rows", Value: strconv.Itoa(s.cfg.Rows)},
		{Name: "shingle_words", Value: strconv.Itoa(s.cfg.ShingleWords)},
		{Name: "threshold", Value: strconv.FormatFloat(s.cfg.Threshold, 'g', -1, 64)},
		{Name: "verify", Value: strconv.FormatBool(s.cfg.Verify)},
		{Name: "keep", Value: s.policy.String()},
		{Name: "per_language", Value: strconv.FormatBool(s.cfg.PerLanguage)},
		{Name: "layout", Value: layout},
		{Name: "signature", Value: s.fp},
	}}
}

// SaveObserved implements pipeline.Exchanger: every document observed,
// streamed from the index's spill files.
func (s *Stage) SaveObserved(w io.Writer) error {
	ix, err := s.index()
	if err != nil {
		return err
	}
	x := xchg.NewWriter(w, s.header(xchg.Observed), uint64(ix.Len()))
	sigs := s.signatureLayout()
	var rec []byte
	err = ix.Each(!sigs, func(order uint64, key int64, bandKeys, sig []byte) error {
		rec = binary.LittleEndian.AppendUint64(rec[:0], order)
		rec = binary.LittleEndian.AppendUint64(rec, uint64(key))
		if sigs {
			rec = append(rec, sig...) // scope, signature
		} else {
			rec = append(rec, bandKeys...)
		}
		_, err := x.Write(rec)
		return err
	})
	if err != nil {
		return err
	}
	if err := x.Close(); err != nil {
		return fmt.Errorf("minhash: saving observations: %w", err)
	}
	return nil
}

// LoadObserved implements pipeline.Exchanger: each document is added to
// the index as Observe adds it.
func (s *Stage) LoadObserved(r io.Reader) error {
	x, err := xchg.NewReader(r, s.header(xchg.Observed))
	if err != nil {
		return err
	}
	ix, err := s.index()
	if err != nil {
		return err
	}
	sigs := s.signatureLayout()
	rec := make([]byte, 16+8*s.cfg.Bands)
	var sig []uint32
	bandKeys := make([]uint64, s.cfg.Bands)
	if sigs {
		rec, sig = make([]byte, recordSize(s.cfg.NumPerm)), make([]uint32, s.cfg.NumPerm)
	}
	for i := range x.Count {
		if err := x.Record(rec, i); err != nil {
			return err
		}
		order, key := binary.LittleEndian.Uint64(rec), int64(binary.LittleEndian.Uint64(rec[8:]))
		if order&againstOrder != 0 {
			return x.Errorf("document order %#x out of range", order)
		}
		if sigs {
			decodeSig(sig, rec)
			err = ix.Add(order, key, sig, binary.LittleEndian.Uint64(rec[16:]))
		} else {
			for b := range bandKeys {
				bandKeys[b] = binary.LittleEndian.Uint64(rec[16+8*b:])
			}
			err = ix.add(order, key, bandKeys, nil, 0)
		}
		if err != nil {
			return err
		}
	}
	return x.Close()
}

// SavePrepared implements pipeline.Exchanger: the documents of clusters
// of two or more, in input order.
func (s *Stage) SavePrepared(w io.Writer) error {
	var dups clusterTable
	switch {
	case s.fromFile:
		dups = s.loaded
	case s.ready:
		s.ix.duplicates(func(e clusterEntry) { dups = append(dups, e) })
	default:
		return fmt.Errorf("minhash: SavePrepared before Prepared")
	}
	x := xchg.NewWriter(w, s.header(xchg.Prepared), uint64(len(dups)))
	var rec []byte
	for _, e := range dups {
		rec = e.append(rec[:0])
		x.Write(rec)
	}
	if err := x.Close(); err != nil {
		return fmt.Errorf("minhash: saving clusters: %w", err)
	}
	return nil
}

// LoadPrepared implements pipeline.Exchanger.
func (s *Stage) LoadPrepared(r io.Reader) error {
	x, err := xchg.NewReader(r, s.header(xchg.Prepared))
	if err != nil {
		return err
	}
	// Grown as records arrive, not sized by the header's count, which
	// may be damaged.
	var t clusterTable
	var rec [clusterRecordSize]byte
	for i := range x.Count {
		if err := x.Record(rec[:], i); err != nil {
			return err
		}
		e, ok := decodeCluster(rec[:])
		if !ok {
			return x.Errorf("not a cluster record")
		}
		if n := len(t); n > 0 && t[n-1].order >= e.order {
			return x.Errorf("documents out of order")
		}
		t = append(t, e)
	}
	if err := x.Close(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loaded, s.fromFile = t, true
	return nil
}
