// Package host describes the machine a measurement runs on: the facts a
// reader needs to judge the numbers (kernel, CPU, page size, transparent
// huge pages, whether hardware counters exist, the C library).
package host

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/faultline/faultline/internal/result"
)

// Info gathers host facts; anything unreadable is left empty.
func Info() result.Host {
	h := result.Host{
		Kernel:   Kernel(),
		Arch:     runtime.GOARCH,
		CPUs:     runtime.NumCPU(),
		CPUModel: cpuModel(),
		PageSize: os.Getpagesize(),
		THP:      THP(),
		PMU:      HasPMU(),
		Libc:     Libc(),
	}
	return h
}

// Kernel returns the running kernel's release.
func Kernel() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// THP returns the selected transparent huge page mode ("always",
// "madvise", "never"), or "" when the kernel has none.
func THP() string {
	return bracketed("/sys/kernel/mm/transparent_hugepage/enabled")
}

// THPDefrag returns the selected THP defrag mode.
func THPDefrag() string {
	return bracketed("/sys/kernel/mm/transparent_hugepage/defrag")
}

func bracketed(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	s := string(b)
	i, j := strings.IndexByte(s, '['), strings.IndexByte(s, ']')
	if i < 0 || j < i {
		return strings.TrimSpace(s)
	}
	return s[i+1 : j]
}

// HasPMU reports whether the kernel exposes a hardware performance
// monitoring unit (virtual machines often do not).
func HasPMU() bool {
	for _, d := range []string{"cpu", "cpu_core", "cpu_atom", "armv8_pmuv3_0"} {
		if _, err := os.Stat(filepath.Join("/sys/bus/event_source/devices", d)); err == nil {
			return true
		}
	}
	return false
}

// Libc returns the C library's name and version, e.g. "glibc 2.36".
func Libc() string {
	out, err := exec.Command("getconf", "GNU_LIBC_VERSION").Output()
	if err != nil {
		return ""
	}
	s := strings.TrimSpace(string(out))
	return s
}
