package layers

import (
	"os"

	"github.com/kerasgo/kerasgo/tensor"
)

// Inference of a convolution followed by BatchNormalization (and an activation) as one
// layer: the normalisation's per-channel scale s and shift t (BatchNormalization.foldInto)
// are applied to each output row or GEMM tile of the convolution while it is in cache (in
// the AVX-512 depthwise kernels' registers), then the activation (ReLU and ReLU6 in those
// registers too), so neither the normalisation nor the activation makes a pass of its own
// over the activations and no buffer is written for them. The operations and their order
// are the layers' one by one (z·s + t in two roundings, as BatchNormalization computes it),
// so the result is bit-identical to running the three layers (but for swish and other vmath
// activations, whose last floats of a row that fill no vector take the Go loop: an ulp).
// A ZeroPadding2D before a valid DepthwiseConv2D is taken in as the convolution's own
// padding (CanPad), so the padded copy is not made either. (Folding s into the kernel
// weights was tried first: it saves the multiply but changes the rounding, which moved
// MobileNetV3Small's predictions 1.3e-4 relative from Keras's, past the compat tolerance.)

// foldOff (KERASGO_NOFOLD set) turns the chains off, for comparisons.
var foldOff = os.Getenv("KERASGO_NOFOLD") != ""

// FoldActivation returns the activation of a layer that may follow a folded
// BatchNormalization (a ReLU layer that is relu or relu6, an Activation layer), or nil.
func FoldActivation(l Layer) *activationFunc {
	if l == nil || policyRound(PolicyOf(l)) != nil {
		return nil
	}
	switch a := l.(type) {
	case *ReLU:
		if a.slope != 0 || a.threshold != 0 {
			return nil
		}
		if a.maxValue == nil {
			return reluActivation
		}
		if *a.maxValue == 6 {
			return activations["relu6"]
		}
	case *Activation:
		return a.act
	}
	return nil
}

// CanPad reports whether InferFolded can take pad (a ZeroPadding2D) before head: head is a
// DepthwiseConv2D with valid padding whose input is pad's output, so that it reads pad's
// input with the padding as its own (taps in the padding are skipped, as zeros add nothing)
// and no padded copy is made.
func CanPad(pad, head Layer) bool {
	z, ok := pad.(*ZeroPadding2D)
	h, ok2 := head.(*DepthwiseConv2D)
	if !ok || !ok2 || foldOff || z.inShape == nil || len(z.inShape) != 3 || h.inShape == nil || h.same ||
		h.dilation != [2]int{1, 1} || policyRound(PolicyOf(z)) != nil {
		return false
	}
	out, err := z.OutputShape(z.inShape)
	return err == nil && len(out) == 3 && out[0] == h.inShape[0] && out[1] == h.inShape[1] && out[2] == h.inShape[2]
}

// CanFold reports whether InferFolded runs head (a Conv2D or DepthwiseConv2D without an
// activation) followed by bn (a BatchNormalization over the last axis) and act (nil, or a
// layer FoldActivation accepts) as one layer; all must be built and float32.
func CanFold(head, bn, act Layer) bool {
	if foldOff {
		return false
	}
	b, ok := bn.(*BatchNormalization)
	if !ok || b.inShape == nil || b.inner != 1 || b.ax != len(b.inShape)-1 || policyRound(PolicyOf(b)) != nil {
		return false
	}
	if act != nil && FoldActivation(act) == nil {
		return false
	}
	if policyRound(PolicyOf(head)) != nil {
		return false
	}
	switch h := head.(type) {
	case *Conv2D:
		return h.inShape != nil && h.plain() && h.act.identity && b.ch == h.filters && len(h.inShape) == 3
	case *DepthwiseConv2D:
		return h.inShape != nil && h.act.identity && b.ch == h.g.c*h.dm
	}
	return false
}

// foldKey keys the scale and shift of a head in a workspace.
type foldKey struct{ head Layer }

// InferFolded is Infer of pad (nil: none), head, then bn, then act (nil: none) in inference,
// for layers CanFold (and CanPad) accept, in one pass (see above). The result is head's
// inference output buffer (valid until the next use of ws for head).
func InferFolded(ws *Workspace, pad, head, bn, act Layer, x *tensor.Tensor) (*tensor.Tensor, error) {
	b := bn.(*BatchNormalization)
	a := activations["linear"]
	if act != nil {
		a = FoldActivation(act)
	}
	var st []float32
	if ws != nil {
		v := ws.Aux(foldKey{head}, func() any { return new([]float32) }).(*[]float32)
		if len(*v) != 2*b.ch {
			*v = make([]float32, 2*b.ch)
		}
		st = *v
	} else {
		st = make([]float32, 2*b.ch)
	}
	sc, sh := st[:b.ch], st[b.ch:]
	b.foldInto(sc, sh)
	switch h := head.(type) {
	case *Conv2D:
		if pad != nil {
			panic("layers.InferFolded: padding before a Conv2D")
		}
		if err := checkInput(x, h.inShape, "Conv2D", h.name); err != nil {
			return nil, err
		}
		h.clearTrainCache()
		p := h.ownParams()
		p.sc, p.sh, p.act = sc, sh, a
		return h.forwardInferP(ws, x, &p), nil
	case *DepthwiseConv2D:
		var g *geom
		if pad != nil {
			z := pad.(*ZeroPadding2D)
			if err := checkInput(x, z.inShape, "ZeroPadding2D", z.name); err != nil {
				return nil, err
			}
			gp := h.g
			gp.h, gp.w = z.inShape[0], z.inShape[1]
			gp.pt, gp.pl = z.pad[0][0], z.pad[1][0]
			g = &gp
		} else if err := checkInput(x, h.inShape, "DepthwiseConv2D", h.name); err != nil {
			return nil, err
		}
		h.clearTrainCache()
		p := dwParams{kd: h.kernel.Value.Float32s(), sc: sc, sh: sh, act: a, g: g}
		if h.bias != nil {
			p.bd = h.bias.Value.Float32s()
		}
		return h.forwardInfer(ws, x, &p), nil
	}
	panic("layers.InferFolded: not a foldable head")
}
