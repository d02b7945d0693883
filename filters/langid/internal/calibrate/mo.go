package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"strings"
)

// readMO returns the translated strings of a gettext .mo file (the
// first form of plural messages), or with ids their English originals,
// skipping the header and untranslated entries.
func readMO(path string, ids bool) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 28 {
		return nil, fmt.Errorf("%s: too short for a .mo file", path)
	}
	var bo binary.ByteOrder
	switch binary.LittleEndian.Uint32(b) {
	case 0x950412de:
		bo = binary.LittleEndian
	case 0xde120495:
		bo = binary.BigEndian
	default:
		return nil, fmt.Errorf("%s: not a .mo file", path)
	}
	n := int(bo.Uint32(b[8:]))
	orig, trans := int(bo.Uint32(b[12:])), int(bo.Uint32(b[16:]))
	str := func(table, i int) (string, bool) {
		at := table + 8*i
		if at < 0 || at+8 > len(b) {
			return "", false
		}
		l, off := int(bo.Uint32(b[at:])), int(bo.Uint32(b[at+4:]))
		if off < 0 || l < 0 || off+l > len(b) {
			return "", false
		}
		return string(b[off : off+l]), true
	}
	var out []string
	for i := range n {
		id, ok1 := str(orig, i)
		tr, ok2 := str(trans, i)
		if !ok1 || !ok2 || id == "" || tr == "" {
			continue
		}
		if j := strings.IndexByte(tr, 0); j >= 0 {
			tr = tr[:j]
		}
		if j := strings.IndexByte(id, 0); j >= 0 {
			id = id[:j]
		}
		if j := strings.IndexByte(id, 4); j >= 0 { // msgctxt
			id = id[j+1:]
		}
		if tr == id {
			continue
		}
		if ids {
			tr = id
		}
		out = append(out, tr)
	}
	return out, nil
}
