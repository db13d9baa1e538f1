package layers

import (
	"math"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// ActivityRegularization is Keras's ActivityRegularization: the identity, which in training
// adds (l1·Σ|x| + l2·Σx²)/batch to the loss (both Keras versions divide by the batch size).
type ActivityRegularization struct {
	ewise
	l1, l2 float64
	loss   float64
}

// ActivityRegularizationOptions are the optional arguments of NewActivityRegularization.
type ActivityRegularizationOptions struct {
	Name       string
	InputShape []int
}

// NewActivityRegularization returns an ActivityRegularization layer.
func NewActivityRegularization(l1, l2 float64, opts ...ActivityRegularizationOptions) *ActivityRegularization {
	o := optionsArg("NewActivityRegularization", opts)
	return &ActivityRegularization{ewise: ewise{base: newBase(o.Name, o.InputShape), class: "ActivityRegularization"}, l1: l1, l2: l2}
}

func init() {
	register(Spec{Classes: []string{"ActivityRegularization"}, FromConfig: activityRegularizationFromConfig})
}

func activityRegularizationFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("ActivityRegularization", cfg)
	l := &ActivityRegularization{ewise: ewise{class: "ActivityRegularization"}}
	r.readBase(&l.base)
	l.l1 = r.float(0, "l1")
	l.l2 = r.float(0, "l2")
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "ActivityRegularization".
func (l *ActivityRegularization) Class() string { return "ActivityRegularization" }

// Forward returns a copy of x and records the layer's loss (see Loss): Keras adds it to the
// model's loss in training and in evaluation alike.
func (l *ActivityRegularization) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	l.loss = 0
	return l.forward(x, training, func(x, y []float32) {
		copy(y, x)
		var s1, s2 float64
		for _, v := range x {
			s1 += math.Abs(float64(v))
			s2 += float64(v) * float64(v)
		}
		if n := len(x) / max(1, shapeSize(l.inShape)); n > 0 {
			l.loss = (l.l1*s1 + l.l2*s2) / float64(n)
		}
	})
}

// Loss returns the regularization loss of the last Forward: the amount the layer adds to the
// model's loss (tf_keras and Keras 3 count it in fit and in evaluate).
func (l *ActivityRegularization) Loss() float64 { return l.loss }

// Backward returns dy plus the gradient of the layer's loss, (l1·sign(x) + 2·l2·x)/batch.
func (l *ActivityRegularization) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	return l.backward(dy, func(x, _, dy, dx []float32) {
		n := float32(len(x) / max(1, shapeSize(l.inShape)))
		a, b := float32(l.l1)/n, 2*float32(l.l2)/n
		for i, v := range x {
			var s float32
			switch {
			case v > 0:
				s = 1
			case v < 0:
				s = -1
			}
			dx[i] = dy[i] + a*s + b*v
		}
	})
}

// Config returns the layer's Keras config in dialect d.
func (l *ActivityRegularization) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["l1"] = l.l1
	c["l2"] = l.l2
	return c
}

// Graph returns the identity: the regularizer only adds to the training loss.
func (l *ActivityRegularization) Graph() (*saved.LayerGraph, error) {
	if l.inShape == nil {
		return nil, layerErr(ErrShape, "ActivityRegularization", l.name, "Graph before Build")
	}
	g := newGraphBuilder(l.Class(), l.Name())
	return g.graphOut(l.inShape, l.inShape, false, "$in")
}

// LossLayer is implemented by layers that add to the model's loss (ActivityRegularization):
// Loss is the amount added by the last Forward, whose gradient Backward already includes.
type LossLayer interface {
	Loss() float64
}

// Keras 3 writes no build_config for ActivityRegularization (see BuildConfig).
func (*ActivityRegularization) noKeras3BuildConfig() {}
