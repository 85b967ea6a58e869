package faultcost

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/faultline/faultline/internal/testenv"
)

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

// TestCached: the first call measures and writes the cache (unless the
// calibration was busy: then nothing is written, and the test writes the
// entry itself), the second reuses it; a cache from another boot or a
// corrupt file is re-measured.
func TestCached(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "faultcost.json")
	c1, hit, err := Cached(dir)
	if err != nil || hit {
		t.Fatalf("first call: %+v hit=%v err=%v", c1, hit, err)
	}
	if c1.Busy {
		if _, err := os.Stat(path); err == nil {
			t.Fatal("a busy calibration was cached")
		}
		data, _ := json.Marshal(cacheEntry{Key: machineKey(), FaultSeconds: c1.FaultSeconds, Pages: c1.Pages, Measured: time.Now()})
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c2, hit, err := Cached(dir)
	if err != nil || !hit || c2.FaultSeconds != c1.FaultSeconds || c2.Pages != c1.Pages || c2.Busy {
		t.Fatalf("second call: %+v hit=%v err=%v, want the cached %+v", c2, hit, err, c1)
	}
	data, _ := os.ReadFile(path)
	var e cacheEntry
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	e.Key = "another boot"
	data, _ = json.Marshal(e)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, hit, _ := Cached(dir); hit {
		t.Error("a cache from another boot was used")
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if c, hit, err := Cached(dir); hit || err != nil || c.FaultSeconds <= 0 {
		t.Errorf("corrupt cache: %+v hit=%v err=%v", c, hit, err)
	}
	// Stale entries are re-measured.
	e.Key, e.Measured = machineKey(), time.Now().Add(-2*cacheTTL)
	data, _ = json.Marshal(e)
	_ = os.WriteFile(path, data, 0o644)
	if _, hit, _ := Cached(dir); hit {
		t.Error("a stale cache was used")
	}
}

// TestMeasureUnderLoad: with twice as many CPU-bound processes as CPUs
// the calibration's thread is preempted for much of the time. Its
// figure, taken on the thread's own CPU time, stays near the quiet one
// (elapsed time would multiply it), it says it was busy, and Cached does
// not keep it.
func TestMeasureUnderLoad(t *testing.T) {
	quiet, err := Measure()
	if err != nil {
		t.Fatal(err)
	}
	n := 2 * runtime.NumCPU()
	testenv.Neighbours(t, n)
	time.Sleep(100 * time.Millisecond)
	busy, err := Measure()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("quiet %.2f µs, loaded %.2f µs per fault (busy %v)", quiet.FaultSeconds*1e6, busy.FaultSeconds*1e6, busy.Busy)
	if busy.FaultSeconds > 3*quiet.FaultSeconds {
		t.Errorf("loaded calibration %.2f µs against %.2f µs quiet: the neighbours' turns were counted", busy.FaultSeconds*1e6, quiet.FaultSeconds*1e6)
	}
	if !busy.Busy {
		t.Errorf("a calibration beside %d busy processes does not say it was busy", n)
	}
	dir := t.TempDir()
	if c, fromCache, err := Cached(dir); err == nil && !fromCache && c.Busy {
		if _, err := os.Stat(filepath.Join(dir, "faultcost.json")); err == nil {
			t.Error("a busy calibration was cached")
		}
	}
}

// TestCacheReadIsBounded: a cache file replaced by a link to /dev/zero,
// a FIFO or a huge file is not read (a fresh measurement replaces it).
func TestCacheReadIsBounded(t *testing.T) {
	dir := t.TempDir()
	zero := filepath.Join(dir, "zero.json")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, make([]byte, maxCache+1), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{zero, fifo, big} {
		if b, err := readCache(p); err == nil {
			t.Errorf("readCache(%s) read %d bytes", p, len(b))
		}
	}
	ok := filepath.Join(dir, "ok.json")
	if err := os.WriteFile(ok, []byte(`{"fault_s":1e-6}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := readCache(ok); err != nil || len(b) == 0 {
		t.Errorf("a regular cache file: %q, %v", b, err)
	}
}
