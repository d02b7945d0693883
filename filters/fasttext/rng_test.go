package fasttext

import (
	"fmt"
	"strings"
	"testing"
)

// The expected values were printed by a C++ program with libstdc++
// (std::minstd_rand, std::sort, std::uniform_real_distribution<> and
// std::uniform_int_distribution), the library the reference is built with.
func TestStdSortMatchesLibstdcxx(t *testing.T) {
	want := strings.Split(strings.TrimSpace(libstdcxxSort), "\n")
	g := newMinstd(7)
	for i, n := range []int{5, 17, 40, 100, 1000, 5000} {
		type kv struct{ k, i int }
		v := make([]kv, n)
		for j := range v {
			v[j] = kv{int(g.next() % 7), j}
		}
		stdSort(v, func(a, b *kv) bool { return a.k > b.k })
		var b strings.Builder
		for _, p := range v {
			fmt.Fprintf(&b, "%d ", p.i)
		}
		if got := strings.TrimSpace(b.String()); got != strings.TrimSpace(want[i]) {
			t.Errorf("n=%d: order differs from libstdc++'s std::sort:\n%.200s\n%.200s", n, got, want[i])
		}
	}
}

func TestDistributionsMatchLibstdcxx(t *testing.T) {
	r := newMinstd(3)
	var b strings.Builder
	a := float64(float32(-0.01))
	for i := 0; i < 5; i++ {
		fmt.Fprintf(&b, "%.17g\n", float64(float32(r.uniformReal(a, -a))))
	}
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&b, "%d ", r.uniformInt(3))
	}
	b.WriteString("\n")
	for i := 0; i < 5; i++ {
		fmt.Fprintf(&b, "%d ", r.uniformInt(10000000))
	}
	want := "-0.004898053128272295\n0.0034966764505952597\n0.0013813863042742014\n-0.0061194966547191143\n-0.0053892526775598526\n0 2 2 1 2 1 1 2 0 2 \n8944238 2791251 7009357 9623498 7070668 "
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
