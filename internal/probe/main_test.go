package probe

import (
	"os"
	"testing"

	"github.com/faultline/faultline/internal/reexec"
)

// The test binary is also the supervisor of the targets it starts.
func TestMain(m *testing.M) {
	reexec.Main()
	os.Exit(m.Run())
}
