package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/perftrace"
	"github.com/faultline/faultline/internal/result"
)

// envDenyPtrace makes the test binary, run as the CLI, refuse itself
// ptrace(2) before anything runs: a seccomp filter answers EPERM, as a
// container's default profile or a hardened sandbox does.
const envDenyPtrace = "FAULTLINE_TEST_DENY_PTRACE"

// denyPtrace installs the filter on every thread; children inherit it.
func denyPtrace() error {
	arch := map[string]uint32{"amd64": 0xc000003e, "arm64": 0xc00000b7}[runtime.GOARCH]
	if arch == 0 {
		return fmt.Errorf("no seccomp architecture for %s", runtime.GOARCH)
	}
	prog := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 4}, // seccomp_data.arch
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: arch, Jt: 1},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}, // seccomp_data.nr
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: unix.SYS_PTRACE, Jf: 1},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %w", err)
	}
	if _, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC,
		uintptr(unsafe.Pointer(&fprog))); e != 0 {
		return fmt.Errorf("seccomp: %w", e)
	}
	return nil
}

// TestTraceWithoutPtrace: where ptrace is forbidden but the kernel's
// syscall tracepoints can be read, the trace pass runs with perf.
func TestTraceWithoutPtrace(t *testing.T) {
	if err := perftrace.Available(); err != nil {
		t.Skipf("perf syscall tracepoints unavailable here: %v", err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "out.json")
	// The program maps memory when it starts; that is all the pass needs.
	cmd := exec.Command(self, "run", "-q", "--configs", "glibc", "--runs", "3", "--json", out, "sh -c true")
	cmd.Env = append(os.Environ(), "FAULTLINE_TEST_AS_CLI=1", envDenyPtrace+"=1", "XDG_CACHE_HOME="+dir)
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("faultline run: %v\n%s", err, b)
	}
	res, err := result.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	var traced *result.Pass
	for i, p := range res.Passes {
		if p.Name == result.PassTrace {
			traced = &res.Passes[i]
		}
	}
	if traced == nil || !strings.Contains(traced.Note, "perf") {
		notes, _ := json.Marshal(res.Notes)
		t.Fatalf("no perf trace pass: passes %+v, notes %s", res.Passes, notes)
	}
	r := res.Run("A", res.Configs[0].Name, result.ModeProcess)
	if r == nil || r.PerIteration.Syscalls == nil || r.PerIteration.Syscalls.Mmap == 0 {
		t.Fatalf("no syscalls recorded for A: %+v", r)
	}
	// The same binary with ptrace forced has no recorder left.
	cmd = exec.Command(self, "run", "-q", "--configs", "glibc", "--runs", "3", "--json", out, "sh -c true")
	cmd.Env = append(os.Environ(), "FAULTLINE_TEST_AS_CLI=1", envDenyPtrace+"=1", "XDG_CACHE_HOME="+dir, "FAULTLINE_TRACER=ptrace")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("faultline run: %v\n%s", err, b)
	}
	if res, err = result.Load(out); err != nil {
		t.Fatal(err)
	}
	if !slicesContainsSub(res.Notes, "syscall tracing unavailable") {
		t.Errorf("notes %q do not say tracing is unavailable", res.Notes)
	}
}

func slicesContainsSub(ss []string, sub string) bool {
	for _, s := range ss {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
