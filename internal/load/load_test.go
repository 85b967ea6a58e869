package load

import (
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/faultline/faultline/internal/testenv"
)

func TestParsers(t *testing.T) {
	psi := "some avg10=35.53 avg60=13.32 avg300=3.24 total=10244472\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
	if got := pressureTotal(psi); got != 10244472 {
		t.Errorf("pressureTotal = %d", got)
	}
	if got := pressureTotal("garbage"); got != -1 {
		t.Errorf("pressureTotal(garbage) = %d, want -1", got)
	}
	steal, total := stealJiffies("cpu  100 0 50 800 10 0 5 35 7 0\ncpu0 1 2 3\n")
	if steal != 35 || total != 1000 {
		t.Errorf("stealJiffies = %d of %d, want 35 of 1000 (guest time not counted twice)", steal, total)
	}
	if got := runnable("0.52 0.40 0.33 3/412 9981\n"); got != 3 {
		t.Errorf("runnable = %d", got)
	}
	if got := runnable("0.52"); got != -1 {
		t.Errorf("runnable(short) = %d", got)
	}
}

// Three busy processes on this machine's CPUs make the pressure
// information report waiting, and the load says busy.
func TestBusyNeighboursShow(t *testing.T) {
	if _, err := os.Stat("/proc/pressure/cpu"); err != nil {
		t.Skip("this kernel reports no CPU pressure (/proc/pressure/cpu): CONFIG_PSI off or psi=0")
	}
	n := 3 * runtime.NumCPU()
	testenv.Neighbours(t, n)
	s := Take()
	time.Sleep(time.Second)
	l := Since(s)
	if l.CPUPressure < Busy || !l.IsBusy() {
		t.Errorf("%d busy processes: %+v, want CPU pressure of at least %.0f%%", n, l, Busy*100)
	}
	if l.Runnable < 2 {
		t.Errorf("%d busy processes: %.1f runnable", n, l.Runnable)
	}
}
