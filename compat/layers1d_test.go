package compat

import "github.com/kerasgo/kerasgo/layers"

// add1DCases adds the 1D family (Conv1D, the 1D poolings, ZeroPadding1D, Cropping1D,
// UpSampling1D, Conv1DTranspose, DepthwiseConv1D,
// SeparableConv1D) to TestLayersTrainingStep.
func add1DCases(add func(id string, l layers.Layer, in []int, batch int, ties bool)) {
	add("conv1d_valid_relu", layers.NewConv1D(4, 3, layers.Conv1DOptions{Activation: "relu"}), []int{9, 3}, 3, false)
	add("conv1d_same_s2", layers.NewConv1D(3, 4, layers.Conv1DOptions{Strides: 2, Padding: "same", Activation: "tanh"}), []int{9, 2}, 2, false)
	add("conv1d_causal", layers.NewConv1D(3, 3, layers.Conv1DOptions{Padding: "causal", NoBias: true}), []int{7, 2}, 2, false)
	add("conv1d_causal_dilated", layers.NewConv1D(2, 3, layers.Conv1DOptions{Padding: "causal", DilationRate: 2, Activation: "sigmoid"}), []int{10, 3}, 2, false)
	add("conv1d_causal_s3", layers.NewConv1D(2, 2, layers.Conv1DOptions{Padding: "causal", Strides: 3}), []int{8, 2}, 2, false)
	add("conv1d_groups_dilated", layers.NewConv1D(4, 3, layers.Conv1DOptions{Groups: 2, DilationRate: 2, Padding: "same"}), []int{9, 4}, 2, false)
	add("conv1d_groups_causal", layers.NewConv1D(6, 2, layers.Conv1DOptions{Groups: 3, Padding: "causal", Activation: "relu"}), []int{6, 3}, 2, false)
	add("maxpool1d_valid_ties", layers.NewMaxPooling1D(2), []int{8, 3}, 3, true)
	add("maxpool1d_same_s2_ties", layers.NewMaxPooling1D(3, layers.Pooling1DOptions{Strides: 2, Padding: "same"}), []int{8, 2}, 2, true)
	add("maxpool1d_overlap", layers.NewMaxPooling1D(3, layers.Pooling1DOptions{Strides: 1}), []int{6, 2}, 2, false)
	add("avgpool1d_valid", layers.NewAveragePooling1D(2), []int{7, 3}, 2, false)
	add("avgpool1d_same_s2", layers.NewAveragePooling1D(3, layers.Pooling1DOptions{Strides: 2, Padding: "same"}), []int{8, 2}, 2, false)
	add("gap1d", layers.NewGlobalAveragePooling1D(), []int{5, 3}, 3, false)
	add("gap1d_keepdims", layers.NewGlobalAveragePooling1D(layers.GlobalPoolingOptions{Keepdims: true}), []int{4, 2}, 2, false)
	add("gmp1d_ties", layers.NewGlobalMaxPooling1D(), []int{6, 3}, 3, true)
	add("gmp1d_keepdims_ties", layers.NewGlobalMaxPooling1D(layers.GlobalPoolingOptions{Keepdims: true}), []int{5, 2}, 2, true)
	add("zeropad1d", layers.NewZeroPadding1D([2]int{2, 1}), []int{4, 3}, 2, false)
	add("zeropad1d_none", layers.NewZeroPadding1D([2]int{0, 0}), []int{3, 2}, 2, false)
	add("crop1d", layers.NewCropping1D([2]int{1, 2}), []int{6, 3}, 2, false)
	add("crop1d_after0", layers.NewCropping1D([2]int{2, 0}), []int{5, 2}, 2, false)
	add("upsample1d_3", layers.NewUpSampling1D(3), []int{4, 2}, 2, false)
	add("upsample1d_1", layers.NewUpSampling1D(1), []int{3, 2}, 2, false)
	add("depthwise1d", layers.NewDepthwiseConv1D(3), []int{7, 3}, 2, false)
	add("depthwise1d_m2_same_s2", layers.NewDepthwiseConv1D(3, layers.DepthwiseConv1DOptions{DepthMultiplier: 2, Strides: 2, Padding: "same", Activation: "relu"}), []int{8, 2}, 2, false)
	add("depthwise1d_dilated_m3", layers.NewDepthwiseConv1D(2, layers.DepthwiseConv1DOptions{DilationRate: 3, DepthMultiplier: 3, NoBias: true}), []int{8, 2}, 2, false)
	add("separable1d", layers.NewSeparableConv1D(3, 3), []int{7, 2}, 2, false)
	add("separable1d_m2_same_s2", layers.NewSeparableConv1D(4, 3, layers.SeparableConv1DOptions{DepthMultiplier: 2, Strides: 2, Padding: "same", Activation: "relu"}), []int{8, 3}, 2, false)
	add("separable1d_dilated_nobias", layers.NewSeparableConv1D(2, 2, layers.SeparableConv1DOptions{DilationRate: 3, NoBias: true, Activation: "sigmoid"}), []int{9, 2}, 2, false)
	one := 1
	add("conv1dT_valid", layers.NewConv1DTranspose(3, 3), []int{5, 2}, 2, false)
	add("conv1dT_same_s2_relu", layers.NewConv1DTranspose(4, 3, layers.Conv1DTransposeOptions{Strides: 2, Padding: "same", Activation: "relu"}), []int{5, 3}, 2, false)
	add("conv1dT_valid_s3_k2", layers.NewConv1DTranspose(2, 2, layers.Conv1DTransposeOptions{Strides: 3, NoBias: true}), []int{4, 2}, 2, false)
	add("conv1dT_outpad_same", layers.NewConv1DTranspose(2, 4, layers.Conv1DTransposeOptions{Strides: 2, Padding: "same", OutputPadding: &one}), []int{4, 2}, 2, false)
	add("conv1dT_outpad_valid", layers.NewConv1DTranspose(3, 3, layers.Conv1DTransposeOptions{Strides: 2, OutputPadding: &one, Activation: "tanh"}), []int{4, 2}, 2, false)
	add("conv1dT_dilated", layers.NewConv1DTranspose(2, 3, layers.Conv1DTransposeOptions{DilationRate: 2}), []int{6, 2}, 2, false)
	add("conv1dT_dilated_same", layers.NewConv1DTranspose(2, 3, layers.Conv1DTransposeOptions{DilationRate: 2, Padding: "same"}), []int{6, 2}, 2, false)
}
