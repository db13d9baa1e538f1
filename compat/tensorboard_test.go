package compat

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/kerasgo/kerasgo/callbacks"
	"github.com/kerasgo/kerasgo/internal/tfevents"
	"github.com/kerasgo/kerasgo/internal/tfpb"
	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/tensor"
)

// callRecorder records the callback calls of a Fit with their logs, for
// compat/py/tb_replay.py to make the same calls on Keras's own callbacks.
type callRecorder struct {
	model.CallbackBase
	calls []map[string]any
}

func (r *callRecorder) add(kind string, kv ...any) {
	c := map[string]any{"ev": kind}
	for i := 0; i+1 < len(kv); i += 2 {
		c[kv[i].(string)] = kv[i+1]
	}
	r.calls = append(r.calls, c)
}

func copyLogs(l model.Logs) map[string]float64 {
	out := map[string]float64{}
	for k, v := range l {
		out[k] = v
	}
	return out
}

func (r *callRecorder) OnTrainBegin(*model.Model, model.Logs) error {
	r.add("train_begin")
	return nil
}
func (r *callRecorder) OnEpochBegin(_ *model.Model, e int, _ model.Logs) error {
	r.add("epoch_begin", "epoch", e)
	return nil
}
func (r *callRecorder) OnBatchEnd(_ *model.Model, b int, l model.Logs) error {
	r.add("batch_end", "batch", b, "logs", copyLogs(l))
	return nil
}
func (r *callRecorder) OnTestBegin(*model.Model, model.Logs) error {
	r.add("test_begin")
	return nil
}
func (r *callRecorder) OnTestBatchEnd(_ *model.Model, b int, _ model.Logs) error {
	r.add("test_batch_end", "batch", b)
	return nil
}
func (r *callRecorder) OnTestEnd(m *model.Model, l model.Logs) error {
	r.add("test_end", "logs", copyLogs(l), "iterations", m.Iterations())
	return nil
}
func (r *callRecorder) OnEpochEnd(_ *model.Model, e int, l model.Logs) error {
	r.add("epoch_end", "epoch", e, "logs", copyLogs(l))
	return nil
}
func (r *callRecorder) OnTrainEnd(*model.Model, model.Logs) error {
	r.add("train_end")
	return nil
}

var _ callbacks.TestHooks[*model.Model] = (*callRecorder)(nil)

// tbModel is a small regression model (two metrics) with its data: 20 training samples in
// batches of 8 (3 steps), 10 validation samples in batches of 4 (3 steps).
func tbModel(t *testing.T) (*model.Model, *tensor.Tensor, *tensor.Tensor, *model.Data) {
	t.Helper()
	m := model.NewSequential()
	m.SetSeed(5)
	if err := m.Add(layers.NewDense(4, layers.DenseOptions{Activation: "relu", InputShape: []int{3}, Name: "hidden"})); err != nil {
		t.Fatal(err)
	}
	if err := m.Add(layers.NewDense(1, layers.DenseOptions{Name: "out"})); err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(model.CompileOptions{Optimizer: model.SGD(model.SGDOptions{LearningRate: 0.05}), Loss: "mse", Metrics: []string{"mae"}}); err != nil {
		t.Fatal(err)
	}
	r := layers.NewRand(9)
	mk := func(n, w int) *tensor.Tensor {
		v := make([]float32, n*w)
		for i := range v {
			v[i] = r.Float32()
		}
		return tensor.MustFromFloat32([]int{n, w}, v)
	}
	x, y := mk(20, 3), mk(20, 1)
	return m, x, y, &model.Data{X: mk(10, 3), Y: mk(10, 1)}
}

type tbCase struct {
	name       string
	keras2     bool
	updateFreq int
	val        bool
}

// goEvents reads the event files Go wrote under dir/sub: names and each event serialized with
// the wall time cleared.
func goEvents(t *testing.T, dir string) ([]string, [][]string) {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, "events.out.tfevents.*"))
	sort.Strings(paths)
	var names []string
	var all [][]string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := tfevents.ReadRecords(b)
		if err != nil {
			t.Fatal(err)
		}
		var evs []string
		for _, r := range recs {
			var e tfpb.Event
			if err := proto.Unmarshal(r.Data, &e); err != nil {
				t.Fatal(err)
			}
			e.WallTime = 0
			ser, err := tfevents.MarshalEvent(&e)
			if err != nil {
				t.Fatal(err)
			}
			// The bytes Go wrote are these plus the wall time in front.
			if !bytes.Equal(r.Data[9:], ser) || r.Data[0] != 0x09 {
				t.Fatalf("%s: record at %d is not wall time + event", p, r.Offset)
			}
			evs = append(evs, hex.EncodeToString(ser))
		}
		names = append(names, filepath.Base(p))
		all = append(all, evs)
	}
	return names, all
}

