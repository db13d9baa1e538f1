package model

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/tensor"
)

// Masks as Keras propagates them (see layers/masking.go): a layer computing a mask
// (Embedding with mask_zero, Masking) starts one; layers carrying it on (TimeDistributed,
// Dropout, recurrent layers returning sequences) pass it; the recurrent layers and
// Bidirectional use it. A mask that crosses any other layer is not carried by kerasgo: a
// layer using masks that it would reach is refused when the model is built, naming the
// layer it crossed.

// maskFlow is what building a model knows about the mask reaching a tensor.
type maskFlow struct {
	by   string // the layer that computed it ("" when no mask reaches the tensor)
	lost string // the first layer it crossed that kerasgo does not carry masks through
}

// next returns the mask flow of l's output, or an error when l uses the mask but kerasgo
// lost it on the way. multi reports a call on several tensors (merge layers carry none).
func (f maskFlow) next(l layers.Layer, multi bool) (maskFlow, error) {
	if mu, ok := l.(layers.MaskUser); ok && mu.UsesMask() && f.by != "" && f.lost != "" {
		return f, fmt.Errorf("%w: layer %s would receive the mask of layer %s through layer %s, which kerasgo does not carry masks through",
			ErrUnsupported, layerWho(l), f.by, f.lost)
	}
	if mp, ok := l.(layers.MaskProducer); ok && mp.ProducesMask() {
		return maskFlow{by: layerWho(l)}, nil
	}
	if f.by == "" {
		return f, nil
	}
	if mp, ok := l.(layers.MaskPasser); ok && mp.PassesMask() && !multi {
		return f, nil
	}
	if mu, ok := l.(layers.MaskUser); ok && mu.UsesMask() {
		return maskFlow{}, nil // used up: the output carries no mask
	}
	if f.lost == "" {
		f.lost = layerWho(l)
	}
	return f, nil
}

// callMasked runs l on x with the mask reaching it (nil: none) and returns the output and
// the mask the output carries.
func callMasked(l layers.Layer, x *tensor.Tensor, mask []bool, training bool) (*tensor.Tensor, []bool, error) {
	return callMaskedWS(nil, l, x, mask, training)
}

// callMaskedWS is callMasked whose inference calls use the buffers of ws (nil: the layers'
// own; see layers.Workspace).
func callMaskedWS(ws *layers.Workspace, l layers.Layer, x *tensor.Tensor, mask []bool, training bool) (*tensor.Tensor, []bool, error) {
	var y *tensor.Tensor
	var err error
	if mf, ok := l.(layers.MaskedForwarder); ok && mf.UsesMask() && mask != nil {
		y, err = mf.ForwardMasked(x, mask, training)
	} else if !training {
		y, err = layers.Infer(ws, l, x)
	} else {
		y, err = layers.Forward(l, x, training)
	}
	if err != nil {
		return nil, nil, err
	}
	return y, outMask(l, x, mask), nil
}

// maskedOutputs is how many outputs of a call of l, from the first, carry the mask its first
// output does (layers.MaskedOutputsIO; 1 for other layers).
func maskedOutputs(l layers.Layer) int {
	if mo, ok := l.(layers.MaskedOutputsIO); ok {
		return mo.MaskedOutputs()
	}
	return 1
}

// outMask is the mask l's output carries given its input x and input mask.
func outMask(l layers.Layer, x *tensor.Tensor, mask []bool) []bool {
	if mc, ok := l.(layers.MaskComputer); ok && mc.ProducesMask() {
		return mc.ComputeMask(x)
	}
	if mp, ok := l.(layers.MaskPasser); ok && mp.PassesMask() {
		return mask
	}
	return nil
}

// dropMaskOps removes from a Keras 3 Functional config's layer list the operations Keras 3
// records for computing masks (NotEqual for Embedding's mask_zero, Any for Masking: see
// layers.IsMaskOp) when their outputs are used only as "mask" call arguments: kerasgo
// computes the masks from the layers themselves.
func dropMaskOps(list []any) []any {
	isOp := map[string]bool{}
	for _, e := range list {
		em, _ := e.(map[string]any)
		lc, _ := em["class_name"].(string)
		mod, _ := em["module"].(string)
		name, _ := em["name"].(string)
		// Keras 3's legacy .h5 configs omit the operation's module.
		if name != "" && (mod == "" || strings.HasPrefix(mod, "keras.src.ops")) && layers.IsMaskOp(lc) {
			isOp[name] = true
		}
	}
	if len(isOp) == 0 {
		return list
	}
	// An op whose output any layer reads other than as a mask (or via another op) stays.
	for _, e := range list {
		em, _ := e.(map[string]any)
		if name, _ := em["name"].(string); isOp[name] {
			continue
		}
		calls, _ := em["inbound_nodes"].([]any)
		for _, c := range calls {
			cm, _ := c.(map[string]any)
			for _, name := range historyNames(cm["args"]) {
				delete(isOp, name)
			}
			if kw, ok := cm["kwargs"].(map[string]any); ok {
				for k, v := range kw {
					if k != "mask" {
						for _, name := range historyNames(v) {
							delete(isOp, name)
						}
					}
				}
			}
		}
	}
	out := make([]any, 0, len(list))
	for _, e := range list {
		em, _ := e.(map[string]any)
		if name, _ := em["name"].(string); isOp[name] {
			continue
		}
		out = append(out, e)
	}
	return out
}

