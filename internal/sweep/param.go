package sweep

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// MaxPoints bounds a sweep: every point is a whole measurement, so a
// thousand is already hours at the default budget.
const MaxPoints = 1000

// Value is one value of a parameter.
type Value struct {
	// Text is the value as written (a list) or as generated (a range,
	// in the units its bounds were written in): for headings and labels.
	Text string
	// Sub replaces the parameter's placeholders (Number.Sub).
	Sub string
	// Numeric says the value is a number, Number its nearest float64.
	Numeric bool
	Number  float64
}

// Param is a named parameter and its values, in sweep order.
type Param struct {
	Name   string
	Values []Value
}

// checkName accepts identifiers: the placeholder {name} must be one.
func checkName(name string) error {
	if !isIdent(name) {
		return fmt.Errorf("parameter name %q is not an identifier (letters, digits and _, not starting with a digit)", name)
	}
	return nil
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !identByte(s[i], i == 0) {
			return false
		}
	}
	return true
}

func identByte(c byte, first bool) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || !first && c >= '0' && c <= '9'
}

// List is a parameter given as comma-separated values, as hyperfine's
// --parameter-list reads them: `\,` is a comma inside a value and `\\` a
// backslash; a value may be empty. A value written as a number
// (ParseNumber) substitutes as Number.Sub; any other text substitutes as
// written. Two values that substitute alike are an error, since they
// would measure the same point twice.
func List(name, values string) (Param, error) {
	p := Param{Name: name}
	if err := checkName(name); err != nil {
		return p, err
	}
	if values == "" {
		return p, errors.New("the list of values is empty")
	}
	seen := map[string]string{}
	items := splitList(values)
	for i, s := range items {
		// An empty value is deliberate first or last (-L opt ,-O2: no
		// option, then -O2); between two commas it is a typo.
		if s == "" && i > 0 && i < len(items)-1 {
			return p, fmt.Errorf("value %d of the list is empty (two commas in a row?); an empty value goes first or last", i+1)
		}
		v, err := listValue(s)
		if err != nil {
			return p, err
		}
		if prev, ok := seen[v.Sub]; ok {
			if prev == s {
				return p, fmt.Errorf("value %q is listed twice", s)
			}
			return p, fmt.Errorf("values %q and %q are the same value, %s", prev, s, v.Sub)
		}
		seen[v.Sub] = s
		p.Values = append(p.Values, v)
	}
	if len(p.Values) > MaxPoints {
		return p, fmt.Errorf("%d values; a sweep has at most %d points", len(p.Values), MaxPoints)
	}
	return p, nil
}

// splitList splits at unescaped commas (hyperfine's tokenizer).
func splitList(s string) []string {
	var out []string
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s) && (s[i+1] == ',' || s[i+1] == '\\'):
			i++
			b.WriteByte(s[i])
		case c == ',':
			out = append(out, b.String())
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	return append(out, b.String())
}

func listValue(s string) (Value, error) {
	n, err := ParseNumber(s)
	switch {
	case errors.Is(err, ErrNotNumber):
		return Value{Text: s, Sub: s}, nil
	case err != nil:
		return Value{}, err
	}
	return Value{Text: s, Sub: n.Sub(), Numeric: true, Number: n.Float64()}, nil
}

// Scan is a parameter over a numeric range from Lo to Hi inclusive, as
// hyperfine's --parameter-scan: integers in steps of 1 by default (Lo and
// Hi must be whole), in steps of Step when given (decimals allowed, exact:
// 0 to 1 by 0.1 is eleven values ending at 1), or Geometric values spaced
// by a constant ratio, Lo and Hi included, rounded to integers when both
// are whole (duplicates after rounding dropped), else to six significant
// digits.
type Scan struct {
	Name      string
	Lo, Hi    string
	Step      string // "": 1
	Geometric int    // > 0: this many points, geometrically spaced
}

// Param checks s and returns its values.
func (s Scan) Param() (Param, error) {
	p := Param{Name: s.Name}
	if err := checkName(s.Name); err != nil {
		return p, err
	}
	lo, err := ParseNumber(s.Lo)
	if err != nil {
		return p, fmt.Errorf("LO %w", err)
	}
	hi, err := ParseNumber(s.Hi)
	if err != nil {
		return p, fmt.Errorf("HI %w", err)
	}
	if hi.r.Cmp(lo.r) < 0 {
		return p, fmt.Errorf("HI %s is below LO %s", s.Hi, s.Lo)
	}
	if s.Geometric != 0 {
		if s.Step != "" {
			return p, errors.New("a step (-D) and a point count (--geometric) contradict each other")
		}
		p.Values, err = geometric(lo, hi, s.Geometric)
		return p, err
	}
	p.Values, err = linear(lo, hi, s.Step)
	return p, err
}

