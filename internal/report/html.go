package report

import (
	_ "embed"
	"html/template"
	"io"

	"github.com/faultline/faultline/internal/result"
)

// The page is one file with no scripts and nothing to fetch: CSS and SVG
// are inline, and a Content-Security-Policy forbids every other source, so
// the report opens offline, attaches to an issue as is, and cannot leak
// that it was opened. html/template escapes every piece of user text (the
// SVG is built by package svg, which escapes its own text).

//go:embed report.html.tmpl
var htmlTemplate string

//go:embed report.css
var htmlCSS string

var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"cls": func(s style) string {
		switch s {
		case strong:
			return "strong"
		case dim:
			return "dim"
		case good:
			return "good"
		case bad:
			return "bad"
		case warn:
			return "warn"
		}
		return ""
	},
	"isCode":  func(s style) bool { return s == code },
	"right":   func(t *table, i int) bool { return i < len(t.Right) && t.Right[i] },
	"bar":     func(x float64) template.HTML { return template.HTML(explainsBar(x)) },
	"figures": func(p *page, id string) []figure { return p.Figures[id] },
}).Parse(htmlTemplate))

// figure is one chart placed at the end of a section.
type figure struct {
	ID      string
	Title   string
	Caption string
	SVG     template.HTML
	// Folded figures are inside a closed <details>: timelines of the
	// non-default configurations, which would make the page long.
	Folded bool
}

type page struct {
	Doc     *doc
	Title   string
	CSS     template.CSS
	Figures map[string][]figure
}

// HTML writes a self-contained report page: the same tables as the
// terminal report, plus charts drawn as inline SVG: the per-sample
// timeline of each process (time and page faults, so the first timing
// after a switch between candidates stands out), the distribution of every
// candidate under every configuration, the allocator matrix as a heat map,
// and the findings with their evidence and fixes. It prints cleanly.
func HTML(w io.Writer, r *result.Result) error {
	tr, shown, total := thinned(r, maxChartSamples)
	f := newFacts(tr)
	p := &page{Doc: buildDoc(r, false), CSS: template.CSS(htmlCSS), Figures: map[string][]figure{}}
	p.Title = p.Doc.Title.String()
	for _, fg := range f.figures() {
		if fg.ID != "heatmap" {
			fg.Caption += thinNote(shown, total)
		}
		sec := "time"
		if fg.ID == "heatmap" {
			sec = "matrix"
		}
		p.Figures[sec] = append(p.Figures[sec], fg)
	}
	return pageTmpl.Execute(w, p)
}

// figures returns every chart the result has data for, in page order.
func (f *facts) figures() []figure {
	var out []figure
	for i, cfg := range f.configs {
		svgText, ok := f.timelineChart(cfg)
		if !ok {
			continue
		}
		out = append(out, figure{
			ID:    "timeline-" + cfg,
			Title: "Timeline under " + f.configTitle(cfg),
			Caption: "Every sample in the order it was taken, one process per segment: time per iteration above, minor page faults per iteration below. " +
				"A ringed dot is the first sample after another candidate ran, ringed in that candidate's colour; hollow dots are warm-up samples.",
			SVG:    template.HTML(svgText),
			Folded: i > 0,
		})
	}
	if s, ok := f.distChart(); ok {
		out = append(out, figure{ID: "distribution", Title: "Distribution",
			Caption: "Each timed sample of each candidate under each configuration; the bar is the median and the line its 95% confidence interval.",
			SVG:     template.HTML(s)})
	}
	if s, ok := f.heatmap(); ok {
		out = append(out, figure{ID: "heatmap", Title: "Allocator matrix",
			Caption: "Ratio of each candidate's median time to " + f.base + "'s under the same configuration. Hatched cells: the configuration failed.",
			SVG:     template.HTML(s)})
	}
	return out
}
