package badwords

// A small Aho–Corasick automaton, compiled to a DFA over byte classes.
//
// Hand-written rather than imported: the stage needs only "how many
// pattern occurrences end in this text", which a DFA answers with one
// table load and one add per byte; the lists are small (a few hundred
// entries, a few thousand states), so the DFA over the bytes that occur in
// the patterns stays under a megabyte per language.
type automaton struct {
	class  [256]uint8 // byte → class; 0 is every byte no pattern uses
	n      int        // number of classes
	delta  []int32    // state*n + class → next state
	counts []int32    // patterns ending at a state, suffixes included
}

// compile builds the automaton of patterns (non-empty byte strings).
func compile(patterns []string) *automaton {
	a := &automaton{n: 1}
	var used [256]bool
	for _, p := range patterns {
		for i := 0; i < len(p); i++ {
			used[p[i]] = true
		}
	}
	for b, u := range used {
		if u && a.n < 255 {
			a.class[b] = uint8(a.n)
			a.n++
		} else if u {
			// Nearly every byte value is used: the identity is as small.
			a.n = 256
			for b := range a.class {
				a.class[b] = uint8(b)
			}
			break
		}
	}
	n := a.n
	// Trie: delta holds -1 where there is no edge yet.
	newState := func() int32 {
		s := int32(len(a.counts))
		for range n {
			a.delta = append(a.delta, -1)
		}
		a.counts = append(a.counts, 0)
		return s
	}
	newState()
	for _, p := range patterns {
		s := int32(0)
		for i := 0; i < len(p); i++ {
			c := int(a.class[p[i]])
			next := a.delta[int(s)*n+c]
			if next < 0 {
				next = newState()
				a.delta[int(s)*n+c] = next
			}
			s = next
		}
		a.counts[s]++
	}
	// Breadth-first: failure links, then the missing edges of the DFA.
	fail := make([]int32, len(a.counts))
	queue := make([]int32, 0, len(a.counts))
	for c := range n {
		next := a.delta[c]
		if next < 0 {
			a.delta[c] = 0
		} else {
			fail[next] = 0
			queue = append(queue, next)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		a.counts[s] += a.counts[fail[s]]
		for c := range n {
			next := a.delta[int(s)*n+c]
			if next < 0 {
				a.delta[int(s)*n+c] = a.delta[int(fail[s])*n+c]
				continue
			}
			fail[next] = a.delta[int(fail[s])*n+c]
			queue = append(queue, next)
		}
	}
	return a
}

// count returns the number of pattern occurrences in b, overlapping ones
// included.
func (a *automaton) count(b []byte) int {
	s, n, total := int32(0), int32(a.n), int32(0)
	for _, c := range b {
		s = a.delta[s*n+int32(a.class[c])]
		total += a.counts[s]
	}
	return int(total)
}
