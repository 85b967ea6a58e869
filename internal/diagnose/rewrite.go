package diagnose

import (
	"regexp"
	"strings"
)

// ufuncs maps a binary operator to the NumPy ufunc that can write its
// result into an existing array.
var ufuncs = map[byte]string{'/': "divide", '*': "multiply", '+': "add", '-': "subtract"}

// Rewrite proposes an in-place form of a NumPy statement that names a
// temporary and then applies a binary operator to it:
//
//	t = a.astype(np.float64); t / 255.0
//
// becomes
//
//	t = a.astype(np.float64); np.divide(t, 255.0, out=t)
//
// so the result is written into t's buffer instead of a second one. The
// statements may be separated by ";" or newlines and may be followed by
// more statements, which are kept. np is the alias under which setup
// imports numpy. Rewrite is deliberately conservative: it returns false
// unless the statement matches exactly (a plain name assigned once, then
// used as the left operand of one of / * + - with a simple right operand)
// and setup imports numpy. Whether the rewrite runs (an integer array
// cannot take a float result in place) is for the measurement to find out.
func Rewrite(statement, setup string) (string, bool) {
	np, ok := numpyAlias(setup)
	if !ok {
		return "", false
	}
	m, ok := matchTemporary(statement)
	if !ok {
		return "", false
	}
	parts := []string{m.name + " = " + m.expr,
		np + "." + ufuncs[m.op] + "(" + m.name + ", " + m.operand + ", out=" + m.name + ")"}
	parts = append(parts, m.rest...)
	return strings.Join(parts, m.sep), true
}

// temporary is a statement of the form NAME = EXPR; NAME OP OPERAND[; REST].
type temporary struct {
	name, expr, operand string
	op                  byte
	rest                []string
	sep                 string // "; " or "\n", as the statement was written
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func matchTemporary(statement string) (temporary, bool) {
	var m temporary
	stmts, sep, ok := splitStatements(statement)
	if !ok || len(stmts) < 2 {
		return m, false
	}
	m.sep = sep
	// NAME = EXPR
	i := assignIndex(stmts[0])
	if i < 0 {
		return m, false
	}
	m.name = strings.TrimSpace(stmts[0][:i])
	m.expr = strings.TrimSpace(stmts[0][i+1:])
	if !identRE.MatchString(m.name) || isKeyword(m.name) || m.expr == "" {
		return m, false
	}
	// NAME OP OPERAND
	s := stmts[1]
	if !strings.HasPrefix(s, m.name) {
		return m, false
	}
	s = strings.TrimLeft(s[len(m.name):], " \t")
	if len(s) < 2 {
		return m, false
	}
	m.op = s[0]
	if _, ok := ufuncs[m.op]; !ok {
		return m, false
	}
	s = s[1:]
	if s[0] == m.op || s[0] == '=' { // //, **, /=, *=, ...
		return m, false
	}
	m.operand = strings.TrimSpace(s)
	if !simpleOperand(m.operand) {
		return m, false
	}
	m.rest = stmts[2:]
	return m, true
}

// splitStatements splits Python source at top-level ";" and newlines,
// outside brackets and string literals. It refuses what it cannot follow
// safely: unbalanced brackets, unterminated or triple-quoted strings,
// comments, line continuations and compound statements.
func splitStatements(src string) ([]string, string, bool) {
	var out []string
	depth := 0
	var quote byte
	start := 0
	sep := "; "
	newline := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		if quote != 0 {
			switch c {
			case '\\':
				i++
			case quote:
				quote = 0
			case '\n':
				return nil, "", false
			}
			continue
		}
		switch c {
		case '\'', '"':
			if strings.HasPrefix(src[i:], `"""`) || strings.HasPrefix(src[i:], `'''`) {
				return nil, "", false
			}
			quote = c
		case '#', '\\':
			return nil, "", false
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
			if depth < 0 {
				return nil, "", false
			}
		case ';', '\n':
			if depth == 0 {
				if c == '\n' {
					newline = true
				}
				out = append(out, src[start:i])
				start = i + 1
			}
		}
	}
	if quote != 0 || depth != 0 {
		return nil, "", false
	}
	out = append(out, src[start:])
	var stmts []string
	for _, s := range out {
		if strings.TrimSpace(s) == "" {
			continue
		}
		if s != strings.TrimLeft(s, " \t") && newline {
			return nil, "", false // an indented block
		}
		s = strings.TrimSpace(s)
		if strings.HasSuffix(s, ":") {
			return nil, "", false // a compound statement
		}
		stmts = append(stmts, s)
	}
	if newline {
		sep = "\n"
	}
	return stmts, sep, true
}

