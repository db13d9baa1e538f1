package layers

import (
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// This file gives the TF graphs (SavedModel) the Keras masks: the layers computing a mask
// add the ops computing it (saved.LayerGraph.MaskOps), the recurrent layers read it.

// MaskedGrapher is implemented by the layers whose TF graph can use a Keras mask reaching
// them (read as "$mask").
type MaskedGrapher interface {
	GraphMasked() (*saved.LayerGraph, error)
}

// MaskedGrapherN is implemented by the layers taking a list whose TF graph can use the Keras
// masks of the inputs that has marks (read as "$mask", "$mask1", ...).
type MaskedGrapherN interface {
	GraphMaskedN(has []bool) (*saved.LayerGraph, error)
}

// AddMaskOps adds to g, l's graph, the ops computing the Keras mask of l's output as Keras
// does (Embedding with mask_zero: NotEqual(ids, 0); Masking: Any(NotEqual(x, mask_value),
// -1)); it reports false for a layer computing no mask.
func AddMaskOps(l Layer, g *saved.LayerGraph) bool {
	b := newGraphBuilder(l.Class(), l.Name())
	for _, op := range g.Ops {
		b.names[op.Name] = true
	}
	switch l := l.(type) {
	case *Embedding:
		if !l.ProducesMask() {
			return false
		}
		b.op("compute_mask/NotEqual", "NotEqual", []string{"$in", b.scalar("compute_mask/NotEqual/y", 0)},
			tAttrs(map[string]saved.Attr{"incompatible_shape_error": saved.BoolAttr(true)}))
	case *Masking:
		ne := b.op("compute_mask/NotEqual", "NotEqual", []string{"$in", b.scalar("compute_mask/NotEqual/y", float32(l.value))},
			tAttrs(map[string]saved.Attr{"incompatible_shape_error": saved.BoolAttr(true)}))
		axis := b.int32s("compute_mask/Any/reduction_indices", []int{}, -1)
		b.op("compute_mask/Any", "Any", []string{ne, axis}, map[string]saved.Attr{
			"keep_dims": saved.BoolAttr(false), "Tidx": saved.TypeAttr(tensor.Int32)})
	default:
		return false
	}
	if b.err != nil || len(b.ops) == 0 {
		return false
	}
	g.MaskOps = b.ops
	g.MaskOutput = b.ops[len(b.ops)-1].Name
	return true
}

// GraphMasked returns the masked mean as Keras computes it: Sum(x·mask, 1) / Sum(mask, 1)
// (the mask "$mask" cast to float32 and expanded over the channels).
func (l *GlobalAveragePooling1D) GraphMasked() (*saved.LayerGraph, error) {
	if l.inShape == nil {
		return nil, notBuilt(l.class, l.name)
	}
	out, err := l.OutputShape(l.inShape)
	if err != nil {
		return nil, err
	}
	b := newGraphBuilder(l.class, l.name)
	m := b.op("Cast", "Cast", []string{"$mask"}, map[string]saved.Attr{"SrcT": saved.TypeAttr(tensor.Bool),
		"DstT": saved.TypeAttr(tensor.Float32), "Truncate": saved.BoolAttr(false)})
	m = b.op("ExpandDims", "ExpandDims", []string{m, b.int32s("ExpandDims/dim", []int{}, 2)}, tAttrs(map[string]saved.Attr{
		"Tdim": saved.TypeAttr(tensor.Int32)}))
	x := b.fop("mul", "Mul", "$in", m)
	sum := func(name, v string) string {
		axis := b.int32s(name+"/reduction_indices", []int{}, 1)
		return b.op(name, "Sum", []string{v, axis}, tAttrs(map[string]saved.Attr{
			"Tidx": saved.TypeAttr(tensor.Int32), "keep_dims": saved.BoolAttr(l.keepdims)}))
	}
	y := b.fop("truediv", "RealDiv", sum("Sum", x), sum("Sum_1", m))
	return b.graphOut(l.inShape, out, false, y)
}
