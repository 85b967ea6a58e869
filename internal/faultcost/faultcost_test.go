package faultcost

import "testing"

func TestMeasure(t *testing.T) {
	c, err := Measure()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("one minor fault costs %.2f µs here", c.FaultSeconds*1e6)
	// Plausible for any machine: more than 50 ns, less than 1 ms per page.
	if c.FaultSeconds < 50e-9 || c.FaultSeconds > 1e-3 || c.Pages != 2048 {
		t.Fatalf("Measure() = %+v", c)
	}
}

func BenchmarkMeasure(b *testing.B) {
	for b.Loop() {
		if _, err := Measure(); err != nil {
			b.Fatal(err)
		}
	}
}
