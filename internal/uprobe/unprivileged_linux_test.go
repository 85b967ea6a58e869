package uprobe

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/hosttest"
)

const childEnv = "FAULTLINE_UPROBE_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		// As another user: say what Available found.
		fmt.Print(Available())
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestUnprivileged: as user nobody the kernel refuses the uprobe PMU
// (it asks for CAP_PERFMON whatever perf_event_paranoid says), and
// Available says so in one line naming the fix.
func TestUnprivileged(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch to user nobody")
	}
	if err := Available(); err != nil {
		t.Skipf("uprobes unusable even as root: %v", err)
	}
	cmd := hosttest.AsNobody(t, "uprobe", childEnv+"=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	msg := string(out)
	t.Logf("as nobody: %s", msg)
	if !strings.HasPrefix(msg, ErrUnavailable.Error()) || !strings.Contains(msg, "CAP_PERFMON") || strings.Contains(msg, "\n") {
		t.Errorf("as nobody Available said %q, want one line: uprobes unavailable ... needs root or CAP_PERFMON", msg)
	}
}
