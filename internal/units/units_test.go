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

func TestBytes(t *testing.T) {
	for _, c := range []struct {
		b    float64
		want string
	}{
		{0, "0 B"},
		{math.Copysign(0, -1), "0 B"},
		{0.4, "0 B"},
		{512, "512 B"},
		{1023, "1023 B"},
		{1023.4, "1023 B"},
		{1023.6, "1.0 KiB"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		{65536, "64.0 KiB"},
		{99.94 * 1024, "99.9 KiB"},
		{99.96 * 1024, "100 KiB"},
		{256 << 10, "256 KiB"},
		{1023 << 10, "1023 KiB"},
		{1<<20 - 1, "1.0 MiB"},
		{1 << 20, "1.0 MiB"},
		{7999488, "7.6 MiB"},
		{8392704, "8.0 MiB"},
		{15998976, "15.3 MiB"},
		{33738752, "32.2 MiB"},
		{256 << 20, "256 MiB"},
		{1 << 30, "1.0 GiB"},
		{1 << 40, "1.0 TiB"},
		{1 << 60, "1024 PiB"},
		{-512, "-512 B"},
		{-(1 << 20), "-1.0 MiB"},
		{-15998976, "-15.3 MiB"},
		{-0.4, "0 B"},
		{math.NaN(), "-"},
		{math.Inf(1), "-"},
		{math.Inf(-1), "-"},
	} {
		if got := Bytes(c.b); got != c.want {
			t.Errorf("Bytes(%g) = %q, want %q", c.b, got, c.want)
		}
	}
}

func TestCount(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "0"},
		{0.004, "0.004"},
		{0.012, "0.01"},
		{0.04, "0.04"},
		{1e-9, "1e-09"},
		{0.05, "0.1"},
		{0.4, "0.4"},
		{0.5, "0.5"},
		{0.96, "1"},
		{1, "1"},
		{2.03, "2"},
		{2.5, "2.5"},
		{9.94, "9.9"},
		{9.97, "10"},
		{10.4, "10"},
		{92, "92"},
		{999, "999"},
		{999.6, "1,000"},
		{1000, "1,000"},
		{1319.25, "1,319"},
		{32830, "32,830"},
		{1e6, "1,000,000"},
		{1e20, "100,000,000,000,000,000,000"},
		{-0.4, "-0.4"},
		{-0.02, "-0.02"},
		{-999, "-999"},
		{-1000, "-1,000"},
		{-1234567, "-1,234,567"},
		{math.NaN(), "-"},
		{math.Inf(1), "-"},
	} {
		if got := Count(c.v); got != c.want {
			t.Errorf("Count(%g) = %q, want %q", c.v, got, c.want)
		}
	}
}

func TestRatio(t *testing.T) {
	for _, c := range []struct {
		x    float64
		want string
	}{
		{0.9654, "0.97x"},
		{1, "1.00x"},
		{1.349, "1.35x"},
		{25.55, "25.6x"},
		{55.93, "55.9x"},
		{212.4, "212x"},
		{0, "-"},
		{-1.5, "-"},
		{math.NaN(), "-"},
		{math.Inf(1), "-"},
	} {
		if got := Ratio(c.x); got != c.want {
			t.Errorf("Ratio(%g) = %q, want %q", c.x, got, c.want)
		}
	}
}

func TestPercent(t *testing.T) {
	for _, c := range []struct {
		f    float64
		want string
	}{
		{0, "0%"},
		{0.004, "0%"},
		{-0.004, "0%"},
		{0.873, "87%"},
		{1, "100%"},
		{1.5, "150%"},
		{-0.25, "-25%"},
		{math.NaN(), "-"},
		{math.Inf(1), "-"},
	} {
		if got := Percent(c.f); got != c.want {
			t.Errorf("Percent(%g) = %q, want %q", c.f, got, c.want)
		}
	}
}
