package alloc

import "github.com/faultline/faultline/internal/result"

// Allocator names. Each is also the name of the configuration that runs the
// allocator with its defaults, and of the baseline when the environment
// faultline was started in runs it.
const (
	Glibc    = result.DefaultConfig
	Tcmalloc = "tcmalloc"
	Jemalloc = "jemalloc"
	Mimalloc = "mimalloc"
)

// Names of the experiments (docs/configs.md).
const (
	GlibcTuned        = "glibc-tuned"
	GlibcHugeTLB      = "glibc-hugetlb"
	GlibcTopPad       = "glibc-top-pad"
	GlibcArenaMax     = "glibc-arena-max"
	JemallocNoDecay   = "jemalloc-nodecay"
	TcmallocNoRelease = "tcmalloc-norelease"
	MimallocNoPurge   = "mimalloc-nopurge"
	PymallocOff       = "pymalloc-off"
	NumPyNoHuge       = "numpy-nohuge"
	NumPyHugePage     = "numpy-hugepage"
)

// Variables the configurations set.
const (
	VarPreload      = "LD_PRELOAD"
	VarTunables     = "GLIBC_TUNABLES"
	VarMallocConf   = "MALLOC_CONF"    // jemalloc
	VarJeMallocConf = "JE_MALLOC_CONF" // jemalloc built with the je_ prefix
	VarPythonMalloc = "PYTHONMALLOC"
	VarNumPyHuge    = "NUMPY_MADVISE_HUGEPAGE"
	// tcmalloc and mimalloc read every variable with these prefixes.
	prefixTcmalloc = "TCMALLOC_"
	prefixMimalloc = "MIMALLOC_"
)

// glibc malloc tunables, by their name after "glibc.malloc.".
const (
	TunableMmapThreshold = "mmap_threshold"
	TunableTrimThreshold = "trim_threshold"
	TunableTopPad        = "top_pad"
	TunableMmapMax       = "mmap_max"
	TunableHugeTLB       = "hugetlb"
	TunableArenaMax      = "arena_max"
)

// legacyGlibc maps glibc's older MALLOC_*_ variables, which it still reads,
// to the tunables they set.
var legacyGlibc = map[string]string{
	"MALLOC_MMAP_THRESHOLD_": TunableMmapThreshold,
	"MALLOC_TRIM_THRESHOLD_": TunableTrimThreshold,
	"MALLOC_TOP_PAD_":        TunableTopPad,
	"MALLOC_MMAP_MAX_":       TunableMmapMax,
	"MALLOC_ARENA_MAX":       TunableArenaMax,
	"MALLOC_ARENA_TEST":      "arena_test",
	"MALLOC_PERTURB_":        "perturb",
	"MALLOC_CHECK_":          "check",
}
