package layers

import (
	"math"
	"slices"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// This file holds what LayerNormalization and GroupNormalization share: per-sample statistics
// over groups of elements, then a per-element scale (gamma) and offset (beta).

// normPlan maps every element of one sample (row-major, without the batch dimension) to its
// statistics group and to its index in gamma and beta.
type normPlan struct {
	group, param []int32
	groups       int // groups per sample
	size         []int
}

// newNormPlan plans statistics over the dimensions in axes (indices into in, the shape without
// the batch): elements that differ only there share a group. The parameter index is the
// position along paramAxes (row-major, in that order).
func newNormPlan(in []int, groupOf func(coord []int) int, groups int, paramAxes []int) *normPlan {
	n := shapeSize(in)
	p := &normPlan{group: make([]int32, n), param: make([]int32, n), groups: groups, size: make([]int, groups)}
	coord := make([]int, len(in))
	for i := range n {
		g := groupOf(coord)
		k := 0
		for _, a := range paramAxes {
			k = k*in[a] + coord[a]
		}
		p.group[i], p.param[i] = int32(g), int32(k)
		p.size[g]++
		for d := len(in) - 1; d >= 0; d-- {
			coord[d]++
			if coord[d] < in[d] {
				break
			}
			coord[d] = 0
		}
	}
	return p
}

// outsideGroup returns a groupOf function numbering the coordinates outside axes (row-major).
func outsideGroup(in []int, axes []int) (func([]int) int, int) {
	var rest []int
	groups := 1
	for d := range in {
		if !slices.Contains(axes, d) {
			rest = append(rest, d)
			groups *= in[d]
		}
	}
	return func(c []int) int {
		g := 0
		for _, d := range rest {
			g = g*in[d] + c[d]
		}
		return g
	}, groups
}

// normState is the cache of a training Forward.
type normState struct {
	x          *tensor.Tensor
	mean, inv  []float64 // per group of the batch
	normalised bool      // whether the cache is valid
}

// moments computes each group's mean and biased variance for every sample of x.
func (p *normPlan) moments(xd []float32) (mean, variance []float64) {
	per := len(p.group)
	batch := len(xd) / max(per, 1)
	mean = make([]float64, batch*p.groups)
	variance = make([]float64, batch*p.groups)
	parallelFor(batch, func(_, lo, hi int) {
		for b := lo; b < hi; b++ {
			xs := xd[b*per : (b+1)*per]
			m, v := mean[b*p.groups:(b+1)*p.groups], variance[b*p.groups:(b+1)*p.groups]
			for i, x := range xs {
				m[p.group[i]] += float64(x)
			}
			for g := range m {
				m[g] /= float64(max(p.size[g], 1))
			}
			for i, x := range xs {
				d := float64(x) - m[p.group[i]]
				v[p.group[i]] += d * d
			}
			for g := range v {
				v[g] /= float64(max(p.size[g], 1))
			}
		}
	})
	return mean, variance
}

// normalize returns gamma·(x−mean)/√(var+eps) + beta per element (gamma, beta nil: 1, 0);
// with rms, Keras 3's rms_scaling: gamma·x/√(var+eps). It caches the statistics in st.
func (p *normPlan) normalize(x *tensor.Tensor, gamma, beta []float32, eps float64, rms bool, st *normState) *tensor.Tensor {
	xd := x.Float32s()
	mean, variance := p.moments(xd)
	inv := make([]float64, len(variance))
	for i, v := range variance {
		inv[i] = 1 / math.Sqrt(v+eps)
	}
	per := len(p.group)
	y := make([]float32, len(xd))
	parallelFor(len(xd)/max(per, 1), func(_, lo, hi int) {
		for b := lo; b < hi; b++ {
			m, iv := mean[b*p.groups:], inv[b*p.groups:]
			for i := range per {
				g, k := p.group[i], p.param[i]
				var h float64
				if rms {
					h = float64(xd[b*per+i]) * iv[g]
				} else {
					h = (float64(xd[b*per+i]) - m[g]) * iv[g]
				}
				if gamma != nil {
					h *= float64(gamma[k])
				}
				if beta != nil {
					h += float64(beta[k])
				}
				y[b*per+i] = float32(h)
			}
		}
	})
	*st = normState{x: x, mean: mean, inv: inv, normalised: true}
	return tensor.MustFromFloat32(x.Shape, y)
}

// backward returns dL/dx and adds dL/dgamma, dL/dbeta into dg, db (nil: not wanted).
func (p *normPlan) backward(st *normState, dy []float32, gamma []float32, rms bool, dg, db []float64) []float32 {
	xd := st.x.Float32s()
	per := len(p.group)
	batch := len(xd) / max(per, 1)
	dx := make([]float32, len(xd))
	s1 := make([]float64, p.groups)
	s2 := make([]float64, p.groups)
	for b := range batch {
		clear(s1)
		clear(s2)
		m, iv := st.mean[b*p.groups:], st.inv[b*p.groups:]
		xs, ds := xd[b*per:(b+1)*per], dy[b*per:(b+1)*per]
		for i := range per {
			g, k := p.group[i], p.param[i]
			d := float64(ds[i])
			var h float64
			if rms {
				h = float64(xs[i]) * iv[g]
			} else {
				h = (float64(xs[i]) - m[g]) * iv[g]
			}
			if dg != nil {
				dg[k] += d * h
			}
			if db != nil {
				db[k] += d
			}
			if gamma != nil {
				d *= float64(gamma[k])
			}
			s1[g] += d
			if rms {
				s2[g] += d * float64(xs[i])
			} else {
				s2[g] += d * h
			}
		}
		for i := range per {
			g, k := p.group[i], p.param[i]
			d := float64(ds[i])
			if gamma != nil {
				d *= float64(gamma[k])
			}
			n := float64(p.size[g])
			c := float64(xs[i]) - m[g]
			if rms {
				// y = x·inv, inv = (var+eps)^-½: dx = inv·d − inv³·(x−mean)·Σ(d·x)/n
				dx[b*per+i] = float32(iv[g]*d - iv[g]*iv[g]*iv[g]*c*s2[g]/n)
			} else {
				h := c * iv[g]
				dx[b*per+i] = float32(iv[g] / n * (n*d - s1[g] - h*s2[g]))
			}
		}
	}
	return dx
}

// storeGrad copies a float64 gradient into w's Grad when w is trainable.
func storeGrad(w *Weight, g []float64) {
	if w == nil || !w.Trainable || g == nil {
		return
	}
	dst := gradOf(w)
	for i := range dst {
		dst[i] = float32(g[i])
	}
}

// values returns w's data, nil for a nil weight.
func values(w *Weight) []float32 {
	if w == nil {
		return nil
	}
	return w.Value.Float32s()
}

// readAxes reads an axis config value (an integer or a list of integers) as a list.
func readAxes(r *cfgReader, key string, v any) []int {
	var list []any
	switch x := v.(type) {
	case []any:
		list = x
	default:
		list = []any{x}
	}
	if len(list) == 0 || len(list) > 32 {
		r.fail(ErrFormat, "%s %s", key, jsonValue(v))
		return nil
	}
	out := make([]int, len(list))
	for i, e := range list {
		n, ok := toInt(e, -33, 32)
		if !ok {
			r.fail(ErrFormat, "%s %s", key, jsonValue(v))
			return nil
		}
		out[i] = n
	}
	return out
}

// resolveAxes turns Keras axes (batch axis 0, negatives from the end) into sorted indices of
// in (the shape without batch). The batch axis is refused.
func resolveAxes(axes []int, in []int, class, name string) ([]int, error) {
	rank := len(in) + 1
	out := make([]int, 0, len(axes))
	for _, a := range axes {
		b := a
		if b < 0 {
			b += rank
		}
		if b == 0 {
			return nil, layerErr(ErrUnsupported, class, name, "normalisation over the batch axis")
		}
		if b < 0 || b >= rank || slices.Contains(out, b-1) {
			return nil, layerErr(ErrShape, class, name, "axis %v out of range or repeated for input %s", axes, tensor.ShapeString(append([]int{-1}, in...)))
		}
		out = append(out, b-1)
	}
	slices.Sort(out)
	return out, nil
}

// momentsGraph appends TF's moments ops (mean and variance over axes, keep dims, axes
// counted with the batch) on x and returns their names.
func momentsGraph(g *graphBuilder, x string, axes []int32) (mean, variance string) {
	ax := g.int32Const("moments/mean/reduction_indices", axes)
	mean = g.op("moments/mean", "Mean", []string{x, ax}, tAttrs(map[string]saved.Attr{
		"Tidx": saved.TypeAttr(tensor.Int32), "keep_dims": saved.BoolAttr(true)}))
	sq := g.fop("moments/SquaredDifference", "SquaredDifference", x, mean)
	ax2 := g.int32Const("moments/variance/reduction_indices", axes)
	variance = g.op("moments/variance", "Mean", []string{sq, ax2}, tAttrs(map[string]saved.Attr{
		"Tidx": saved.TypeAttr(tensor.Int32), "keep_dims": saved.BoolAttr(true)}))
	return mean, variance
}

// reshapeParam appends a Reshape of a parameter to shape (a no-op when shape is nil).
func reshapeParam(g *graphBuilder, name, v string, shape []int32) string {
	if shape == nil {
		return v
	}
	s := g.int32Const(name+"/shape", shape)
	return g.op(name, "Reshape", []string{v, s}, tAttrs(map[string]saved.Attr{"Tshape": saved.TypeAttr(tensor.Int32)}))
}
