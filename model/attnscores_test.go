package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/internal/testref"
	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestAttnScoresTrainStep: one TrainOnBatchN of the testdata/layers_attnscores cases
// (Attention, AdditiveAttention over masked tokens with the causal mask, MultiHeadAttention,
// each called with return_attention_scores=True, a softmax head on each output: the step
// backpropagates through the output and the scores) from both files, compared with
// tf_keras's train_on_batch computed in this run (testref.Wrap).
func TestAttnScoresTrainStep(t *testing.T) {
	checkTrainStepCases(t, filepath.Join("..", "testdata", "layers_attnscores"), testref.Dir(t, testref.Wrap),
		"attention_scores", "additive_scores_masked", "mha_scores", "mha_axes2_rank4", "mha_axes1_rank4", "mha_axes12_rank4")
}

// TestAttnScoresGoBuilt builds models whose attention layers return their scores in Go
// (SetReturnScores, ApplyMulti): the scores are the softmax weights (rows summing to 1, shaped
// (batch, Tq, Tv) or (batch, heads, Tq, Tv)), both configs record return_attention_scores and
// the scores' tensor index, and the configs read back predict the same.
func TestAttnScoresGoBuilt(t *testing.T) {
	q := Input(4, 3).WithName("q")
	v := Input(5, 3).WithName("v")
	att := layers.NewAttention(layers.AttentionOptions{Name: "att", UseScale: true})
	att.SetReturnScores(true)
	a := MustApplyMulti(att, q.Output(), v.Output())
	mha := layers.NewMultiHeadAttention(2, 2, layers.MultiHeadAttentionOptions{Name: "mha"})
	mha.SetReturnScores(true)
	b := MustApplyMulti(mha, q.Output(), v.Output())
	if len(a) != 2 || len(b) != 2 {
		t.Fatalf("%d and %d outputs, want 2", len(a), len(b))
	}
	m := MustNewModel([]*KerasTensor{q.Output(), v.Output()}, []*KerasTensor{a[0], a[1], b[0], b[1]})
	rng := layers.NewRand(5)
	mk := func(shape ...int) *tensor.Tensor {
		n := 1
		for _, s := range shape {
			n *= s
		}
		d := make([]float32, n)
		for i := range d {
			d[i] = rng.Uniform(-1, 1)
		}
		return tensor.MustFromFloat32(shape, d)
	}
	xs := []*tensor.Tensor{mk(2, 4, 3), mk(2, 5, 3)}
	ys, err := m.PredictN(xs)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]int{{2, 4, 3}, {2, 4, 5}, {2, 4, 3}, {2, 2, 4, 5}} {
		if !tensor.SameShape(ys[i].Shape, want) {
			t.Fatalf("output %d shape %v, want %v", i, ys[i].Shape, want)
		}
	}
	for _, s := range []*tensor.Tensor{ys[1], ys[3]} {
		d := s.Float32s()
		for r := 0; r < len(d); r += 5 {
			sum := float32(0)
			for _, x := range d[r : r+5] {
				sum += x
			}
			if sum < 0.9999 || sum > 1.0001 {
				t.Fatalf("a row of scores sums to %v", sum)
			}
		}
	}
	for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
		cfg, err := m.Config(d)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(cfg), `"return_attention_scores":true`) || !strings.Contains(string(cfg), `["mha",0,1]`) {
			t.Errorf("config (%v) lacks return_attention_scores or the reference to mha's output 1: %s", d, cfg)
		}
		back, err := FromConfig(cfg)
		if err != nil {
			t.Fatalf("read back: %v", err)
		}
		if err := back.SetWeights(valuesOf(m)); err != nil {
			t.Fatal(err)
		}
		got, err := back.PredictN(xs)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if dd := maxAbsDiff(t, got[i], ys[i]); dd != 0 {
				t.Errorf("read back (%v): output %d differs by %g", d, i, dd)
			}
		}
	}
}