// assignIndex returns the index of the "=" of a simple assignment at the
// top level of s, or -1 (also for ==, <=, augmented assignments, keyword
// arguments and chained assignments).
func assignIndex(s string) int {
	depth := 0
	var quote byte
	found := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		if quote != 0 {
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
			continue
		}
		switch c {
		case '\'', '"':
			quote = c
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case '=':
			if depth != 0 {
				continue
			}
			prev, next := byte(0), byte(0)
			if i > 0 {
				prev = s[i-1]
			}
			if i+1 < len(s) {
				next = s[i+1]
			}
			if next == '=' || strings.IndexByte("=!<>+-*/%&|^@:", prev) >= 0 {
				if next == '=' {
					i++
				}
				continue
			}
			if found >= 0 {
				return -1 // a = b = c
			}
			found = i
		}
	}
	return found
}

// simpleOperand accepts a right operand that binds tighter than any of
// / * + -, so moving it into a call keeps its meaning: a number, a name, an
// attribute chain, a call or a subscript, with no top-level operator.
func simpleOperand(s string) bool {
	if s == "" {
		return false
	}
	if c := s[0]; c == '-' || c == '+' || c == '~' || c == '*' || c == '/' || c == '=' {
		return false
	}
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if quote != 0 {
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
			continue
		}
		switch c {
		case '\'', '"':
			quote = c
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case ' ', '\t':
			if depth == 0 {
				return false // "x if c else y", "a and b", "2 ** 3"
			}
		case '+', '-':
			// An exponent inside a number literal (1e-3) is fine.
			if depth == 0 && !(i > 0 && (s[i-1] == 'e' || s[i-1] == 'E') && i > 1 && isDigit(s[i-2])) {
				return false
			}
		case '*', '/', '%', '@', '<', '>', '=', '&', '|', '^', ',', ':', '!':
			if depth == 0 {
				return false
			}
		}
	}
	return depth == 0 && quote == 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' || c == '.' }

var pyKeywords = map[string]bool{"False": true, "None": true, "True": true, "and": true, "as": true, "assert": true,
	"async": true, "await": true, "break": true, "class": true, "continue": true, "def": true, "del": true, "elif": true,
	"else": true, "except": true, "finally": true, "for": true, "from": true, "global": true, "if": true, "import": true,
	"in": true, "is": true, "lambda": true, "nonlocal": true, "not": true, "or": true, "pass": true, "raise": true,
	"return": true, "try": true, "while": true, "with": true, "yield": true}

func isKeyword(s string) bool { return pyKeywords[s] }

var importRE = regexp.MustCompile(`(?m)(?:^|;)[ \t]*import[ \t]+([^;\n#]+)`)

// numpyAlias returns the name under which setup imports numpy
// ("import numpy as np" gives "np", "import numpy" gives "numpy").
func numpyAlias(setup string) (string, bool) {
	for _, m := range importRE.FindAllStringSubmatch(setup, -1) {
		for _, item := range strings.Split(m[1], ",") {
			f := strings.Fields(item)
			switch {
			case len(f) == 1 && f[0] == "numpy":
				return "numpy", true
			case len(f) == 3 && f[0] == "numpy" && f[1] == "as" && identRE.MatchString(f[2]):
				return f[2], true
			}
		}
	}
	return "", false
}

// compact removes all spaces, for comparing spellings of an expression.
func compact(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s)
}

// elides reports whether fast is the unnamed spelling of slow's temporary
// (slow: "t = EXPR; t OP X", fast: "EXPR OP X"): the case where NumPy's
// temporary elision reuses fast's temporary for the result in place and
// slow's name keeps its temporary alive.
func elides(slow, fast string) (temporary, bool) {
	m, ok := matchTemporary(slow)
	if !ok || len(m.rest) > 0 {
		return m, false
	}
	f := compact(strings.TrimSuffix(strings.TrimSpace(fast), ";"))
	tail := string(m.op) + compact(m.operand)
	return m, f == compact(m.expr)+tail || f == "("+compact(m.expr)+")"+tail
}