// linear is hyperfine's range: Lo, Lo+Step, ... up to Hi inclusive.
func linear(lo, hi Number, stepText string) ([]Value, error) {
	step := Number{r: big.NewRat(1, 1)}
	if stepText == "" {
		if !lo.IsInt() || !hi.IsInt() {
			return nil, fmt.Errorf("LO %s and HI %s are not both whole numbers: decimal values need a step (-D)", lo.text, hi.text)
		}
	} else {
		var err error
		if step, err = ParseNumber(stepText); err != nil {
			return nil, fmt.Errorf("step %w", err)
		}
		if step.r.Sign() <= 0 {
			return nil, fmt.Errorf("step %s is not positive", stepText)
		}
	}
	size, binary := unitsOf(lo, hi, step)
	if size && !step.IsInt() {
		return nil, fmt.Errorf("step %s is not a whole number of bytes", stepText)
	}
	span := new(big.Rat).Sub(hi.r, lo.r)
	span.Quo(span, step.r)
	count := new(big.Int).Quo(span.Num(), span.Denom())
	count.Add(count, big.NewInt(1))
	if !count.IsInt64() || count.Int64() > MaxPoints {
		return nil, fmt.Errorf("%s..%s in steps of %s is %s points; a sweep has at most %d (a larger step -D, or --geometric N)",
			lo.text, hi.text, decimal(step.r), count, MaxPoints)
	}
	vals := make([]Value, 0, count.Int64())
	x := new(big.Rat).Set(lo.r)
	for i := int64(0); i < count.Int64(); i++ {
		vals = append(vals, numValue(x, size, binary))
		x.Add(x, step.r)
	}
	return vals, nil
}

// geometric is n values from Lo to Hi with a constant ratio.
func geometric(lo, hi Number, n int) ([]Value, error) {
	switch {
	case n < 2:
		return nil, fmt.Errorf("--geometric %d: want 2 or more points", n)
	case n > MaxPoints:
		return nil, fmt.Errorf("--geometric %d: a sweep has at most %d points", n, MaxPoints)
	case lo.r.Sign() <= 0:
		return nil, fmt.Errorf("LO %s is not positive: geometric spacing multiplies", lo.text)
	}
	size, binary := unitsOf(lo, hi)
	whole := lo.IsInt() && hi.IsInt()
	l, h := math.Log(lo.Float64()), math.Log(hi.Float64())
	var vals []Value
	seen := map[string]bool{}
	for i := range n {
		var r *big.Rat
		switch i {
		case 0:
			r = lo.r
		case n - 1:
			r = hi.r
		default:
			r = roundGeometric(math.Exp(l+(h-l)*float64(i)/float64(n-1)), whole)
		}
		v := numValue(r, size, binary)
		if !seen[v.Sub] {
			seen[v.Sub] = true
			vals = append(vals, v)
		}
	}
	return vals, nil
}

// roundGeometric rounds an inner geometric point: to an integer between
// whole bounds (a count or a size), else to six significant digits, which
// keeps the text short and is finer than any timing can resolve.
func roundGeometric(f float64, whole bool) *big.Rat {
	if whole {
		r, _ := new(big.Rat).SetString(strconv.FormatFloat(math.Round(f), 'f', 0, 64))
		return r
	}
	r, _ := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', 6, 64))
	return r
}

// unitsOf says whether a range is of byte sizes (any of its numbers had a
// size suffix), and whether of the binary family.
func unitsOf(ns ...Number) (size, binary bool) {
	for _, n := range ns {
		if n.size {
			size = true
			binary = binary || n.binary
		}
	}
	return size, binary
}

// numValue is a generated value: it substitutes as its canonical number,
// and a size reads in the bounds' unit family where that is exact.
func numValue(r *big.Rat, size, binary bool) Value {
	f, _ := r.Float64()
	v := Value{Sub: decimal(r), Numeric: true, Number: f}
	v.Text = v.Sub
	if size {
		v.Text = sizeText(r, binary)
	}
	return v
}

// sizeText writes a whole number of bytes in the largest unit of its
// family that divides it to at most three decimals (1536 is 1.5KiB),
// else as plain bytes.
func sizeText(r *big.Rat, binary bool) string {
	units := []struct {
		name string
		mult int64
	}{{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}}
	if binary {
		units = []struct {
			name string
			mult int64
		}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}}
	}
	for _, u := range units {
		q := new(big.Rat).Quo(r, big.NewRat(u.mult, 1))
		if q.Cmp(big.NewRat(1, 1)) < 0 {
			continue
		}
		if x := new(big.Rat).Mul(q, big.NewRat(1000, 1)); x.IsInt() {
			return decimal(q) + u.name
		}
	}
	return decimal(r)
}
