package result

import (
	"encoding/json"
	"io"
	"time"
)

// SweepSchema identifies the sweep document (docs/json-schema.md, a
// draft): one result per point of a parameter sweep.
const SweepSchema = "faultline-sweep/v1"

// Sweep is a parameter sweep: the parameters, and a result per point.
type Sweep struct {
	Schema      string    `json:"schema"`
	Tool        Tool      `json:"tool"`
	Kind        string    `json:"kind"`
	Started     time.Time `json:"started"`
	WallSeconds float64   `json:"wall_seconds"`
	// BudgetSeconds is --budget: the whole sweep's.
	BudgetSeconds float64 `json:"budget_seconds"`
	// Partial is true when the sweep was interrupted: points not reached
	// are skipped, and the one running is partial itself.
	Partial     bool             `json:"partial"`
	Interrupted string           `json:"interrupted,omitempty"`
	Parameters  []SweepParameter `json:"parameters"`
	Points      []SweepPoint     `json:"points"`
}

// SweepParameter is a parameter and its values in sweep order.
type SweepParameter struct {
	Name   string       `json:"name"`
	Values []SweepValue `json:"values"`
}

// SweepValue is one value of a parameter.
type SweepValue struct {
	Text  string `json:"text"`  // as written, or generated in the bounds' unit
	Value string `json:"value"` // what {name} was replaced with
	// Number is the value as a number, when it is one.
	Number *float64 `json:"number,omitempty"`
}

// SweepPoint is one point: a value of every parameter, and its result.
type SweepPoint struct {
	// Values maps each parameter's name to what its placeholders were
	// replaced with at this point; Text to the value as written.
	Values map[string]string `json:"values"`
	Text   map[string]string `json:"text"`
	// BudgetSeconds is the share of the sweep's budget this point had.
	BudgetSeconds float64 `json:"budget_seconds,omitempty"`
	// Status is omitted for a point that ran, and "skipped" with Reason
	// for one that did not (interrupted, budget exhausted).
	Status string  `json:"status,omitempty"`
	Reason string  `json:"reason,omitempty"`
	Result *Result `json:"result,omitempty"`
}

// NewSweep returns an empty sweep document of the given kind.
func NewSweep(kind, version string, args []string, budget time.Duration) *Sweep {
	return &Sweep{
		Schema:        SweepSchema,
		Tool:          Tool{Name: "faultline", Version: version, Args: args},
		Kind:          kind,
		Started:       time.Now().UTC(),
		BudgetSeconds: budget.Seconds(),
		Parameters:    []SweepParameter{},
		Points:        []SweepPoint{},
	}
}

// Write encodes s as indented JSON.
func (s *Sweep) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}
