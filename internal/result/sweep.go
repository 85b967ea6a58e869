package result

import (
	"encoding/json"
	"fmt"
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
	// Cliffs are where a candidate's time ratio or faults per iteration
	// jump between neighbouring values of a numeric parameter.
	Cliffs []Cliff `json:"cliffs,omitempty"`
}

// Cliff is a jump between two neighbouring values of one parameter (the
// others held), narrowed by refinement points when --refine ran.
type Cliff struct {
	Parameter string `json:"parameter"`
	// Others holds the other parameters' values along this line.
	Others    map[string]string `json:"others,omitempty"`
	Candidate string            `json:"candidate"`
	Config    string            `json:"config"`
	// Metric is what jumps: "ratio" (time against the baseline
	// candidate) or "minor_faults" (per iteration).
	Metric string `json:"metric"`
	// Below and Above are the closest measured values either side of the
	// jump, and Before and After the metric there.
	Below  float64 `json:"below"`
	Above  float64 `json:"above"`
	Before float64 `json:"before"`
	After  float64 `json:"after"`
	// Refined is true when bisection points narrowed the boundary.
	Refined bool `json:"refined,omitempty"`
	// Threshold is the limit the boundary crosses, when one explains it.
	Threshold *Threshold `json:"threshold,omitempty"`
	// Summary is one sentence: where, what, why.
	Summary string `json:"summary"`
	// VerifiedBy names the configuration under which the jump is gone,
	// when an experiment at the points either side showed it.
	VerifiedBy string `json:"verified_by,omitempty"`
}

// Threshold is an allocator or kernel limit a cliff is tied to.
type Threshold struct {
	Name  string  `json:"name"`  // e.g. "glibc trim threshold"
	Bytes float64 `json:"bytes"` // its value here
	// Quantity is what crosses it at the boundary (e.g. "B's heap top,
	// 2 x 8 x n bytes"), and Source where the value came from: "traced",
	// "allocator" (read from the running allocator) or "documented".
	Quantity string `json:"quantity"`
	Source   string `json:"source"`
	// Reported says how the allocator was read when Source is
	// "allocator" ("jemalloc stats: opt.oversize_threshold").
	Reported string `json:"reported,omitempty"`
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
	Status string `json:"status,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Refine marks a point --refine added between two neighbours of a
	// cliff: timing and trace only (no isolated runs, allocation pass or
	// experiments), since only where the jump lies matters there.
	Refine bool `json:"refine,omitempty"`
	// Starved says why the point's verdict had too little to go on (an
	// inconclusive verdict, fewer than three samples a side); "" when it
	// had enough.
	Starved string  `json:"starved,omitempty"`
	Result  *Result `json:"result,omitempty"`
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

// ParseSweep decodes a sweep document and checks its schema and every
// point's result.
func ParseSweep(data []byte) (*Sweep, error) {
	var s Sweep
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("decode sweep: %w", err)
	}
	if s.Schema != SweepSchema {
		return nil, fmt.Errorf("unsupported sweep schema %q (want %q)", s.Schema, SweepSchema)
	}
	for i, pt := range s.Points {
		if pt.Result == nil {
			continue
		}
		if _, err := checked(pt.Result); err != nil {
			return nil, fmt.Errorf("point %d: %w", i+1, err)
		}
	}
	return &s, nil
}
