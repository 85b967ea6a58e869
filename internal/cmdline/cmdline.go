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
