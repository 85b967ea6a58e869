package report

import (
	"slices"
	"strings"
	"unicode"
)

// Fitting a table to the terminal. A table wider than the terminal is
// made narrower in three steps, each taken only when the one before is not
// enough:
//
//  1. The table's Fill column (a label, code, evidence) is narrowed, down
//     to fillMin columns: a label or code is cut with an ellipsis, prose
//     wraps onto continuation lines of its row.
//  2. The columns are stacked: the table is printed as blocks of columns,
//     one under the other, each block headed by its own column names and
//     starting with the key columns that name a row (the candidate; a
//     configuration or parameter value and the candidate). Every number
//     stays whole and on its row, as a wide table does in R's print.
//  3. A block that still does not fit (one column wider than the terminal
//     by itself) has its widest column narrowed, its cells cut or
//     wrapped as in step 1.
//
// Widths are display columns (displayWidth), never bytes: "µ" and "…"
// take one column, a CJK character two. Styles are applied after the
// layout, so ANSI escapes never count.

// fillMin is the narrowest the Fill column is cut to before the columns
// are stacked instead.
const fillMin = 16

// displayWidth is the number of terminal columns s takes: none for
// control characters and combining or zero-width marks, two for East
// Asian wide and fullwidth characters and emoji, one for the rest.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

func runeWidth(r rune) int {
	switch {
	case r < 0x20 || r >= 0x7f && r < 0xa0:
		return 0
	case r < 0x300:
		return 1
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		return 0
	case isWide(r):
		return 2
	}
	return 1
}

// wideRanges are the blocks a terminal draws two columns wide (the bulk
// of Unicode's East Asian Width W and F classes).
var wideRanges = [][2]rune{
	{0x1100, 0x115f},   // Hangul Jamo
	{0x2e80, 0x303e},   // CJK radicals, punctuation
	{0x3041, 0x33ff},   // kana, CJK compatibility
	{0x3400, 0x4dbf},   // CJK extension A
	{0x4e00, 0x9fff},   // CJK unified ideographs
	{0xa000, 0xa4cf},   // Yi
	{0xac00, 0xd7a3},   // Hangul syllables
	{0xf900, 0xfaff},   // CJK compatibility ideographs
	{0xfe30, 0xfe4f},   // CJK compatibility forms
	{0xff00, 0xff60},   // fullwidth forms
	{0xffe0, 0xffe6},   // fullwidth signs
	{0x1f300, 0x1f64f}, // pictographs, emoticons
	{0x1f900, 0x1f9ff}, // supplemental pictographs
	{0x20000, 0x3fffd}, // CJK extensions B and later
}

func isWide(r rune) bool {
	for _, w := range wideRanges {
		if r >= w[0] && r <= w[1] {
			return true
		}
	}
	return false
}

// cut shortens s to at most w display columns, marking the cut with an
// ellipsis.
func cut(s string, w int) string {
	if displayWidth(s) <= w {
		return s
	}
	if w <= 0 {
		return ""
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		rw := runeWidth(r)
		if n+rw > w-1 {
			break
		}
		b.WriteRune(r)
		n += rw
	}
	return b.String() + "…"
}

// splitWord breaks a word wider than w display columns into pieces of at
// most w: after a separator (a path's /, a setting's : or =, a list's ,)
// when there is one in the piece's second half, else at w.
func splitWord(s string, w int) []string {
	w = max(w, 1)
	var pieces []string
	for displayWidth(s) > w {
		rs := []rune(s)
		end, n := 0, 0 // runes and columns that fit
		for end < len(rs) && n+runeWidth(rs[end]) <= w {
			n += runeWidth(rs[end])
			end++
		}
		end = max(end, 1) // a character wider than w still goes
		at := end
		for i := end - 1; i > end/2; i-- {
			if strings.ContainsRune("/:=,;&|", rs[i-1]) {
				at = i
				break
			}
		}
		pieces = append(pieces, string(rs[:at]))
		s = string(rs[at:])
	}
	return append(pieces, s)
}

