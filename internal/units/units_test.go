package units

import (
	"math"
	"testing"
)

func TestSeconds(t *testing.T) {
	for _, c := range []struct {
		s    float64
		want string
	}{
		{0, "0 s"},
		{1.0954e-3, "1.10 ms"},
		{16.16e-3, "16.2 ms"},
		{298.4e-6, "298 µs"},
		{289.4e-6, "289 µs"},
		{512e-9, "512 ns"},
		{1.1, "1.10 s"},
		{250, "250 s"},
		{-2.5e-3, "-2.50 ms"},
		{math.NaN(), "-"},
		{math.Inf(1), "-"},
	} {
		if got := Seconds(c.s); got != c.want {
			t.Errorf("Seconds(%g) = %q, want %q", c.s, got, c.want)
		}
	}
}

func TestSecondsIn(t *testing.T) {
	for _, c := range []struct {
		s    float64
		unit string
		want string
	}{
		{0.0162, "usec", "16200 µs"},
		{0.0162, "msec", "16.2 ms"},
		{0.0162, "sec", "0.0162 s"},
		{2.89e-7, "nsec", "289 ns"},
		{2.89e-7, "", "289 ns"},
		{2.89e-7, "hours", "289 ns"},
	} {
		if got := SecondsIn(c.s, c.unit); got != c.want {
			t.Errorf("SecondsIn(%g, %q) = %q, want %q", c.s, c.unit, got, c.want)
		}
	}
}