// describe prints an event's tag and step for failure messages.
func describe(h string) string {
	b, _ := hex.DecodeString(h)
	var e tfpb.Event
	if err := proto.Unmarshal(b, &e); err != nil {
		return h
	}
	var tags []string
	for _, v := range e.GetSummary().GetValue() {
		tags = append(tags, v.Tag)
	}
	if e.GetFileVersion() != "" {
		tags = append(tags, "file_version")
	}
	return strings.Join(tags, ",") + " step " + itoa(e.Step)
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestTensorBoardMatchesKeras: the event files Go's TensorBoard callback writes hold, event
// for event, the bytes (wall time aside) that Keras 3's and tf_keras's own TensorBoard
// callbacks write when given the same calls and logs (Go's values), for epoch and batch-level
// update frequencies, with and without validation; the model's JSON summary included.
func TestTensorBoardMatchesKeras(t *testing.T) {
	python(t)
	work := t.TempDir()
	cases := []tbCase{
		{"k3_epoch_val", false, 0, true},
		{"k3_freq2_val", false, 2, true},
		{"k3_batch_noval", false, 1, false},
		{"tfk_epoch_val", true, 0, true},
		{"tfk_noval", true, 0, false},
		{"tfk_batch_val", true, 1, true}, // tf_keras's callback writes no batch-level scalars of its own
	}
	type goRun struct {
		names  map[string][]string
		events map[string][][]string
	}
	runs := map[string]goRun{}
	var specs []map[string]any
	for _, c := range cases {
		m, x, y, val := tbModel(t)
		file := filepath.Join(work, c.name+".keras")
		lib := "keras"
		if c.keras2 {
			file, lib = filepath.Join(work, c.name+".h5"), "tf_keras"
		}
		if err := m.Save(file); err != nil {
			t.Fatal(err)
		}
		logdir := filepath.Join(work, "go_"+c.name)
		rec := &callRecorder{}
		tb := &model.TensorBoard{LogDir: logdir, UpdateFreq: c.updateFreq, Keras2: c.keras2}
		o := model.FitOptions{Epochs: 3, BatchSize: 8, ValidationBatchSize: 4, NoShuffle: true, Callbacks: []model.Callback{tb, rec}}
		if c.val {
			o.ValidationData = val
		}
		if _, err := m.Fit(x, y, o); err != nil {
			t.Fatal(err)
		}
		r := goRun{names: map[string][]string{}, events: map[string][][]string{}}
		for _, sub := range []string{"train", "validation"} {
			r.names[sub], r.events[sub] = goEvents(t, filepath.Join(logdir, sub))
		}
		runs[c.name] = r
		var uf any = "epoch"
		if c.updateFreq > 0 {
			uf = c.updateFreq
		}
		specs = append(specs, map[string]any{"name": c.name, "lib": lib, "model": file, "update_freq": uf, "calls": rec.calls})
	}
	var got struct {
		Tensorboard map[string]map[string]struct {
			Files  []string   `json:"files"`
			Events [][]string `json:"events"`
		} `json:"tensorboard"`
	}
	replay(t, work, map[string]any{"tensorboard": specs}, &got)
	for _, c := range cases {
		py, ok := got.Tensorboard[c.name]
		if !ok {
			t.Fatalf("%s: no result from Python", c.name)
		}
		for _, sub := range []string{"train", "validation"} {
			g, k := runs[c.name].events[sub], py[sub].Events
			if len(g) != len(k) {
				t.Errorf("%s/%s: Go wrote %d files, Keras %d (%q vs %q)", c.name, sub, len(g), len(k), runs[c.name].names[sub], py[sub].Files)
				continue
			}
			for i := range g {
				for _, n := range []string{runs[c.name].names[sub][i], py[sub].Files[i]} {
					if !strings.HasPrefix(n, "events.out.tfevents.") || !strings.HasSuffix(n, ".v2") || strings.Count(n, ".") < 7 {
						t.Errorf("%s/%s: file name %s", c.name, sub, n)
					}
				}
				asValue := 0
				n := max(len(g[i]), len(k[i]))
				for j := 0; j < n; j++ {
					var ge, ke string
					if j < len(g[i]) {
						ge = g[i][j]
					}
					if j < len(k[i]) {
						ke = k[i][j]
					}
					if ge != ke && sameKerasSummary(t, c.name, ge, ke) {
						asValue++
						continue
					}
					if ge != ke {
						t.Errorf("%s/%s event %d: Go [%s] %.300s\nKeras [%s] %.300s", c.name, sub, j, describe(ge), ge, describe(ke), ke)
					}
				}
				t.Logf("%s/%s: %d events, %d identical to Keras's bytes, %d (the model's JSON) equal as a value", c.name, sub, len(g[i]), len(g[i])-asValue, asValue)
			}
		}
	}
}

// replay runs compat/py/tb_replay.py on spec and decodes its result into v.
func replay(t *testing.T, work string, spec map[string]any, v any) {
	t.Helper()
	spec["workdir"] = filepath.Join(work, "py")
	if err := os.MkdirAll(spec["workdir"].(string), 0o755); err != nil {
		t.Fatal(err)
	}
	sb, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	sp, op := filepath.Join(work, "spec.json"), filepath.Join(work, "out.json")
	if err := os.WriteFile(sp, sb, 0o644); err != nil {
		t.Fatal(err)
	}
	runPython(t, "tb_replay.py", sp, op)
	ob, err := os.ReadFile(op)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(ob, v); err != nil {
		t.Fatal(err)
	}
}

// sameKerasSummary compares two "keras" model summaries: the Event bytes with the JSON text
// taken out must be identical and the JSON documents equal as values (kerasgo writes its
// configs as compact JSON with sorted keys, Keras as json.dumps in its own key order; both
// read the same). It reports false for any other pair of events.
func sameKerasSummary(t *testing.T, name, goHex, kerasHex string) bool {
	t.Helper()
	js := func(h string) (*tfpb.Event, any) {
		b, _ := hex.DecodeString(h)
		var e tfpb.Event
		if proto.Unmarshal(b, &e) != nil {
			return nil, nil
		}
		vs := e.GetSummary().GetValue()
		if len(vs) != 1 || vs[0].Tag != "keras" || len(vs[0].GetTensor().GetStringVal()) != 1 {
			return nil, nil
		}
		var doc any
		if json.Unmarshal(vs[0].GetTensor().StringVal[0], &doc) != nil {
			return nil, nil
		}
		vs[0].GetTensor().StringVal[0] = nil
		return &e, doc
	}
	ge, gd := js(goHex)
	ke, kd := js(kerasHex)
	if ge == nil || ke == nil {
		return false
	}
	if !proto.Equal(ge, ke) {
		t.Errorf("%s: keras summary event differs apart from its JSON", name)
		return true
	}
	if d := jsonDiff("", gd, kd); d != "" {
		t.Errorf("%s: keras summary JSON differs from Keras's model.to_json(): %s", name, d)
	}
	return true
}

// jsonDiff returns the first difference between two decoded JSON values, or "".
func jsonDiff(path string, a, b any) string {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			return path + ": object vs " + string(mustJSON(b))
		}
		keys := map[string]bool{}
		for k := range av {
			keys[k] = true
		}
		for k := range bv {
			keys[k] = true
		}
		ks := make([]string, 0, len(keys))
		for k := range keys {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		for _, k := range ks {
			x, inA := av[k]
			y, inB := bv[k]
			if !inA || !inB {
				return path + "/" + k + ": Go " + string(mustJSON(x)) + ", Keras " + string(mustJSON(y))
			}
			if d := jsonDiff(path+"/"+k, x, y); d != "" {
				return d
			}
		}
		return ""
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return path + ": Go " + string(mustJSON(a)) + ", Keras " + string(mustJSON(b))
		}
		for i := range av {
			if d := jsonDiff(path+"/"+itoa(int64(i)), av[i], bv[i]); d != "" {
				return d
			}
		}
		return ""
	}
	if string(mustJSON(a)) != string(mustJSON(b)) {
		return path + ": Go " + string(mustJSON(a)) + ", Keras " + string(mustJSON(b))
	}
	return ""
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

