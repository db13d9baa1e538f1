package compat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kerasgo/kerasgo/internal/tfevents"
	"github.com/kerasgo/kerasgo/model"
)

// scalarSeries maps run → tag → [step, value] pairs in file order.
type scalarSeries map[string]map[string][][2]float64

// goTensorBoardRun trains the small model three epochs with validation and TensorBoard
// (batch-level every batch), and returns the log directory with the scalars Go wrote. The
// epoch_loss values are checked against the History first, so the reference is not only Go's
// own reader.
func goTensorBoardRun(t *testing.T) (string, scalarSeries) {
	t.Helper()
	m, x, y, val := tbModel(t)
	logdir := filepath.Join(t.TempDir(), "logs")
	h, err := m.Fit(x, y, model.FitOptions{Epochs: 3, BatchSize: 8, ValidationBatchSize: 4, ValidationData: val, NoShuffle: true,
		Callbacks: []model.Callback{&model.TensorBoard{LogDir: logdir, UpdateFreq: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	reps, err := tfevents.CheckDir(logdir)
	if err != nil {
		t.Fatal(err)
	}
	want := scalarSeries{}
	for _, r := range reps {
		run := filepath.Base(filepath.Dir(r.Path))
		if want[run] == nil {
			want[run] = map[string][][2]float64{}
		}
		for _, s := range r.Scalars {
			want[run][s.Tag] = append(want[run][s.Tag], [2]float64{float64(s.Step), s.Value})
		}
	}
	for run, key := range map[string]string{"train": "loss", "validation": "val_loss"} {
		got := want[run]["epoch_loss"]
		if len(got) != 3 {
			t.Fatalf("%s: %d epoch_loss scalars", run, len(got))
		}
		for i, p := range got {
			if p[0] != float64(i) || p[1] != float64(float32(h.History[key][i])) {
				t.Fatalf("%s epoch_loss %d: %v, History %v", run, i, p, h.History[key][i])
			}
		}
	}
	if lr := want["train"]["epoch_learning_rate"]; len(lr) != 3 || lr[0][1] != float64(float32(0.05)) {
		t.Fatalf("epoch_learning_rate %v", lr)
	}
	return logdir, want
}

func compareSeries(t *testing.T, reader string, got, want map[string][][2]float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: tags %v, want %v", reader, keysOf(got), keysOf(want))
	}
	for tag, w := range want {
		g := got[tag]
		if fmt.Sprint(g) != fmt.Sprint(w) {
			t.Errorf("%s: %s = %v, want %v", reader, tag, g, w)
		}
	}
}

func keysOf[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// TestTensorBoardReadsGoEvents: TensorBoard's EventAccumulator and TF's summary_iterator read
// Go's event files and get the same runs, tags, steps and values Go wrote.
func TestTensorBoardReadsGoEvents(t *testing.T) {
	python(t)
	logdir, want := goTensorBoardRun(t)
	var got map[string]struct {
		Accumulator map[string][][2]float64 `json:"accumulator"`
		Iterator    map[string][][2]float64 `json:"iterator"`
		Tags        map[string]any          `json:"tags"`
	}
	runPythonJSON(t, &got, "tb_read.py", logdir)
	if len(got) != 2 {
		t.Fatalf("runs %v", keysOf(got))
	}
	for run, w := range want {
		compareSeries(t, run+" EventAccumulator", got[run].Accumulator, w)
		compareSeries(t, run+" summary_iterator", got[run].Iterator, w)
		n := 0
		for _, s := range w {
			n += len(s)
		}
		t.Logf("%s: %d tags, %d scalars read identically by both readers", run, len(w), n)
	}
	if tens, _ := got["train"].Tags["tensors"].([]any); !strings.Contains(fmt.Sprint(tens), "keras") {
		t.Errorf("train tensors tags %v lack the model's \"keras\" summary", tens)
	}
}

// tensorBoardServer starts `tensorboard --logdir` from the venv on a free port of 127.0.0.1
// and returns its base URL once its scalars API lists every run and tag of want.
func tensorBoardServer(t *testing.T, logdir string, want scalarSeries) string {
	t.Helper()
	py := python(t)
	bin := filepath.Join(filepath.Dir(py), "tensorboard")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("tensorboard is not installed beside %s (pip install -r testdata/gen/requirements.txt): %v", py, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	var logb bytes.Buffer
	cmd := exec.Command(bin, "--logdir", logdir, "--port", fmt.Sprint(port), "--host", "127.0.0.1", "--reload_interval", "1")
	cmd.Stdout, cmd.Stderr = &logb, &logb
	cmd.Env = append(os.Environ(), "TF_CPP_MIN_LOG_LEVEL=3", "CUDA_VISIBLE_DEVICES=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(90 * time.Second)
	for {
		var tags map[string]map[string]any
		err := getJSON(base+"/data/plugin/scalars/tags", &tags)
		if err == nil {
			missing := ""
			for run, ts := range want {
				for tag := range ts {
					if _, ok := tags[run][tag]; !ok {
						missing = run + "/" + tag
					}
				}
			}
			if missing == "" {
				return base
			}
			err = fmt.Errorf("%s not listed yet", missing)
		}
		if time.Now().After(deadline) {
			t.Fatalf("tensorboard on %s: %v\n%s", base, err, tail(logb.String(), 30))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func getJSON(u string, v any) error {
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s: %.200s", u, resp.Status, b)
	}
	return json.Unmarshal(b, v)
}

// TestTensorBoardServesGoEvents: a real `tensorboard --logdir` serves Go's runs through its
// HTTP API (/data/plugin/scalars/tags and /scalars) with Go's steps and values.
func TestTensorBoardServesGoEvents(t *testing.T) {
	logdir, want := goTensorBoardRun(t)
	base := tensorBoardServer(t, logdir, want)
	for run, tags := range want {
		for tag, w := range tags {
			var rows [][3]float64 // wall time, step, value
			u := base + "/data/plugin/scalars/scalars?run=" + url.QueryEscape(run) + "&tag=" + url.QueryEscape(tag)
			if err := getJSON(u, &rows); err != nil {
				t.Fatal(err)
			}
			var got [][2]float64
			for _, r := range rows {
				if r[0] < 1e9 {
					t.Errorf("%s/%s: wall time %v", run, tag, r[0])
				}
				got = append(got, [2]float64{r[1], r[2]})
			}
			if fmt.Sprint(got) != fmt.Sprint(w) {
				t.Errorf("%s/%s: served %v, want %v", run, tag, got, w)
			}
		}
		t.Logf("%s: %d tags served with Go's steps and values", run, len(tags))
	}
}

// TestTensorBoardPageInChromium: headless Chromium renders TensorBoard's scalars page for
// Go's run: the screenshot is a PNG that is not blank, and the page's DOM names the tags.
// Retried up to 3 times (the page loads asynchronously); fails, never skips, under
// KERASGO_COMPAT=1.
func TestTensorBoardPageInChromium(t *testing.T) {
	python(t)
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("KERASGO_COMPAT") == "1" {
			t.Fatalf("chromium is not installed (make deps installs it): %v", err)
		}
		t.Skip("chromium is not installed")
	}
	logdir, want := goTensorBoardRun(t)
	base := tensorBoardServer(t, logdir, want)
	var last error
	for attempt := 1; attempt <= 3; attempt++ {
		if last = chromiumCheck(t, chromium, base, attempt); last == nil {
			return
		}
		t.Logf("attempt %d: %v", attempt, last)
	}
	t.Fatal(last)
}

// chromiumCheck screenshots the Scalars dashboard (#scalars) and dumps the DOM of the Time
// Series dashboard (#timeseries, TensorBoard's default view of the same scalars): the Scalars
// dashboard draws its cards inside Polymer shadow roots, which --dump-dom leaves out, while
// the Time Series cards are plain DOM.
func chromiumCheck(t *testing.T, chromium, base string, attempt int) error {
	dir := t.TempDir()
	shot := filepath.Join(dir, "scalars.png")
	budget := fmt.Sprint(10000 * attempt)
	common := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
		"--user-data-dir=" + filepath.Join(dir, "profile"), "--window-size=1400,1000", "--virtual-time-budget=" + budget}
	run := func(args ...string) ([]byte, error) {
		cmd := exec.Command(chromium, append(append([]string{}, common...), args...)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		done := make(chan error, 1)
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				return nil, fmt.Errorf("chromium %v: %v\n%s", args, err, tail(errb.String(), 10))
			}
		case <-time.After(120 * time.Second):
			cmd.Process.Kill()
			<-done
			return nil, fmt.Errorf("chromium %v: timed out", args)
		}
		return out.Bytes(), nil
	}
	if _, err := run("--screenshot="+shot, base+"/#scalars"); err != nil {
		return err
	}
	f, err := os.Open(shot)
	if err != nil {
		return fmt.Errorf("no screenshot: %v", err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("screenshot is not a PNG: %v", err)
	}
	colors, nonWhite := pngStats(img)
	b := img.Bounds()
	if colors < 16 || nonWhite < b.Dx()*b.Dy()/100 {
		return fmt.Errorf("screenshot %dx%d looks blank: %d colours, %d non-white pixels", b.Dx(), b.Dy(), colors, nonWhite)
	}
	// TensorBoard draws the first run ("train") in (255, 112, 67) and the second
	// ("validation") in (33, 150, 243): in the run list's checkboxes and the charts' lines. A
	// page without Go's runs has neither.
	trainPx, valPx := colorCount(img, color.RGBA{255, 112, 67, 255}), colorCount(img, color.RGBA{33, 150, 243, 255})
	if trainPx < 300 || valPx < 50 {
		return fmt.Errorf("screenshot shows %d pixels of the train run's colour and %d of validation's: the runs are not drawn", trainPx, valPx)
	}
	dom, err := run("--dump-dom", base+"/#timeseries")
	if err != nil {
		return err
	}
	for _, tag := range []string{"epoch_loss", "epoch_mae", "epoch_learning_rate", "batch_loss", "batch_mae", "evaluation_loss_vs_iterations", "evaluation_mae_vs_iterations"} {
		if !bytes.Contains(dom, []byte(">"+tag+"<")) && !bytes.Contains(dom, []byte(" "+tag+" ")) && !bytes.Contains(dom, []byte("\""+tag+"\"")) {
			return fmt.Errorf("the Time Series page's DOM (%d bytes) does not name %s", len(dom), tag)
		}
	}
	t.Logf("screenshot %dx%d: %d colours, %d non-white pixels, %d of the train run's colour, %d of validation's; DOM %d bytes names every tag", b.Dx(), b.Dy(), colors, nonWhite, trainPx, valPx, len(dom))
	return nil
}

// pngStats counts an image's distinct colours and its pixels that are not near white.
func pngStats(img image.Image) (int, int) {
	seen := map[color.RGBA]bool{}
	nonWhite := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			if len(seen) < 4096 {
				seen[c] = true
			}
			if c.R < 240 || c.G < 240 || c.B < 240 {
				nonWhite++
			}
		}
	}
	return len(seen), nonWhite
}

// colorCount counts the pixels within 12 of c in every channel.
func colorCount(img image.Image, c color.RGBA) int {
	near := func(a, b uint8) bool { return int(a)+12 >= int(b) && int(b)+12 >= int(a) }
	n := 0
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			p := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			if near(p.R, c.R) && near(p.G, c.G) && near(p.B, c.B) {
				n++
			}
		}
	}
	return n
}
