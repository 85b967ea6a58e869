//go:build linux && !amd64 && !arm64

package uprobe

// Other architectures: no register layout is known, so no arguments.
const (
	regsMask   = 0
	regsCount  = 0
	stackBytes = 0
)

func decodeRegs(r *[regsCount]uint64) (args [3]uint64, ret, caller uint64) { return }
