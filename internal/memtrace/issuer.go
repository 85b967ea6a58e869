package memtrace

import (
	"cmp"
	"math"
	"math/bits"
	"sort"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/result"
)

// Site is where in its process a system call was issued: the function
// holding the syscall instruction (a libc wrapper such as madvise, a Go
// binary's runtime.madvise) and the function that wrapper returns to.
// Names come from the objects' ELF symbol tables; an object without a
// symbol covering the address leaves the name empty and sets Stripped.
type Site struct {
	// Object is the file the syscall instruction is in; "" when it is in
	// no file mapping (JIT code, a mapping made before recording began).
	Object   string
	Function string
	// Caller and CallerObject name the return address the recorder read
	// (the top of the stack, or the link register): "" when it pointed
	// into no file mapping, as it does when the wrapper had already used
	// its stack.
	Caller       string
	CallerObject string
	Stripped     bool
	// File and Line are the syscall instruction's source line, CallerFile
	// and CallerLine the call's in Caller, from DWARF line tables; ""
	// and 0 without debug information.
	File       string
	Line       int
	CallerFile string
	CallerLine int
}

// issuerKey groups calls by kind, size class and site.
type issuerKey struct {
	call  string // as in sizeKey
	class int    // sizes up to 2^class and above 2^(class-1)
	site  Site
}

type issuerCount struct {
	n, bytes int64
}

// Bounds on issuers: distinct groups per candidate, and groups listed in
// result.Syscalls.Issuers (those with the largest byte volume).
const (
	maxIssuerKeys = 1024
	maxIssuers    = 32
)

func (c *counts) issued(call string, bytes int64, s *Site) {
	if s == nil || bytes == 0 {
		return
	}
	c.issue(issuerKey{call: call, class: bits.Len64(uint64(bytes) - 1), site: *s}, issuerCount{1, bytes})
}

func (c *counts) issue(k issuerKey, v issuerCount) {
	if c.issuers == nil {
		c.issuers = make(map[issuerKey]issuerCount)
	}
	old, ok := c.issuers[k]
	if !ok && len(c.issuers) >= maxIssuerKeys {
		return
	}
	c.issuers[k] = issuerCount{satAdd(old.n, v.n), satAdd(old.bytes, v.bytes)}
}

// issuersPerIteration lists the groups that moved the most bytes, by call
// and then by volume.
func (c *counts) issuersPerIteration(n float64) []result.SyscallIssuer {
	keys := make([]issuerKey, 0, len(c.issuers))
	for k := range c.issuers {
		keys = append(keys, k)
	}
	volume := func(k issuerKey) int64 { return c.issuers[k].bytes }
	sort.Slice(keys, func(i, j int) bool {
		if vi, vj := volume(keys[i]), volume(keys[j]); vi != vj {
			return vi > vj
		}
		return issuerLess(keys[i], keys[j])
	})
	if len(keys) > maxIssuers {
		keys = keys[:maxIssuers]
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].call != keys[j].call {
			return keys[i].call < keys[j].call
		}
		if vi, vj := volume(keys[i]), volume(keys[j]); vi != vj {
			return vi > vj
		}
		return issuerLess(keys[i], keys[j])
	})
	var out []result.SyscallIssuer
	for _, k := range keys {
		v := c.issuers[k]
		mean := v.bytes / v.n
		if v.bytes == math.MaxInt64 {
			mean = math.MaxInt64
		}
		out = append(out, result.SyscallIssuer{Call: k.call, Bytes: mean, Per: float64(v.n) / n,
			Object: k.site.Object, Function: k.site.Function, Caller: k.site.Caller,
			CallerObject: k.site.CallerObject, Stripped: k.site.Stripped,
			File: k.site.File, Line: k.site.Line, CallerFile: k.site.CallerFile, CallerLine: k.site.CallerLine,
			Owner: alloc.Owner(k.site.Object, k.site.Function, k.site.Caller, k.site.CallerObject)})
	}
	return out
}

func issuerLess(a, b issuerKey) bool {
	x, y := a.site, b.site
	if c := cmp.Or(cmp.Compare(b.class, a.class), cmp.Compare(x.Object, y.Object), cmp.Compare(x.Function, y.Function),
		cmp.Compare(x.CallerObject, y.CallerObject), cmp.Compare(x.Caller, y.Caller), cmp.Compare(x.File, y.File),
		cmp.Compare(x.Line, y.Line), cmp.Compare(x.CallerFile, y.CallerFile), cmp.Compare(x.CallerLine, y.CallerLine)); c != 0 {
		return c < 0
	}
	return !x.Stripped && y.Stripped
}

// issuerState is one issuer group in a Tally's encoded form.
type issuerState struct {
	Call         string `json:"call"`
	Class        int    `json:"class"`
	N            int64  `json:"n"`
	Bytes        int64  `json:"bytes"`
	Object       string `json:"object,omitempty"`
	Function     string `json:"function,omitempty"`
	Caller       string `json:"caller,omitempty"`
	CallerObject string `json:"caller_object,omitempty"`
	Stripped     bool   `json:"stripped,omitempty"`
	File         string `json:"file,omitempty"`
	Line         int    `json:"line,omitempty"`
	CallerFile   string `json:"caller_file,omitempty"`
	CallerLine   int    `json:"caller_line,omitempty"`
}

func (c *counts) issuerStates() []issuerState {
	var out []issuerState
	for k, v := range c.issuers {
		out = append(out, issuerState{Call: k.call, Class: k.class, N: v.n, Bytes: v.bytes,
			Object: k.site.Object, Function: k.site.Function, Caller: k.site.Caller,
			CallerObject: k.site.CallerObject, Stripped: k.site.Stripped,
			File: k.site.File, Line: k.site.Line, CallerFile: k.site.CallerFile, CallerLine: k.site.CallerLine})
	}
	return out
}

func (s issuerState) valid() bool {
	return s.Call != "" && s.Class >= 0 && s.Class <= 64 && s.N > 0 && s.Bytes > 0 && s.Line >= 0 && s.CallerLine >= 0
}

func (s issuerState) key() issuerKey {
	return issuerKey{call: s.Call, class: s.Class, site: Site{Object: s.Object, Function: s.Function,
		Caller: s.Caller, CallerObject: s.CallerObject, Stripped: s.Stripped,
		File: s.File, Line: s.Line, CallerFile: s.CallerFile, CallerLine: s.CallerLine}}
}