// TestTensorBoardFitLikeKeras: Keras 3's and tf_keras's own fit, from the model file Go saved
// before training and on the same data, writes the same event files as Go's Fit: the same
// summaries in the same order at the same steps (so Fit calls the callback's hooks when Keras's
// fit calls them), with values within float32 training noise.
func TestTensorBoardFitLikeKeras(t *testing.T) {
	python(t)
	for _, c := range []tbCase{
		{"k3_epoch_val", false, 0, true},
		{"k3_freq2_val", false, 2, true},
		{"k3_batch_noval", false, 1, false},
		{"tfk_batch_val", true, 1, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			work := t.TempDir()
			m, x, y, val := tbModel(t)
			file, lib := filepath.Join(work, "m.keras"), "keras"
			if c.keras2 {
				file, lib = filepath.Join(work, "m.h5"), "tf_keras"
			}
			if err := m.Save(file); err != nil {
				t.Fatal(err)
			}
			data := filepath.Join(work, "data")
			os.MkdirAll(data, 0o755)
			arrays := map[string]*tensor.Tensor{"x": x, "y": y}
			if c.val {
				arrays["vx"], arrays["vy"] = val.X, val.Y
			}
			for n, a := range arrays {
				if err := npy.WriteFile(filepath.Join(data, n+".npy"), a); err != nil {
					t.Fatal(err)
				}
			}
			logdir := filepath.Join(work, "go")
			o := model.FitOptions{Epochs: 3, BatchSize: 8, ValidationBatchSize: 4, NoShuffle: true,
				Callbacks: []model.Callback{&model.TensorBoard{LogDir: logdir, UpdateFreq: c.updateFreq, Keras2: c.keras2}}}
			if c.val {
				o.ValidationData = val
			}
			if _, err := m.Fit(x, y, o); err != nil {
				t.Fatal(err)
			}
			uf := "epoch"
			if c.updateFreq > 0 {
				uf = itoa(int64(c.updateFreq))
			}
			var got map[string]struct {
				Files  int     `json:"files"`
				Values [][]any `json:"values"`
			}
			runPythonJSON(t, &got, "tb_fit.py", lib, file, data, filepath.Join(work, "keras"), uf)
			for _, run := range []string{"train", "validation"} {
				var goVals [][]any
				paths, _ := filepath.Glob(filepath.Join(logdir, run, "events.out.tfevents.*"))
				for _, p := range paths {
					b, _ := os.ReadFile(p)
					recs, err := tfevents.ReadRecords(b)
					if err != nil {
						t.Fatal(err)
					}
					for _, r := range recs {
						var e tfpb.Event
						if err := proto.Unmarshal(r.Data, &e); err != nil {
							t.Fatal(err)
						}
						for _, v := range e.GetSummary().GetValue() {
							var x any
							if v.GetMetadata().GetPluginData().GetPluginName() == tfevents.PluginScalars {
								x = float64(math.Float32frombits(binary.LittleEndian.Uint32(v.GetTensor().TensorContent)))
							}
							goVals = append(goVals, []any{v.Tag, float64(e.Step), x})
						}
					}
				}
				k := got[run]
				if len(paths) != k.Files || len(goVals) != len(k.Values) {
					t.Errorf("%s: Go wrote %d files, %d values; Keras %d files, %d values\nGo    %v\nKeras %v", run, len(paths), len(goVals), k.Files, len(k.Values), goVals, k.Values)
					continue
				}
				worst := 0.0
				for i := range goVals {
					g, kv := goVals[i], k.Values[i]
					if g[0] != kv[0] || g[1] != kv[1] || (g[2] == nil) != (kv[2] == nil) {
						t.Errorf("%s value %d: Go %v, Keras %v", run, i, g, kv)
						continue
					}
					if g[2] != nil {
						a, b := g[2].(float64), kv[2].(float64)
						d := math.Abs(a-b) / math.Max(1, math.Abs(b))
						worst = math.Max(worst, d)
						if d > 1e-4 {
							t.Errorf("%s %s step %v: Go %v, Keras %v", run, g[0], g[1], a, b)
						}
					}
				}
				t.Logf("%s: %d files, %d summaries in Keras's order and steps; largest value difference %.2g", run, len(paths), len(goVals), worst)
			}
		})
	}
}
