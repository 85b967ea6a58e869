package memtrace

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestIssuers: calls are grouped by kind, size class and site, per
// iteration, and survive the Tally's encoding; two source lines of one
// function are two sites; calls without a site (the ptrace tracer's)
// have no issuer.
func TestIssuers(t *testing.T) {
	prog := &Site{Object: "/bin/x", Function: "madvise", Caller: "release", CallerObject: "/bin/x", CallerFile: "/src/x.c", CallerLine: 10}
	other := *prog
	other.CallerLine = 12
	libc := &Site{Object: "/lib/libc.so.6", Function: "madvise", CallerObject: "/lib/libc.so.6", Stripped: true}
	tl := NewTally()
	for i := range 2 {
		tl.AddBoundary(7, Boundary{Cand: "A", Iter: int64(i)})
		tl.Add(Event{Call: CallMadvise, Pid: 7, Advice: 4, Size: 16 << 20, Site: prog})
		tl.Add(Event{Call: CallMadvise, Pid: 7, Advice: 4, Size: 15 << 20, Site: prog}) // same class
		tl.Add(Event{Call: CallMadvise, Pid: 7, Advice: 4, Size: 4096, Site: libc})
		tl.Add(Event{Call: CallMadvise, Pid: 7, Advice: 4, Size: 8 << 20, Site: &other})
		tl.Add(Event{Call: CallMunmap, Pid: 7, Size: 1 << 20}) // no site
		tl.AddBoundary(7, Boundary{Cand: "A", Iter: int64(i), End: true})
	}
	sc := tl.Syscalls("A")
	if len(sc.Issuers) != 3 {
		t.Fatalf("issuers %+v, want the program's two lines' and libc's MADV_DONTNEED", sc.Issuers)
	}
	if is := sc.Issuers[0]; is.Call != "madvise:MADV_DONTNEED" || is.Caller != "release" || is.Per != 2 || is.Bytes != 31<<19 || is.CallerAt() != "x.c:10" {
		t.Errorf("first issuer %+v, want 2 per iteration of 15.5 MiB from release at x.c:10", is)
	}
	if is := sc.Issuers[1]; is.Caller != "release" || is.Per != 1 || is.Bytes != 8<<20 || is.CallerAt() != "x.c:12" {
		t.Errorf("second issuer %+v, want 1 per iteration of 8 MiB from release at x.c:12", is)
	}
	if is := sc.Issuers[2]; is.Object != "/lib/libc.so.6" || !is.Stripped || is.Per != 1 || is.Bytes != 4096 {
		t.Errorf("third issuer %+v, want libc's stripped one, once per iteration", is)
	}
	b, err := json.Marshal(tl)
	if err != nil {
		t.Fatal(err)
	}
	back := NewTally()
	if err := json.Unmarshal(b, back); err != nil {
		t.Fatal(err)
	}
	if got := back.Syscalls("A"); !reflect.DeepEqual(got.Issuers, sc.Issuers) {
		t.Errorf("after encoding: %+v, want %+v", got.Issuers, sc.Issuers)
	}
	bad := []byte(`{"cands":[{"name":"A","counts":{"iters":1,"calls":[0,0,0,0,1],"bytes":[0,0,0,0,1],"issuers":[{"call":"madvise:MADV_DONTNEED","class":99,"n":1,"bytes":1}]}}],"whole":{"calls":[0,0,0,0,0],"bytes":[0,0,0,0,0]},"outside":{"calls":[0,0,0,0,0],"bytes":[0,0,0,0,0]},"abandoned":{"calls":[0,0,0,0,0],"bytes":[0,0,0,0,0]}}`)
	if err := json.Unmarshal(bad, NewTally()); err == nil {
		t.Error("an issuer with size class 99 decoded")
	}
}
