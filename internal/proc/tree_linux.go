package proc

import (
	"bytes"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// procEntry is what /proc/<pid>/stat says about one process.
type procEntry struct {
	pid, ppid, pgid int
	state           byte // R, S, D, Z, T, ...
	minflt, majflt  int64
}

// readStat parses /proc/<pid>/stat. The command name may contain spaces
// and parentheses, so fields are counted from the last ')'.
func readStat(pid int) (procEntry, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procEntry{}, false
	}
	return parseStat(pid, b)
}

func parseStat(pid int, b []byte) (procEntry, bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procEntry{}, false
	}
	// After ") ": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt ...
	f := bytes.Fields(b[i+1:])
	if len(f) < 10 || len(f[0]) != 1 {
		return procEntry{}, false
	}
	num := func(k int) int64 {
		n, _ := strconv.ParseInt(string(f[k]), 10, 64)
		return n
	}
	return procEntry{pid: pid, state: f[0][0], ppid: int(num(1)), pgid: int(num(2)),
		minflt: num(7), majflt: num(9)}, true
}

// scan lists every process.
func scan() []procEntry {
	d, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	out := make([]procEntry, 0, len(names))
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		if e, ok := readStat(pid); ok {
			out = append(out, e)
		}
	}
	return out
}

// descendants returns the live (not zombie) processes below root.
func descendants(root int, all []procEntry) []procEntry {
	kids := make(map[int][]procEntry)
	for _, e := range all {
		kids[e.ppid] = append(kids[e.ppid], e)
	}
	var out []procEntry
	queue := []int{root}
	seen := map[int]bool{root: true}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range kids[p] {
			if seen[c.pid] {
				continue
			}
			seen[c.pid] = true
			queue = append(queue, c.pid)
			if c.state != 'Z' && c.state != 'X' {
				out = append(out, c)
			}
		}
	}
	return out
}

// killDescendants SIGKILLs every process below root until none is left
// alive. A process forked while its parent was being killed is reparented
// to the nearest subreaper, root itself while root lives, so it shows up
// in the next round. Zombies are left for their reaper. It gives up after
// limit.
func killDescendants(root int, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for delay := 100 * time.Microsecond; ; delay = min(2*delay, 20*time.Millisecond) {
		live := descendants(root, scan())
		if len(live) == 0 {
			return true
		}
		for _, e := range live {
			_ = unix.Kill(e.pid, unix.SIGKILL)
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(delay)
	}
}

// sweepGroup kills and reaps the children of this process that belong to
// process group pgid: what is left of a target whose supervisor died before
// it could clean up (faultline is a subreaper, so they were reparented to
// it). Other children, such as os/exec commands of other packages, are
// never in a target's group and are not touched.
func sweepGroup(pgid int) {
	self := os.Getpid()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		found := false
		for _, e := range scan() {
			if e.ppid != self || e.pgid != pgid {
				continue
			}
			found = true
			if e.state != 'Z' {
				_ = unix.Kill(e.pid, unix.SIGKILL)
			}
			var ws unix.WaitStatus
			_, _ = unix.Wait4(e.pid, &ws, unix.WNOHANG|unix.WALL, nil)
		}
		if !found {
			return
		}
		time.Sleep(time.Millisecond)
	}
}
