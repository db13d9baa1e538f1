package model

import (
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
)

// Go builders of the fixture variants, written as testdata/gen/variants.py writes them in
// Python: the first layer gets the input shape, names only where the Python code gives them.

type (
	conv = layers.Conv2DOptions
	pool = layers.MaxPoolingOptions
	bn   = layers.BatchNormOptions
	dns  = layers.DenseOptions
)

func conv2d(filters, kh, kw int, o conv) layers.Layer {
	return layers.NewConv2D(filters, [2]int{kh, kw}, o)
}
func maxPool(p int, o pool) layers.Layer  { return layers.NewMaxPooling2D([2]int{p, p}, o) }
func batchNorm(o bn) layers.Layer         { return layers.NewBatchNormalization(o) }
func flatten(name string) layers.Layer    { return layers.NewFlatten(layers.FlattenOptions{Name: name}) }
func dense(units int, o dns) layers.Layer { return layers.NewDense(units, o) }
func dropout(rate float64, name string) layers.Layer {
	return layers.NewDropout(rate, layers.DropoutOptions{Name: name})
}

// seedModel is the seed article's model.
func seedModel() *Sequential {
	return NewSequential(
		conv2d(16, 3, 3, conv{Activation: "relu", InputShape: []int{32, 32, 3}, Name: "conv_1"}),
		maxPool(4, pool{Name: "pool_1"}),
		batchNorm(bn{}),
		flatten("flatten"),
		dense(32, dns{Activation: "relu", Name: "dense_1"}),
		dropout(0.5, ""),
		dense(10, dns{Activation: "softmax", Name: "dense_2"}),
	)
}

