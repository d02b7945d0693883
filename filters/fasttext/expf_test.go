package fasttext

import (
	"math"
	"testing"
)

// glibcExpf holds inputs where glibc's expf is not the correctly rounded
// e^x (so float32(math.Exp(x)) differs), with glibc's answer, printed by
// a C program; fastText prints probabilities through it.
var glibcExpf = [][2]uint32{
	{0xc15d9448, 0x3581d607},
	{0xc131f89c, 0x3777bab4},
	{0xc1ab4b6c, 0x300a1218},
	{0xc195fb7a, 0x31f7bc2f},
	{0xc1d747f5, 0x2c10b22e},
	{0xc0776ca8, 0x3cab8e31},
	{0xc1e0a05a, 0x2b33f74d},
	{0xc14be28a, 0x36442d6a},
	{0xc19ded29, 0x31378d4c},
	{0xc18d2b62, 0x32ba5bdc},
	{0xc1274d50, 0x37f14ae4},
	{0xc082d0c4, 0x3c89678f},
	{0x3f7328a0, 0x4025756f},
	{0xc111d04e, 0x38e712c7},
	{0xc09e782c, 0x3be79b2d},
	{0xc1975642, 0x31d1256a},
	{0xbed64800, 0x3f287415},
	{0xc1845826, 0x338c6755},
	{0xc1b76c0a, 0x2ef29156},
	{0xc18b30a6, 0x32eeacce},
	{0xbf9f0d80, 0x3e93c7b3},
	{0xc11a22bc, 0x38895c5b},
	{0xc1acd5e5, 0x2fe3c2f7},
	{0x3f71ff00, 0x4024b582},
	{0xc1e7758d, 0x2a9935f0},
	{0xc0482508, 0x3d338f34},
	{0xbf7c31a0, 0x3ebf2cf4},
	{0xc1b65da4, 0x2f0a66fa},
	{0xc02f7bc0, 0x3d83fc40},
	{0xc18d838d, 0x32b28195},
	{0xc19887de, 0x31b42754},
	{0xc109fd1c, 0x393c6a5b},
	{0xc1c28ab1, 0x2df1adb3},
	{0xc1cdfd55, 0x2ce71e0f},
	{0xc037f3d0, 0x3d6740a2},
	{0xc0bcf0d8, 0x3b32be7c},
	{0xc0f0d578, 0x3a0d4229},
	{0xc14aedc6, 0x365041fc},
	{0xc1b1fe94, 0x2f6f0738},
	{0xbfe56450, 0x3e2a9ac1},
}

func TestExpfIsGlibcs(t *testing.T) {
	for _, c := range glibcExpf {
		x := math.Float32frombits(c[0])
		if got := math.Float32bits(expf(x)); got != c[1] {
			t.Errorf("expf(%v) = %v, glibc gives %v", x, math.Float32frombits(got), math.Float32frombits(c[1]))
		}
	}
	for _, c := range []struct{ x, want float32 }{
		{0, 1}, {float32(math.Inf(-1)), 0}, {-200, 0}, {100, float32(math.Inf(1))},
	} {
		if got := expf(c.x); got != c.want {
			t.Errorf("expf(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	if v := expf(float32(math.NaN())); v == v {
		t.Error("expf(NaN) is not NaN")
	}
}
