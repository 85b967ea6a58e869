package proc

import "testing"

// TestCutPreCPU: the exec helper's report of its own CPU time is split off
// the err pipe, and whatever follows is still the exec error.
func TestCutPreCPU(t *testing.T) {
	for _, tc := range []struct {
		msg       string
		user, sys int64
		rest      string
	}{
		{"U1500 2500\n", 1500, 2500, ""},
		{"U1500 2500\nexec: no such file", 1500, 2500, "exec: no such file"},
		{"exec helper failed", 0, 0, "exec helper failed"},
		{"U-1 5\nboom", 0, 0, "boom"},
		{"Unot a number", 0, 0, "Unot a number"},
	} {
		u, s, rest := cutPreCPU([]byte(tc.msg))
		if u != tc.user || s != tc.sys || string(rest) != tc.rest {
			t.Errorf("cutPreCPU(%q) = %d, %d, %q; want %d, %d, %q", tc.msg, u, s, rest, tc.user, tc.sys, tc.rest)
		}
	}
}
