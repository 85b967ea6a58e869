package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// These tests load the HTML report in a real headless Chromium, because
// what matters is what a reader sees: the page must render with no console
// errors and no network requests (it is opened offline, attached to
// issues), and every chart must draw something.

// findChromium returns the browser to use, or "" when there is none.
func findChromium() string {
	if p := os.Getenv("FAULTLINE_CHROMIUM"); p != "" {
		return p
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// browserRun is what one headless page load left behind.
type browserRun struct {
	screenshot string
	console    []string // console messages, including CSP violations
	requests   []string // URLs the page tried to fetch
}

// loadInChromium opens file in headless Chromium at the given window size,
// takes a screenshot, and collects console messages (from the browser's
// log on stderr) and the page's network requests (from a net-log).
func loadInChromium(t *testing.T, browser, file string, w, h int) browserRun {
	t.Helper()
	dir := t.TempDir()
	shot := filepath.Join(dir, "screenshot.png")
	netlog := filepath.Join(dir, "netlog.json")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--hide-scrollbars", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--enable-logging=stderr", "--v=0", "--log-net-log="+netlog,
		"--screenshot="+shot, fmt.Sprintf("--window-size=%d,%d", w, h),
		"file://"+file)
	cmd.WaitDelay = 5 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", browser, err, stderr.String())
	}
	if _, err := os.Stat(shot); err != nil {
		t.Fatalf("chromium wrote no screenshot: %v\n%s", err, stderr.String())
	}
	var run browserRun
	run.screenshot = shot
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(l, ":CONSOLE") || strings.Contains(l, "Content Security Policy") {
			run.console = append(run.console, l)
		}
	}
	run.requests = pageRequests(t, netlog)
	return run
}

// pageRequests returns the URLs requested on behalf of a page: net-log
// events whose network isolation key is a file:// page. The browser's own
// background requests (update checks) have no such key and are ignored.
func pageRequests(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no net-log: %v", err)
	}
	var log struct {
		Events []struct {
			Params map[string]any `json:"params"`
		} `json:"events"`
	}
	if err := json.Unmarshal(data, &log); err != nil {
		// Chromium can leave the log unterminated when it exits fast.
		if err2 := json.Unmarshal(append(bytes.TrimRight(bytes.TrimSpace(data), ","), []byte("]}")...), &log); err2 != nil {
			t.Fatalf("cannot parse the net-log: %v", err)
		}
	}
	seen := map[string]bool{}
	var out []string
	for _, e := range log.Events {
		u, _ := e.Params["url"].(string)
		nik, _ := e.Params["network_isolation_key"].(string)
		if u == "" || strings.HasPrefix(u, "file:") || strings.HasPrefix(u, "data:") || !strings.Contains(nik, "file://") {
			continue
		}
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return img
}

// ink returns the share of pixels in r that are not (near) white.
func ink(img image.Image, r image.Rectangle) float64 {
	r = r.Intersect(img.Bounds())
	if r.Empty() {
		return 0
	}
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if cr < 0xf000 || cg < 0xf000 || cb < 0xf000 {
				n++
			}
		}
	}
	return float64(n) / float64(r.Dx()*r.Dy())
}

// artifactDir is where screenshots are kept for a person to look at:
// $FAULTLINE_ARTIFACTS when set (CI uploads it), else a fixed directory
// under the system temp dir that each run overwrites.
func artifactDir(t *testing.T) string {
	dir := os.Getenv("FAULTLINE_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "faultline-report-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func keep(t *testing.T, src, dir, name string) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, name)
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

func requireChromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the headless Chromium tests take several seconds")
	}
	b := findChromium()
	if b == "" {
		t.Skip("no chromium, chromium-browser or google-chrome in PATH and FAULTLINE_CHROMIUM unset: " +
			"cannot check the HTML report in a browser (CI installs chromium: apt-get install chromium)")
	}
	return b
}

// TestChromiumPage loads the seed report as a user would and checks it
// renders without console errors or network requests.
func TestChromiumPage(t *testing.T) {
	browser := requireChromium(t)
	checkPage(t, browser, "seed", 2400, func(w io.Writer) error { return HTML(w, loadFixture(t, "seed.json")) })
}

