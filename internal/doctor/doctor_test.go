package doctor

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	cs := Run(context.Background(), "")
	names := map[string]Check{}
	for _, c := range cs {
		names[c.Name] = c
		if c.Status != OK && c.Status != Missing && c.Status != Warn {
			t.Errorf("%s: status %q", c.Name, c.Status)
		}
		if c.Status == Missing && c.Next == "" && c.Name != "transparent huge pages" {
			t.Errorf("%s is missing but names no next step", c.Name)
		}
	}
	for _, want := range []string{"syscall tracing", "perf counters", "hardware PMU", "transparent huge pages", "allocators", "python", "cpu frequency governor", "page-fault cost", "timing noise", "ipython"} {
		if _, ok := names[want]; !ok {
			t.Errorf("no %q check", want)
		}
	}
	// CI runs as root with the allocators and NumPy installed.
	for _, n := range []string{"syscall tracing", "allocators", "python"} {
		if names[n].Status != OK {
			t.Errorf("%s: %+v", n, names[n])
		}
	}
	var buf bytes.Buffer
	Write(&buf, cs, false)
	if strings.Count(buf.String(), "\n") < len(cs) || strings.Contains(buf.String(), "\033[") {
		t.Errorf("Write:\n%s", buf.String())
	}
}
