package model

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/internal/pyfmt"
	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// tinyModel is a small CNN shaped like the seed model.
func tinyModel(seed uint64) *Sequential {
	m := NewSequential()
	m.SetSeed(seed)
	for _, l := range []layers.Layer{
		layers.NewConv2D(4, [2]int{3, 3}, layers.Conv2DOptions{Activation: "relu", InputShape: []int{8, 8, 3}, Name: "conv_1"}),
		layers.NewMaxPooling2D([2]int{2, 2}, layers.MaxPoolingOptions{Name: "pool_1"}),
		layers.NewBatchNormalization(),
		layers.NewFlatten(layers.FlattenOptions{Name: "flatten"}),
		layers.NewDense(8, layers.DenseOptions{Activation: "relu", Name: "dense_1"}),
		layers.NewDense(3, layers.DenseOptions{Activation: "softmax", Name: "dense_2"}),
	} {
		if err := m.Add(l); err != nil {
			panic(err)
		}
	}
	return m
}

// tinyData is a learnable 3-class problem: the class sets which channel is bright.
func tinyData(n int, seed uint64) (*tensor.Tensor, *tensor.Tensor) {
	r := layers.NewRand(seed)
	x := make([]float32, n*8*8*3)
	y := make([]float32, n)
	for i := 0; i < n; i++ {
		c := r.IntN(3)
		y[i] = float32(c)
		for p := 0; p < 64; p++ {
			for ch := 0; ch < 3; ch++ {
				v := 0.3 * r.Float32()
				if ch == c {
					v += 0.5
				}
				x[(i*64+p)*3+ch] = v
			}
		}
	}
	return tensor.MustFromFloat32([]int{n, 8, 8, 3}, x), tensor.MustFromFloat32([]int{n}, y)
}

func compileTiny(t *testing.T, m *Sequential) {
	t.Helper()
	if err := m.Compile(CompileOptions{Optimizer: Adam(AdamOptions{LearningRate: 0.01}), Loss: LossSparseCategoricalCrossentropy, Metrics: []string{"accuracy"}}); err != nil {
		t.Fatal(err)
	}
}

// TestFitEqualsTrainOnBatch: an unshuffled Fit is exactly a sequence of TrainOnBatch calls
// over consecutive batches (the last one partial), and its logged loss is the
// sample-weighted mean of the batch losses.
func TestFitEqualsTrainOnBatch(t *testing.T) {
	x, y := tinyData(100, 1)
	a, b := tinyModel(3), tinyModel(3)
	compileTiny(t, a)
	compileTiny(t, b)
	h, err := a.Fit(x, y, FitOptions{Epochs: 1, BatchSize: 32, NoShuffle: true})
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for lo := 0; lo < 100; lo += 32 {
		hi := min(lo+32, 100)
		l, _, err := b.TrainOnBatch(rowsOf(x, lo, hi), rowsOf(y, lo, hi))
		if err != nil {
			t.Fatal(err)
		}
		sum += float64(float32(l) * float32(hi-lo))
	}
	if a.Iterations() != 4 || b.Iterations() != 4 {
		t.Fatalf("iterations %d and %d, want 4 (ceil(100/32))", a.Iterations(), b.Iterations())
	}
	wa, wb := a.Weights(), b.Weights()
	for i := range wa {
		if !slicesEqual(wa[i].Value.Float32s(), wb[i].Value.Float32s()) {
			t.Fatalf("weight %d (%s) differs between Fit and TrainOnBatch", i, wa[i].Name)
		}
	}
	if got, want := h.History["loss"][0], sum/100; math.Abs(got-want) > 1e-6*want {
		t.Errorf("epoch loss %v, mean of batch losses %v", got, want)
	}
	if strings.Join(h.Keys, ",") != "loss,accuracy" {
		t.Errorf("history keys %v", h.Keys)
	}
}

func slicesEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestFitLearnsAndLogs trains a few epochs with validation and checks the Keras verbose=2
// line format, the history, and that the model learns the easy problem.
func TestFitLearnsAndLogs(t *testing.T) {
	x, y := tinyData(300, 2)
	m := tinyModel(5)
	compileTiny(t, m)
	var out bytes.Buffer
	h, err := m.Fit(x, y, FitOptions{Epochs: 4, BatchSize: 32, Seed: 9, ValidationSplit: 0.2, Verbose: VerboseLine, Output: &out})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if len(lines) != 8 {
		t.Fatalf("%d lines of output, want 8:\n%s", len(lines), out.String())
	}
	line := regexp.MustCompile(`^8/8 - \d+s - loss: \d\.\d{4} - accuracy: \d\.\d{4} - val_loss: \d\.\d{4} - val_accuracy: \d\.\d{4} - \d+(s|ms|us)/epoch - \d+(s|ms|us)/step$`)
	for i := 0; i < 4; i++ {
		if lines[2*i] != "Epoch "+string(rune('1'+i))+"/4" {
			t.Errorf("line %d = %q", 2*i, lines[2*i])
		}
		if !line.MatchString(lines[2*i+1]) {
			t.Errorf("line %d = %q does not look like tf_keras's verbose=2 line", 2*i+1, lines[2*i+1])
		}
	}
	if got := strings.Join(h.Keys, ","); got != "loss,accuracy,val_loss,val_accuracy" {
		t.Errorf("history keys %s", got)
	}
	if acc := h.History["val_accuracy"][3]; acc < 0.9 {
		t.Errorf("validation accuracy after 4 epochs %.3f, want > 0.9 on this easy problem", acc)
	}
	// Evaluate on the validation rows reproduces the last val_loss.
	vx, vy := rowsOf(x, 240, 300), rowsOf(y, 240, 300)
	loss, mets, err := m.Evaluate(vx, vy, EvaluateOptions{BatchSize: 32})
	if err != nil {
		t.Fatal(err)
	}
	if loss != h.History["val_loss"][3] || mets["accuracy"] != h.History["val_accuracy"][3] {
		t.Errorf("Evaluate %v %v, history %v %v", loss, mets, h.History["val_loss"][3], h.History["val_accuracy"][3])
	}
}

// TestTrainingStateRoundTrip: the optimizer state written by trainingToSaved and read back
// by trainingFromSaved continues training bit-identically, in both dialects.
func TestTrainingStateRoundTrip(t *testing.T) {
	x, y := tinyData(64, 3)
	for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
		for _, opt := range []Optimizer{Adam(AdamOptions{AMSGrad: true}), SGD(SGDOptions{Momentum: 0.9, Nesterov: true}), RMSprop(RMSpropOptions{Momentum: 0.5, Centered: true}), SGD()} {
			a := tinyModel(7)
			if d == saved.Keras3 {
				// A model read from a Keras 3 save updates BN moving variances as Keras 3
				// does; train the original the same way.
				for _, l := range a.layers {
					if bn, ok := l.(*layers.BatchNormalization); ok {
						bn.SetVarianceRule(layers.Keras3Variance)
					}
				}
			}
			if err := a.Compile(CompileOptions{Optimizer: opt, Loss: "sparse_categorical_crossentropy", Metrics: []string{"accuracy"}}); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Fit(x, y, FitOptions{Epochs: 2, BatchSize: 16, NoShuffle: true}); err != nil {
				t.Fatal(err)
			}
			sm, err := a.ToSaved(d)
			if err != nil {
				t.Fatal(err)
			}
			b, err := FromSaved(sm)
			if err != nil {
				t.Fatal(err)
			}
			if b.train == nil {
				t.Fatalf("%v %s: not compiled after FromSaved: %v", d, opt.ClassName(), b.Warnings())
			}
			if b.Iterations() != a.Iterations() {
				t.Fatalf("iterations %d, want %d", b.Iterations(), a.Iterations())
			}
			for step := 0; step < 3; step++ {
				la, _, err := a.TrainOnBatch(rowsOf(x, 0, 16), rowsOf(y, 0, 16))
				if err != nil {
					t.Fatal(err)
				}
				lb, _, err := b.TrainOnBatch(rowsOf(x, 0, 16), rowsOf(y, 0, 16))
				if err != nil {
					t.Fatal(err)
				}
				if la != lb {
					t.Fatalf("%v %s step %d: loss %v after reload, %v without", d, opt.ClassName(), step, lb, la)
				}
			}
			wa, wb := a.Weights(), b.Weights()
			for i := range wa {
				if !slicesEqual(wa[i].Value.Float32s(), wb[i].Value.Float32s()) {
					t.Fatalf("%v %s: weight %d differs after continuing from the saved state", d, opt.ClassName(), i)
				}
			}
			tc1, _, _ := a.trainingToSaved(d)
			tc2, _, _ := b.trainingToSaved(d)
			if string(tc1) != string(tc2) {
				t.Errorf("%v %s: training config changed on the round trip:\n%s\n%s", d, opt.ClassName(), tc1, tc2)
			}
		}
	}
}

