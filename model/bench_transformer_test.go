package model

import (
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/tensor"
)

// The Transformer encoder block benchmark (issue 12). scripts/bench_transformer.py runs it
// alternately with the same model in TensorFlow and records the ratio in README.md; both
// sides use these sizes.
const (
	benchTfVocab, benchTfSeq, benchTfDim = 1000, 128, 128
	benchTfHeads, benchTfKeyDim          = 4, 32
	benchTfFF, benchTfClasses            = 512, 10
)

// transformerBlock builds the Transformer encoder block of testdata/gen/layers_mha.py at the
// benchmark's sizes: token and position Embeddings (positions are the second input), Add,
// MultiHeadAttention self-attention, residual Add, LayerNormalization, the feed-forward Dense
// pair (relu), residual Add, LayerNormalization, GlobalAveragePooling1D, Dense (softmax).
func transformerBlock(tb testing.TB) *Model {
	tb.Helper()
	tok := Input(benchTfSeq).WithName("tokens")
	pos := Input(benchTfSeq).WithName("positions")
	x := MustApply(layers.NewAdd(layers.MergeOptions{Name: "embed"}),
		MustApply(layers.NewEmbedding(benchTfVocab, benchTfDim, layers.EmbeddingOptions{Name: "tok_emb"}), tok.Output()),
		MustApply(layers.NewEmbedding(benchTfSeq, benchTfDim, layers.EmbeddingOptions{Name: "pos_emb"}), pos.Output()))
	a := MustApply(layers.NewMultiHeadAttention(benchTfHeads, benchTfKeyDim, layers.MultiHeadAttentionOptions{Name: "mha"}), x, x)
	x = MustApply(layers.NewLayerNormalization(layers.LayerNormOptions{Name: "ln1", Epsilon: 1e-6}),
		MustApply(layers.NewAdd(layers.MergeOptions{Name: "res1"}), x, a))
	f := MustApply(layers.NewDense(benchTfFF, layers.DenseOptions{Name: "ffn1", Activation: "relu"}), x)
	f = MustApply(layers.NewDense(benchTfDim, layers.DenseOptions{Name: "ffn2"}), f)
	x = MustApply(layers.NewLayerNormalization(layers.LayerNormOptions{Name: "ln2", Epsilon: 1e-6}),
		MustApply(layers.NewAdd(layers.MergeOptions{Name: "res2"}), x, f))
	x = MustApply(layers.NewGlobalAveragePooling1D(layers.GlobalPoolingOptions{Name: "gap"}), x)
	y := MustApply(layers.NewDense(benchTfClasses, layers.DenseOptions{Name: "head", Activation: "softmax"}), x)
	m, err := NewModel([]*KerasTensor{tok.Output(), pos.Output()}, []*KerasTensor{y}, ModelOptions{Name: "transformer_block"})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// transformerInputs are n random token ids and the positions 0..seq-1.
func transformerInputs(n int) []*tensor.Tensor {
	rng := layers.NewRand(5)
	tok := make([]float32, n*benchTfSeq)
	pos := make([]float32, n*benchTfSeq)
	for i := range tok {
		tok[i] = float32(rng.IntN(benchTfVocab))
		pos[i] = float32(i % benchTfSeq)
	}
	return []*tensor.Tensor{tensor.MustFromFloat32([]int{n, benchTfSeq}, tok), tensor.MustFromFloat32([]int{n, benchTfSeq}, pos)}
}

// BenchmarkTransformerBlockPredict32 runs the Transformer encoder block (sequence 128, model
// width 128, 4 heads of 32, feed-forward 512) on one batch of 32 sequences.
func BenchmarkTransformerBlockPredict32(b *testing.B) {
	m := transformerBlock(b)
	xs := transformerInputs(32)
	if _, err := m.PredictN(xs, PredictOptions{BatchSize: 32}); err != nil { // warm-up
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu := startCPU()
	b.ResetTimer()
	for range b.N {
		if _, err := m.PredictN(xs, PredictOptions{BatchSize: 32}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu.report(b)
}

// TestTransformerBlockBench checks the benchmark's model: it builds, predicts a probability
// row per sequence, and its summary has the MultiHeadAttention's 4·(128·128+128) parameters.
func TestTransformerBlockBench(t *testing.T) {
	m := transformerBlock(t)
	ys, err := m.PredictN(transformerInputs(2))
	if err != nil {
		t.Fatal(err)
	}
	if len(ys) != 1 || ys[0].Shape[0] != 2 || ys[0].Shape[1] != benchTfClasses {
		t.Fatalf("output %v", ys[0].Shape)
	}
	for r := range 2 {
		s := float32(0)
		for _, v := range ys[0].Float32s()[r*benchTfClasses : (r+1)*benchTfClasses] {
			s += v
		}
		if s < 0.999 || s > 1.001 {
			t.Errorf("row %d sums to %v", r, s)
		}
	}
	var n int
	for _, w := range m.Layers()[5].Weights() {
		n += w.Value.Len()
	}
	if want := 4 * (benchTfDim*benchTfDim + benchTfDim); n != want {
		t.Errorf("%s has %d parameters, want %d", m.Layers()[5].Name(), n, want)
	}
}
