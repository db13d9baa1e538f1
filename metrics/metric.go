// Package metrics holds the Keras metrics kerasgo computes in fit and evaluate (accuracy in
// its sparse, categorical and binary forms, mean squared and mean absolute error), resolved
// from their names as tf_keras's compile resolves them, and Keras's Mean state.
package metrics

import (
	"fmt"
	"math"
	"strings"

	"github.com/kerasgo/kerasgo/internal/errcat"
	"github.com/kerasgo/kerasgo/tensor"
)

// Metric is one compiled metric: the name the user gave ("accuracy") and the function it
// resolves to ("sparse_categorical_accuracy"), as tf_keras's compile_utils resolves it.
type Metric struct {
	Name string // as given; also the key in logs
	Fn   string // resolved function; "" until resolved for "accuracy"/"acc"
	// Auto marks "accuracy"/"acc", whose function depends on the target and output shapes
	// (see ResolveAccuracy).
	Auto bool
}

var metricFns = map[string]string{
	"sparse_categorical_accuracy": "sparse_categorical_accuracy",
	"categorical_accuracy":        "categorical_accuracy",
	"binary_accuracy":             "binary_accuracy",
	"mse":                         "mean_squared_error",
	"mean_squared_error":          "mean_squared_error",
	"mae":                         "mean_absolute_error",
	"mean_absolute_error":         "mean_absolute_error",
}

// Parse returns the metric Keras compiles for a name.
func Parse(name string) (Metric, error) {
	switch strings.ToLower(name) {
	case "accuracy", "acc":
		return Metric{Name: name, Auto: true}, nil
	}
	if fn, ok := metricFns[name]; ok {
		return Metric{Name: name, Fn: fn}, nil
	}
	return Metric{}, fmt.Errorf("%w: metric %q (kerasgo computes accuracy, acc, sparse_categorical_accuracy, categorical_accuracy, binary_accuracy, mse, mae)", errcat.ErrUnsupported, name)
}

// ResolveAccuracy picks the accuracy function for "accuracy"/"acc" from the target and output
// shapes, as tf_keras does: binary when the output's last axis is 1, sparse categorical when
// the targets have a lower rank (or a last axis of 1 against several classes), else
// categorical.
func ResolveAccuracy(yShape, predShape []int) string {
	yr, pr := len(yShape), len(predShape)
	yl, pl := 0, 0
	if yr > 0 {
		yl = yShape[yr-1]
	}
	if pr > 0 {
		pl = predShape[pr-1]
	}
	switch {
	case pl == 1:
		return "binary_accuracy"
	case yr < pr || (yl == 1 && pl > 1):
		return "sparse_categorical_accuracy"
	}
	return "categorical_accuracy"
}

// Sum returns the sum over the batch of a metric's per-sample values and the number of
// samples (Keras's MeanMetricWrapper: total += sum, count += n).
func Sum(fn string, pred []float32, predShape []int, y []float32) (float32, float32, error) {
	c := predShape[len(predShape)-1]
	if c < 1 {
		return 0, 0, fmt.Errorf("%w: output shape %s", errcat.ErrShape, tensor.ShapeString(predShape))
	}
	rows := len(pred) / c
	var s float32
	switch fn {
	case "sparse_categorical_accuracy":
		if len(y) != rows {
			return 0, 0, fmt.Errorf("%w: %d labels for %d outputs", errcat.ErrShape, len(y), rows)
		}
		for r := 0; r < rows; r++ {
			if float32(argmax(pred[r*c:(r+1)*c])) == y[r] {
				s++
			}
		}
	case "categorical_accuracy":
		if len(y) != len(pred) {
			return 0, 0, fmt.Errorf("%w: targets do not match outputs", errcat.ErrShape)
		}
		for r := 0; r < rows; r++ {
			if argmax(pred[r*c:(r+1)*c]) == argmax(y[r*c:(r+1)*c]) {
				s++
			}
		}
	case "binary_accuracy":
		if len(y) != len(pred) {
			return 0, 0, fmt.Errorf("%w: targets do not match outputs", errcat.ErrShape)
		}
		for r := 0; r < rows; r++ {
			var hit float32
			for j := r * c; j < (r+1)*c; j++ {
				var b float32
				if pred[j] > 0.5 {
					b = 1
				}
				if b == y[j] {
					hit++
				}
			}
			s += hit / float32(c)
		}
	case "mean_squared_error", "mean_absolute_error":
		if len(y) != len(pred) {
			return 0, 0, fmt.Errorf("%w: targets do not match outputs", errcat.ErrShape)
		}
		for r := 0; r < rows; r++ {
			var e float32
			for j := r * c; j < (r+1)*c; j++ {
				d := pred[j] - y[j]
				if fn == "mean_squared_error" {
					e += d * d
				} else {
					e += float32(math.Abs(float64(d)))
				}
			}
			s += e / float32(c)
		}
	default:
		return 0, 0, fmt.Errorf("%w: metric %q", errcat.ErrUnsupported, fn)
	}
	return s, float32(rows), nil
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// Mean is Keras's Mean metric state: float32 total and count.
type Mean struct{ total, count float32 }

// Add adds the sum of n values.
func (m *Mean) Add(sum, n float32) { m.total += sum; m.count += n }

// Result is the mean so far (0 before any value).
func (m *Mean) Result() float64 {
	if m.count == 0 {
		return 0
	}
	return float64(m.total / m.count)
}
