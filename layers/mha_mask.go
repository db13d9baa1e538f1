package layers

import (
	"fmt"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// MultiHeadAttention's masks, as Keras merges them (logical AND) into one (batch, Tq, Tv)
// attention mask: the Keras masks of the query (rows) and value (columns) and of a key that
// is not the value, the causal mask, and the attention_mask tensor argument (kept where
// non-zero). Masked scores get -1e9 before the softmax, so a fully masked row attends
// uniformly, as in both Keras versions.

// OptionalTensorArgs is implemented by TensorArgs layers whose tensor arguments after the
// first two may each be absent (MultiHeadAttention's key and attention_mask).
type OptionalTensorArgs interface {
	TensorArgs
	// AllCallArgs names every tensor argument the call may take, in input order.
	AllCallArgs() []string
	// SetPresentArgs records the arguments a call read from a config passes (first: the
	// layer's first call).
	SetPresentArgs(names []string, first bool) error
}

// UsesMask reports true: the Keras masks of the query, value and key hide scores.
func (l *MultiHeadAttention) UsesMask() bool { return true }

// OutputMaskN returns the query's mask, which Keras sets on the output.
func (l *MultiHeadAttention) OutputMaskN(masks [][]bool) []bool {
	if len(masks) == 0 {
		return nil
	}
	return masks[0]
}

// OutputMaskFrom returns 0: the output carries the query's mask.
func (l *MultiHeadAttention) OutputMaskFrom() int { return 0 }

// keepMask returns the merged mask (bt·tq·tv flags, true: attend), or nil when only the
// causal mask (or none) applies. am is the attention_mask argument (nil: none); masks the
// inputs' Keras masks; xs the query, value (and key) tensors.
func (l *MultiHeadAttention) keepMask(am []float32, masks [][]bool, xs []*tensor.Tensor, bt, tq, tv int) []bool {
	mask := func(i, n int) []bool {
		if i < len(masks) && len(masks[i]) == n {
			return masks[i]
		}
		return nil
	}
	qm, vm := mask(0, bt*tq), mask(1, bt*tv)
	var km []bool
	if len(xs) == 3 && xs[2] != xs[1] {
		km = mask(2, bt*tv)
	}
	if am == nil && qm == nil && vm == nil && km == nil {
		return nil
	}
	keep := make([]bool, bt*tq*tv)
	for b := 0; b < bt; b++ {
		for i := 0; i < tq; i++ {
			for j := 0; j < tv; j++ {
				x := (b*tq+i)*tv + j
				k := !(l.causal && j > i)
				k = k && (qm == nil || qm[b*tq+i]) && (vm == nil || vm[b*tv+j]) && (km == nil || km[b*tv+j])
				k = k && (am == nil || am[x] != 0)
				keep[x] = k
			}
		}
	}
	return keep
}

// graphMaskOps appends to g the ops adding -1e9 to the scores s where the merged mask hides a
// key: the Keras masks of the inputs has marks (query rows, value and key columns), the
// attention_mask input (the call's last: kept where non-zero) and the causal mask, multiplied
// as float32 0/1 into keep (batch, Tq, Tv) and expanded over the heads.
func (l *MultiHeadAttention) graphMaskOps(g *graphBuilder, s string, has []bool) string {
	cast := func(x string) string {
		return g.op("softmax/Cast", "Cast", []string{x}, map[string]saved.Attr{"SrcT": saved.TypeAttr(tensor.Bool),
			"DstT": saved.TypeAttr(tensor.Float32), "Truncate": saved.BoolAttr(false)})
	}
	expand := func(x string, axis int32) string {
		return g.op("ExpandDims", "ExpandDims", []string{x, g.int32s("ExpandDims/dim", []int{}, axis)}, tAttrs(map[string]saved.Attr{
			"Tdim": saved.TypeAttr(tensor.Int32)}))
	}
	keep := ""
	and := func(x string) {
		if keep == "" {
			keep = x
			return
		}
		keep = g.fop("softmax/mul_mask", "Mul", keep, x)
	}
	if len(has) > 0 && has[0] {
		and(expand(cast("$mask"), -1)) // (batch, Tq, 1)
	}
	for i := 1; i < len(has) && i < len(l.tensorShapes()); i++ {
		if has[i] {
			and(expand(cast(fmt.Sprintf("$mask%d", i)), -2)) // (batch, 1, Tv)
		}
	}
	if l.maskArg {
		ref := fmt.Sprintf("$in%d", len(l.inShapes)-1)
		and(cast(g.op("NotEqual", "NotEqual", []string{ref, g.scalar("NotEqual/y", 0)},
			tAttrs(map[string]saved.Attr{"incompatible_shape_error": saved.BoolAttr(true)}))))
	}
	if l.causal {
		tq, tv := l.inShapes[0][0], l.inShapes[1][0]
		c := make([]float32, tq*tv)
		for i := 0; i < tq; i++ {
			for j := 0; j <= i && j < tv; j++ {
				c[i*tv+j] = 1
			}
		}
		and(g.floatConst("causal_mask", []int{tq, tv}, c))
	}
	keep = expand(keep, -3) // over the heads
	adder := g.fop("softmax/mul", "Mul", g.fop("softmax/sub", "Sub", g.scalar("softmax/sub/x", 1), keep), g.scalar("softmax/mul/y", -1e9))
	return g.fop("softmax/add", "AddV2", s, adder)
}
