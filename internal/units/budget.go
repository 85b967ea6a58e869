package units

import (
	"fmt"
	"math"
)

// Budget writes a suggested budget as --budget takes it: "3m", "40s".
func Budget(seconds float64) string {
	if s := int(math.Ceil(seconds)); s >= 120 && s%60 == 0 {
		return fmt.Sprintf("%dm", s/60)
	} else {
		return fmt.Sprintf("%ds", s)
	}
}
