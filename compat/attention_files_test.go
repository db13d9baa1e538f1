package compat

import (
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/model"
)

// TestAttentionFilesInKeras saves Go-built Functional models with EinsumDense, Attention and
// AdditiveAttention as .h5 and .keras; tf_keras 2.21 and Keras 3.15 load them with Go's
// summaries, configs and predictions. EinsumDense also goes through SavedModel
// (tf.saved_model serves Go's Einsum graph).
func TestAttentionFilesInKeras(t *testing.T) {
	python(t)
	functionalFilesInKeras(t, map[string]func() *model.Model{
		"attn_dot_scale": func() *model.Model {
			q, v := model.Input(4, 3).WithName("query"), model.Input(5, 3).WithName("value")
			a := model.MustApply(layers.NewAttention(layers.AttentionOptions{Name: "attn", UseScale: true}), q.Output(), v.Output())
			f := model.MustApply(layers.NewFlatten(layers.FlattenOptions{Name: "flat"}), a)
			y := model.MustApply(layers.NewDense(2, layers.DenseOptions{Name: "head"}), f)
			return model.MustNewModel([]*model.KerasTensor{q.Output(), v.Output()}, []*model.KerasTensor{y}, model.ModelOptions{Name: "attn_dot_scale"})
		},
		"attn_concat_key": func() *model.Model {
			q, v, k := model.Input(4, 3).WithName("q"), model.Input(5, 2).WithName("v"), model.Input(5, 3).WithName("k")
			a := model.MustApply(layers.NewAttention(layers.AttentionOptions{Name: "attn", Concat: true, UseScale: true}), q.Output(), v.Output(), k.Output())
			f := model.MustApply(layers.NewFlatten(layers.FlattenOptions{Name: "flat"}), a)
			y := model.MustApply(layers.NewDense(2, layers.DenseOptions{Name: "head"}), f)
			return model.MustNewModel([]*model.KerasTensor{q.Output(), v.Output(), k.Output()}, []*model.KerasTensor{y}, model.ModelOptions{Name: "attn_concat_key"})
		},
		// Masks from Embedding(mask_zero) (the inputs, in (-1, 1), truncate to index 0: every
		// step masked) through causal AdditiveAttention into an LSTM: Keras 3's summary lists
		// its mask operations, which Go's rebuilds.
		"attn_masked_causal": func() *model.Model {
			x := model.Input(5).WithName("tokens")
			e := model.MustApply(layers.NewEmbedding(7, 4, layers.EmbeddingOptions{Name: "embed", MaskZero: true}), x.Output())
			a := model.MustApply(layers.NewAdditiveAttention(layers.AdditiveAttentionOptions{Name: "attn", Causal: true}), e, e)
			h := model.MustApply(layers.NewLSTM(3, layers.LSTMOptions{Name: "lstm"}), a)
			y := model.MustApply(layers.NewDense(2, layers.DenseOptions{Name: "head"}), h)
			return model.MustNewModel([]*model.KerasTensor{x.Output()}, []*model.KerasTensor{y}, model.ModelOptions{Name: "attn_masked_causal"})
		},
		"einsum_additive_self": func() *model.Model {
			x := model.Input(5, 8).WithName("seq")
			h := model.MustApply(layers.NewEinsumDense("abc,cd->abd", []int{5, 4}, layers.EinsumDenseOptions{Name: "proj", BiasAxes: "d", Activation: "tanh"}), x.Output())
			p := model.MustApply(layers.NewEinsumDense("abc,cde->abde", []int{5, 2, 2}, layers.EinsumDenseOptions{Name: "heads", BiasAxes: "de"}), h)
			p = model.MustApply(layers.NewEinsumDense("abcd,cde->abe", []int{5, 4}, layers.EinsumDenseOptions{Name: "merge", BiasAxes: "e"}), p)
			a := model.MustApply(layers.NewAdditiveAttention(layers.AdditiveAttentionOptions{Name: "add_attn"}), p, p)
			f := model.MustApply(layers.NewFlatten(layers.FlattenOptions{Name: "flat"}), a)
			y := model.MustApply(layers.NewDense(3, layers.DenseOptions{Name: "head", Activation: "softmax"}), f)
			return model.MustNewModel([]*model.KerasTensor{x.Output()}, []*model.KerasTensor{y}, model.ModelOptions{Name: "einsum_additive_self"})
		},
	})
	filesInKeras(t, map[string]func() *model.Sequential{
		"einsum_seq": func() *model.Sequential {
			return model.NewSequential(
				model.Input(5, 8),
				layers.NewEinsumDense("abc,cde->abde", []int{5, 2, 4}, layers.EinsumDenseOptions{BiasAxes: "de"}),
				layers.NewEinsumDense("abcd,cde->abe", []int{5, 6}, layers.EinsumDenseOptions{BiasAxes: "e", Activation: "relu"}),
				layers.NewFlatten(),
				layers.NewDense(2),
			)
		},
	}, []int{3, 5, 8})
}
