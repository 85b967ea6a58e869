// Package manpage writes a man page (roff, man(7) macros) from a cobra
// command tree: the root's synopsis and description, then each
// subcommand with its flags, examples and the exit codes given. It is
// small on purpose: one page for the whole tool, as man faultline is
// what a user types.
package manpage

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Page is what a page says beyond the command tree.
type Page struct {
	Section string // "1"
	Date    string // the page's date, "2026-01-15"; "" leaves it out
	Source  string // "faultline v1.2.3"
	// Exit lists the exit codes: code, meaning.
	Exit [][2]string
	// SeeAlso are further references, one line each.
	SeeAlso []string
}

// Write renders root and its visible subcommands.
func Write(w io.Writer, root *cobra.Command, p Page) error {
	var b strings.Builder
	name := root.Name()
	fmt.Fprintf(&b, ".TH %s %s %s %s %s\n", quote(strings.ToUpper(name)), p.Section, quote(p.Date), quote(p.Source), quote("User Commands"))
	b.WriteString(".SH NAME\n")
	fmt.Fprintf(&b, "%s \\- %s\n", esc(name), esc(root.Short))
	b.WriteString(".SH SYNOPSIS\n")
	for _, c := range visible(root) {
		args := strings.TrimSpace(strings.TrimPrefix(c.UseLine(), c.CommandPath()))
		fmt.Fprintf(&b, "\\fB%s\\fR %s\n.br\n", esc(name+" "+c.Name()), esc(args))
	}
	b.WriteString(".SH DESCRIPTION\n")
	para(&b, root.Long)
	if fl := root.NonInheritedFlags(); fl.HasAvailableFlags() {
		b.WriteString(".SH OPTIONS\n")
		flags(&b, fl)
	}
	b.WriteString(".SH COMMANDS\n")
	for _, c := range visible(root) {
		fmt.Fprintf(&b, ".SS %s\n", esc(name+" "+c.Name()))
		long := c.Long
		if long == "" {
			long = c.Short
		}
		para(&b, long)
		if c.Example != "" {
			b.WriteString(".PP\nExamples:\n.PP\n.nf\n.RS\n")
			for _, l := range strings.Split(strings.TrimRight(c.Example, "\n"), "\n") {
				b.WriteString(esc(strings.TrimPrefix(l, "  ")) + "\n")
			}
			b.WriteString(".RE\n.fi\n")
		}
		if fl := c.NonInheritedFlags(); fl.HasAvailableFlags() {
			flags(&b, fl)
		}
	}
	if len(p.Exit) > 0 {
		b.WriteString(".SH EXIT STATUS\n")
		for _, e := range p.Exit {
			fmt.Fprintf(&b, ".TP\n.B %s\n%s\n", esc(e[0]), esc(e[1]))
		}
	}
	if len(p.SeeAlso) > 0 {
		b.WriteString(".SH SEE ALSO\n")
		for i, s := range p.SeeAlso {
			if i > 0 {
				b.WriteString(".br\n")
			}
			b.WriteString(esc(s) + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// visible lists the subcommands a user runs (not help or hidden ones).
func visible(root *cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	for _, c := range root.Commands() {
		if c.IsAvailableCommand() && c.Name() != "help" {
			out = append(out, c)
		}
	}
	return out
}

// flags writes one tagged paragraph per flag: -s, --long VALUE, then its
// usage and default.
func flags(b *strings.Builder, fs *pflag.FlagSet) {
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		varname, usage := pflag.UnquoteUsage(f)
		tag := "\\fB\\-\\-" + esc(f.Name) + "\\fR"
		if f.Shorthand != "" {
			tag = "\\fB\\-" + esc(f.Shorthand) + ",\\fR " + tag
		}
		if varname != "" {
			tag += " \\fI" + esc(varname) + "\\fR"
		}
		if def := f.DefValue; def != "" && def != "false" && def != "0" && def != "[]" {
			usage += " (default " + def + ")"
		}
		fmt.Fprintf(b, ".TP\n%s\n%s\n", tag, esc(usage))
	})
}

// para writes text as paragraphs, blank lines separating them.
func para(b *strings.Builder, text string) {
	for _, p := range strings.Split(strings.TrimSpace(text), "\n\n") {
		b.WriteString(".PP\n")
		for _, l := range strings.Split(p, "\n") {
			b.WriteString(esc(strings.TrimSpace(l)) + "\n")
		}
	}
}

// esc keeps text from being read as roff: backslashes and hyphens
// escaped, and a line that would start with a control character ('.' or
// ”') guarded with a zero-width \&.
func esc(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

func quote(s string) string { return `"` + strings.ReplaceAll(esc(s), `"`, `\(dq`) + `"` }
