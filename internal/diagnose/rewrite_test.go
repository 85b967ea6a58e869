package diagnose

import (
	"strings"
	"testing"
)

func TestRewrite(t *testing.T) {
	const np = "import numpy as np; a = np.random.randint(0, 256, 1_000_000, dtype=np.uint8)"
	for _, c := range []struct {
		name, setup, stmt string
		want              string // "" = no rewrite
	}{
		{"the seed", np, "t = a.astype(np.float64); t / 255.0", "t = a.astype(np.float64); np.divide(t, 255.0, out=t)"},
		{"multiply", np, "x = a * 2.0; x * 3", "x = a * 2.0; np.multiply(x, 3, out=x)"},
		{"add a name", np, "x = a.astype(float); x + b", "x = a.astype(float); np.add(x, b, out=x)"},
		{"subtract a call", np, "x = a.copy(); x - a.mean()", "x = a.copy(); np.subtract(x, a.mean(), out=x)"},
		{"subscript operand", np, "x = a.copy(); x - w[0]", "x = a.copy(); np.subtract(x, w[0], out=x)"},
		{"exponent literal", np, "x = a.copy(); x * 1e-3", "x = a.copy(); np.multiply(x, 1e-3, out=x)"},
		{"no spaces", np, "t=a.astype(np.float64);t/255.0", "t = a.astype(np.float64); np.divide(t, 255.0, out=t)"},
		{"newlines", np, "t = a.astype(np.float64)\nt / 255.0", "t = a.astype(np.float64)\nnp.divide(t, 255.0, out=t)"},
		{"trailing statements kept", np, "t = a.astype(np.float64); t / 255.0; del t", "t = a.astype(np.float64); np.divide(t, 255.0, out=t); del t"},
		{"trailing semicolon", np, "t = a.astype(np.float64); t / 255.0;", "t = a.astype(np.float64); np.divide(t, 255.0, out=t)"},
		{"alias", "import numpy as xp", "t = a * 1.0; t / 2", "t = a * 1.0; xp.divide(t, 2, out=t)"},
		{"plain import", "import numpy\na = numpy.ones(10)", "t = a * 1.0; t / 2", "t = a * 1.0; numpy.divide(t, 2, out=t)"},
		{"import list", "import sys, numpy as nmp", "t = a * 1.0; t / 2", "t = a * 1.0; nmp.divide(t, 2, out=t)"},
		{"call with a keyword in the expression", np, "t = np.asarray(a, dtype=float); t / 2", "t = np.asarray(a, dtype=float); np.divide(t, 2, out=t)"},

		{"no numpy import", "import math", "t = a * 1.0; t / 2", ""},
		{"from numpy import", "from numpy import *", "t = a * 1.0; t / 2", ""},
		{"single statement", np, "a.astype(np.float64) / 255.0", ""},
		{"another name", np, "t = a.astype(np.float64); u / 255.0", ""},
		{"name as prefix", np, "t = a.copy(); tt / 2", ""},
		{"name on the right", np, "t = a.copy(); 2 / t", ""},
		{"floor division", np, "t = a.copy(); t // 2", ""},
		{"power", np, "t = a.copy(); t ** 2", ""},
		{"augmented", np, "t = a.copy(); t /= 2", ""},
		{"modulo", np, "t = a.copy(); t % 2", ""},
		{"matmul", np, "t = a.copy(); t @ m", ""},
		{"compound operand", np, "t = a.copy(); t / 255.0 + 1", ""},
		{"operand with spaces", np, "t = a.copy(); t / 2 ** 3", ""},
		{"negative operand", np, "t = a.copy(); t - -1", ""},
		{"attribute of the name", np, "t = a.copy(); t.T / 2", ""},
		{"assigned result", np, "t = a.copy(); r = t / 2", ""},
		{"tuple target", np, "t, u = a, a; t / 2", ""},
		{"chained assignment", np, "t = u = a.copy(); t / 2", ""},
		{"comparison, not assignment", np, "t == a; t / 2", ""},
		{"augmented first", np, "t += a; t / 2", ""},
		{"attribute target", np, "x.t = a.copy(); x.t / 2", ""},
		{"keyword target", np, "None = a; None / 2", ""},
		{"compound statement", np, "if x:\n    t = a\nt / 2", ""},
		{"comment", np, "t = a.copy()  # copy\nt / 2", ""},
		{"string with separator", np, "t = f(';'); t / 2", "t = f(';'); np.divide(t, 2, out=t)"},
		{"unterminated string", np, "t = f('); t / 2", ""},
		{"triple quotes", np, `t = f("""x"""); t / 2`, ""},
		{"unbalanced", np, "t = f(a; t / 2", ""},
		{"continuation", np, "t = a \\\n + 1; t / 2", ""},
		{"empty", np, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := Rewrite(c.stmt, c.setup)
			if c.want == "" {
				if ok {
					t.Errorf("Rewrite(%q) = %q, want no rewrite", c.stmt, got)
				}
				return
			}
			if !ok || got != c.want {
				t.Errorf("Rewrite(%q) = %q, %v; want %q", c.stmt, got, ok, c.want)
			}
		})
	}
}

func TestElides(t *testing.T) {
	for _, c := range []struct {
		slow, fast string
		want       bool
	}{
		{"t = a.astype(np.float64); t / 255.0", "a.astype(np.float64) / 255.0", true},
		{"t = a.astype(np.float64); t / 255.0", "(a.astype(np.float64))/255.0", true},
		{"t = a.astype(np.float64); t / 255.0", "a.astype(np.float32) / 255.0", false},
		{"t = a.astype(np.float64); t / 255.0", "a.astype(np.float64) * 255.0", false},
		{"t = a.astype(np.float64); t / 255.0; del t", "a.astype(np.float64) / 255.0", false},
		{"c = a + b", "np.add(a, b, out=c)", false},
	} {
		if _, got := elides(c.slow, c.fast); got != c.want {
			t.Errorf("elides(%q, %q) = %v, want %v", c.slow, c.fast, got, c.want)
		}
	}
}

// FuzzRewrite: a statement is user input. Rewrite must not panic, and a
// rewrite keeps the assignment, writes in place into the same name, and is
// itself not rewritten again (it no longer matches).
func FuzzRewrite(f *testing.F) {
	for _, s := range []string{"t = a.astype(np.float64); t / 255.0", "x=a;x*2\nprint(x)", "t = f(';'); t - w[0]", "t = (", "t = a; t / -1", "'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, stmt string) {
		got, ok := Rewrite(stmt, "import numpy as np")
		if !ok {
			return
		}
		m, _ := matchTemporary(stmt)
		if !strings.Contains(got, "out="+m.name+")") || !strings.HasPrefix(got, m.name+" = ") {
			t.Errorf("Rewrite(%q) = %q", stmt, got)
		}
		if again, ok := Rewrite(got, "import numpy as np"); ok {
			t.Errorf("Rewrite(%q) = %q rewrites again to %q", stmt, got, again)
		}
	})
}
