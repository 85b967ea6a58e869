package reexec

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The test binary runs its own roles.
func TestMain(m *testing.M) {
	Register("echo", func(args []string) int {
		os.Stdout.WriteString(strings.Join(args, ","))
		return len(args)
	})
	Register("thread", func([]string) int {
		// Locked by init: the role runs on the main thread, whose thread
		// id is the process id.
		if os.Getpid() != gettid() {
			return 1
		}
		return 0
	})
	Main()
	os.Exit(m.Run())
}

func TestArgv(t *testing.T) {
	if got := Argv("faultline", "workload", "seed"); !slices.Equal(got, []string{"faultline", "__workload", "seed"}) {
		t.Errorf("Argv = %q", got)
	}
}

func TestNamed(t *testing.T) {
	tests := []struct {
		argv []string
		role string
		ok   bool
	}{
		{[]string{"faultline", "__supervisor", "3", "4"}, "supervisor", true},
		{[]string{"faultline", "__workload"}, "workload", true},
		{[]string{"faultline", "__"}, "", false},
		{[]string{"faultline", "run", "__x"}, "", false},
		{[]string{"faultline", "-_x"}, "", false},
		{[]string{"faultline"}, "", false},
		{nil, "", false},
	}
	for _, tt := range tests {
		if role, ok := named(tt.argv); role != tt.role || ok != tt.ok {
			t.Errorf("named(%q) = %q, %v; want %q, %v", tt.argv, role, ok, tt.role, tt.ok)
		}
	}
}

// TestMainDispatches re-executes the test binary in its roles.
func TestMainDispatches(t *testing.T) {
	if !Dispatched() {
		t.Fatal("Dispatched() = false after Main")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	argv := Argv("reexec-test", "echo", "a", "b")
	cmd := &exec.Cmd{Path: self, Args: argv}
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || string(out) != "a,b" {
		t.Errorf("echo role: %q, %v; want \"a,b\" and exit status 2", out, err)
	}
	cmd = &exec.Cmd{Path: self, Args: Argv("reexec-test", "thread")}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("thread role: %v: the role did not run on the main thread\n%s", err, out)
	}
}

// TestMainReturns: Main returns when argv[1] names no role of this program.
func TestMainReturns(t *testing.T) {
	args := os.Args
	defer func() { os.Args = args }()
	for _, argv := range [][]string{{"faultline"}, {"faultline", "run"}, {"faultline", "__nothing"}} {
		os.Args = argv
		Main()
	}
}

func TestRegisterTwice(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("registering a role twice did not panic")
		}
	}()
	Register("echo", func([]string) int { return 0 })
}
