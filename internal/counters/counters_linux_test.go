package counters_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/counters"
	"github.com/faultline/faultline/internal/hosttest"
	"github.com/faultline/faultline/internal/proc/proctest"
)

// childEnv makes the test binary run countFromExec as another user (see
// TestUnprivileged) instead of the tests.
const childEnv = "FAULTLINE_COUNTERS_TEST_CHILD"

func TestMain(m *testing.M) {
	if argv := os.Getenv(childEnv); argv != "" {
		r := countFromExec(strings.Fields(argv))
		_ = json.NewEncoder(os.Stdout).Encode(r)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type report struct {
	Values   map[string]float64
	Notes    []string
	UserOnly bool
	Err      string
	Refused  bool
}

// countFromExec runs argv the way counters are meant to be used: the
// counters are opened on a process that has not exec'd the target yet (a
// shell blocked on read) and switch on at its exec.
func countFromExec(argv []string) report {
	var r report
	fail := func(err error) report { r.Err = err.Error(); return r }
	cmd := exec.Command("sh", append([]string{"-c", `read go; exec "$@"`, "sh"}, argv...)...)
	w, err := cmd.StdinPipe()
	if err != nil {
		return fail(err)
	}
	if err := cmd.Start(); err != nil {
		return fail(err)
	}
	set, err := counters.Open(cmd.Process.Pid)
	if _, werr := io.WriteString(w, "go\n"); werr != nil && err == nil {
		err = werr
	}
	w.Close()
	werr := cmd.Wait()
	if err != nil {
		var re *counters.RefusedError
		r.Refused = errors.As(err, &re)
		return fail(err)
	}
	defer set.Close()
	if werr != nil {
		return fail(werr)
	}
	r.Values, err = set.Read()
	if err != nil {
		return fail(err)
	}
	r.Notes = set.Notes()
	r.UserOnly = set.UserOnly()
	return r
}

func pmu() bool {
	_, err := os.Stat("/sys/bus/event_source/devices/cpu")
	return err == nil
}

func TestProbe(t *testing.T) {
	c := counters.Probe()
	t.Logf("%+v", c)
	if c.Paranoid != counters.Paranoid() || c.Paranoid == -9 {
		t.Errorf("paranoid = %d", c.Paranoid)
	}
	if !c.Software {
		t.Fatalf("software events refused: %s", c.Note)
	}
	if c.Hardware != pmu() {
		t.Errorf("hardware = %v, but /sys/bus/event_source/devices/cpu exists = %v", c.Hardware, pmu())
	}
	if !c.Hardware && !strings.Contains(c.Note, "no hardware PMU") {
		t.Errorf("note = %q, want it to name the missing PMU", c.Note)
	}
}

// TestFromExec: counting starts at the exec (the shell's own work before
// it is not counted) and covers the target's page faults.
func TestFromExec(t *testing.T) {
	bin := proctest.BuildC(t, "touch")
	const pages = 5000
	r := countFromExec([]string{bin, strconv.Itoa(pages)})
	if r.Err != "" {
		t.Fatal(r.Err)
	}
	t.Logf("%+v", r)
	pf := r.Values[counters.PageFaults]
	if pf < pages || pf > pages+300 {
		t.Errorf("page-faults = %v, want %d plus the loader's few dozen", pf, pages)
	}
	for _, name := range counters.Software {
		if _, ok := r.Values[name]; !ok {
			t.Errorf("%s missing", name)
		}
	}
	if r.Values[counters.TaskClock] <= 0 || r.Values[counters.TaskClock] > 60 {
		t.Errorf("task-clock = %v s", r.Values[counters.TaskClock])
	}
	if _, ok := r.Values[counters.Cycles]; ok != pmu() {
		t.Errorf("cycles counted = %v with a PMU = %v", ok, pmu())
	}
}

func TestDisabled(t *testing.T) {
	t.Setenv(counters.EnvDisable, "off")
	_, err := counters.Open(os.Getpid())
	var re *counters.RefusedError
	if !errors.As(err, &re) {
		t.Fatalf("Open = %v, want a RefusedError", err)
	}
	if n := counters.FallbackNote(err); !strings.HasPrefix(n, "perf_event_open refused (perf_event_paranoid=") || !strings.HasSuffix(n, "counters from rusage") {
		t.Errorf("note = %q", n)
	}
	if n := counters.FallbackNote(errors.New("boom")); n != "perf counters unavailable (boom): counters from rusage" {
		t.Errorf("note = %q", n)
	}
}

// TestUnprivileged runs the counters as user nobody: with
// perf_event_paranoid=2 only user-space counting is allowed, which must
// degrade with a note rather than fail; at 3 and above Open is refused.
func TestUnprivileged(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch to user nobody")
	}
	cmd := hosttest.AsNobody(t, "counters", childEnv+"=/bin/true", "PATH=/usr/bin:/bin")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var r report
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("child said %q: %v", out, err)
	}
	t.Logf("paranoid %d: %+v", counters.Paranoid(), r)
	switch p := counters.Paranoid(); {
	case p >= 3:
		if !r.Refused {
			t.Errorf("paranoid %d: want Open refused, got %+v", p, r)
		}
	case p == 2:
		if r.Err != "" || !r.UserOnly || r.Values[counters.PageFaults] <= 0 || !hasNote(r.Notes, "user space only") {
			t.Errorf("paranoid 2: want user-space counting with a note, got %+v", r)
		}
	default:
		if r.Err != "" || r.UserOnly {
			t.Errorf("paranoid %d: want full counting, got %+v", p, r)
		}
	}
}

func hasNote(notes []string, s string) bool {
	return strings.Contains(fmt.Sprint(notes), s)
}
