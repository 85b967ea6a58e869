package workload

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline/internal/hosttest"
	"github.com/faultline/faultline/internal/protocol"
	"github.com/faultline/faultline/internal/reexec"
)

// The probe under test is this test binary, re-executed in the workload's
// role.
func TestMain(m *testing.M) {
	reexec.Main()
	os.Exit(m.Run())
}

// Allocator libraries the experiment tests preload when installed.
const (
	libTcmalloc = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"
	libJemalloc = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
	libMimalloc = "/usr/lib/x86_64-linux-gnu/libmimalloc.so.2"
)

// tuned is the glibc configuration that removes the trim cycle.
const tuned = "GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456"

// testProbe is a running workload driven over pipes.
type testProbe struct {
	t     testing.TB
	cmd   *exec.Cmd
	ctl   *os.File
	recs  chan protocol.Record
	errs  chan error
	ready protocol.Record
}

// cleanEnv is the test's environment without anything that would change the
// allocator or the probe's descriptors.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "GLIBC_TUNABLES", k == "LD_PRELOAD", k == "NUMPY_MADVISE_HUGEPAGE",
			strings.HasPrefix(k, "MALLOC_"), strings.HasPrefix(k, "FAULTLINE_"):
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// startProbe starts the workload with extra environment, optionally under a
// wrapper command (strace), and waits for ready.
func startProbe(t testing.TB, wrap []string, args []string, extra ...string) *testProbe {
	t.Helper()
	if !Available() {
		t.Skip("built without cgo")
	}
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	recR, recW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	argv := append(append(wrap, Command(os.Args[0])...), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = cleanEnv(append(extra, protocol.EnvCtlFD+"=3", protocol.EnvFD+"=4")...)
	cmd.ExtraFiles = []*os.File{ctlR, recW}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctlR.Close()
	recW.Close()
	p := &testProbe{t: t, cmd: cmd, ctl: ctlW, recs: make(chan protocol.Record, 1024), errs: make(chan error, 1)}
	go func() {
		defer close(p.recs)
		rd := protocol.NewReader(recR)
		for {
			r, err := rd.Next()
			if err != nil {
				if err != io.EOF {
					p.errs <- err
				}
				return
			}
			p.recs <- r
		}
	}()
	t.Cleanup(func() {
		ctlW.Close()
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	if r := p.next(); r.Verb != protocol.VerbHello || r.Get("proto") != "1" || r.Get("impl") != "native" {
		t.Fatalf("first record %+v, want hello proto=1 impl=native", r)
	}
	p.ready = p.expect(protocol.VerbReady)
	return p
}

func (p *testProbe) send(line string) {
	p.t.Helper()
	if _, err := io.WriteString(p.ctl, line+"\n"); err != nil {
		p.t.Fatalf("send %q: %v", line, err)
	}
}

func (p *testProbe) next() protocol.Record {
	p.t.Helper()
	select {
	case r, ok := <-p.recs:
		if !ok {
			select {
			case err := <-p.errs:
				p.t.Fatalf("probe channel: %v", err)
			default:
			}
			p.t.Fatal("probe closed its channel")
		}
		return r
	case <-time.After(60 * time.Second):
		p.t.Fatal("probe silent for 60 s")
	}
	panic("unreachable")
}

func (p *testProbe) expect(verb string) protocol.Record {
	p.t.Helper()
	r := p.next()
	if r.Verb != verb {
		p.t.Fatalf("got %s record %+v (%q), want %s", r.Verb, r.KV, r.Text, verb)
	}
	return r
}

func (p *testProbe) int(r protocol.Record, key string) int64 {
	p.t.Helper()
	n, err := r.Int(key)
	if err != nil {
		p.t.Fatal(err)
	}
	return n
}

// quit sends quit and checks the exit status.
func (p *testProbe) quit() {
	p.t.Helper()
	p.send("quit")
	p.ctl.Close()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			p.t.Fatalf("probe exit after quit: %v", err)
		}
	case <-time.After(10 * time.Second):
		p.t.Fatal("probe did not exit after quit")
	}
}

// perIter is one sample reduced to one iteration.
type perIter struct {
	ms     float64
	minflt float64
}

// sample runs cand loops times and returns per-iteration figures.
func (p *testProbe) sample(cand string, loops, seq int) perIter {
	p.t.Helper()
	p.send(fmt.Sprintf("run cand=%s loops=%d seq=%d", cand, loops, seq))
	r := p.expect(protocol.VerbSample)
	if r.Get("cand") != cand || p.int(r, "loops") != int64(loops) {
		p.t.Fatalf("sample %+v does not answer run cand=%s loops=%d", r.KV, cand, loops)
	}
	return perIter{
		ms:     float64(p.int(r, "ns")) / 1e6 / float64(loops),
		minflt: float64(p.int(r, "minflt")) / float64(loops),
	}
}

// profile is the steady state of both candidates, measured interleaved in
// one process after a warm-up.
type profile struct {
	a, b perIter // medians over rounds
}

func (pr profile) ratio() float64 { return pr.b.ms / pr.a.ms }

func (pr profile) String() string {
	return fmt.Sprintf("A %.3f ms %.1f flt/iter, B %.3f ms %.1f flt/iter, B/A %.1f",
		pr.a.ms, pr.a.minflt, pr.b.ms, pr.b.minflt, pr.ratio())
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// profile measures rounds of A then B. Each measured sample follows one
// unmeasured iteration of the same candidate: the first call after a switch
// pays for the other candidate's heap state (A regrows the heap B's last
// call trimmed), the carry-over the seed's author saw in the first timing
// after each switch.
func (p *testProbe) profile(rounds, loopsA, loopsB int) profile {
	p.t.Helper()
	var ams, aflt, bms, bflt []float64
	for i := 1; i <= rounds; i++ {
		p.sample("A", 1, 0)
		a := p.sample("A", loopsA, i)
		p.sample("B", 1, 0)
		b := p.sample("B", loopsB, i)
		ams, aflt = append(ams, a.ms), append(aflt, a.minflt)
		bms, bflt = append(bms, b.ms), append(bflt, b.minflt)
	}
	return profile{
		a: perIter{ms: median(ams), minflt: median(aflt)},
		b: perIter{ms: median(bms), minflt: median(bflt)},
	}
}

func needLib(t testing.TB, lib string) {
	t.Helper()
	if _, err := os.Stat(lib); err != nil {
		t.Skipf("%s not installed", lib)
	}
}

func TestCommand(t *testing.T) {
	argv := Command("/x/faultline")
	if !slices.Equal(argv, []string{"/x/faultline", "__workload", "seed"}) {
		t.Fatalf("Command = %q", argv)
	}
	var names []string
	for _, c := range Candidates() {
		if c.Label == "" || c.Statement == "" {
			t.Errorf("candidate %+v incomplete", c)
		}
		names = append(names, c.Name)
	}
	if !slices.Equal(names, []string{"A", "B"}) {
		t.Fatalf("candidates %q", names)
	}
}

func TestMadviseHugepage(t *testing.T) {
	tests := []struct {
		env     string
		set     bool
		release string
		want    bool
		wantErr bool
	}{
		{release: "6.18.44-fc-v782", want: true},
		{release: "4.6.0", want: true},
		{release: "4.5.7-generic", want: false},
		{release: "3.10.0-1160.el7.x86_64", want: false},
		{release: "weird", want: true},
		{env: "0", set: true, release: "6.1.0", want: false},
		{env: "1", set: true, release: "3.10.0", want: true},
		{env: " 2 ", set: true, want: true},
		{env: "yes", set: true, wantErr: true},
		{env: "", set: true, wantErr: true},
	}
	for _, tt := range tests {
		got, err := madviseHugepage(tt.env, tt.set, tt.release)
		if (err != nil) != tt.wantErr || (err == nil && got != tt.want) {
			t.Errorf("madviseHugepage(%q, %v, %q) = %v, %v; want %v (err %v)", tt.env, tt.set, tt.release, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestDefaultGlibc is the seed case: under glibc's default malloc, B refaults
// its heap on every call and A does not.
func TestDefaultGlibc(t *testing.T) {
	p := startProbe(t, nil, nil)
	if p.ready.Get("madvise_hugepage") != "1" {
		t.Errorf("ready %+v: want madvise_hugepage=1 by default", p.ready.KV)
	}
	pr := p.profile(5, 20, 5)
	t.Logf("glibc default: %v", pr)
	if pr.b.minflt < 300 {
		t.Errorf("B: %.1f minor faults per iteration, want >= 300", pr.b.minflt)
	}
	if pr.a.minflt > 5 {
		t.Errorf("A: %.1f minor faults per iteration, want <= 5", pr.a.minflt)
	}
	// Besides the faults B's division writes a second buffer: at most one
	// more pass over the data than A's whole call.
	hosttest.GapFromFaults(t, "B - A", pr.b.ms/1e3, pr.a.ms/1e3, pr.b.minflt-pr.a.minflt, pr.a.ms/1e3)
	p.quit()
}

// glibcGap measures B - A (seconds per iteration) under the default
// glibc in this test, the gap a configuration under test must close.
func glibcGap(t *testing.T) float64 {
	t.Helper()
	p := startProbe(t, nil, nil)
	pr := p.profile(5, 20, 20)
	p.quit()
	t.Logf("glibc default, for comparison: %v", pr)
	return (pr.b.ms - pr.a.ms) / 1e3
}

// closesGap checks that a configuration's B - A is at most a quarter of
// glibc's, measured in the same test: what is left is B's out-of-place
// write (under a tenth of the fault gap on every host measured).
func closesGap(t *testing.T, name string, pr profile) {
	t.Helper()
	hosttest.GapClosed(t, name+" B - A", (pr.b.ms-pr.a.ms)/1e3, glibcGap(t), 0.25)
}

// TestTunedGlibc: a fixed 32 MiB mmap threshold and a 256 MiB trim threshold
// stop the trim, so B no longer faults and the gap closes.
func TestTunedGlibc(t *testing.T) {
	p := startProbe(t, nil, nil, tuned)
	pr := p.profile(5, 20, 20)
	t.Logf("glibc tuned: %v", pr)
	if pr.b.minflt > 5 {
		t.Errorf("B: %.1f minor faults per iteration, want ~0", pr.b.minflt)
	}
	p.quit()
	closesGap(t, "glibc tuned", pr)
}

// TestNoHugepageAdvice: without NumPy's MADV_HUGEPAGE every 4 KiB page of
// B's 16 MB faults (about 3,900 per call, as with NUMPY_MADVISE_HUGEPAGE=0
// in Python).
func TestNoHugepageAdvice(t *testing.T) {
	p := startProbe(t, nil, nil, "NUMPY_MADVISE_HUGEPAGE=0")
	if p.ready.Get("madvise_hugepage") != "0" {
		t.Errorf("ready %+v: want madvise_hugepage=0", p.ready.KV)
	}
	pr := p.profile(3, 20, 3)
	t.Logf("glibc default, NUMPY_MADVISE_HUGEPAGE=0: %v", pr)
	if pr.b.minflt < 3500 {
		t.Errorf("B: %.1f minor faults per iteration, want ~3,900", pr.b.minflt)
	}
	if pr.a.minflt > 5 {
		t.Errorf("A: %.1f minor faults per iteration, want <= 5", pr.a.minflt)
	}
	p.quit()
}

// TestPrewarmNotNeeded: the setup's first 8 MB malloc/free only moves the
// threshold change from the first call into setup; the steady state is the
// same without it.
func TestPrewarmNotNeeded(t *testing.T) {
	p := startProbe(t, nil, []string{"prewarm=0"})
	if p.ready.Get("prewarm") != "0" {
		t.Fatalf("ready %+v: want prewarm=0", p.ready.KV)
	}
	// The first call mmaps its block (and faults it in); its free raises
	// glibc's threshold.
	first := p.sample("A", 1, 0)
	pr := p.profile(3, 20, 3)
	t.Logf("prewarm=0: first A call %.3f ms %.0f flt; then %v", first.ms, first.minflt, pr)
	if first.minflt < 100 {
		t.Errorf("first A call without prewarm: %.0f faults, want a freshly mapped block", first.minflt)
	}
	if pr.a.minflt > 5 || pr.b.minflt < 300 {
		t.Errorf("steady state without prewarm differs: %v", pr)
	}
	p.quit()
}

func TestTcmalloc(t *testing.T) {
	needLib(t, libTcmalloc)
	p := startProbe(t, nil, nil, "LD_PRELOAD="+libTcmalloc)
	pr := p.profile(5, 20, 20)
	t.Logf("tcmalloc: %v", pr)
	// tcmalloc returns a span to the kernel only every several hundred
	// calls; one such release inside a 20-loop sample is ~100 per iteration.
	if pr.b.minflt > 50 {
		t.Errorf("B: %.1f minor faults per iteration, want small", pr.b.minflt)
	}
	p.quit()
	closesGap(t, "tcmalloc", pr)
}

func TestMimalloc(t *testing.T) {
	needLib(t, libMimalloc)
	p := startProbe(t, nil, nil, "LD_PRELOAD="+libMimalloc)
	pr := p.profile(5, 20, 20)
	t.Logf("mimalloc: %v", pr)
	if pr.b.minflt > 50 {
		t.Errorf("B: %.1f minor faults per iteration, want small", pr.b.minflt)
	}
	p.quit()
	closesGap(t, "mimalloc", pr)
}

// TestJemalloc: jemalloc purges every freed 8 MiB extent, so both
// candidates refault every buffer.
func TestJemalloc(t *testing.T) {
	needLib(t, libJemalloc)
	p := startProbe(t, nil, nil, "LD_PRELOAD="+libJemalloc)
	pr := p.profile(3, 5, 3)
	t.Logf("jemalloc: %v", pr)
	if pr.a.minflt < 300 || pr.b.minflt < 300 {
		t.Errorf("want both candidates to fault (>= 300 per iteration): %v", pr)
	}
	p.quit()
}

func TestTrace(t *testing.T) {
	p := startProbe(t, nil, nil)
	for _, cand := range []string{"A", "B"} {
		const iters = 5
		p.send(fmt.Sprintf("trace cand=%s iters=%d", cand, iters))
		for i := int64(0); i < iters; i++ {
			b := p.expect(protocol.VerbBegin)
			e := p.expect(protocol.VerbEnd)
			if b.Get("cand") != cand || e.Get("cand") != cand || p.int(b, "iter") != i || p.int(e, "iter") != i {
				t.Fatalf("iteration %d: begin %+v, end %+v", i, b.KV, e.KV)
			}
			if p.int(e, "ns") <= 0 {
				t.Errorf("end %+v: want ns > 0", e.KV)
			}
			p.int(e, "minflt")
			p.int(e, "majflt")
		}
		if d := p.expect(protocol.VerbDone); d.Get("cand") != cand {
			t.Fatalf("done %+v, want cand=%s", d.KV, cand)
		}
	}
	p.quit()
}

func TestAutorange(t *testing.T) {
	p := startProbe(t, nil, nil)
	p.send("autorange cand=A target_ns=20000000")
	r := p.expect(protocol.VerbRange)
	loops, ns := p.int(r, "loops"), p.int(r, "ns")
	if r.Get("cand") != "A" || ns < 20_000_000 || !validAutorangeLoops(loops) {
		t.Fatalf("range %+v", r.KV)
	}
	p.quit()
}

// validAutorangeLoops reports whether n is in timeit's 1, 2, 5, 10, ...
// sequence.
func validAutorangeLoops(n int64) bool {
	for n >= 10 && n%10 == 0 {
		n /= 10
	}
	return n == 1 || n == 2 || n == 5
}

func TestAlloc(t *testing.T) {
	p := startProbe(t, nil, nil)
	for _, c := range []struct {
		cand  string
		count int64
	}{{"A", 1}, {"B", 2}} {
		const iters = 4
		p.send(fmt.Sprintf("alloc cand=%s iters=%d", c.cand, iters))
		r := p.expect(protocol.VerbAlloc)
		want := map[string]string{
			"cand":  c.cand,
			"iters": fmt.Sprint(iters),
			"count": fmt.Sprint(c.count * iters),
			"bytes": fmt.Sprint(c.count * iters * BufferBytes),
			"peak":  fmt.Sprint(c.count * BufferBytes),
			"large": fmt.Sprintf("%dx%d", BufferBytes, c.count*iters),
		}
		for k, v := range want {
			if r.Get(k) != v {
				t.Errorf("alloc %s: %s=%q, want %q", c.cand, k, r.Get(k), v)
			}
		}
		p.expect(protocol.VerbDone)
	}
	p.quit()
}

func TestBadCommands(t *testing.T) {
	p := startProbe(t, nil, nil)
	for _, tt := range []struct{ line, cand string }{
		{"frobnicate cand=A", ""},
		{"\x01garbage", ""},
		{"run cand=C loops=1", "C"},
		{"run loops=1", "-"},
		{"run cand=A loops=zero", "A"},
		{"trace cand=B iters=0", "B"},
	} {
		p.send(tt.line)
		r := p.expect(protocol.VerbError)
		if r.Get("phase") != "command" || r.Get("cand") != tt.cand || r.Text == "" {
			t.Errorf("%q: error record %+v %q", tt.line, r.KV, r.Text)
		}
	}
	// The probe still works after bad commands.
	p.sample("A", 1, 1)
	p.quit()
}

func TestSetupError(t *testing.T) {
	p := startProbeRaw(t, "NUMPY_MADVISE_HUGEPAGE=yes")
	p.expect(protocol.VerbHello)
	e := p.expect(protocol.VerbError)
	if e.Get("phase") != "setup" || !strings.Contains(e.Text, "NUMPY_MADVISE_HUGEPAGE") {
		t.Errorf("error %+v %q", e.KV, e.Text)
	}
	err := p.cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Errorf("exit: %v, want status 2", err)
	}
}

// startProbeRaw starts the workload without waiting for ready.
func startProbeRaw(t testing.TB, extra ...string) *testProbe {
	t.Helper()
	if !Available() {
		t.Skip("built without cgo")
	}
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	recR, recW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	argv := Command(os.Args[0])
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = cleanEnv(append(extra, protocol.EnvCtlFD+"=3", protocol.EnvFD+"=4")...)
	cmd.ExtraFiles = []*os.File{ctlR, recW}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctlR.Close()
	recW.Close()
	t.Cleanup(func() { ctlW.Close(); recR.Close() })
	p := &testProbe{t: t, cmd: cmd, ctl: ctlW, recs: make(chan protocol.Record, 16), errs: make(chan error, 1)}
	go func() {
		defer close(p.recs)
		rd := protocol.NewReader(recR)
		for {
			r, err := rd.Next()
			if err != nil {
				return
			}
			p.recs <- r
		}
	}()
	return p
}

func TestUsage(t *testing.T) {
	sentinel := Command(os.Args[0])[1]
	for _, args := range [][]string{{sentinel}, {sentinel, "other"}, {sentinel, Name, "bogus"}, {sentinel, Name}} {
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = cleanEnv() // no FAULTLINE_FD: usage error
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "usage:") {
			t.Errorf("%q: %v, output %q; want exit 2 with usage", args, err, out)
		}
	}
}

var straceBrk = regexp.MustCompile(`\bbrk\(`)

// needStrace skips unless strace is installed and may trace here (a
// container without CAP_SYS_PTRACE, or Yama, can forbid it).
func needStrace(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("strace"); err != nil {
		t.Skip("strace not installed")
	}
	if out, err := exec.Command("strace", "-qq", "-o", os.DevNull, "true").CombinedOutput(); err != nil {
		t.Skipf("strace cannot trace here: %v %s", err, out)
	}
}

// TestStraceBrk counts brk calls per traced iteration with strace: the
// glibc trim cycle is grow, grow, shrink in every B call and nothing in A.
func TestStraceBrk(t *testing.T) {
	needStrace(t)
	log := t.TempDir() + "/strace.log"
	p := startProbe(t, []string{"strace", "-f", "-qq", "-e", "trace=brk,write", "-e", "signal=none", "-s", "64", "-o", log}, nil)
	const iters = 8
	for _, cand := range []string{"B", "A"} {
		p.send(fmt.Sprintf("trace cand=%s iters=%d", cand, iters))
		for p.next().Verb != protocol.VerbDone {
		}
	}
	p.quit()
	brk := countBrk(t, log)
	t.Logf("brk per iteration: A %v, B %v", brk["A"], brk["B"])
	// The first iterations after a switch differ (A's first call regrows
	// the heap B trimmed); the steady state is what must match.
	for i := 2; i < iters; i++ {
		if brk["B"][i] != 3 {
			t.Errorf("B iteration %d: %d brk calls, want 3", i, brk["B"][i])
		}
		if brk["A"][i] != 0 {
			t.Errorf("A iteration %d: %d brk calls, want 0", i, brk["A"][i])
		}
	}
}

// countBrk attributes every brk call in an strace -f log to the iteration
// whose begin marker was written last.
func countBrk(t testing.TB, log string) map[string][]int {
	t.Helper()
	f, err := os.Open(log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	marker := regexp.MustCompile(`write\(4, "(begin|end) cand=(\w+) iter=(\d+)`)
	out := map[string][]int{}
	cur := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if m := marker.FindStringSubmatch(line); m != nil {
			if m[1] == "begin" {
				cur = m[2]
				out[cur] = append(out[cur], 0)
			} else {
				cur = ""
			}
			continue
		}
		if cur != "" && straceBrk.MatchString(line) && !strings.Contains(line, "resumed>") {
			out[cur][len(out[cur])-1]++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// BenchmarkMatrix measures the allocator matrix of docs/workload.md and
// logs it as a table (one pass whatever b.N is):
//
//	go test ./internal/workload -run '^$' -bench Matrix -benchtime 1x -v
func BenchmarkMatrix(b *testing.B) {
	t := b
	gt := func(s string) string { return "GLIBC_TUNABLES=glibc.malloc." + s }
	configs := []struct {
		name string
		lib  string
		env  []string
	}{
		{name: "glibc default"},
		{name: "glibc default, NUMPY_MADVISE_HUGEPAGE=0", env: []string{"NUMPY_MADVISE_HUGEPAGE=0"}},
		{name: "mmap_threshold=32MiB:trim_threshold=256MiB", env: []string{tuned}},
		{name: "trim_threshold=256MiB only", env: []string{gt("trim_threshold=268435456")}},
		{name: "mmap_threshold=32MiB only", env: []string{gt("mmap_threshold=33554432")}},
		{name: "top_pad=64MiB", env: []string{gt("top_pad=67108864")}},
		{name: "mmap_max=0", env: []string{gt("mmap_max=0")}},
		{name: "arena_max=1", env: []string{gt("arena_max=1")}},
		{name: "tcache_count=0", env: []string{gt("tcache_count=0")}},
		{name: "hugetlb=1", env: []string{gt("hugetlb=1")}},
		{name: "hugetlb=2", env: []string{gt("hugetlb=2")}},
		{name: "tcmalloc", lib: libTcmalloc},
		{name: "tcmalloc TCMALLOC_AGGRESSIVE_DECOMMIT=1", lib: libTcmalloc, env: []string{"TCMALLOC_AGGRESSIVE_DECOMMIT=1"}},
		{name: "mimalloc", lib: libMimalloc},
		{name: "mimalloc MIMALLOC_DECOMMIT_DELAY=0", lib: libMimalloc, env: []string{"MIMALLOC_DECOMMIT_DELAY=0"}},
		{name: "jemalloc", lib: libJemalloc},
		{name: "jemalloc dirty_decay_ms:-1", lib: libJemalloc, env: []string{"MALLOC_CONF=dirty_decay_ms:-1"}},
	}
	for _, c := range configs {
		env := c.env
		if c.lib != "" {
			if _, err := os.Stat(c.lib); err != nil {
				t.Logf("| %s | not installed |", c.name)
				continue
			}
			env = append(slices.Clone(env), "LD_PRELOAD="+c.lib)
		}
		p := startProbe(t, nil, nil, env...)
		pr := p.profile(5, 20, 10)
		p.quit()
		needStrace(t)
		sys := memorySyscalls(t, env)
		t.Logf("| %s | %.3f | %.3f | %.1f | %.1f | %s |", c.name, pr.a.ms, pr.b.ms, pr.a.minflt, pr.b.minflt, sys)
	}
}

// memorySyscalls traces A then B under strace and summarises the memory
// syscalls of their steady-state iterations (2..7) per iteration.
func memorySyscalls(t testing.TB, env []string) string {
	log := t.TempDir() + "/strace.log"
	p := startProbe(t, []string{"strace", "-f", "-qq", "-e", "trace=brk,mmap,munmap,mremap,madvise,mprotect,write",
		"-e", "signal=none", "-s", "64", "-o", log}, nil, env...)
	const iters = 8
	for _, cand := range []string{"A", "B"} {
		p.send(fmt.Sprintf("trace cand=%s iters=%d", cand, iters))
		for p.next().Verb != protocol.VerbDone {
		}
	}
	p.quit()
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	marker := regexp.MustCompile(`write\(4, "(begin|end) cand=(\w+) iter=(\d+)`)
	call := regexp.MustCompile(`\b(brk|mmap|munmap|mremap|madvise|mprotect)\(`)
	counts := map[string]map[string]int{"A": {}, "B": {}}
	cur := ""
	for _, line := range strings.Split(string(data), "\n") {
		if m := marker.FindStringSubmatch(line); m != nil {
			cur = ""
			if m[1] == "begin" && m[3] >= "2" {
				cur = m[2]
			}
			continue
		}
		if m := call.FindStringSubmatch(line); cur != "" && m != nil && !strings.Contains(line, "resumed>") {
			counts[cur][m[1]]++
		}
	}
	var parts []string
	for _, cand := range []string{"A", "B"} {
		var s []string
		for _, name := range []string{"brk", "mmap", "munmap", "mremap", "madvise", "mprotect"} {
			if n := counts[cand][name]; n > 0 {
				s = append(s, fmt.Sprintf("%s %.2g", name, float64(n)/(iters-2)))
			}
		}
		if len(s) == 0 {
			s = []string{"–"}
		}
		parts = append(parts, strings.Join(s, ", "))
	}
	return strings.Join(parts, " / ")
}
