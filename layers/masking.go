package layers

import (
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// Masks, as Keras propagates them: a layer that computes one (MaskComputer: Embedding with
// mask_zero, Masking) gives each (batch, time step) of its input a keep flag; recurrent layers
// and Bidirectional skip the steps whose flag is false (MaskedForwarder); layers that carry
// the mask on unchanged (MaskPasser: TimeDistributed, Dropout, a recurrent layer returning
// sequences) hand it to the next layer. Package model runs them; a mask reaching a layer that
// uses it through any other layer is refused there.

// MaskComputer is implemented by the layers that compute a mask from their input (when
// ProducesMask reports true): one flag per entry of the input without its last axis
// (Masking) or per input entry (Embedding), row-major.
type MaskComputer interface {
	MaskProducer
	ComputeMask(x *tensor.Tensor) []bool
}

// MaskedForwarder is implemented by the layers whose output depends on the mask
// (MaskUser): ForwardMasked is Forward with a mask of batch·timesteps flags (nil: none).
type MaskedForwarder interface {
	MaskUser
	ForwardMasked(x *tensor.Tensor, mask []bool, training bool) (*tensor.Tensor, error)
}

// MaskPasser is implemented by the layers whose output carries their input's mask on
// unchanged when PassesMask reports true.
type MaskPasser interface {
	PassesMask() bool
}

// ComputeMask returns input != 0 for every index (mask_zero).
func (l *Embedding) ComputeMask(x *tensor.Tensor) []bool {
	xd := x.Float32s()
	m := make([]bool, len(xd))
	for i, v := range xd {
		m[i] = v != 0
	}
	return m
}

// ForwardMasked runs both layers with the mask (the backward layer reads it reversed with
// its input).
func (l *Bidirectional) ForwardMasked(x *tensor.Tensor, mask []bool, training bool) (*tensor.Tensor, error) {
	return l.forward(x, mask, training)
}

// UsesMask reports true: the inner recurrent layers skip masked steps.
func (l *Bidirectional) UsesMask() bool { return true }

// PassesMask reports whether the output is a sequence (which carries the mask on).
func (l *Bidirectional) PassesMask() bool { return l.returnSeq() }

// PassesMask reports true: TimeDistributed's output carries its input's mask (the inner
// layers kerasgo wraps compute none of their own).
func (l *TimeDistributed) PassesMask() bool { return true }

// PassesMask reports true: Dropout carries its input's mask on.
func (l *Dropout) PassesMask() bool { return true }

// Masking is Keras's Masking layer: a time step whose features all equal mask_value is
// masked for the layers after it, and its features are set to zero.
type Masking struct {
	base
	value float64
	keep  []bool // the training Forward's mask, per (batch, step)
	inner int    // entries per step
}

func init() {
	register(Spec{Classes: []string{"Masking"}, FromConfig: maskingFromConfig})
}

// NewMasking returns a Masking layer with the given mask_value (Keras's default is 0).
func NewMasking(maskValue float64, name ...string) *Masking {
	n := ""
	if len(name) > 0 {
		n = name[0]
	}
	return &Masking{base: newBase(n, nil), value: maskValue}
}

func maskingFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("Masking", cfg)
	r.dialect = d
	l := &Masking{}
	r.readBase(&l.base)
	l.value = r.float(0, "mask_value")
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "Masking".
func (l *Masking) Class() string { return "Masking" }

// MaskValue returns mask_value.
func (l *Masking) MaskValue() float64 { return l.value }

// Config returns the layer's Keras config in dialect d.
func (l *Masking) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	c["mask_value"] = l.value
	return c
}

// OutputShape is the input shape.
func (l *Masking) OutputShape(in []int) ([]int, error) {
	if len(in) < 1 {
		return nil, layerErr(ErrShape, "Masking", l.name, "input shape %s: need at least one axis", tensor.ShapeString(in))
	}
	return slices.Clone(in), nil
}

// Build records the input shape.
func (l *Masking) Build(in []int, _ *Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.inShape = slices.Clone(in)
	return nil
}

// Weights returns nil.
func (l *Masking) Weights() []*Weight { return nil }

// ProducesMask reports true.
func (l *Masking) ProducesMask() bool { return true }

// ComputeMask flags the steps (entries of the input without its last axis) with a feature
// other than mask_value.
func (l *Masking) ComputeMask(x *tensor.Tensor) []bool {
	n := x.Shape[len(x.Shape)-1]
	xd := x.Float32s()
	v := float32(l.value)
	m := make([]bool, len(xd)/max(n, 1))
	for i := range m {
		for _, e := range xd[i*n : (i+1)*n] {
			if e != v {
				m[i] = true
				break
			}
		}
	}
	return m
}

// Forward zeroes the masked steps.
func (l *Masking) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if err := checkInput(x, l.inShape, "Masking", l.name); err != nil {
		return nil, err
	}
	m := l.ComputeMask(x)
	n := x.Shape[len(x.Shape)-1]
	out := slices.Clone(x.Float32s())
	for i, keep := range m {
		if !keep {
			clear(out[i*n : (i+1)*n])
		}
	}
	if training {
		l.keep, l.inner = m, n
	}
	return tensor.MustFromFloat32(slices.Clone(x.Shape), out), nil
}

