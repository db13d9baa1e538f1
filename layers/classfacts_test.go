package layers

import (
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/h5"
	"github.com/kerasgo/kerasgo/saved"
)

// TestClassFactsRegistered checks that every registered class's facts reach package saved:
// the base name is the path Keras 3 gives the class's first layer in a weights file, and the
// weight names are those of a built layer.
func TestClassFactsRegistered(t *testing.T) {
	for _, c := range Classes() {
		f, ok := saved.Facts(c)
		if !ok {
			t.Errorf("%s: no facts in package saved", c)
			continue
		}
		canon, _ := Canonical(c)
		if f.Class != canon {
			t.Errorf("%s: facts of %s", c, f.Class)
		}
		if p := h5.Keras3Paths([]string{canon})[0]; f.BaseName != p {
			t.Errorf("%s: base name %q, Keras 3 path %q", c, f.BaseName, p)
		}
		if g, ok := saved.ClassFor(f.BaseName); !ok || g.Class != canon {
			t.Errorf("%s: ClassFor(%q) = %q, %v", c, f.BaseName, g.Class, ok)
		}
	}
	dense := NewDense(3, DenseOptions{NoBias: true})
	conv := NewConv2D(2, [2]int{3, 3})
	bn := NewBatchNormalization()
	for _, tc := range []struct {
		l   Layer
		in  []int
		cfg map[string]any
	}{
		{dense, []int{4}, map[string]any{"use_bias": false}},
		{conv, []int{5, 5, 1}, nil},
		{bn, []int{4}, nil},
	} {
		if err := tc.l.Build(tc.in, NewRand(1)); err != nil {
			t.Fatal(err)
		}
		var want, nt []string
		for _, w := range tc.l.Weights() {
			want = append(want, w.Name)
			if !w.Trainable {
				nt = append(nt, w.Name)
			}
		}
		f, _ := saved.Facts(tc.l.Class())
		if got := f.WeightNames(tc.cfg, len(want)); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: weight names %v, want %v", tc.l.Class(), got, want)
		}
		if strings.Join(f.NonTrainable, ",") != strings.Join(nt, ",") {
			t.Errorf("%s: non-trainable %v, want %v", tc.l.Class(), f.NonTrainable, nt)
		}
	}
	// Without a config, a BatchNormalization with 3 variables was built with scale or
	// center off: the first variable's name is unknown.
	f, _ := saved.Facts("BatchNormalization")
	if got := strings.Join(f.WeightNames(nil, 3), ","); got != "0,moving_mean,moving_variance" {
		t.Errorf("BatchNormalization, 3 variables: %s", got)
	}
	if got := f.WeightNames(nil, 5); got != nil {
		t.Errorf("BatchNormalization, 5 variables: %v", got)
	}
	if f, _ := saved.Facts("Flatten"); f.WeightNames != nil {
		t.Errorf("Flatten has weight names")
	}
}
