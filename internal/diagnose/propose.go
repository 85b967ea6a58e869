package diagnose

import (
	"fmt"
	"maps"
	"math"
	"math/bits"
	"strconv"

	"github.com/faultline/faultline/internal/result"
)

// Proposal kinds.
const (
	KindEnv  = "env"
	KindCode = "code"
)

// Proposal is a fix worth verifying that the result does not cover yet.
// The measurement layer runs an env proposal as a new configuration over
// all candidates, and a code proposal as a new candidate whose FixOf names
// Candidate; then it calls Diagnose again, which marks the fix verified
// from those measurements.
type Proposal struct {
	Kind  string // KindEnv or KindCode
	Cause string // the cause id the fix addresses
	// Config is the configuration to add (env proposals). Status is empty:
	// it has not run.
	Config *result.Config
	// Candidate names the candidate a code proposal rewrites, Statement is
	// the rewritten statement.
	Candidate string
	Statement string
	// Why says in one line what the fix should change and why.
	Why string
}

// Proposals returns the fixes worth verifying for the findings of r that
// r does not already measure, in finding order, without duplicates.
func Proposals(r *result.Result) []Proposal {
	var out []Proposal
	for _, d := range analyse(r) {
		for _, pr := range d.proposals {
			dup := false
			for _, o := range out {
				if o.Kind != pr.Kind {
					continue
				}
				if pr.Kind == KindEnv && envEquivalent(o.Config.Env, pr.Config.Env) ||
					pr.Kind == KindCode && o.Candidate == pr.Candidate && o.Statement == pr.Statement {
					dup = true
					break
				}
			}
			if !dup {
				out = append(out, pr)
			}
		}
	}
	// Give every new configuration a name the result does not use yet.
	used := map[string]bool{}
	for _, c := range r.Configs {
		used[c.Name] = true
	}
	for _, pr := range out {
		if pr.Kind != KindEnv {
			continue
		}
		name := pr.Config.Name
		for i := 2; used[name]; i++ {
			name = fmt.Sprintf("%s-%d", pr.Config.Name, i)
		}
		pr.Config.Name = name
		used[name] = true
	}
	return out
}

// uncovered drops env proposals that a configuration of the result already
// tests (whatever its status: a failed one need not be proposed again) and
// code proposals for a candidate that already has a measured rewrite.
func (a *analysis) uncovered(prs []Proposal) []Proposal {
	var out []Proposal
next:
	for _, pr := range prs {
		switch pr.Kind {
		case KindEnv:
			for _, c := range a.r.Configs {
				if envCovers(c.Env, pr.Config.Env) {
					continue next
				}
			}
		case KindCode:
			for _, c := range a.r.Candidates {
				if c.FixOf == pr.Candidate {
					continue next
				}
			}
		}
		out = append(out, pr)
	}
	return out
}

const (
	mib              = 1 << 20
	glibcDynMmapMax  = 32 * mib // DEFAULT_MMAP_THRESHOLD_MAX on 64-bit
	tunedTrimMinimum = 256 * mib
	topPadMinimum    = 8 * mib
)

func pow2ceil(v float64) int64 {
	if v <= 1 {
		return 1
	}
	n := uint64(math.Ceil(v))
	return int64(1) << bits.Len64(n-1)
}