// checkPage renders a page, loads it in Chromium at 1280 x height and
// checks it: no console messages, no network requests, ink on it. The
// screenshot and the page are kept as artifacts report-NAME.png/.html.
func checkPage(t *testing.T, browser, name string, height int, render func(io.Writer) error) browserRun {
	t.Helper()
	page := filepath.Join(t.TempDir(), name+".html")
	var b bytes.Buffer
	if err := render(&b); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	run := loadInChromium(t, browser, page, 1280, height)
	for _, c := range run.console {
		t.Errorf("console message: %s", c)
	}
	for _, u := range run.requests {
		t.Errorf("the page requested %s", u)
	}
	img := decodePNG(t, run.screenshot)
	if got := ink(img, img.Bounds()); got < 0.03 {
		t.Errorf("the page looks blank: %.2f%% of pixels are not white", got*100)
	}
	art := artifactDir(t)
	t.Logf("screenshot of the %s report: %s", name, keep(t, run.screenshot, art, "report-"+name+".png"))
	t.Logf("the page itself: %s", keep(t, page, art, "report-"+name+".html"))
	return run
}

// TestChromiumCharts renders every chart of the seed report alone, at a
// known position on a sheet, and checks that each region has ink: a chart
// that silently drew nothing (NaN coordinates, an empty domain) fails.
func TestChromiumCharts(t *testing.T) {
	browser := requireChromium(t)
	figs := newFacts(loadFixture(t, "seed.json")).figures()
	if len(figs) < 3 {
		t.Fatalf("seed report has %d charts, want a timeline, a distribution and a heat map", len(figs))
	}
	type placed struct {
		id   string
		rect image.Rectangle
	}
	var html strings.Builder
	html.WriteString(`<!DOCTYPE html><html><head><meta charset="utf-8">` +
		`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">` +
		`<style>body{margin:0;background:#fff} div{position:absolute;left:0}</style></head><body>`)
	sizeRE := regexp.MustCompile(`width="([0-9.]+)" height="([0-9.]+)"`)
	var regions []placed
	y, maxW := 0, 0
	for _, fg := range figs {
		if fg.Folded {
			// The folded timelines are the same chart for other
			// configurations; one of each kind keeps the sheet small.
			continue
		}
		m := sizeRE.FindStringSubmatch(string(fg.SVG))
		if m == nil {
			t.Fatalf("%s: no size on the <svg>", fg.ID)
		}
		w, _ := strconv.ParseFloat(m[1], 64)
		h, _ := strconv.ParseFloat(m[2], 64)
		fmt.Fprintf(&html, `<div style="top:%dpx">%s</div>`, y, fg.SVG)
		regions = append(regions, placed{fg.ID, image.Rect(0, y, int(w), y+int(h))})
		y += int(h) + 20
		maxW = max(maxW, int(w))
	}
	html.WriteString(`</body></html>`)
	sheet := filepath.Join(t.TempDir(), "charts.html")
	if err := os.WriteFile(sheet, []byte(html.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	run := loadInChromium(t, browser, sheet, maxW, y)
	for _, c := range run.console {
		t.Errorf("console message: %s", c)
	}
	img := decodePNG(t, run.screenshot)
	if img.Bounds().Dy() < y {
		t.Fatalf("screenshot is %v, the sheet needs %d pixels", img.Bounds(), y)
	}
	for _, r := range regions {
		got := ink(img, r.rect)
		t.Logf("%s: %.1f%% of %v has ink", r.id, got*100, r.rect)
		if got < 0.01 {
			t.Errorf("chart %s looks blank: %.2f%% ink in %v", r.id, got*100, r.rect)
		}
	}
	t.Logf("screenshot of every chart: %s", keep(t, run.screenshot, artifactDir(t), "report-seed-charts.png"))
}

// TestChromiumDetects is the control for the two checks above: a page that
// does fetch something and logs an error must be caught, or the checks
// would pass vacuously (a Chromium whose logging format changed).
func TestChromiumDetects(t *testing.T) {
	browser := requireChromium(t)
	page := filepath.Join(t.TempDir(), "bad.html")
	bad := `<!DOCTYPE html><html><body><p>control</p><img src="http://127.0.0.1:9/x.png"><script>console.error("control error")</script></body></html>`
	if err := os.WriteFile(page, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	run := loadInChromium(t, browser, page, 400, 300)
	if len(run.console) == 0 {
		t.Error("a console.error was not detected: the console check is blind")
	}
	if len(run.requests) == 0 {
		t.Error("an image request was not detected: the network check is blind")
	}
}
