package fasttext

// The top-k selection keeps a heap ordered by comparePairs (a.score >
// b.score: a min-heap of scores) with std::push_heap, std::pop_heap and
// std::sort_heap. Equal scores come out in the order those algorithms
// leave them, so these reproduce libstdc++'s exactly.

func heapLess(a, b scored) bool { return a.score > b.score } // comparePairs

// siftUp is libstdc++'s __push_heap.
func siftUp(h []scored, hole, top int, v scored) {
	parent := (hole - 1) / 2
	for hole > top && heapLess(h[parent], v) {
		h[hole] = h[parent]
		hole = parent
		parent = (hole - 1) / 2
	}
	h[hole] = v
}

// adjust is libstdc++'s __adjust_heap.
func adjust(h []scored, hole, n int, v scored) {
	top := hole
	child := hole
	for child < (n-1)/2 {
		child = 2 * (child + 1)
		if heapLess(h[child], h[child-1]) {
			child--
		}
		h[hole] = h[child]
		hole = child
	}
	if n&1 == 0 && child == (n-2)/2 {
		child = 2 * (child + 1)
		h[hole] = h[child-1]
		hole = child - 1
	}
	siftUp(h, hole, top, v)
}

// pushHeap appends v and restores the heap (std::push_heap).
func pushHeap(h []scored, v scored) []scored {
	h = append(h, v)
	siftUp(h, len(h)-1, 0, v)
	return h
}

// popHeap moves the top to the end and drops it (std::pop_heap, then
// pop_back).
func popHeap(h []scored) []scored {
	n := len(h)
	if n > 1 {
		last := n - 1
		v := h[last]
		h[last] = h[0]
		adjust(h, 0, last, v)
	}
	return h[:n-1]
}

// sortHeap is std::sort_heap: the heap becomes sorted by decreasing score.
func sortHeap(h []scored) {
	for last := len(h) - 1; last > 0; last-- {
		v := h[last]
		h[last] = h[0]
		adjust(h, 0, last, v)
	}
}
