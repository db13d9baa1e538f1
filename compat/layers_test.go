package compat

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/npy"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestLayersTrainingStep checks each layer's training-mode forward pass, its backward pass
// (dL/dx and every trainable weight's gradient) and BatchNormalization's moving statistics
// against real tf_keras 2.21 and Keras 3.15: Go writes the layer's config in the dialect,
// Keras deserialises it, and both run the same input, weights and dL/dy.
func TestLayersTrainingStep(t *testing.T) {
	python(t)
	type goCase struct {
		id      string
		layer   layers.Layer
		in      []int
		batch   int
		ties    bool
		only    saved.Dialect // with onlySet: the case runs in this dialect only
		onlySet bool
	}
	var cases []goCase
	add := func(id string, l layers.Layer, in []int, batch int, ties bool) {
		cases = append(cases, goCase{id: id, layer: l, in: in, batch: batch, ties: ties})
	}
	add("conv_valid_relu", layers.NewConv2D(4, [2]int{3, 3}, layers.Conv2DOptions{Activation: "relu"}), []int{8, 9, 3}, 4, false)
	add("conv_same_s2", layers.NewConv2D(5, [2]int{3, 3}, layers.Conv2DOptions{Strides: [2]int{2, 2}, Padding: "same", Activation: "tanh"}), []int{8, 7, 2}, 3, false)
	add("conv_same_k4", layers.NewConv2D(3, [2]int{4, 2}, layers.Conv2DOptions{Strides: [2]int{3, 1}, Padding: "same", NoBias: true}), []int{10, 6, 2}, 2, false)
	add("conv_1x1", layers.NewConv2D(6, [2]int{1, 1}, layers.Conv2DOptions{Activation: "sigmoid"}), []int{4, 4, 5}, 3, false)
	add("conv_dilated", layers.NewConv2D(3, [2]int{3, 3}, layers.Conv2DOptions{DilationRate: [2]int{2, 2}, Activation: "tanh"}), []int{9, 8, 2}, 3, false)
	add("conv_dilated_same", layers.NewConv2D(4, [2]int{3, 2}, layers.Conv2DOptions{DilationRate: [2]int{2, 3}, Padding: "same"}), []int{7, 9, 3}, 2, false)
	add("conv_groups", layers.NewConv2D(6, [2]int{3, 3}, layers.Conv2DOptions{Groups: 3, Activation: "relu"}), []int{7, 6, 3}, 3, false)
	add("conv_groups_s2_same", layers.NewConv2D(4, [2]int{3, 2}, layers.Conv2DOptions{Groups: 2, Strides: [2]int{2, 1}, Padding: "same", NoBias: true}), []int{7, 5, 6}, 2, false)
	add("conv_groups_dilated_same", layers.NewConv2D(6, [2]int{3, 3}, layers.Conv2DOptions{Groups: 2, DilationRate: [2]int{2, 1}, Padding: "same", Activation: "sigmoid"}), []int{8, 7, 4}, 2, false)
	// The 2D convolution families of issue 11.
	op1, op12 := [2]int{1, 1}, [2]int{1, 2}
	add("dw_valid", layers.NewDepthwiseConv2D([2]int{3, 3}, layers.DepthwiseConv2DOptions{Activation: "tanh"}), []int{7, 6, 3}, 3, false)
	add("dw_dm2_s2_same", layers.NewDepthwiseConv2D([2]int{3, 3}, layers.DepthwiseConv2DOptions{DepthMultiplier: 2, Strides: [2]int{2, 2}, Padding: "same", Activation: "relu"}), []int{7, 7, 2}, 2, false)
	add("dw_dilated_same", layers.NewDepthwiseConv2D([2]int{3, 2}, layers.DepthwiseConv2DOptions{DepthMultiplier: 3, DilationRate: [2]int{2, 2}, Padding: "same", NoBias: true}), []int{8, 7, 2}, 2, false)
	add("dw_dilated_valid", layers.NewDepthwiseConv2D([2]int{3, 3}, layers.DepthwiseConv2DOptions{DilationRate: [2]int{2, 3}}), []int{9, 9, 2}, 2, false)
	add("sep_valid", layers.NewSeparableConv2D(4, [2]int{3, 3}, layers.SeparableConv2DOptions{Activation: "sigmoid"}), []int{7, 6, 3}, 3, false)
	add("sep_dm2_s2_same", layers.NewSeparableConv2D(5, [2]int{3, 3}, layers.SeparableConv2DOptions{DepthMultiplier: 2, Strides: [2]int{2, 2}, Padding: "same", Activation: "relu"}), []int{9, 9, 3}, 2, false)
	add("sep_dilated_same", layers.NewSeparableConv2D(3, [2]int{3, 3}, layers.SeparableConv2DOptions{DilationRate: [2]int{2, 2}, Padding: "same", NoBias: true}), []int{8, 8, 2}, 2, false)
	add("tconv_valid", layers.NewConv2DTranspose(3, [2]int{3, 3}, layers.Conv2DTransposeOptions{Activation: "tanh"}), []int{4, 5, 2}, 3, false)
	add("tconv_s2_same", layers.NewConv2DTranspose(3, [2]int{3, 3}, layers.Conv2DTransposeOptions{Strides: [2]int{2, 2}, Padding: "same", Activation: "relu"}), []int{5, 5, 2}, 2, false)
	add("tconv_s2_k2", layers.NewConv2DTranspose(2, [2]int{2, 2}, layers.Conv2DTransposeOptions{Strides: [2]int{2, 2}}), []int{4, 3, 3}, 2, false)
	add("tconv_outpad_same", layers.NewConv2DTranspose(3, [2]int{3, 3}, layers.Conv2DTransposeOptions{Strides: [2]int{2, 2}, Padding: "same", OutputPadding: &op1}), []int{5, 4, 2}, 2, false)
	add("tconv_outpad_valid", layers.NewConv2DTranspose(2, [2]int{3, 4}, layers.Conv2DTransposeOptions{Strides: [2]int{2, 3}, OutputPadding: &op12, NoBias: true}), []int{3, 4, 2}, 2, false)
	add("pool_valid_ties", layers.NewMaxPooling2D([2]int{2, 2}), []int{8, 8, 3}, 3, true)
	add("pool_overlap_ties", layers.NewMaxPooling2D([2]int{3, 3}, layers.MaxPoolingOptions{Strides: [2]int{2, 2}}), []int{9, 9, 2}, 2, true)
	add("pool_same_ties", layers.NewMaxPooling2D([2]int{3, 3}, layers.MaxPoolingOptions{Strides: [2]int{2, 2}, Padding: "same"}), []int{8, 7, 2}, 2, true)
	add("avgpool_valid", layers.NewAveragePooling2D([2]int{2, 2}), []int{8, 8, 3}, 3, false)
	add("avgpool_overlap", layers.NewAveragePooling2D([2]int{3, 3}, layers.AveragePoolingOptions{Strides: [2]int{2, 2}}), []int{9, 8, 2}, 2, false)
	// padding "same": border windows average only the cells they cover.
	add("avgpool_same_s2", layers.NewAveragePooling2D([2]int{3, 3}, layers.AveragePoolingOptions{Strides: [2]int{2, 2}, Padding: "same"}), []int{8, 7, 2}, 2, false)
	add("avgpool_same_s1", layers.NewAveragePooling2D([2]int{2, 3}, layers.AveragePoolingOptions{Strides: [2]int{1, 1}, Padding: "same"}), []int{5, 6, 3}, 2, false)
	add("avgpool_same_rect", layers.NewAveragePooling2D([2]int{3, 2}, layers.AveragePoolingOptions{Strides: [2]int{2, 1}, Padding: "same"}), []int{7, 5, 1}, 3, false)
	// data_format "channels_first" (layers/channels_first.go): inputs (channels, height, width).
	cf := func(class string, cfg map[string]any) layers.Layer {
		cfg["data_format"] = "channels_first"
		l, _, err := layers.FromConfig(class, cfg, saved.Keras2)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	// Keras 3.15's eager call of a channels_first Conv2D with strides and padding "same" on
	// an input of unequal height and width differs from its own predict and tf.function
	// (which agree with tf_keras and kerasgo; testdata/chfirst): tf_keras only.
	cases = append(cases, goCase{id: "cf_conv_same_s2", layer: cf("Conv2D", map[string]any{"name": "cf_conv", "filters": 4.0, "kernel_size": []any{3.0, 3.0}, "strides": []any{2.0, 2.0}, "padding": "same", "activation": "tanh"}),
		in: []int{3, 8, 7}, batch: 3, only: saved.Keras2, onlySet: true})
	add("cf_conv_same_square", cf("Conv2D", map[string]any{"name": "cf_conv_sq", "filters": 4.0, "kernel_size": []any{3.0, 3.0}, "padding": "same", "activation": "tanh"}), []int{3, 6, 6}, 3, false)
	add("cf_conv_valid", cf("Conv2D", map[string]any{"name": "cf_conv_v", "filters": 3.0, "kernel_size": []any{2.0, 3.0}, "activation": "relu"}), []int{2, 6, 7}, 2, false)
	// tf_keras cannot differentiate a channels_first MaxPooling2D on a CPU ("Default
	// MaxPoolingGradOp only supports NHWC on device type CPU"): Keras 3 only.
	cases = append(cases, goCase{id: "cf_maxpool_ties", layer: cf("MaxPooling2D", map[string]any{"name": "cf_pool", "pool_size": []any{2.0, 2.0}}),
		in: []int{3, 8, 8}, batch: 3, ties: true, only: saved.Keras3, onlySet: true})
	add("cf_avgpool_same", cf("AveragePooling2D", map[string]any{"name": "cf_avg", "pool_size": []any{3.0, 3.0}, "strides": []any{2.0, 2.0}, "padding": "same"}), []int{2, 7, 8}, 2, false)
	add("cf_gap", cf("GlobalAveragePooling2D", map[string]any{"name": "cf_gap"}), []int{4, 5, 6}, 3, false)
	add("cf_gmp_keepdims", cf("GlobalMaxPooling2D", map[string]any{"name": "cf_gmp", "keepdims": true}), []int{3, 4, 5}, 2, true)
	add("bn4", layers.NewBatchNormalization(layers.BatchNormOptions{Momentum: 0.9}), []int{4, 4, 3}, 5, false)
	add("bn4_nocenter", layers.NewBatchNormalization(layers.BatchNormOptions{NoCenter: true}), []int{3, 3, 4}, 4, false)
	add("bn4_noscale", layers.NewBatchNormalization(layers.BatchNormOptions{NoScale: true, Epsilon: 1e-5, Momentum: 0.5}), []int{3, 3, 4}, 4, false)
	add("bn2", layers.NewBatchNormalization(layers.BatchNormOptions{Momentum: 0.8}), []int{6}, 7, false)
	frozen := layers.NewBatchNormalization()
	frozen.SetTrainable(false)
	add("bn4_frozen", frozen, []int{3, 3, 2}, 4, false)
	add("dense_relu", layers.NewDense(7, layers.DenseOptions{Activation: "relu"}), []int{9}, 6, false)
	add("dense_softmax", layers.NewDense(5, layers.DenseOptions{Activation: "softmax"}), []int{8}, 4, false)
	add("dense_nobias_sigmoid", layers.NewDense(4, layers.DenseOptions{Activation: "sigmoid", NoBias: true}), []int{6}, 3, false)
	add("flatten", layers.NewFlatten(), []int{3, 2, 4}, 3, false)
	seed := int64(7)
	add("dropout_rate0_seed", layers.NewDropout(0, layers.DropoutOptions{Seed: &seed}), []int{5}, 3, false)
	for _, a := range []string{"softmax", "elu", "selu", "softplus", "softsign", "swish", "gelu", "exponential", "tanh", "sigmoid", "relu",
		"relu6", "leaky_relu", "log_softmax", "mish", "silu"} {
		add("act_"+a, layers.NewActivation(a), []int{3, 6}, 2, false)
	}
	// The reshaping family (layers/reshaping.go).
	add("zeropad_1", layers.NewZeroPadding2D([2][2]int{{1, 1}, {1, 1}}), []int{4, 5, 2}, 2, false)
	add("zeropad_asym", layers.NewZeroPadding2D([2][2]int{{2, 0}, {1, 3}}), []int{3, 4, 3}, 2, false)
	add("crop_asym", layers.NewCropping2D([2][2]int{{1, 2}, {0, 1}}), []int{6, 5, 3}, 2, false)
	add("crop_none", layers.NewCropping2D([2][2]int{}), []int{3, 3, 2}, 2, false)
	add("up_nearest", layers.NewUpSampling2D([2]int{2, 3}), []int{3, 4, 2}, 2, false)
	add("up_bilinear_2", layers.NewUpSampling2D([2]int{2, 2}, layers.UpSampling2DOptions{Interpolation: "bilinear"}), []int{3, 4, 2}, 2, false)
	add("up_bilinear_3x1", layers.NewUpSampling2D([2]int{3, 1}, layers.UpSampling2DOptions{Interpolation: "bilinear"}), []int{5, 3, 2}, 2, false)
	add("up_bilinear_5x4", layers.NewUpSampling2D([2]int{5, 4}, layers.UpSampling2DOptions{Interpolation: "bilinear"}), []int{2, 3, 1}, 2, false)
	add("reshape_infer", layers.NewReshape([]int{-1, 4}), []int{3, 2, 4}, 3, false)
	add("reshape_3d", layers.NewReshape([]int{2, 3, 4}), []int{4, 6}, 2, false)
	add("permute_2d", layers.NewPermute([]int{2, 1}), []int{3, 4}, 2, false)
	add("permute_3d", layers.NewPermute([]int{3, 1, 2}), []int{2, 3, 4}, 2, false)
	add("repeat_3", layers.NewRepeatVector(3), []int{5}, 4, false)
	add("gap", layers.NewGlobalAveragePooling2D(), []int{4, 5, 3}, 3, false)
	add("gap_keepdims", layers.NewGlobalAveragePooling2D(layers.GlobalPoolingOptions{Keepdims: true}), []int{4, 5, 3}, 3, false)
	add("gmp_ties", layers.NewGlobalMaxPooling2D(), []int{4, 5, 3}, 3, true)
	add("gmp_keepdims_ties", layers.NewGlobalMaxPooling2D(layers.GlobalPoolingOptions{Keepdims: true}), []int{3, 3, 2}, 3, true)
	// hard_sigmoid means clip(0.2x+0.5) in tf_keras and relu6(x+3)/6 in Keras 3: each
	// dialect's config is read as that dialect's function.
	for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
		for _, a := range []string{"hard_sigmoid", "hard_silu", "hard_swish"} {
			if d == saved.Keras2 && a != "hard_sigmoid" {
				continue // tf_keras has no hard_silu
			}
			l, _, err := layers.FromConfig("Activation", map[string]any{"activation": a}, d)
			if err != nil {
				t.Fatal(err)
			}
			cases = append(cases, goCase{id: "act_" + a + "_" + d.String(), layer: l, in: []int{3, 6}, batch: 2, only: d, onlySet: true})
		}
	}
	mx := 1.5
	add("relu_default", layers.NewReLU(), []int{3, 6}, 2, false)
	add("relu_all", layers.NewReLU(layers.ReLUOptions{MaxValue: &mx, NegativeSlope: 0.1, Threshold: 0.25}), []int{3, 6}, 2, false)
	add("leaky_relu", layers.NewLeakyReLU(0.3), []int{3, 6}, 2, false)
	add("elu_half", layers.NewELU(0.5), []int{3, 6}, 2, false)
	add("softmax_axis1", layers.NewSoftmax(1), []int{3, 4, 2}, 2, false)
	add("softmax_axis_neg2", layers.NewSoftmax(-2), []int{3, 4, 2}, 2, false)
	add("prelu", layers.NewPReLU(), []int{3, 4, 2}, 2, false)
	add("prelu_shared", layers.NewPReLU(layers.PReLUOptions{SharedAxes: []int{1, 2}}), []int{3, 4, 2}, 3, false)
	add("gaussian_noise0", layers.NewGaussianNoise(0), []int{5}, 3, false)
	add("gaussian_dropout0", layers.NewGaussianDropout(0), []int{5}, 3, false)
	add("spatial_dropout0", layers.NewSpatialDropout2D(0), []int{3, 3, 2}, 2, false)
	add("activity_reg", layers.NewActivityRegularization(0.01, 0.02), []int{3, 4}, 3, false)
	// normalization and preprocessing layers (issue 11)
	add("layernorm", layers.NewLayerNormalization(), []int{3, 5}, 3, false)
	add("layernorm_axes12", layers.NewLayerNormalization(layers.LayerNormOptions{Axis: []int{1, 2}, Epsilon: 1e-5}), []int{3, 4, 2}, 2, false)
	add("layernorm_nocenter", layers.NewLayerNormalization(layers.LayerNormOptions{NoCenter: true, Axis: []int{-2}}), []int{4, 3}, 2, false)
	cases = append(cases, goCase{id: "layernorm_rms", layer: layers.NewLayerNormalization(layers.LayerNormOptions{RMSScaling: true}),
		in: []int{2, 6}, batch: 3, only: saved.Keras3, onlySet: true})
	add("groupnorm", layers.NewGroupNormalization(2), []int{3, 3, 4}, 2, false)
	add("groupnorm_instance_axis1", layers.NewGroupNormalization(-1, layers.GroupNormOptions{Axis: 1, NoScale: true}), []int{3, 4}, 2, false)
	add("unitnorm", layers.NewUnitNormalization(), []int{3, 5}, 2, false)
	add("unitnorm_axes", layers.NewUnitNormalization(layers.UnitNormOptions{Axis: []int{1, 2}}), []int{3, 4, 2}, 2, false)
	// EinsumDense (issue 12): MultiHeadAttention's equations and Dense-like ones.
	add("einsum_mha_proj", layers.NewEinsumDense("abc,cde->abde", []int{-1, 2, 4}, layers.EinsumDenseOptions{BiasAxes: "de"}), []int{5, 8}, 2, false)
	add("einsum_mha_out", layers.NewEinsumDense("abcd,cde->abe", []int{-1, 8}, layers.EinsumDenseOptions{BiasAxes: "e", Activation: "tanh"}), []int{5, 2, 4}, 2, false)
	add("einsum_ab", layers.NewEinsumDense("ab,bc->ac", []int{6}, layers.EinsumDenseOptions{BiasAxes: "c", Activation: "sigmoid"}), []int{7}, 3, false)
	add("einsum_abd_nobias", layers.NewEinsumDense("abc,cd->abd", []int{-1, 3}), []int{5, 8}, 2, false)
	add("einsum_transposed_bias", layers.NewEinsumDense("abc,cde->aebd", []int{3, 5, 2}, layers.EinsumDenseOptions{BiasAxes: "bd"}), []int{5, 8}, 2, false)
	add("rescaling", layers.NewRescaling(0.25, layers.RescalingOptions{Offset: -1.5}), []int{3, 4}, 2, false)
	bnAxis1 := layers.NewBatchNormalization(layers.BatchNormOptions{Momentum: 0.9})
	bnAxis1.SetAxis(1)
	add("bn_axis1", bnAxis1, []int{3, 4, 2}, 4, false)
	bnAxis2 := layers.NewBatchNormalization(layers.BatchNormOptions{Momentum: 0.8})
	bnAxis2.SetAxis(-2)
	add("bn_axis_neg2", bnAxis2, []int{4, 3}, 5, false)
	add("normalization", layers.NewNormalization(), []int{3, 4}, 2, false)
	add("normalization_invert_const", layers.NewNormalization(layers.NormalizationOptions{Invert: true, Axis: []int{1},
		Mean: []float64{1, 2, 3}, Variance: []float64{0.5, 2, 4}}), []int{3, 2}, 2, false)
	add("resizing_bilinear", layers.NewResizing(5, 3), []int{3, 4, 2}, 2, false)
	add("resizing_nearest_crop", layers.NewResizing(3, 3, layers.ResizingOptions{Interpolation: "nearest", CropToAspectRatio: true}), []int{4, 7, 2}, 2, false)
	add("centercrop", layers.NewCenterCrop(2, 3), []int{5, 6, 2}, 2, false)
	add1DCases(add)
	// The recurrent family (layers/rnn.go): backward through time.
	add("simple_rnn_seq_back", layers.NewSimpleRNN(3, layers.SimpleRNNOptions{ReturnSequences: true, GoBackwards: true}), []int{5, 4}, 3, false)
	add("lstm_last", layers.NewLSTM(4), []int{5, 3}, 3, false)
	add("lstm_seq_back_nobias", layers.NewLSTM(3, layers.LSTMOptions{ReturnSequences: true, GoBackwards: true, NoBias: true}), []int{4, 3}, 2, false)
	add("gru_seq", layers.NewGRU(4, layers.GRUOptions{ReturnSequences: true}), []int{5, 3}, 3, false)
	add("gru_reset_before_back", layers.NewGRU(3, layers.GRUOptions{ResetBefore: true, GoBackwards: true}), []int{5, 2}, 2, false)
	// The wrappers (layers/bidirectional.go, layers/time_distributed.go).
	addWrapperCases(add)

	for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
		t.Run(d.String(), func(t *testing.T) {
			dir := t.TempDir()
			var spec []map[string]any
			type result struct {
				y, dx  *tensor.Tensor
				grads  [][]float32
				after  [][]float32
				ws     []*layers.Weight
				layer  layers.Layer
				trainW int
			}
			results := map[string]*result{}
			ran := 0
			for i, c := range cases {
				if c.onlySet && c.only != d {
					continue
				}
				ran++
				l := c.layer
				if bn, ok := l.(*layers.BatchNormalization); ok && d == saved.Keras3 {
					bn.SetVarianceRule(layers.Keras3Variance)
				} else if ok {
					bn.SetVarianceRule(layers.TFKerasVariance)
				}
				rng := layers.NewRand(uint64(100 + i))
				if err := l.Build(c.in, rng); err != nil {
					t.Fatal(err)
				}
				l.SetName(c.id)
				var files []string
				for k, w := range l.Weights() {
					v := w.Value.Float32s()
					for j := range v {
						switch w.Name {
						case "kernel":
							v[j] = rng.Uniform(-0.5, 0.5)
						case "gamma", "moving_variance", "variance":
							v[j] = rng.Uniform(0.5, 2)
						case "count":
							v[j] = 7
						default:
							v[j] = rng.Uniform(-0.5, 0.5)
						}
					}
					f := fmt.Sprintf("%s_in%d.npy", c.id, k)
					writeNpy(t, filepath.Join(dir, f), w.Value)
					files = append(files, f)
				}
				xs := append([]int{c.batch}, c.in...)
				n, _ := tensor.NumElements(xs)
				xd := make([]float32, n)
				for j := range xd {
					xd[j] = rng.Uniform(-2, 2)
					if c.ties {
						xd[j] = float32(math.Round(float64(xd[j]))) // many equal values
					}
				}
				x := tensor.MustFromFloat32(xs, xd)
				y, err := l.Forward(x, true)
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
				r := &result{y: y.Clone(), dx: dx.Clone(), layer: l}
				for _, w := range l.Weights() {
					if w.Trainable {
						r.grads = append(r.grads, append([]float32(nil), w.Grad...))
					}
					r.after = append(r.after, append([]float32(nil), w.Value.Float32s()...))
				}
				results[c.id] = r
				writeNpy(t, filepath.Join(dir, c.id+"_x.npy"), x)
				writeNpy(t, filepath.Join(dir, c.id+"_dy.npy"), dy)
				spec = append(spec, map[string]any{
					"id": c.id, "flavor": d.String(), "class_name": l.Class(), "config": l.Config(d),
					"input_shape": c.in, "x": c.id + "_x.npy", "dy": c.id + "_dy.npy", "weights": files,
				})
			}
			b, _ := json.Marshal(spec)
			if err := os.WriteFile(filepath.Join(dir, "cases.json"), b, 0o644); err != nil {
				t.Fatal(err)
			}
			var summary []struct {
				ID        string         `json:"id"`
				Class     string         `json:"class_name"`
				Trainable int            `json:"trainable"`
				Weights   int            `json:"weights"`
				Config    map[string]any `json:"config"`
			}
			runPythonJSON(t, &summary, "layers_grads.py", dir)
			if len(summary) != ran {
				t.Fatalf("python ran %d cases, want %d", len(summary), ran)
			}
			for _, s := range summary {
				r := results[s.ID]
				// Keras's get_config of the layer it rebuilt from Go's config equals Go's config.
				goCfg, _ := json.Marshal(r.layer.Config(d))
				var g any
				json.Unmarshal(goCfg, &g)
				if !reflect.DeepEqual(g, any(s.Config)) {
					kb, _ := json.Marshal(s.Config)
					t.Errorf("%s: config differs\ngo:    %s\nkeras: %s", s.ID, goCfg, kb)
				}
				// Keras's own config, read back by Go, is written again unchanged.
				l2, _, err := layers.FromConfig(s.Class, s.Config, d)
				if _, wrapper := l2.(layers.SubObjectLayer); wrapper && err == nil {
					// A wrapper's config holds its inner layers' build_config once built.
					err = l2.Build(r.layer.InputShape(), layers.NewRand(1))
				}
				if err != nil {
					t.Errorf("%s: FromConfig of Keras's config: %v", s.ID, err)
				} else if c2 := canonJSON(l2.Config(d)); !reflect.DeepEqual(c2, any(s.Config)) {
					kb, _ := json.Marshal(s.Config)
					gb, _ := json.Marshal(c2)
					t.Errorf("%s: Keras's config through FromConfig and Config differs\ngo:    %s\nkeras: %s", s.ID, gb, kb)
				}
				if s.Trainable != len(r.grads) || s.Weights != len(r.after) {
					t.Errorf("%s: keras has %d trainable of %d weights, go %d of %d", s.ID, s.Trainable, s.Weights, len(r.grads), len(r.after))
					continue
				}
				cmp := func(what string, got []float32, file string, atol, rtol float64) {
					compareNpy(t, s.ID, what, got, filepath.Join(dir, file), atol, rtol)
				}
				cmp("y", r.y.Float32s(), s.ID+"_y.npy", 1e-5, 1e-5)
				cmp("dx", r.dx.Float32s(), s.ID+"_dx.npy", 1e-5, 1e-4)
				for k, g := range r.grads {
					cmp(fmt.Sprintf("grad %d", k), g, fmt.Sprintf("%s_g%d.npy", s.ID, k), 1e-5, 1e-4)
				}
				for k, a := range r.after {
					cmp(fmt.Sprintf("weight %d after the step", k), a, fmt.Sprintf("%s_w%d.npy", s.ID, k), 1e-6, 1e-5)
				}
			}
		})
	}
}

// canonJSON returns v as encoding/json would decode it from its JSON.
func canonJSON(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func writeNpy(t *testing.T, path string, v *tensor.Tensor) {
	t.Helper()
	if err := npy.WriteFile(path, v); err != nil {
		t.Fatal(err)
	}
}
