// Package cmdline splits a command line into words without a shell, the
// way hyperfine's --shell=none does: quotes group, backslashes escape, and
// nothing is expanded, so the measured process is the command itself and
// not a shell that starts it.
package cmdline

import (
	"fmt"
	"strings"
)

// Split splits s into words. Single quotes keep everything literally;
// double quotes allow \" \\ \$ \` escapes; outside quotes a backslash
// escapes the next character.
func Split(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	const (
		none = iota
		single
		double
	)
	q := none
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch q {
		case single:
			if c == '\'' {
				q = none
			} else {
				cur.WriteByte(c)
			}
			continue
		case double:
			switch {
			case c == '"':
				q = none
			case c == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0:
				i++
				cur.WriteByte(s[i])
			default:
				cur.WriteByte(c)
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case '\'':
			q, inWord = single, true
		case '"':
			q, inWord = double, true
		case '\\':
			if i+1 >= len(s) {
				return nil, fmt.Errorf("command %q ends with a backslash", s)
			}
			i++
			cur.WriteByte(s[i])
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if q != none {
		return nil, fmt.Errorf("command %q has an unterminated quote", s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("empty command")
	}
	return words, nil
}

// ShellSyntax returns the first piece of s that only a shell gives a
// meaning to, as written ("|", "&&", ">", "$(", "$HOME", "`"): a pipe, a
// list or background operator, a redirection, a subshell, a variable or
// command substitution, outside quotes and not escaped. "" when there is none. Split passes such
// pieces to the program as words, which is never what was meant: hyperfine
// users write `seq 1 100000 | sort -n` expecting a pipe.
func ShellSyntax(s string) string {
	inDouble := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && (!inDouble || i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0):
			i++
			continue
		case c == '\'' && !inDouble:
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return ""
			}
			i += j + 1
			continue
		case c == '"':
			inDouble = !inDouble
			continue
		case inDouble:
			// Double quotes hold text for another interpreter as often as
			// not (sh -c "i=$((i+1))"): taken literally, as Split does.
			continue
		}
		switch c {
		case '`':
			return "`"
		case '$':
			if sub := substitution(s[i:]); sub != "" {
				return sub
			}
			continue
		case '|', '&', ';', '<', '>':
			if i+1 < len(s) && (s[i+1] == c || c == '>' && s[i+1] == '&' || c == '<' && s[i+1] == '(') {
				return s[i : i+2]
			}
			return s[i : i+1]
		case '(', ')':
			return s[i : i+1]
		}
	}
	return ""
}

// substitution is the expansion s starts with ("$(", "${", "$HOME",
// "$1"), or "" for a lone dollar sign, which a shell leaves as it is.
func substitution(s string) string {
	if len(s) < 2 {
		return ""
	}
	switch c := s[1]; {
	case c == '(' || c == '{':
		return s[:2]
	case c >= '0' && c <= '9' || strings.IndexByte("?#@*!", c) >= 0:
		return s[:2]
	case c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
		j := 2
		for j < len(s) && (s[j] == '_' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9') {
			j++
		}
		return s[:j]
	}
	return ""
}