// TestTrainingConfigAsKeras: the training config of a compiled and trained model is
// tf_keras's training_config, byte for byte as json.dumps writes it, for every fixture.
func TestTrainingConfigAsKeras(t *testing.T) {
	root := trainFixtureDir()
	dirs, _ := filepath.Glob(filepath.Join(root, "*", "training_config.json"))
	if len(dirs) == 0 {
		t.Fatal("no training fixtures under testdata/train (committed; regenerate with make fixtures)")
	}
	for _, p := range dirs {
		dir := filepath.Dir(p)
		m := loadParityCase(t, dir)
		x := trReadNpy(t, filepath.Join(dir, "batches", "x_00.npy"))
		y := trReadNpy(t, filepath.Join(dir, "batches", "y_00.npy"))
		if _, _, err := m.TrainOnBatch(x, y); err != nil {
			t.Fatal(err)
		}
		// A model compiled in Go (not restored from the file) writes the same JSON.
		fresh := loadParityCase(t, dir)
		var opt Optimizer = fresh.train.opt
		ms := []string{}
		for _, s := range fresh.train.metrics {
			ms = append(ms, s.Name)
		}
		if fresh.train.metrics == nil {
			ms = nil
		}
		if err := fresh.Compile(CompileOptions{Optimizer: opt, Loss: fresh.train.loss.Name(), FromLogits: fresh.train.loss.FromLogits(), Metrics: ms}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := fresh.TrainOnBatch(x, y); err != nil {
			t.Fatal(err)
		}
		wantV, err := pyfmt.Decode(mustRead(t, p))
		if err != nil {
			t.Fatal(err)
		}
		want := string(pyfmt.JSON(wantV))
		for _, mm := range []*Sequential{m, fresh} {
			got, _, err := mm.trainingToSaved(saved.Keras2)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != want {
				t.Errorf("%s:\n got %s\nwant %s", filepath.Base(dir), got, want)
			}
		}
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func trReadNpyOrSkip(t *testing.T, p string) *tensor.Tensor {
	t.Helper()
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("missing committed fixture %s", p)
	}
	return trReadNpy(t, p)
}

// TestDropoutInFit checks Dropout against the generator's facts: at inference the identity,
// in training every element either 0 or x/(1-rate), about a fraction rate dropped.
func TestDropoutScaling(t *testing.T) {
	dir := filepath.Join(trainFixtureDir(), "dropout")
	x := trReadNpyOrSkip(t, filepath.Join(dir, "x.npy"))
	yInf := trReadNpyOrSkip(t, filepath.Join(dir, "y_inference.npy"))
	m := NewSequential(layers.NewDropout(0.5, layers.DropoutOptions{InputShape: x.Shape[1:]}))
	got, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	if !slicesEqual(got.Float32s(), yInf.Float32s()) {
		t.Errorf("Dropout at inference is not the identity")
	}
	// Training mode on a larger input.
	big := make([]float32, 20000)
	for i := range big {
		big[i] = float32(i%97) + 1
	}
	m2 := NewSequential(layers.NewDropout(0.25, layers.DropoutOptions{InputShape: []int{100}}))
	out, err := m2.forward(tensor.MustFromFloat32([]int{200, 100}, big), true)
	if err != nil {
		t.Fatal(err)
	}
	kept := 0
	for i, v := range out.Float32s() {
		switch {
		case v == 0:
		case math.Abs(float64(v)-float64(big[i])/0.75) <= 1e-6*float64(big[i]):
			kept++
		default:
			t.Fatalf("element %d: %v is neither 0 nor x/(1-rate) = %v", i, v, big[i]/0.75)
		}
	}
	if frac := float64(kept) / float64(len(big)); math.Abs(frac-0.75) > 0.02 {
		t.Errorf("kept fraction %.4f, want about 0.75", frac)
	}
}

// TestCompileErrors: unknown optimizer, loss and metric names are ErrUnsupported.
func TestCompileErrors(t *testing.T) {
	m := tinyModel(1)
	for _, o := range []CompileOptions{
		{Optimizer: "adagrad", Loss: "mse"},
		{Optimizer: "adam", Loss: "hinge"},
		{Optimizer: "adam", Loss: "mse", Metrics: []string{"auc"}},
	} {
		if err := m.Compile(o); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%+v: error %v, want ErrUnsupported", o, err)
		}
	}
	x, y := tinyData(4, 1)
	m2 := tinyModel(1)
	if _, err := m2.Fit(x, y); !errors.Is(err, ErrNotBuilt) {
		t.Errorf("Fit before Compile: %v", err)
	}
	compileTiny(t, m2)
	bad := tensor.MustFromFloat32([]int{4}, []float32{0, 1, 2, 7})
	if _, _, err := m2.TrainOnBatch(x, bad); err == nil {
		t.Errorf("label 7 for 3 classes accepted")
	}
}

// TestProgressBarOutput: verbose 1 on a non-terminal writes one bar per update, each on its
// own line, ending with the finished bar and the epoch's values, as tf_keras's Progbar.
func TestProgressBarOutput(t *testing.T) {
	x, y := tinyData(64, 3)
	m := tinyModel(4)
	compileTiny(t, m)
	var out bytes.Buffer
	if _, err := m.Fit(x, y, FitOptions{Epochs: 1, BatchSize: 16, NoShuffle: true, Verbose: VerboseProgressBar, Output: &out}); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	last := s[strings.LastIndex(strings.TrimRight(s, "\n"), "\n")+1:]
	re := regexp.MustCompile(`^4/4 \[==============================\] - \d+s \d+(s|ms|us)/step - loss: \d\.\d{4} - accuracy: \d\.\d{4}\n$`)
	if !re.MatchString(last) {
		t.Errorf("last progress line %q", last)
	}
	if !strings.HasPrefix(s, "\n1/4 [======>.......................] - ETA: ") {
		t.Errorf("first update %q", strings.SplitN(s, "\n", 3)[1])
	}
	var ev bytes.Buffer
	if _, _, err := m.Evaluate(x, y, EvaluateOptions{BatchSize: 16, Verbose: VerboseLine, Output: &ev}); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^4/4 - \d+s - loss: \d\.\d{4} - accuracy: \d\.\d{4} - \d+(s|ms|us)/epoch - \d+(s|ms|us)/step\n$`).MatchString(ev.String()) {
		t.Errorf("evaluate line %q", ev.String())
	}
}

// TestTrainingFromSavedBadConfigs: malformed training configs are ErrFormat; configs kerasgo
// cannot train with leave the model uncompiled with a warning; bad slot shapes are errors.
func TestTrainingFromSavedBadConfigs(t *testing.T) {
	for _, tc := range []string{`{`, `[1, 2]`, `{"loss": "mse"} x`} {
		m := tinyModel(1)
		if err := m.trainingFromSaved(&saved.Model{TrainingConfig: []byte(tc)}); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: %v, want ErrFormat", tc, err)
		}
	}
	for _, tc := range []string{
		`{"loss": "mse", "optimizer_config": {"class_name": "Custom>Nadam", "config": {}}}`,
		`{"loss": "hinge", "optimizer_config": {"class_name": "Custom>Adam", "config": {}}}`,
		`{"loss": "mse", "metrics": [["auc"]], "optimizer_config": {"class_name": "Adam", "config": {}}}`,
		`{"loss": "mse", "optimizer_config": {"class_name": "Adam", "config": {"learning_rate": {"class_name": "ExponentialDecay"}}}}`,
		`{"loss": "mse", "loss_weights": [0.5, 1], "optimizer_config": {"class_name": "Adam", "config": {}}}`,
		`{"loss": "mse"}`,
		`{"loss": {"out": "mse"}, "optimizer_config": {"class_name": "Adam", "config": {}}}`,
		`{"loss": "mse", "loss_weights": "x", "optimizer_config": {"class_name": "Adam", "config": {}}}`,
	} {
		m := tinyModel(1)
		if err := m.trainingFromSaved(&saved.Model{TrainingConfig: []byte(tc)}); err != nil {
			t.Errorf("%s: %v", tc, err)
		}
		if m.Compiled() || len(m.Warnings()) == 0 {
			t.Errorf("%s: compiled %v, warnings %v", tc, m.Compiled(), m.Warnings())
		}
	}
	// use_ema is kept (and written back) but training refuses it.
	m := tinyModel(1)
	cfg := `{"loss": "sparse_categorical_crossentropy", "metrics": null, "weighted_metrics": null, "loss_weights": null, "optimizer_config": {"class_name": "Custom>SGD", "config": {"name": "SGD", "use_ema": true, "learning_rate": 0.1}}}`
	if err := m.trainingFromSaved(&saved.Model{TrainingConfig: []byte(cfg)}); err != nil || !m.Compiled() {
		t.Fatalf("%v %v", err, m.Warnings())
	}
	got, _, _ := m.trainingToSaved(saved.Keras2)
	if !strings.Contains(string(got), `"use_ema": true`) {
		t.Errorf("use_ema not written back: %s", got)
	}
	x, y := tinyData(4, 1)
	if _, _, err := m.TrainOnBatch(x, y); !errors.Is(err, ErrUnsupported) {
		t.Errorf("training with use_ema: %v", err)
	}
	// Slots whose shapes do not fit the model are an error.
	m2 := tinyModel(1)
	bad := &saved.Model{TrainingConfig: []byte(`{"loss": "mse", "optimizer_config": {"class_name": "Adam", "config": {}}}`), Optimizer: &saved.Optimizer{Class: "Adam", Iterations: 3, Slots: []saved.Slot{{Layer: "conv_1", Weight: "kernel", Name: "momentum", Value: tensor.MustFromFloat32([]int{2}, []float32{1, 2})}}}}
	if err := m2.trainingFromSaved(bad); !errors.Is(err, ErrShape) {
		t.Errorf("bad slot shape: %v", err)
	}
}
