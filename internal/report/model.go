package report

// The terminal, Markdown and HTML renderings show the same content, so it is
// built once as a small document model (sections of paragraphs, tables,
// lists and sub-headings with styled spans) and each renderer only decides
// how a span, a table or a heading looks. This keeps the three in
// agreement and makes each renderer short.

// style is the meaning of a span; renderers map it to ANSI codes, Markdown
// emphasis or CSS classes.
type style uint8

const (
	plain  style = iota
	strong       // headings, the key number
	dim          // notes, secondary facts
	good         // faster, verified
	bad          // slower, failed
	warn         // not significant, not verified, partial
	code         // code, commands, environment settings
)

type span struct {
	Text  string
	Style style
	// Href is an in-page link (#anchor) in HTML; the text renderings
	// print the text alone.
	Href string
}

// line is one line of styled text.
type line []span

func (l line) String() string {
	s := ""
	for _, sp := range l {
		s += sp.Text
	}
	return s
}

func txt(s string) span           { return span{Text: s} }
func sty(s string, st style) span { return span{Text: s, Style: st} }

// table is a grid of single-span cells.
type table struct {
	Head  []string
	Right []bool // right-align this column (numbers)
	Rows  [][]span
	// Fill is the column the terminal truncates to fit its width (a
	// label), or -1.
	Fill int
}

// item is one list entry: a first line and continuation lines.
type item struct {
	Head  line
	Lines []line
}

// block is one of a paragraph, a table, a list or a sub-heading.
type block struct {
	Para  []line
	Table *table
	List  []item
	H3    line
	// ID is the H3's anchor in the HTML page, for links to it.
	ID string
	// Bar is a share (0..1) drawn as a small bar in HTML only; the text
	// renderings already print the percentage.
	Bar float64
	// Verdict marks the report's opening lines (verdict.go): set apart
	// from what follows.
	Verdict bool
}

type section struct {
	ID       string // stable anchor and chart slot in the HTML page
	Title    string
	Subtitle line
	Blocks   []block
}

type doc struct {
	Title    line
	Warning  line // partial result
	Head     []block
	Sections []section
}

func (s *section) para(ls ...line) { s.Blocks = append(s.Blocks, block{Para: ls}) }
func (s *section) table(t *table)  { s.Blocks = append(s.Blocks, block{Table: t}) }
func (s *section) list(it []item)  { s.Blocks = append(s.Blocks, block{List: it}) }
func (s *section) h3(l line)       { s.Blocks = append(s.Blocks, block{H3: l}) }
func (s *section) bar(x float64)   { s.Blocks = append(s.Blocks, block{Bar: x}) }