var goBuilders = map[string]func() *Sequential{
	"seed": seedModel,
	"padding_same": func() *Sequential {
		return NewSequential(
			conv2d(8, 3, 3, conv{Padding: "same", Activation: "relu", InputShape: []int{15, 15, 3}, Name: "conv_1"}),
			conv2d(6, 5, 5, conv{Padding: "same", Activation: "relu", Name: "conv_2"}),
			maxPool(2, pool{Name: "pool_1"}),
			batchNorm(bn{Name: "bn_1"}),
			flatten("flatten"),
			dense(16, dns{Activation: "relu", Name: "dense_1"}),
			dense(10, dns{Activation: "softmax", Name: "dense_2"}),
		)
	},
	"strides2": func() *Sequential {
		return NewSequential(
			conv2d(8, 3, 3, conv{Strides: [2]int{2, 2}, Activation: "relu", InputShape: []int{17, 16, 3}, Name: "conv_1"}),
			conv2d(8, 3, 3, conv{Strides: [2]int{2, 2}, Padding: "same", Activation: "relu", Name: "conv_2"}),
			conv2d(4, 2, 3, conv{Strides: [2]int{1, 2}, Activation: "relu", Name: "conv_3"}),
			flatten("flatten"),
			dense(10, dns{Activation: "softmax", Name: "dense_1"}),
		)
	},
	"no_bias": func() *Sequential {
		return NewSequential(
			conv2d(8, 3, 3, conv{Activation: "relu", NoBias: true, InputShape: []int{12, 12, 3}, Name: "conv_1"}),
			maxPool(2, pool{Name: "pool_1"}),
			batchNorm(bn{Name: "bn_1"}),
			flatten("flatten"),
			dense(16, dns{Activation: "relu", NoBias: true, Name: "dense_1"}),
			dense(10, dns{Activation: "softmax", Name: "dense_2"}),
		)
	},
	"no_bn": func() *Sequential {
		return NewSequential(
			conv2d(16, 3, 3, conv{Activation: "relu", InputShape: []int{16, 16, 3}, Name: "conv_1"}),
			maxPool(4, pool{Name: "pool_1"}),
			flatten("flatten"),
			dense(32, dns{Activation: "relu", Name: "dense_1"}),
			dropout(0.5, ""),
			dense(10, dns{Activation: "softmax", Name: "dense_2"}),
		)
	},
	"gray": func() *Sequential {
		return NewSequential(
			conv2d(8, 3, 3, conv{Activation: "relu", InputShape: []int{28, 28, 1}, Name: "conv_1"}),
			maxPool(4, pool{Name: "pool_1"}),
			batchNorm(bn{}),
			flatten("flatten"),
			dense(16, dns{Activation: "relu", Name: "dense_1"}),
			dropout(0.25, ""),
			dense(10, dns{Activation: "softmax", Name: "dense_2"}),
		)
	},
	"activations": func() *Sequential {
		return NewSequential(
			conv2d(8, 3, 3, conv{Activation: "tanh", InputShape: []int{12, 12, 3}, Name: "conv_tanh"}),
			conv2d(8, 3, 3, conv{Activation: "sigmoid", Name: "conv_sigmoid"}),
			conv2d(4, 3, 3, conv{Activation: "linear", Name: "conv_linear"}),
			maxPool(2, pool{Name: "pool_1"}),
			flatten("flatten"),
			dense(16, dns{Activation: "sigmoid", Name: "dense_sigmoid"}),
			dense(12, dns{Activation: "tanh", Name: "dense_tanh"}),
			dense(10, dns{Name: "dense_linear"}),
		)
	},
	"wide": func() *Sequential {
		return NewSequential(
			conv2d(24, 3, 3, conv{Padding: "same", Activation: "relu", InputShape: []int{16, 16, 3}, Name: "conv_1"}),
			conv2d(32, 3, 3, conv{Activation: "relu", Name: "conv_2"}),
			maxPool(4, pool{Name: "pool_1"}),
			batchNorm(bn{Name: "bn_1"}),
			flatten("flatten"),
			dense(48, dns{Activation: "relu", Name: "dense_1"}),
			dropout(0.3, "dropout_1"),
			dense(10, dns{Activation: "softmax", Name: "dense_2"}),
		)
	},
	"pool_strides": func() *Sequential {
		return NewSequential(
			conv2d(8, 3, 3, conv{Activation: "relu", InputShape: []int{19, 19, 3}, Name: "conv_1"}),
			maxPool(3, pool{Strides: [2]int{2, 2}, Name: "pool_1"}),
			conv2d(8, 2, 2, conv{Activation: "relu", Name: "conv_2"}),
			maxPool(3, pool{Strides: [2]int{2, 2}, Padding: "same", Name: "pool_2"}),
			maxPool(2, pool{Strides: [2]int{1, 1}, Name: "pool_3"}),
			flatten("flatten"),
			dense(10, dns{Activation: "softmax", Name: "dense_1"}),
		)
	},
	"auto_names": func() *Sequential {
		return NewSequential(
			conv2d(8, 3, 3, conv{Activation: "relu", InputShape: []int{12, 12, 3}}),
			conv2d(8, 3, 3, conv{Activation: "relu"}),
			maxPool(2, pool{}),
			batchNorm(bn{}),
			flatten(""),
			dense(16, dns{Activation: "relu"}),
			dropout(0.5, ""),
			dense(12, dns{Activation: "relu"}),
			dropout(0.2, ""),
			dense(10, dns{Activation: "softmax"}),
		)
	},
	"bn_options": func() *Sequential {
		return NewSequential(
			conv2d(8, 3, 3, conv{InputShape: []int{12, 12, 3}, Name: "conv_1"}),
			batchNorm(bn{NoCenter: true, Name: "bn_nocenter"}),
			maxPool(2, pool{Name: "pool_1"}),
			batchNorm(bn{NoScale: true, Momentum: 0.9, Epsilon: 1e-5, Name: "bn_noscale"}),
			flatten("flatten"),
			dense(16, dns{Activation: "relu", Name: "dense_1"}),
			batchNorm(bn{Momentum: 0.9, Epsilon: 1e-5, Name: "bn_dense"}),
			dense(10, dns{Activation: "softmax", Name: "dense_2"}),
		)
	},
}

// TestGoBuiltModels builds each fixture variant with Go constructors, as the Python
// generator builds it, and checks what Keras produced for it: the automatic layer names,
// both summaries byte for byte, both configs as parsed JSON, and predictions with Keras's
// weights set in.
func TestGoBuiltModels(t *testing.T) {
	variants := fixtureVariants(t)
	for _, v := range variants {
		build, ok := goBuilders[v]
		if !ok {
			t.Errorf("fixture variant %q has no Go builder in builders_test.go", v)
			continue
		}
		t.Run(v, func(t *testing.T) {
			dir := filepath.Join(fixtureRoot, v)
			m := build()
			assertTextEqual(t, "Summary", m.Summary(), string(readFile(t, filepath.Join(dir, "summary_keras2.txt"))))
			assertTextEqual(t, "SummaryKeras3", m.SummaryKeras3(), string(readFile(t, filepath.Join(dir, "summary_keras3.txt"))))
			for _, d := range []saved.Dialect{saved.Keras2, saved.Keras3} {
				assertConfig(t, "", m, d, dir)
			}
			setFixtureWeights(t, m, readFixtureWeights(t, dir))
			y, err := m.Predict(readNpy(t, filepath.Join(dir, "x.npy")))
			if err != nil {
				t.Fatal(err)
			}
			if d := maxAbsDiff(t, y, readNpy(t, filepath.Join(dir, "y_keras2.npy"))); d > 1e-5 {
				t.Errorf("max |y - y_keras2| = %g > 1e-5", d)
			}
		})
	}
}
