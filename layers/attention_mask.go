package layers

import (
	"fmt"

	"github.com/kerasgo/kerasgo/tensor"
)

// This file holds what Attention and AdditiveAttention take besides their tensors: the Keras
// masks of their inputs (the value's hides keys, the query's zeroes output rows and is the
// mask the output carries) and the call argument use_causal_mask.

// MaskedForwarderN is implemented by the layers taking a list of inputs whose output depends
// on the Keras masks of those inputs (MaskUser) and carries a mask computed from them.
type MaskedForwarderN interface {
	MultiInput
	MaskUser
	// ForwardMaskedN is ForwardN with one mask per input (nil entries: none; each
	// batch·steps flags).
	ForwardMaskedN(xs []*tensor.Tensor, masks [][]bool, training bool) (*tensor.Tensor, error)
	// OutputMaskN is the mask the output carries given the inputs' masks (nil: none).
	OutputMaskN(masks [][]bool) []bool
	// OutputMaskFrom is the input whose mask the output carries (-1: none).
	OutputMaskFrom() int
}

// ListCallKwargs is implemented by the layers taking a list of inputs whose calls take
// keyword arguments that Functional configs record (Attention's use_causal_mask).
type ListCallKwargs interface {
	// ListCallKwargs returns the arguments as the configs record them (only those set).
	ListCallKwargs() map[string]any
	// SetListCallKwarg takes one keyword argument of a call read from a config; ok is false
	// for an argument the layer does not take.
	SetListCallKwarg(k string, v any) (ok bool, err error)
}

// UsesMask reports true: the value's mask hides keys, the query's zeroes output rows.
func (c *attnCore) UsesMask() bool { return true }

// OutputMaskN returns the query's mask, as Keras's compute_mask does.
func (c *attnCore) OutputMaskN(masks [][]bool) []bool {
	if len(masks) == 0 || len(c.inShapes) > 0 && len(c.inShapes[0]) != 2 {
		return nil
	}
	return masks[0]
}

// OutputMaskFrom returns 0: the output carries the query's mask.
func (c *attnCore) OutputMaskFrom() int { return 0 }

// ListCallKwargs returns use_causal_mask and return_attention_scores when the layer's calls
// set them (true).
func (c *attnCore) ListCallKwargs() map[string]any {
	var kw map[string]any
	if c.causal {
		kw = map[string]any{"use_causal_mask": true}
	}
	if c.scores {
		if kw == nil {
			kw = map[string]any{}
		}
		kw["return_attention_scores"] = true
	}
	return kw
}

// SetListCallKwarg takes use_causal_mask and return_attention_scores (every call of the layer
// must give the same value).
func (c *attnCore) SetListCallKwarg(k string, v any) (bool, error) {
	if k == "return_attention_scores" {
		return true, c.setScoresKwarg(v)
	}
	if k != "use_causal_mask" {
		return false, nil
	}
	b, ok := v.(bool)
	if !ok && v != nil {
		return true, fmt.Errorf("%w: call argument use_causal_mask=%v: want a boolean", ErrFormat, v)
	}
	if c.causalSet && c.causal != b {
		return true, fmt.Errorf("%w: calls with and without use_causal_mask (kerasgo keeps one value per layer)", ErrUnsupported)
	}
	c.causal, c.causalSet = b, true
	return true, nil
}

// SetCausal sets the causal mask of the layer's calls (use_causal_mask=True).
func (c *attnCore) SetCausal(on bool) { c.causal, c.causalSet = on, true }

// Causal reports whether the layer's calls apply the causal mask.
func (c *attnCore) Causal() bool { return c.causal }

// ForwardMaskedN is ForwardN with the inputs' masks.
func (l *Attention) ForwardMaskedN(xs []*tensor.Tensor, masks [][]bool, training bool) (*tensor.Tensor, error) {
	return l.forward("Attention", l, xs, masks, training)
}

// ForwardMaskedN is ForwardN with the inputs' masks.
func (l *AdditiveAttention) ForwardMaskedN(xs []*tensor.Tensor, masks [][]bool, training bool) (*tensor.Tensor, error) {
	return l.forward("AdditiveAttention", l, xs, masks, training)
}

// ForwardMaskedN is ForwardN (the layer's dtype policy applied) with the inputs' masks.
func ForwardMaskedN(l MaskedForwarderN, xs []*tensor.Tensor, masks [][]bool, training bool) (*tensor.Tensor, error) {
	round := policyRound(PolicyOf(l))
	if round == nil {
		return l.ForwardMaskedN(xs, masks, training)
	}
	in := make([]*tensor.Tensor, len(xs))
	for i, x := range xs {
		if x != nil {
			in[i] = roundTensor(x.Clone(), round)
		}
	}
	restore := roundWeights(l, round)
	y, err := l.ForwardMaskedN(in, masks, training)
	restore()
	if err != nil {
		return nil, err
	}
	return roundTensor(y, round), nil
}

// keras3MaskOps is implemented by the layers whose mask Keras 3 computes with operations
// that its Functional graphs record (when a later call takes the mask).
type keras3MaskOps interface{ keras3MaskOps() [][2]string }

func (l *Embedding) keras3MaskOps() [][2]string { return [][2]string{{"NotEqual", "not_equal"}} }

func (l *Masking) keras3MaskOps() [][2]string {
	return [][2]string{{"NotEqual", "not_equal"}, {"Any", "any"}}
}

func (c *attnCore) keras3MaskOps() [][2]string {
	return [][2]string{{"ConvertToTensor", "convert_to_tensor"}}
}

// Keras3MaskOps returns the operations (class and automatic name) by which Keras 3 computes
// the mask of l's output from its input or its input's mask, in order (nil: none): NotEqual
// for Embedding(mask_zero), NotEqual then Any for Masking, ConvertToTensor of the query's
// mask for the attention layers.
func Keras3MaskOps(l Layer) [][2]string {
	if k, ok := l.(keras3MaskOps); ok {
		if mp, ok := l.(MaskProducer); ok && !mp.ProducesMask() {
			return nil
		}
		return k.keras3MaskOps()
	}
	return nil
}

// Keras3TakesMask reports whether Keras 3's call of l takes a mask argument, which it records
// in Functional configs (and summaries) when a mask reaches the call.
func Keras3TakesMask(l Layer) bool {
	_, ok := Keras3CallKwargs(l)["mask"]
	return ok
}