// Backward passes dy where the steps were kept.
func (l *Masking) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if l.keep == nil || dy == nil || dy.Len() != len(l.keep)*l.inner {
		return nil, layerErr(ErrShape, "Masking", l.name, "Backward without a matching training Forward")
	}
	out := slices.Clone(dy.Float32s())
	for i, keep := range l.keep {
		if !keep {
			clear(out[i*l.inner : (i+1)*l.inner])
		}
	}
	return tensor.MustFromFloat32(slices.Clone(dy.Shape), out), nil
}

// Graph: x · Cast(Any(NotEqual(x, mask_value), axis -1, keepdims)).
func (l *Masking) Graph() (*saved.LayerGraph, error) {
	if !l.Built() {
		return nil, errNotBuiltGraph("Masking", l.name)
	}
	g := newGraphBuilder("Masking", l.name)
	ne := g.op("NotEqual", "NotEqual", []string{"$in", g.scalar("NotEqual/y", float32(l.value))},
		tAttrs(map[string]saved.Attr{"incompatible_shape_error": saved.BoolAttr(true)}))
	axis := g.int32s("Any/reduction_indices", []int{}, -1)
	anyOp := g.op("Any", "Any", []string{ne, axis}, map[string]saved.Attr{
		"keep_dims": saved.BoolAttr(true), "Tidx": saved.TypeAttr(tensor.Int32)})
	cast := g.op("Cast", "Cast", []string{anyOp}, map[string]saved.Attr{
		"SrcT": saved.TypeAttr(tensor.Bool), "DstT": saved.TypeAttr(tensor.Float32), "Truncate": saved.BoolAttr(false)})
	g.fop("mul", "Mul", "$in", cast)
	return g.graph(l, false)
}

func (*Masking) noKeras3BuildConfig() {}

// setZeroOutput sets zero_output_for_mask (Bidirectional forces it to return_sequences).
func (l *rnn) setZeroOutput(z bool) { l.zeroOut = z }

// IsMaskOp reports whether a Keras 3 operation class is one Keras 3 records in a Functional
// config to compute a mask (Embedding's mask_zero: NotEqual; Masking: NotEqual then Any; the
// attention layers' output mask: ConvertToTensor of the query's).
func IsMaskOp(class string) bool {
	return class == "NotEqual" || class == "Any" || class == "ConvertToTensor"
}

// UsesMask reports true: the mean is over the unmasked steps.
func (l *GlobalAveragePooling1D) UsesMask() bool { return true }

// Forward is the mean over every step.
func (l *GlobalAveragePooling1D) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	l.keep, l.cnt = nil, nil
	return l.globalPool1D.Forward(x, training)
}

// ForwardMasked is the mean over the steps whose mask entry is true (batch·steps flags), as
// Keras computes it: sum(x·mask) / sum(mask) (a row with every step masked divides by zero).
func (l *GlobalAveragePooling1D) ForwardMasked(x *tensor.Tensor, mask []bool, training bool) (*tensor.Tensor, error) {
	if mask == nil {
		return l.Forward(x, training)
	}
	if err := checkInput(x, l.inShape, l.class, l.name); err != nil {
		return nil, err
	}
	B, T, C := x.Shape[0], x.Shape[1], x.Shape[2]
	if len(mask) != B*T {
		return nil, layerErr(ErrShape, l.class, l.name, "mask of %d steps for a batch of %d x %d", len(mask), B, T)
	}
	keep := make([]float32, B*T)
	cnt := make([]float32, B)
	for i, m := range mask {
		if m {
			keep[i] = 1
			cnt[i/T]++
		}
	}
	xd := x.Float32s()
	y := make([]float32, B*C)
	for b := 0; b < B; b++ {
		for t := 0; t < T; t++ {
			if keep[b*T+t] == 0 {
				continue
			}
			for c, v := range xd[(b*T+t)*C : (b*T+t+1)*C] {
				y[b*C+c] += v
			}
		}
		for c := range y[b*C : (b+1)*C] {
			y[b*C+c] /= cnt[b]
		}
	}
	l.xShape = slices.Clone(x.Shape)
	if training {
		l.keep, l.cnt = keep, cnt
	}
	out, _ := l.OutputShape(l.inShape)
	return tensor.MustFromFloat32(append([]int{B}, out...), y), nil
}

// Backward returns dL/dx (spread over the unmasked steps after a masked Forward).
func (l *GlobalAveragePooling1D) Backward(dy *tensor.Tensor) (*tensor.Tensor, error) {
	if l.keep == nil {
		return l.globalPool1D.Backward(dy)
	}
	B, T, C := l.xShape[0], l.xShape[1], l.xShape[2]
	if dy == nil || dy.Len() != B*C {
		return nil, layerErr(ErrShape, l.class, l.name, "dy shape %s, want %d values", shapeOf(dy), B*C)
	}
	g := dy.Float32s()
	dx := make([]float32, B*T*C)
	for b := 0; b < B; b++ {
		for t := 0; t < T; t++ {
			if l.keep[b*T+t] == 0 {
				continue
			}
			for c := 0; c < C; c++ {
				dx[(b*T+t)*C+c] = g[b*C+c] / l.cnt[b]
			}
		}
	}
	return tensor.MustFromFloat32(slices.Clone(l.xShape), dx), nil
}

// ParamCount returns 0 (Masking has no weights) after checking the input shape.
func (l *Masking) ParamCount(in []int) (int64, error) {
	_, err := l.OutputShape(in)
	return 0, err
}
