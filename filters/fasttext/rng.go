package fasttext

// The reference draws its random numbers from std::minstd_rand through
// libstdc++'s distributions; reproducing them makes single-threaded
// training give the reference CLI's model bit for bit.

const (
	minstdA   = 48271
	minstdM   = 2147483647
	minstdMin = 1
	minstdMax = minstdM - 1
)

// minstd is std::minstd_rand.
type minstd struct{ x uint64 }

func newMinstd(seed int64) *minstd {
	x := uint64(seed % minstdM)
	if seed < 0 {
		x = uint64(seed%minstdM + minstdM)
	}
	if x == 0 {
		x = 1
	}
	return &minstd{x: x}
}

func (r *minstd) next() uint64 {
	r.x = r.x * minstdA % minstdM
	return r.x
}

// canonical is std::generate_canonical<double, 53>: two draws.
func (r *minstd) canonical() float64 {
	const rng = float64(minstdMax - minstdMin + 1)
	sum := float64(r.next() - minstdMin)
	sum += float64(r.next()-minstdMin) * rng
	v := sum / (rng * rng)
	if v >= 1 {
		v = 0.9999999999999999 // nextafter(1, 0)
	}
	return v
}

// uniformReal is std::uniform_real_distribution<double>(a, b).
func (r *minstd) uniformReal(a, b float64) float64 {
	return r.canonical()*(b-a) + a
}

// uniformInt is std::uniform_int_distribution over [0, n-1] (n >= 1):
// libstdc++'s scaled rejection for a generator with a wider range.
func (r *minstd) uniformInt(n uint64) uint64 {
	const urngRange = minstdMax - minstdMin
	urange := n - 1
	if urange == urngRange {
		return r.next() - minstdMin
	}
	erange := urange + 1
	scaling := urngRange / erange
	past := erange * scaling
	for {
		v := r.next() - minstdMin
		if v < past {
			return v / scaling
		}
	}
}
