package sweep

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// maxExponent bounds the exponent of a number written as 1e6: far beyond
// any size or count, and small enough that an exact value stays cheap.
const maxExponent = 100

// ErrNotNumber says a text is not written as a number at all (letters, an
// unknown or ambiguous suffix). A list value that is not a number is text;
// a range bound must be a number.
var ErrNotNumber = errors.New("not a number")

type notNumberError struct{ msg string }

func (e *notNumberError) Error() string        { return e.msg }
func (e *notNumberError) Is(target error) bool { return target == ErrNotNumber }

func notNumber(format string, args ...any) error {
	return &notNumberError{msg: fmt.Sprintf(format, args...)}
}

// Number is a parameter value written as a number: exact (a big.Rat, so
// 0.1 steps add up to 1 and 1e20 is an integer), with the text it was
// written as.
type Number struct {
	text string
	r    *big.Rat
	// plain is plain decimal notation (digits, a sign, a point): such a
	// value substitutes exactly as written.
	plain bool
	// size is a byte size written with a suffix; binary when the suffix
	// is a power of 1024 (KiB) rather than of 1000 (KB).
	size, binary bool
}

// suffixes are the byte-size suffixes, matched without regard to case.
var suffixes = map[string]struct {
	mult   int64
	binary bool
}{
	"b":   {1, false},
	"kb":  {1_000, false},
	"mb":  {1_000_000, false},
	"gb":  {1_000_000_000, false},
	"tb":  {1_000_000_000_000, false},
	"kib": {1 << 10, true},
	"mib": {1 << 20, true},
	"gib": {1 << 30, true},
	"tib": {1 << 40, true},
}

// ParseNumber parses a number as a parameter value: an integer or a
// decimal with optional sign, underscores between digits (1_000_000), an
// exponent (1e6, 2.5e-3), and an optional byte-size suffix: KiB, MiB, GiB,
// TiB are powers of 1024 and KB, MB, GB, TB powers of 1000, in any case,
// with no space before them; B is bytes. A size is a whole, non-negative
// number of bytes. A single-letter suffix (4k, 8M) is refused: whether it
// means 1000 or 1024 is exactly what a size sweep must not guess.
func ParseNumber(s string) (Number, error) {
	n := Number{text: s}
	i, mant, plain, err := scanMantissa(s)
	if err != nil {
		return n, err
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		if j, e, ok := scanExponent(s, i+1); ok {
			if e > maxExponent || e < -maxExponent {
				return n, fmt.Errorf("%s: exponent out of range (at most ±%d)", s, maxExponent)
			}
			i, exp, plain = j, e, false
		}
	}
	r, ok := new(big.Rat).SetString(mant)
	if !ok {
		return n, notNumber("%q is not a number", s)
	}
	if exp != 0 {
		r.Mul(r, pow10(exp))
	}
	if suffix := s[i:]; suffix != "" {
		sf, ok := suffixes[strings.ToLower(suffix)]
		if !ok {
			return n, badSuffix(s, s[:i], suffix)
		}
		r.Mul(r, new(big.Rat).SetInt64(sf.mult))
		n.size, n.binary, plain = true, sf.binary, false
		if r.Sign() < 0 {
			return n, fmt.Errorf("%s: a size cannot be negative", s)
		}
		if !r.IsInt() {
			return n, fmt.Errorf("%s is %s bytes, not a whole number", s, decimal(r))
		}
	}
	n.r, n.plain = r, plain
	return n, nil
}

// scanMantissa reads the sign, digits and point at the start of s and
// returns where they end and the mantissa without underscores. plain is
// false when underscores were used.
func scanMantissa(s string) (end int, mant string, plain bool, err error) {
	var b strings.Builder
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		b.WriteByte(s[i])
		i++
	}
	j, intDigits, under := scanDigits(s, i, &b)
	plain = !under
	i = j
	fracDigits := 0
	if i < len(s) && s[i] == '.' {
		b.WriteByte('.')
		j, fracDigits, under = scanDigits(s, i+1, &b)
		plain = plain && !under
		i = j
	}
	if intDigits == 0 && fracDigits == 0 {
		return 0, "", false, notNumber("%q is not a number", s)
	}
	mant = b.String()
	// big.Rat reads "5." and ".5" but not a bare "-." or "+.5": normalise.
	if strings.HasSuffix(mant, ".") {
		mant += "0"
	}
	if k := strings.IndexByte(mant, '.'); k >= 0 && (k == 0 || mant[k-1] == '+' || mant[k-1] == '-') {
		mant = mant[:k] + "0" + mant[k:]
	}
	return i, mant, plain, nil
}

