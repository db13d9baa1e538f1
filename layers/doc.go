// Package layers implements the Keras layers kerasgo supports: each layer's config (both Keras
// JSON dialects), build (weight shapes in Keras order), forward pass and backward pass.
//
// Activations and batches are float32 tensors with the batch dimension first, channels last
// (NHWC), row-major.
//
// # Layers
//
//   - Conv2D: filters, kernel_size, strides, padding valid/same, activation, use_bias.
//     Weights kernel (kh, kw, in, filters) and bias (filters). Forward is im2col + GEMM.
//     "same" padding follows TensorFlow: out = ceil(in/stride),
//     pad_total = max((out-1)*stride + k - in, 0), pad_before = pad_total/2.
//   - MaxPooling2D: pool_size, strides (default pool_size), padding; padded cells never win.
//     Backward routes each gradient to the first maximum of its window in row-major scan
//     order, as TensorFlow's CPU kernel does.
//   - AveragePooling2D (AvgPool2D): pool_size, strides, padding; with "same" each window
//     averages only the input cells it covers, as TensorFlow's AvgPool.
//   - BatchNormalization over the last axis: momentum, epsilon, center, scale. Weights gamma,
//     beta, moving_mean, moving_variance (the last two non-trainable). Training normalises
//     with the biased batch variance and updates moving = moving*momentum +
//     batch*(1-momentum), where batch variance is the unbiased one for rank-4/5 inputs in
//     tf_keras (its fused kernel) and the biased one otherwise and in Keras 3 (VarianceRule).
//   - Flatten, Dense (units, activation, use_bias; applied to the last axis), Dropout (rate,
//     seed; identity at inference, mask scaled by 1/(1-rate) in training), Activation.
//   - Activations: linear, relu, sigmoid, tanh, softmax (last axis), elu, selu, softplus,
//     softsign, swish/silu, gelu (exact, erf), exponential. Anything else is an error naming it.
//
// Every layer also describes itself as TensorFlow graph ops (Grapher: Graph returns a
// saved.LayerGraph), which package model hands to the SavedModel writer: layers/graph.go
// holds the builder and the conventions (op names relative to the layer, weights read with
// "<consumer>/ReadVariableOp" on "$var:NAME", the input "$in").
//
// Matrix products go through the package's own GEMM (gemm.go): packed operands, cache
// blocking and a register-blocked micro-kernel chosen at start-up (AVX-512, AVX2/FMA, or
// portable Go on other CPUs, other architectures and with build tag purego). Work is split
// into a few chunks per processor and run on a persistent pool of goroutines (parallel.go).
//
// # Constructors
//
// Each constructor takes the layer's required Keras arguments and, last, an optional options
// struct whose zero value means Keras's defaults: NewFlatten(), NewDropout(0.5),
// NewDense(10, DenseOptions{Activation: "softmax"}). Programmer errors (a unit count below 1,
// an unknown activation or padding, more than one options value) panic; anything read from a
// file is an error.
//
// # Building
//
// Build creates a layer's weights for an input shape and initialises them. ParamCount gives
// the number of parameters a layer would have for an input shape without building it (model
// uses it to bound what an untrusted config may allocate). Built with Rand.NoData, the
// weights get their shapes but no data and are not initialised; Weight.SetValue then makes a
// given float32 tensor of the right shape the weight's value without copying (model's loading
// path: the weights are the tensors read from the file).
//
// # Configs
//
// FromConfig maps a Keras class name to a layer through a literal registry and parses the
// layer's inner config, whatever wrote it: tf_keras 2.x, Keras 3, and Keras 1/2 keys
// (nb_filter, nb_row/nb_col, border_mode, subsample, output_dim, init, p, dim_ordering, ...).
// It returns warnings for every unknown key (ignored) and for non-null regularizers and
// constraints (kept in the config, not applied). Layer.Config writes exactly the keys that
// tf_keras 2.21 (saved.Keras2) or Keras 3.15 (saved.Keras3) writes for the layer, whichever
// dialect the layer was read from (BatchNormalization's axis: [3] for tf_keras, -1 for Keras
// 3; the VarianceScaling initializers' input_axes and output_axes: Keras 3 only);
// BuildConfig gives the Keras 3 build_config.
//
// # Compatibility
//
// Checked against real Keras: testdata/models/* fixtures (predictions within 1e-5 of tf_keras
// 2.21 and Keras 3.15; configs equal as parsed JSON in both dialects), the compat suite
// (compat/layers_test.go: every layer's training-mode output, input and weight gradients and
// BatchNormalization's moving statistics against tf_keras and Keras 3), and every layer config
// of the third-party corpus (Keras 1.1 to 3.7).
//
// # Limitations
//
// channels_first, dilation_rate != 1, groups != 1, Dropout noise_shape, BatchNormalization
// renorm / virtual_batch_size / a non-last axis, and dtypes other than float32 are
// ErrUnsupported. Regularizers and constraints are kept in configs but not applied in
// training. Initializers: the Keras built-ins are honoured by Build with kerasgo's own random
// stream (Keras's random numbers are not reproduced).
package layers
