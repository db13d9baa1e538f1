package compat

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestMaskedRNNTrainingStep runs the recurrent layers, Bidirectional and
// GlobalAveragePooling1D with a Keras mask
// (padded rows and a masked step inside a row) forward in training mode and backward, in Go
// and in real tf_keras 2.21 and Keras 3.15 on the same input, mask, weights and dL/dy: the
// outputs (masked steps keep the state; returned sequences repeat the previous output, or
// zeros under Bidirectional's zero_output_for_mask), dL/dx and every weight gradient agree.
func TestMaskedRNNTrainingStep(t *testing.T) {
	python(t)
	type mcase struct {
		id    string
		make  func() layers.Layer
		steps int
		feat  int
	}
	cases := []mcase{
		{"lstm_last", func() layers.Layer { return layers.NewLSTM(3) }, 5, 3},
		{"lstm_seq_back", func() layers.Layer {
			return layers.NewLSTM(3, layers.LSTMOptions{ReturnSequences: true, GoBackwards: true})
		}, 5, 2},
		{"gru_seq", func() layers.Layer { return layers.NewGRU(3, layers.GRUOptions{ReturnSequences: true}) }, 5, 3},
		{"gru_reset_before", func() layers.Layer { return layers.NewGRU(2, layers.GRUOptions{ResetBefore: true}) }, 4, 3},
		{"simple_rnn_seq", func() layers.Layer {
			return layers.NewSimpleRNN(3, layers.SimpleRNNOptions{ReturnSequences: true})
		}, 5, 2},
		{"bidi_lstm_seq", func() layers.Layer {
			return layers.NewBidirectional(layers.NewLSTM(2, layers.LSTMOptions{ReturnSequences: true}))
		}, 5, 3},
		{"global_avg_pool_1d", func() layers.Layer { return layers.NewGlobalAveragePooling1D() }, 5, 3},
		{"bidi_gru_sum", func() layers.Layer {
			return layers.NewBidirectional(layers.NewGRU(3), layers.BidirectionalOptions{MergeMode: "sum"})
		}, 4, 2},
	}
	const batch = 4
	for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
		t.Run(d.String(), func(t *testing.T) {
			dir := t.TempDir()
			type result struct {
				y, dx *tensor.Tensor
				grads [][]float32
			}
			results := map[string]*result{}
			var spec []map[string]any
			for i, c := range cases {
				l := c.make()
				l.SetName(c.id)
				rng := layers.NewRand(uint64(300 + i))
				in := []int{c.steps, c.feat}
				if err := l.Build(in, rng); err != nil {
					t.Fatal(err)
				}
				var files []string
				for k, w := range l.Weights() {
					v := w.Value.Float32s()
					for j := range v {
						v[j] = rng.Uniform(-0.6, 0.6)
					}
					f := fmt.Sprintf("%s_in%d.npy", c.id, k)
					writeNpy(t, filepath.Join(dir, f), w.Value)
					files = append(files, f)
				}
				xd := make([]float32, batch*c.steps*c.feat)
				for j := range xd {
					xd[j] = rng.Uniform(-2, 2)
				}
				x := tensor.MustFromFloat32([]int{batch, c.steps, c.feat}, xd)
				// Row b has b trailing masked steps; row 2 also masks step 1, row 3 step 0.
				mask := make([]bool, batch*c.steps)
				md := make([]float32, len(mask))
				for b := 0; b < batch; b++ {
					for s := 0; s < c.steps; s++ {
						keep := s < c.steps-b && !(b == 2 && s == 1) && !(b == 3 && s == 0)
						mask[b*c.steps+s] = keep
						if keep {
							md[b*c.steps+s] = 1
						}
					}
				}
				y, err := l.(layers.MaskedForwarder).ForwardMasked(x, mask, true)
				if err != nil {
					t.Fatal(err)
				}
				dyd := make([]float32, y.Len())
				for j := range dyd {
					dyd[j] = rng.Uniform(-1, 1)
				}
				dy := tensor.MustFromFloat32(y.Shape, dyd)
				dx, err := l.Backward(dy)
				if err != nil {
					t.Fatal(err)
				}
				r := &result{y: y.Clone(), dx: dx.Clone()}
				for _, w := range l.Weights() {
					r.grads = append(r.grads, append([]float32(nil), w.Grad...))
				}
				results[c.id] = r
				writeNpy(t, filepath.Join(dir, c.id+"_x.npy"), x)
				writeNpy(t, filepath.Join(dir, c.id+"_mask.npy"), tensor.MustFromFloat32([]int{batch, c.steps}, md))
				writeNpy(t, filepath.Join(dir, c.id+"_dy.npy"), dy)
				spec = append(spec, map[string]any{"id": c.id, "flavor": d.String(), "class_name": l.Class(),
					"config": l.Config(d), "input_shape": in, "x": c.id + "_x.npy", "mask": c.id + "_mask.npy",
					"dy": c.id + "_dy.npy", "weights": files})
			}
			b, _ := json.Marshal(spec)
			if err := os.WriteFile(filepath.Join(dir, "cases.json"), b, 0o644); err != nil {
				t.Fatal(err)
			}
			var ran []string
			runPythonJSON(t, &ran, "mask_grads.py", dir)
			if len(ran) != len(cases) {
				t.Fatalf("python ran %d cases, want %d", len(ran), len(cases))
			}
			for _, id := range ran {
				r := results[id]
				cmp := func(what string, got []float32, file string) {
					compareNpy(t, id, what, got, filepath.Join(dir, file), 1e-5, 1e-4)
				}
				cmp("y", r.y.Float32s(), id+"_y.npy")
				cmp("dx", r.dx.Float32s(), id+"_dx.npy")
				for k, g := range r.grads {
					cmp(fmt.Sprintf("grad %d", k), g, fmt.Sprintf("%s_g%d.npy", id, k))
				}
			}
		})
	}
}
