package probe

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// tempPrefix starts the name of every probe directory. The full name is
// tempPrefix + "<pid>.<start>-<random>": the owning faultline's pid and its
// start time in clock ticks since boot, so that a later faultline can tell
// a directory whose owner died (a SIGKILL leaves no time to remove it) from
// one in use, even once the pid has been reused.
const tempPrefix = "faultline-probe-"

var staleOnce sync.Once

// mkTemp creates a private probe directory for this process, after
// removing, once per process, those of faultline processes that are gone.
func mkTemp() (string, error) {
	staleOnce.Do(func() { RemoveStale(os.TempDir()) })
	return os.MkdirTemp("", tempPrefix+owner(os.Getpid())+"-")
}

// owner names a live process as pid.start, or "" when it is not alive.
func owner(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// After the command name's last ')': state is field 3, starttime 22.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return ""
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 20 {
		return ""
	}
	return fmt.Sprintf("%d.%s", pid, f[19])
}

// RemoveStale removes the probe directories in dir whose faultline has
// exited. Directories of live processes, and names it does not recognise
// (they may belong to anything), are left alone.
func RemoveStale(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		name, ok := strings.CutPrefix(e.Name(), tempPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		id, _, ok := strings.Cut(name, "-")
		pidText, _, ok2 := strings.Cut(id, ".")
		pid, err := strconv.Atoi(pidText)
		if !ok || !ok2 || err != nil || pid <= 0 {
			continue
		}
		if owner(pid) != id {
			_ = os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}