// TestAttnScoresRefused: return_attention_scores on rank-2 inputs (Keras's scores would span
// the batch) and calls of one layer with and without it are ErrUnsupported naming the layer.
func TestAttnScoresRefused(t *testing.T) {
	x := Input(4).WithName("x")
	att := layers.NewAttention(layers.AttentionOptions{Name: "att2"})
	att.SetReturnScores(true)
	_, err := ApplyMulti(att, x.Output(), x.Output())
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "att2") || !strings.Contains(err.Error(), "rank-2") {
		t.Errorf("rank-2 scores: %v", err)
	}
	src := readFile(t, filepath.Join("..", "testdata", "layers_attnscores", "mha_scores", "config_keras2_to_json.json"))
	bad := strings.Replace(string(src), `"return_attention_scores": true`, `"return_attention_scores": 3`, 1)
	if bad == string(src) {
		t.Fatal("fixture has no return_attention_scores")
	}
	if _, err := FromConfig([]byte(bad)); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "mha") {
		t.Errorf("return_attention_scores 3: %v", err)
	}
}

// TestMaskedMetricsEvaluate: the metrics of outputs carrying a Keras mask count the unmasked
// entries only, as Keras weights them. The testdata/layers_attnscores metric cases
// (TimeDistributed softmax outputs after Attention or an LSTM over Embedding(mask_zero), one
// beside an unmasked output) are evaluated in batches of 2 (different numbers of unmasked
// steps per batch) from tf_keras's .h5 and Keras 3's .keras, and compared with evaluate() of
// the same file in tf_keras and Keras 3 computed in this run (testref.Wrap); the train step
// (with its accuracy logs) is in TestAttnScoresTrainStep.
func TestMaskedMetricsEvaluate(t *testing.T) {
	ref := testref.Dir(t, testref.Wrap)
	for _, name := range []string{"masked_metrics_attention", "masked_metrics_two_outputs"} {
		dir := filepath.Join("..", "testdata", "layers_attnscores", name)
		rdir := filepath.Join(ref, name)
		for _, f := range []struct{ file, ref string }{{"tfkeras/model.h5", "eval_tf_keras.json"}, {"keras3/model.keras", "eval_keras3.json"}} {
			t.Run(name+"/"+f.file, func(t *testing.T) {
				var want map[string]float64
				if err := json.Unmarshal(readFile(t, filepath.Join(rdir, f.ref)), &want); err != nil {
					t.Fatal(err)
				}
				m, err := Load(filepath.Join(dir, filepath.FromSlash(f.file)))
				if err != nil {
					skipNoHDF5(t, err)
					t.Fatal(err)
				}
				var xs, ys []*tensor.Tensor
				for i := range m.InputNames() {
					xs = append(xs, readNpy(t, filepath.Join(rdir, fmt.Sprintf("eval_x%d.npy", i))))
				}
				for i := range m.OutputNames() {
					ys = append(ys, readNpy(t, filepath.Join(rdir, fmt.Sprintf("eval_y%d.npy", i))))
				}
				loss, logs, err := m.EvaluateN(xs, ys, EvaluateOptions{BatchSize: 2})
				if err != nil {
					t.Fatal(err)
				}
				logs["loss"] = loss
				nMetric := 0
				for k, w := range want {
					if strings.HasSuffix(k, "accuracy") {
						nMetric++
					}
					if k != "loss" && strings.HasSuffix(k, "_loss") && f.ref == "eval_keras3.json" {
						// Keras 3's per-output loss trackers are not weighted by the size of
						// the last, smaller batch here (kerasgo weights them as tf_keras and
						// Keras 3's total loss): not compared.
						continue
					}
					g, ok := logs[k]
					if !ok || math.Abs(g-w) > 1e-5*math.Abs(w)+1e-6 {
						t.Errorf("%s = %v (present %v), Keras %v", k, g, ok, w)
					}
				}
				if nMetric == 0 {
					t.Errorf("Keras logged no accuracy: %v", want)
				}
				t.Logf("Keras %v, Go %v", want, logs)
			})
		}
	}
}

