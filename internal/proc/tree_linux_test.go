package proc

import (
	"os"
	"testing"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		line string
		want procEntry
		ok   bool
	}{
		{"42 (sh) S 1 42 42 0 -1 4194560 120 0 3 0 0 0", procEntry{pid: 42, state: 'S', ppid: 1, pgid: 42, minflt: 120, majflt: 3}, true},
		// A command name may hold spaces and parentheses: the target
		// chooses it (prctl PR_SET_NAME), so only the last ')' counts.
		{"7 (a) b) Z (c) R 9 9 0 0 -1 0 5 0 6 0", procEntry{pid: 7, state: 'R', ppid: 9, pgid: 9, minflt: 5, majflt: 6}, true},
		{"7 (x) R 1 2", procEntry{}, false},
		{"no paren", procEntry{}, false},
		{"", procEntry{}, false},
		{"1 (x) RR 1 1 1 1 1 1 1 1 1 1", procEntry{}, false},
	}
	for _, tt := range tests {
		got, ok := parseStat(tt.want.pid, []byte(tt.line))
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("parseStat(%q) = %+v, %v; want %+v, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("42 (sh) S 1 42 42 0 -1 4194560 120 0 3 0 0 0"))
	f.Add([]byte("7 (a) b) Z (c) R 9 9 0 0 -1 0 5 0 6 0"))
	f.Add([]byte(")))"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseStat(1, b)
	})
}

func TestDescendants(t *testing.T) {
	all := []procEntry{
		{pid: 1, ppid: 0}, {pid: 10, ppid: 1}, {pid: 11, ppid: 10}, {pid: 12, ppid: 11, state: 'Z'},
		{pid: 13, ppid: 12}, {pid: 20, ppid: 1}, {pid: 14, ppid: 10, state: 'S'},
	}
	got := descendants(10, all)
	var pids []int
	for _, e := range got {
		pids = append(pids, e.pid)
	}
	// Zombies are skipped but their children are not.
	want := []int{11, 14, 13}
	if len(pids) != len(want) {
		t.Fatalf("descendants(10) = %v, want %v", pids, want)
	}
	for i := range want {
		if pids[i] != want[i] {
			t.Fatalf("descendants(10) = %v, want %v", pids, want)
		}
	}
}

func TestScanFindsSelf(t *testing.T) {
	self := os.Getpid()
	for _, e := range scan() {
		if e.pid == self {
			if e.ppid != os.Getppid() {
				t.Errorf("ppid %d, want %d", e.ppid, os.Getppid())
			}
			return
		}
	}
	t.Fatal("scan did not list this process")
}