// tunedConfig keeps blocks of the given size in glibc's heap and the heap
// top between iterations: mmap_threshold is the next power of two above the
// block plus one page (glibc mmaps a request whose chunk reaches the
// threshold), at least glibc's 32 MiB dynamic maximum; trim_threshold is
// twice that, at least 256 MiB. Both are set because setting either alone
// freezes the other at its default.
func tunedConfig(block float64) *result.Config {
	mm := max(pow2ceil(block+4096), glibcDynMmapMax)
	tr := max(2*mm, tunedTrimMinimum)
	return &result.Config{
		Name:        "glibc-tuned",
		Description: "glibc with fixed, raised mmap and trim thresholds: large blocks stay in the heap and its top is kept between iterations",
		Env: map[string]string{"GLIBC_TUNABLES": formatTunables(map[string]string{
			tMmapThreshold: strconv.FormatInt(mm, 10), tTrimThreshold: strconv.FormatInt(tr, 10)})},
		Derived: fmt.Sprintf("mmap_threshold = the next power of two above the largest block seen (%s) plus a page, at least glibc's 32 MiB dynamic maximum; trim_threshold = twice that, at least 256 MiB",
			fmtBytes(block)),
	}
}

// topPadConfig keeps pad bytes at the heap top whenever glibc trims: the
// next power of two at or above four times what is returned per iteration,
// at least 8 MiB.
func topPadConfig(returned float64) *result.Config {
	pad := max(pow2ceil(4*returned), topPadMinimum)
	return &result.Config{
		Name:        "glibc-toppad",
		Description: "glibc keeps padding at the top of its heap, so a trim never returns the working memory",
		Env:         map[string]string{"GLIBC_TUNABLES": formatTunables(map[string]string{tTopPad: strconv.FormatInt(pad, 10)})},
		Derived: fmt.Sprintf("top_pad = the next power of two at or above four times the bytes returned per iteration (%s), at least 8 MiB",
			fmtBytes(returned)),
	}
}

func hugetlbConfig() *result.Config {
	return &result.Config{
		Name:        "glibc-hugetlb",
		Description: "glibc advises transparent huge pages for its heap and large blocks",
		Env:         map[string]string{"GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"},
	}
}

func numpyNoHugeConfig() *result.Config {
	return &result.Config{
		Name:        "numpy-nohuge",
		Description: "NumPy without its MADV_HUGEPAGE advice for arrays of 4 MiB or more",
		Env:         map[string]string{"NUMPY_MADVISE_HUGEPAGE": "0"},
	}
}

func pymallocOffConfig() *result.Config {
	return &result.Config{
		Name:        "pymalloc-off",
		Description: "CPython without its small-object allocator: objects come from malloc",
		Env:         map[string]string{"PYTHONMALLOC": "malloc"},
	}
}

// keepConfig returns the allocator-specific setting that stops the
// allocator of env from returning freed memory, or nil.
func keepConfig(env map[string]string) *result.Config {
	t := traitsOf(env)
	e := maps.Clone(env)
	switch t.allocator {
	case allocJemalloc:
		conf := maps.Clone(t.conf)
		conf["dirty_decay_ms"], conf["muzzy_decay_ms"] = "-1", "-1"
		delete(e, "JE_MALLOC_CONF")
		e["MALLOC_CONF"] = mallocConfString(conf)
		return &result.Config{Name: "jemalloc-nodecay", Description: "jemalloc with dirty and muzzy page decay off: freed extents are kept", Env: e}
	case allocTcmalloc:
		delete(e, "TCMALLOC_AGGRESSIVE_DECOMMIT")
		e["TCMALLOC_RELEASE_RATE"] = "0"
		return &result.Config{Name: "tcmalloc-norelease", Description: "tcmalloc that never returns freed spans to the kernel", Env: e}
	case allocMimalloc:
		// MIMALLOC_PURGE_DELAY is the name from mimalloc 2.1 on (-1: never
		// purge); 2.0 reads MIMALLOC_DECOMMIT_DELAY in milliseconds.
		e["MIMALLOC_PURGE_DELAY"] = "-1"
		e["MIMALLOC_DECOMMIT_DELAY"] = "1000"
		return &result.Config{Name: "mimalloc-nopurge", Description: "mimalloc that keeps freed pages committed", Env: e}
	}
	return nil
}

func envProposal(cause string, c *result.Config, why string) Proposal {
	return Proposal{Kind: KindEnv, Cause: cause, Config: c, Why: why}
}