// TestMHAAxesRefused: attention_axes out of range or not increasing, and Keras masks or
// use_causal_mask with non-default axes, are errors naming the layer (ErrShape /
// ErrUnsupported), never a panic; a Go-built call with attention_axes returns Keras's scores
// shape (batch, <batch axes>, heads, <query attention axes>, <key attention axes>).
func TestMHAAxesRefused(t *testing.T) {
	src := string(readFile(t, filepath.Join("..", "testdata", "layers_attnscores", "mha_axes2_rank4", "config_keras2_to_json.json")))
	for _, c := range []struct {
		axes string
		want error
		says string
	}{
		{`[3]`, ErrShape, "attention_axes"},
		{`[0]`, ErrShape, "attention_axes"},
		{`[2, 1]`, ErrUnsupported, "increasing"},
		{`"x"`, ErrFormat, "attention_axes"},
	} {
		bad := strings.Replace(src, `"attention_axes": [2]`, `"attention_axes": `+c.axes, 1)
		if bad == src {
			t.Fatal("fixture has no attention_axes [2]")
		}
		_, err := FromConfig([]byte(bad))
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) || !strings.Contains(err.Error(), "mha") {
			t.Errorf("attention_axes %s: %v", c.axes, err)
		}
	}
	// Keras masks with attention_axes: refused when they reach the layer.
	mha := layers.NewMultiHeadAttention(2, 2, layers.MultiHeadAttentionOptions{Name: "mha_m"})
	cfg := mha.Config(saved.Keras2)
	cfg["attention_axes"] = []any{1.0}
	l, _, err := layers.FromConfig(mha.Class(), roundTrip(t, cfg), saved.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	x := Input(3, 4, 5).WithName("grid")
	xm := MustApply(layers.NewMasking(0), x.Output())
	y := MustApply(l, xm, xm)
	m := MustNewModel([]*KerasTensor{x.Output()}, []*KerasTensor{y})
	xd := make([]float32, 2*3*4*5)
	for i := range xd {
		xd[i] = float32(i%7) - 3
	}
	_, err = m.Predict(tensor.MustFromFloat32([]int{2, 3, 4, 5}, xd))
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "mha_m") {
		t.Errorf("Keras masks with attention_axes: %v", err)
	}
	// scores with attention_axes (1,): (batch, 4, heads, 3, 3)
	s := layers.NewMultiHeadAttention(2, 2, layers.MultiHeadAttentionOptions{Name: "mha_s"})
	sc := s.Config(saved.Keras2)
	sc["attention_axes"] = []any{1.0}
	ls, _, err := layers.FromConfig(s.Class(), roundTrip(t, sc), saved.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	ls.(layers.ScoresReturner).SetReturnScores(true)
	outs := MustApplyMulti(ls, x.Output(), x.Output())
	if len(outs) != 2 || !tensor.SameShape(outs[1].Shape(), []int{4, 2, 3, 3}) {
		t.Fatalf("scores shape %v, want (4, 2, 3, 3)", outs[1].Shape())
	}
	m2 := MustNewModel([]*KerasTensor{x.Output()}, outs)
	ys, err := m2.PredictN([]*tensor.Tensor{tensor.MustFromFloat32([]int{2, 3, 4, 5}, xd)})
	if err != nil {
		t.Fatal(err)
	}
	if !tensor.SameShape(ys[1].Shape, []int{2, 4, 2, 3, 3}) || !tensor.SameShape(ys[0].Shape, []int{2, 3, 4, 5}) {
		t.Errorf("shapes %v, %v", ys[0].Shape, ys[1].Shape)
	}
}

// roundTrip passes a config through JSON, as a file does.
func roundTrip(t *testing.T, cfg map[string]any) map[string]any {
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
