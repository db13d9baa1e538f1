package metrics

import (
	"errors"
	"testing"

	"github.com/kerasgo/kerasgo/internal/errcat"
)

// TestParse: the names Keras compiles, "accuracy"/"acc" left to resolve from the shapes,
// and the error for a metric kerasgo does not compute.
func TestParse(t *testing.T) {
	for name, fn := range map[string]string{"mse": "mean_squared_error", "mae": "mean_absolute_error", "categorical_accuracy": "categorical_accuracy"} {
		if m, err := Parse(name); err != nil || m.Name != name || m.Fn != fn || m.Auto {
			t.Errorf("Parse(%q) = %+v, %v", name, m, err)
		}
	}
	for _, name := range []string{"accuracy", "acc", "Accuracy"} {
		if m, err := Parse(name); err != nil || !m.Auto || m.Fn != "" {
			t.Errorf("Parse(%q) = %+v, %v", name, m, err)
		}
	}
	if _, err := Parse("auc"); !errors.Is(err, errcat.ErrUnsupported) {
		t.Errorf("Parse(auc): %v", err)
	}
}

// TestSumShapes: targets that do not fit the outputs are ErrShape, not a panic.
func TestSumShapes(t *testing.T) {
	pred := []float32{0.1, 0.9, 0.8, 0.2}
	for fn, y := range map[string][]float32{
		"sparse_categorical_accuracy": {1, 0, 1},
		"categorical_accuracy":        {0, 1},
		"binary_accuracy":             {1},
		"mean_squared_error":          {1, 2, 3},
	} {
		if _, _, err := Sum(fn, pred, []int{2, 2}, y); !errors.Is(err, errcat.ErrShape) {
			t.Errorf("%s with %d targets: %v", fn, len(y), err)
		}
	}
	if _, _, err := Sum("sparse_categorical_accuracy", nil, []int{0, 0}, nil); !errors.Is(err, errcat.ErrShape) {
		t.Errorf("no classes: %v", err)
	}
	var m Mean
	if m.Result() != 0 {
		t.Errorf("empty Mean = %v", m.Result())
	}
}