// scanDigits reads digits from s[i:] into b, allowing single underscores
// between digits as Python does, and returns where they end, how many
// digits were read and whether an underscore was.
func scanDigits(s string, i int, b *strings.Builder) (end, n int, under bool) {
	for i < len(s) {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
			n++
		case c == '_' && n > 0 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			under = true
		default:
			return i, n, under
		}
		i++
	}
	return i, n, under
}

// scanExponent reads a signed exponent's digits from s[i:]; ok is false
// when there are none (then the e starts a suffix).
func scanExponent(s string, i int) (end, exp int, ok bool) {
	var b strings.Builder
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		b.WriteByte(s[i])
		i++
	}
	j, n, _ := scanDigits(s, i, &b)
	if n == 0 {
		return 0, 0, false
	}
	e, err := strconv.Atoi(b.String())
	if err != nil {
		// Too many digits for an int: out of range either way.
		e = maxExponent + 1
	}
	return j, e, true
}

func badSuffix(s, num, suffix string) error {
	switch strings.ToLower(suffix) {
	case "k", "ki":
		return notNumber("%s: %s is ambiguous: write %sKiB (×1024) or %sKB (×1000)", s, suffix, num, num)
	case "m", "mi":
		return notNumber("%s: %s is ambiguous: write %sMiB (×1024²) or %sMB (×1000²)", s, suffix, num, num)
	case "g", "gi":
		return notNumber("%s: %s is ambiguous: write %sGiB (×1024³) or %sGB (×1000³)", s, suffix, num, num)
	case "t", "ti":
		return notNumber("%s: %s is ambiguous: write %sTiB (×1024⁴) or %sTB (×1000⁴)", s, suffix, num, num)
	}
	return notNumber("%s: unknown suffix %q (sizes: B, KiB, MiB, GiB, TiB, or KB, MB, GB, TB)", s, suffix)
}

func pow10(e int) *big.Rat {
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(e))), nil)
	if e < 0 {
		return new(big.Rat).SetFrac(big.NewInt(1), p)
	}
	return new(big.Rat).SetInt(p)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Text is the number as written.
func (n Number) Text() string { return n.text }

// Canonical is the number as code reads it: an integer when it is whole
// (1e6 is 1000000, 8MiB is 8388608), else its shortest exact decimal.
func (n Number) Canonical() string { return decimal(n.r) }

// Sub is what a placeholder for n is replaced with: the text itself when
// it is plain decimal notation (3.10 stays 3.10, 007 stays 007: no
// reinterpretation of what the user wrote as a number), else Canonical,
// since Python reads 1e6 as a float, C and shells read no underscores and
// no language reads 8MiB.
func (n Number) Sub() string {
	if n.plain {
		return n.text
	}
	return n.Canonical()
}

// IsInt says whether n is a whole number.
func (n Number) IsInt() bool { return n.r.IsInt() }

// IsSize says whether n was written with a byte-size suffix.
func (n Number) IsSize() bool { return n.size }

// Float64 is n's nearest float64.
func (n Number) Float64() float64 {
	f, _ := n.r.Float64()
	return f
}

// Rat returns a copy of n's exact value.
func (n Number) Rat() *big.Rat { return new(big.Rat).Set(n.r) }

// decimal writes r as an integer when whole, else as its shortest exact
// decimal. Every r here comes from decimal input, so its denominator is
// 2^a·5^b and the expansion ends after max(a, b) digits, which is fewer
// than four per digit of the denominator.
func decimal(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	d, limit := 0, 4*len(r.Denom().String())
	x := new(big.Rat).Set(r)
	ten := big.NewRat(10, 1)
	for !x.IsInt() && d < limit {
		x.Mul(x, ten)
		d++
	}
	return r.FloatString(d)
}
