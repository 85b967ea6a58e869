package pipeline

import (
	"os"

	"github.com/faultline/faultline/internal/measure"
	"github.com/faultline/faultline/internal/perftrace"
	"github.com/faultline/faultline/internal/ptrace"
)

// EnvTracer forces the trace pass's recorder: "perf" or "ptrace". Unset,
// the kernel's syscall tracepoints through perf are preferred (the target
// never stops) and the seccomp+ptrace tracer is the fallback.
const EnvTracer = "FAULTLINE_TRACER"

// chooseRecorders is the one place the trace pass's recorders are chosen:
// each is checked on this machine unless the environment rules it out.
func chooseRecorders() measure.Recorders {
	var r measure.Recorders
	force := os.Getenv(EnvTracer)
	if force != "ptrace" {
		if err := perftrace.Available(); err != nil {
			r.PerfWhy = OneLine(err)
		} else {
			r.Perf = true
		}
	}
	if force != "perf" {
		if err := ptrace.Probe(); err != nil {
			r.PtraceWhy = OneLine(err)
		} else {
			r.Ptrace = true
		}
	}
	return r
}

// unavailable says why no recorder can run.
func unavailable(r measure.Recorders) string {
	switch {
	case r.PerfWhy != "" && r.PtraceWhy != "":
		return "perf: " + r.PerfWhy + "; ptrace: " + r.PtraceWhy
	case r.PerfWhy != "":
		return r.PerfWhy + "; ptrace ruled out with " + EnvTracer
	case r.PtraceWhy != "":
		return r.PtraceWhy + "; perf ruled out with " + EnvTracer
	}
	return "no recorder"
}
