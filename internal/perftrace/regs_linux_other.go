//go:build linux && !amd64 && !arm64

package perftrace

// Other architectures: no register layout is known, so no issuers.
const (
	regsMask   = 0
	regsCount  = 0
	stackBytes = 0
)

func decodeRegs(r *[regsCount]uint64) (ip, ret uint64) { return 0, 0 }
