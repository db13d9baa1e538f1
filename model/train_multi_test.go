package model

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// multiModel builds a two-input, two-output model whose Dense "shared" is applied to both
// inputs, and whose "reg" head also reads shared's first output (so the gradient fans in).
func multiModel(t *testing.T) *Model {
	t.Helper()
	a, b := Input(4).WithName("a"), Input(4).WithName("b")
	shared := layers.NewDense(3, layers.DenseOptions{Name: "shared", Activation: "tanh"})
	sa, sb := MustApply(shared, a.Output()), MustApply(shared, b.Output())
	sum := MustApply(layers.NewAdd(layers.MergeOptions{Name: "sum"}), sa, sb)
	cls := MustApply(layers.NewDense(3, layers.DenseOptions{Name: "cls", Activation: "softmax"}), sum)
	reg := MustApply(layers.NewDense(2, layers.DenseOptions{Name: "reg"}), sa)
	m, err := NewModel([]*KerasTensor{a.Output(), b.Output()}, []*KerasTensor{cls, reg}, ModelOptions{Name: "multi"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func multiData(n int, seed uint64) ([]*tensor.Tensor, []*tensor.Tensor) {
	r := rand.New(rand.NewPCG(seed, 1))
	norm := func(shape ...int) *tensor.Tensor {
		v := make([]float32, shape[0]*shape[1])
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return tensor.MustFromFloat32(shape, v)
	}
	lab := make([]float32, n)
	for i := range lab {
		lab[i] = float32(r.IntN(3))
	}
	return []*tensor.Tensor{norm(n, 4), norm(n, 4)}, []*tensor.Tensor{tensor.MustFromFloat32([]int{n}, lab), norm(n, 2)}
}

func compileMulti(t *testing.T, m *Model, metrics map[string][]string) {
	t.Helper()
	err := m.Compile(CompileOptions{Optimizer: "adam",
		LossByOutput:        map[string]string{"cls": "sparse_categorical_crossentropy", "reg": "mse"},
		LossWeightsByOutput: map[string]float64{"cls": 1, "reg": 0.5},
		MetricsByOutput:     metrics})
	if err != nil {
		t.Fatal(err)
	}
}

// TestMultiOutputNumericalGradient checks the gradients of the weighted total loss of a
// two-output model with a shared layer against central differences of the loss.
func TestMultiOutputNumericalGradient(t *testing.T) {
	m := multiModel(t)
	compileMulti(t, m, nil)
	xs, ys := multiData(5, 3)
	xs, ys, err := m.prepareN(xs, ys)
	if err != nil {
		t.Fatal(err)
	}
	m.resolveMetricsN(ys)
	outs, err := m.forwardN(xs, true)
	if err != nil {
		t.Fatal(err)
	}
	_, dys, logits, err := m.lossesN(outs, ys, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.fn.backward(dys, logits, m.fnVals); err != nil {
		t.Fatal(err)
	}
	lossAt := func() float64 {
		outs, err := m.forwardN(xs, false)
		if err != nil {
			t.Fatal(err)
		}
		st, _, _, err := m.lossesN(outs, ys, false)
		if err != nil {
			t.Fatal(err)
		}
		return float64(st.loss)
	}
	const eps = 1e-2
	checked := 0
	for _, l := range m.Layers() {
		for _, w := range l.Weights() {
			g := slices.Clone(w.Grad)
			v := w.Value.Float32s()
			if len(g) != len(v) {
				t.Fatalf("%s/%s: %d gradients for %d values", l.Name(), w.Name, len(g), len(v))
			}
			for i := range v {
				old := v[i]
				v[i] = old + eps
				up := lossAt()
				v[i] = old - eps
				down := lossAt()
				v[i] = old
				num := (up - down) / (2 * eps)
				if d := math.Abs(num - float64(g[i])); d > 1e-3+1e-2*math.Abs(num) {
					t.Errorf("%s/%s[%d]: gradient %v, numerical %v", l.Name(), w.Name, i, g[i], num)
				}
				checked++
			}
		}
	}
	if checked != 3*4+3+3*3+3+3*2+2 {
		t.Errorf("checked %d values", checked)
	}
}

// TestFitNLogs checks the names and order of a two-output model's logs (tf_keras's: loss, the
// outputs' losses, the outputs' metrics, then the val_ values), the progress line, that the
// total loss is the weighted sum of the outputs' losses, and the errors for bad arguments.
func TestFitNLogs(t *testing.T) {
	m := multiModel(t)
	compileMulti(t, m, map[string][]string{"cls": {"accuracy"}, "reg": {"mae"}})
	xs, ys := multiData(8, 5)
	want := []string{"loss", "cls_loss", "reg_loss", "cls_accuracy", "reg_mae"}
	if got := m.MetricsNames(); !slices.Equal(got, want) {
		t.Errorf("MetricsNames %v, want %v", got, want)
	}
	var out bytes.Buffer
	h, err := m.FitN(xs, ys, FitOptions{Epochs: 2, BatchSize: 4, NoShuffle: true, Verbose: VerboseLine, Output: &out,
		ValidationData: &Data{Xs: xs, Ys: ys}})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, k := range want {
		keys = append(keys, k)
	}
	for _, k := range want {
		keys = append(keys, "val_"+k)
	}
	if !slices.Equal(h.Keys, keys) {
		t.Errorf("history keys %v, want %v", h.Keys, keys)
	}
	line := strings.Split(out.String(), "\n")[1]
	var order []string
	for _, part := range strings.Split(line, " - ") {
		if k, _, ok := strings.Cut(part, ": "); ok {
			order = append(order, k)
		}
	}
	if !slices.Equal(order, keys) {
		t.Errorf("progress line %q: keys %v, want %v", line, order, keys)
	}
	loss, mets, err := m.EvaluateN(xs, ys)
	if err != nil {
		t.Fatal(err)
	}
	if w := mets["cls_loss"] + 0.5*mets["reg_loss"]; math.Abs(loss-w) > 1e-5*math.Abs(w) {
		t.Errorf("loss %v, cls_loss + 0.5 reg_loss = %v", loss, w)
	}
	if v := h.History["val_loss"][1]; math.Abs(v-loss) > 1e-5*math.Abs(loss) {
		t.Errorf("val_loss of the last epoch %v, EvaluateN %v", v, loss)
	}
	for _, bad := range []struct {
		xs, ys []*tensor.Tensor
		msg    string
	}{
		{xs[:1], ys, "1 inputs"},
		{xs, ys[:1], "1 targets"},
		{xs, []*tensor.Tensor{ys[0], nil}, `no targets for output "reg"`},
		{xs, []*tensor.Tensor{ys[1], ys[1]}, `output "cls"`},
	} {
		if _, _, err := m.TrainOnBatchN(bad.xs, bad.ys); err == nil || !strings.Contains(err.Error(), bad.msg) {
			t.Errorf("TrainOnBatchN: error %v, want one naming %q", err, bad.msg)
		}
	}
	if _, err := m.Fit(xs[0], ys[0]); err == nil || !strings.Contains(err.Error(), "1 inputs for a model with 2") {
		t.Errorf("Fit on a two-input model: %v", err)
	}
	m2 := multiModel(t)
	for _, o := range []CompileOptions{
		{Optimizer: "adam", LossByOutput: map[string]string{"nope": "mse"}},
		{Optimizer: "adam", Losses: []string{"mse"}},
		{Optimizer: "adam", Loss: "mse", Losses: []string{"mse", "mse"}},
		{Optimizer: "adam", Losses: []string{"mse", "mse"}, LossWeights: []float64{1}},
	} {
		if err := m2.Compile(o); err == nil || m2.Compiled() {
			t.Errorf("Compile(%+v): no error", o)
		}
	}
}

// TestMultiOutputCompileConfig writes the compile config of the fixture's two-output model,
// compiled in Go as the generator compiled it, and compares loss, loss_weights and metrics
// with Keras 3's compile_config; then saves in .keras and .h5 and loads back compiled, with
// the optimizer state, and the same next step.
func TestMultiOutputCompileConfig(t *testing.T) {
	dir := filepath.Join(functionalRoot, "two_in_two_out")
	m, err := Load(filepath.Join(dir, "keras3", "model.keras"))
	if err != nil {
		skipNoHDF5(t, err)
		t.Fatal(err)
	}
	if err := m.Compile(CompileOptions{Optimizer: "adam",
		LossByOutput:        map[string]string{"cls": "sparse_categorical_crossentropy", "reg": "mse"},
		LossWeightsByOutput: map[string]float64{"cls": 1, "reg": 0.5}}); err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Compile map[string]json.RawMessage `json:"compile_config"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "config_keras3.json")), &cfg); err != nil {
		t.Fatal(err)
	}
	tc, _, err := m.trainingToSaved(saved.Keras3)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(tc, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"loss", "loss_weights", "metrics", "weighted_metrics"} {
		if string(got[k]) != string(cfg.Compile[k]) {
			t.Errorf("compile_config %s = %s, Keras 3 %s", k, got[k], cfg.Compile[k])
		}
	}
	// tf_keras's training_config in its model.h5.
	sm, err := LoadSaved(filepath.Join(dir, "tfkeras", "model.h5"))
	if err != nil {
		t.Fatal(err)
	}
	var want2 map[string]json.RawMessage
	if err := json.Unmarshal(sm.TrainingConfig, &want2); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(want2["loss_weights"]), `"reg": 0.5`) || !strings.Contains(string(cfg.Compile["loss_weights"]), `"reg": 0.5`) {
		t.Fatalf("fixture configs without loss_weights: %s / %s", want2["loss_weights"], cfg.Compile["loss_weights"])
	}
	tc2, _, err := m.trainingToSaved(saved.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	var got2 map[string]json.RawMessage
	if err := json.Unmarshal(tc2, &got2); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"loss", "loss_weights", "metrics", "weighted_metrics"} {
		if string(got2[k]) != string(want2[k]) {
			t.Errorf("training_config %s = %s, tf_keras %s", k, got2[k], want2[k])
		}
	}
	xs := []*tensor.Tensor{readNpy(t, filepath.Join(dir, "x0.npy")), readNpy(t, filepath.Join(dir, "x1.npy"))}
	ys := []*tensor.Tensor{tensor.MustFromFloat32([]int{3}, []float32{0, 2, 1}), tensor.MustFromFloat32([]int{3, 2}, []float32{1, -1, 0.5, 0, 2, 1})}
	if _, _, err := m.TrainOnBatchN(xs, ys); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, name := range []string{"m.keras", "m.h5"} {
		p := filepath.Join(t.TempDir(), name)
		if err := m.Save(p); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	l1, _, err := m.TrainOnBatchN(xs, ys)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		back, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(p)
		if !back.Compiled() || back.Iterations() != m.Iterations()-1 {
			t.Fatalf("%s: compiled %v, iterations %d (saved %d); warnings %v", name, back.Compiled(), back.Iterations(), m.Iterations()-1, back.Warnings())
		}
		if !slices.Equal(back.MetricsNames(), m.MetricsNames()) {
			t.Errorf("%s: metrics names %v, saved %v", name, back.MetricsNames(), m.MetricsNames())
		}
		l2, _, err := back.TrainOnBatchN(xs, ys)
		if err != nil {
			t.Fatal(err)
		}
		if l1 != l2 {
			t.Errorf("%s: next loss %v, before saving %v", name, l2, l1)
		}
		for i, w := range m.Weights() {
			if !slices.Equal(w.Value.Float32s(), back.Weights()[i].Value.Float32s()) {
				t.Errorf("%s: weight %s differs after the next step", name, w.Name)
			}
		}
	}
}
