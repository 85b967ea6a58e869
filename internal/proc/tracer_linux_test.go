package proc

import (
	"context"
	"errors"
	"testing"
)

// TestNoTracer: a traced run in a program without a registered tracer
// fails at Start, saying so, before anything is started.
func TestNoTracer(t *testing.T) {
	saved := tracer
	tracer = nil
	defer func() { tracer = saved }()
	p, err := Start(context.Background(), &Spec{Argv: []string{"true"}, Trace: &TraceOptions{}})
	if err == nil {
		p.Kill()
		_, _ = p.Wait()
	}
	if !errors.Is(err, errNoTracer) {
		t.Fatalf("Start = %v, want %v", err, errNoTracer)
	}
}