// wrapText breaks s at spaces into lines of at most w display columns,
// the lines after the first indented by two spaces (when w leaves room
// for them); a word wider than a line is split (splitWord).
func wrapText(s string, w int) []string {
	hang := ""
	if w > 8 {
		hang = "  "
	}
	var lines []string
	cur, n := "", 0
	for _, word := range strings.Fields(s) {
		for _, p := range splitWord(word, w-len(hang)) {
			pw := displayWidth(p)
			switch {
			case n == 0 && len(lines) == 0:
				cur, n = p, pw
			case n+1+pw <= w:
				cur, n = cur+" "+p, n+1+pw
			default:
				lines = append(lines, cur)
				cur, n = hang+p, len(hang)+pw
			}
		}
	}
	return append(lines, cur)
}

// tableLayout is how a table is drawn: each column's width and the
// columns of each stacked block.
type tableLayout struct {
	width  []int
	blocks [][]int
	key    int // the leading columns every block starts with
}

// layoutTable fits a table whose first row is its head into limit display
// columns, by the three steps above. fill is the Fill column (-1: none).
func layoutTable(rows [][]string, fill, limit int) tableLayout {
	n := len(rows[0])
	natural := columnWidths(rows)
	width := append([]int(nil), natural...)
	all := firstN(n)
	if fill < 0 || fill >= n {
		fill = -1
	}
	// Step 1: shorten the Fill column.
	if over := spanOf(width, all) - limit; over > 0 && fill >= 0 {
		width[fill] = max(natural[fill]-over, min(natural[fill], fillMin))
	}
	if spanOf(width, all) <= limit || n == 1 {
		lay := tableLayout{width: width, blocks: [][]int{all}}
		lay.squeeze(limit)
		return lay
	}
	// Step 2: stack the columns after the key into blocks.
	k := keyColumns(rows, natural, limit)
	key := all[:k]
	if fill >= 0 {
		width[fill] = min(natural[fill], fillMin)
	}
	var blocks [][]int
	cur := append([]int(nil), key...)
	for _, c := range all[k:] {
		if len(cur) > k && spanOf(width, cur)+2+width[c] > limit {
			blocks = append(blocks, cur)
			cur = append([]int(nil), key...)
		}
		cur = append(cur, c)
	}
	blocks = append(blocks, cur)
	lay := tableLayout{width: width, blocks: blocks, key: k}
	if fill >= 0 {
		// The Fill column takes what its block (every block, if it is
		// a key column) leaves, up to its natural width.
		room := natural[fill]
		for _, b := range blocks {
			if slices.Contains(b, fill) {
				room = min(room, limit-(spanOf(width, b)-width[fill]))
			}
		}
		width[fill] = max(room, 1)
	}
	lay.squeeze(limit)
	return lay
}

// squeeze is step 3: while a block is wider than limit, its widest column
// (a key column only when nothing else is left to narrow) loses the
// excess; its cells wrap or are cut when drawn.
func (l *tableLayout) squeeze(limit int) {
	for _, b := range l.blocks {
		for {
			over := spanOf(l.width, b) - limit
			if over <= 0 {
				break
			}
			widest := -1
			for _, key := range []bool{false, true} {
				for _, c := range b {
					if (c < l.key) == key && l.width[c] > 1 && (widest < 0 || l.width[c] > l.width[widest]) {
						widest = c
					}
				}
				if widest >= 0 {
					break
				}
			}
			if widest < 0 {
				break
			}
			l.width[widest] = max(l.width[widest]-over, 1)
		}
	}
}

// keyColumns is how many leading columns name a row and so start every
// stacked block: the first, and the next while the one before is empty
// on some row (rows grouped under a value written once) or the next has
// no heading (the candidate beside a configuration or parameter value).
// The key takes at most half the width.
func keyColumns(rows [][]string, natural []int, limit int) int {
	n := len(rows[0])
	k := 1
	for k < n-1 {
		grouped := false
		for _, row := range rows[1:] {
			grouped = grouped || row[k-1] == ""
		}
		if !grouped && rows[0][k] != "" {
			break
		}
		k++
	}
	for k > 1 && spanOf(natural, firstN(k)) > limit/2 {
		k--
	}
	return k
}

func columnWidths(rows [][]string) []int {
	w := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			w[i] = max(w[i], displayWidth(c))
		}
	}
	return w
}

func firstN(k int) []int {
	cols := make([]int, k)
	for i := range cols {
		cols[i] = i
	}
	return cols
}

// spanOf is the width of cols side by side, two spaces apart.
func spanOf(width []int, cols []int) int {
	if len(cols) == 0 {
		return 0
	}
	n := 2 * (len(cols) - 1)
	for _, c := range cols {
		n += width[c]
	}
	return n
}