// historyNames returns the layer names of the Keras tensors anywhere in v.
func historyNames(v any) []string {
	var out []string
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		if depth > 8 {
			return
		}
		switch t := v.(type) {
		case []any:
			for _, e := range t {
				walk(e, depth+1)
			}
		case map[string]any:
			if t["class_name"] == "__keras_tensor__" {
				if c, ok := t["config"].(map[string]any); ok {
					if h, ok := c["keras_history"].([]any); ok && len(h) > 0 {
						if s, ok := h[0].(string); ok {
							out = append(out, s)
						}
					}
				}
				return
			}
			for _, e := range t {
				walk(e, depth+1)
			}
		}
	}
	walk(v, 0)
	return out
}

// isMaskTensor reports whether a "mask" call argument is a Keras tensor (a mask kerasgo
// recomputes from the layers).
func isMaskTensor(v any) bool {
	m, ok := v.(map[string]any)
	return ok && m["class_name"] == "__keras_tensor__"
}

// graphMaskUsers returns the layers of the model that a Keras mask reaches and that use it,
// which the TF graphs kerasgo writes (SavedModel) give the mask: the recurrent layers,
// Bidirectional and GlobalAveragePooling1D (layers.MaskedGrapher), and the attention layers
// (layers.MaskedGrapherN, with which of their inputs carry one). Any other layer using a mask that reaches it
// is an error.
func (m *Model) graphMaskUsers() (map[layers.Layer]bool, map[layers.Layer][]bool, error) {
	recv := map[layers.Layer]bool{}
	recvN := map[layers.Layer][]bool{} // list-input layers: which inputs carry a mask
	use := func(l layers.Layer, by string) error {
		if mu, ok := l.(layers.MaskUser); !ok || !mu.UsesMask() {
			return nil
		}
		if _, ok := l.(layers.MaskedGrapherN); ok {
			return nil // recvN
		}
		if _, ok := l.(layers.MaskedGrapher); !ok {
			return fmt.Errorf("%w: layer %s uses the Keras mask of layer %s: kerasgo's TF graphs (SavedModel) give no mask to this layer class",
				ErrUnsupported, layerWho(l), by)
		}
		recv[l] = true
		return nil
	}
	if m.fn != nil {
		for _, n := range m.fn.nodes {
			if m.fn.unmaskedCall(n) {
				continue // Keras 3 gives it no mask
			}
			has := make([]bool, len(n.in))
			anyMask := false
			for i, x := range n.in {
				if x.mask.by != "" {
					has[i], anyMask = true, true
					if err := use(n.layer, x.mask.by); err != nil {
						return nil, nil, err
					}
				}
			}
			if _, ok := n.layer.(layers.MaskedGrapherN); ok && anyMask {
				if prev, seen := recvN[n.layer]; seen && !slices.Equal(prev, has) {
					return nil, nil, fmt.Errorf("%w: layer %s is called with and without Keras masks: kerasgo's TF graphs give one layer one set of masks",
						ErrUnsupported, layerWho(n.layer))
				}
				recvN[n.layer] = has
			}
		}
		return recv, recvN, nil
	}
	var mf maskFlow
	for _, l := range m.layers {
		if mf.by != "" {
			if err := use(l, mf.by); err != nil {
				return nil, nil, err
			}
		}
		mf, _ = mf.next(l, false)
	}
	return recv, recvN, nil
}

// maskFlowN is the mask flow of the output of a layer using the masks of its several inputs
// (layers.MaskedForwarderN: the attention layers): an input's mask that kerasgo lost on the
// way is refused; the output carries the mask of the input the layer names.
func maskFlowN(l layers.MaskedForwarderN, xs []*KerasTensor) (maskFlow, error) {
	for _, x := range xs {
		if x.mask.by != "" && x.mask.lost != "" {
			return maskFlow{}, fmt.Errorf("%w: layer %s would receive the mask of layer %s through layer %s, which kerasgo does not carry masks through",
				ErrUnsupported, layerWho(l), x.mask.by, x.mask.lost)
		}
	}
	if i := l.OutputMaskFrom(); i >= 0 && i < len(xs) {
		return xs[i].mask, nil
	}
	return maskFlow{}, nil
}

// hasMask reports whether any of the tensors carries a mask in the forward r.
func (r *fnRun) hasMask(xs []*KerasTensor) bool {
	for _, x := range xs {
		if r.masks[x] != nil {
			return true
		}
	}
	return false
}

// callMaskedN runs node n of a layer using its inputs' masks and records its output's mask.
func (g *graph) callMaskedN(r *fnRun, l layers.MaskedForwarderN, n *node, in []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	masks := make([][]bool, len(n.in))
	for i, x := range n.in {
		masks[i] = r.masks[x]
	}
	y, err := layers.ForwardMaskedN(l, in, masks, training)
	if err != nil {
		return nil, err
	}
	if m := l.OutputMaskN(masks); m != nil {
		r.setMask(n.out, m)
	}
	return y, nil
}
