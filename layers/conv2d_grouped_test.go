package layers

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/tensor"
)

// TestConv2DDilatedMatchesStuffedKernel: a dilated convolution equals the plain one (the
// im2col and direct kernels) with the kernel spread out by zeros to its dilated span.
func TestConv2DDilatedMatchesStuffedKernel(t *testing.T) {
	cases := []struct {
		in  []int
		f   int
		k   [2]int
		dl  [2]int
		pad string
	}{
		{[]int{9, 8, 3}, 8, [2]int{3, 3}, [2]int{2, 2}, "valid"},
		{[]int{7, 9, 2}, 16, [2]int{3, 2}, [2]int{2, 3}, "same"},
		{[]int{11, 6, 1}, 5, [2]int{2, 3}, [2]int{4, 1}, "same"},
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			d := build(t, NewConv2D(c.f, c.k, Conv2DOptions{DilationRate: c.dl, Padding: c.pad, Activation: "tanh"}), c.in).(*Conv2D)
			ek := [2]int{(c.k[0]-1)*c.dl[0] + 1, (c.k[1]-1)*c.dl[1] + 1}
			p := build(t, NewConv2D(c.f, ek, Conv2DOptions{Padding: c.pad, Activation: "tanh"}), c.in).(*Conv2D)
			pk := p.kernel.Value.Float32s()
			clear(pk)
			dk := d.kernel.Value.Float32s()
			cin := c.in[2]
			for ky := 0; ky < c.k[0]; ky++ {
				for kx := 0; kx < c.k[1]; kx++ {
					src := ((ky*c.k[1] + kx) * cin) * c.f
					dst := ((ky*c.dl[0]*ek[1] + kx*c.dl[1]) * cin) * c.f
					copy(pk[dst:dst+cin*c.f], dk[src:src+cin*c.f])
				}
			}
			copy(p.bias.Value.Float32s(), d.bias.Value.Float32s())
			x := randTensor(NewRand(uint64(i)), append([]int{3}, c.in...), -1, 1)
			for _, training := range []bool{false, true} {
				a, err := d.Forward(x, training)
				if err != nil {
					t.Fatal(err)
				}
				b, err := p.Forward(x, training)
				if err != nil {
					t.Fatal(err)
				}
				if !tensor.SameShape(a.Shape, b.Shape) {
					t.Fatalf("dilated %v, stuffed %v", a.Shape, b.Shape)
				}
				if diff, at := maxAbsDiff(a.Float32s(), b.Float32s()); diff > 1e-5 {
					t.Errorf("training=%v: max diff %g at %d", training, diff, at)
				}
			}
		})
	}
}

// TestConv2DGroupedMatchesSplit: a grouped convolution equals one plain convolution per
// group on that group's channels, the outputs side by side.
func TestConv2DGroupedMatchesSplit(t *testing.T) {
	const G, cin, f = 3, 6, 9
	in := []int{7, 6, cin}
	l := build(t, NewConv2D(f, [2]int{3, 2}, Conv2DOptions{Groups: G, Strides: [2]int{2, 1}, Padding: "same"}), in).(*Conv2D)
	x := randTensor(NewRand(4), append([]int{2}, in...), -1, 1)
	y, err := l.Forward(x, false)
	if err != nil {
		t.Fatal(err)
	}
	cg, fg := cin/G, f/G
	kd := l.kernel.Value.Float32s()
	for gi := 0; gi < G; gi++ {
		p := build(t, NewConv2D(fg, [2]int{3, 2}, Conv2DOptions{Strides: [2]int{2, 1}, Padding: "same"}), []int{7, 6, cg}).(*Conv2D)
		pk := p.kernel.Value.Float32s()
		for r := 0; r < len(pk)/fg; r++ {
			copy(pk[r*fg:(r+1)*fg], kd[r*f+gi*fg:r*f+(gi+1)*fg])
		}
		copy(p.bias.Value.Float32s(), l.bias.Value.Float32s()[gi*fg:(gi+1)*fg])
		xs := make([]float32, x.Len()/G)
		for j := range len(xs) / cg {
			copy(xs[j*cg:(j+1)*cg], x.Float32s()[j*cin+gi*cg:j*cin+(gi+1)*cg])
		}
		ys, err := p.Forward(tensor.MustFromFloat32([]int{2, 7, 6, cg}, xs), false)
		if err != nil {
			t.Fatal(err)
		}
		for j := range ys.Len() / fg {
			for k := 0; k < fg; k++ {
				if d := ys.Float32s()[j*fg+k] - y.Float32s()[j*f+gi*fg+k]; d > 1e-5 || d < -1e-5 {
					t.Fatalf("group %d position %d filter %d: split %v, grouped %v", gi, j, k, ys.Float32s()[j*fg+k], y.Float32s()[j*f+gi*fg+k])
				}
			}
		}
	}
}

// TestConv2DDilationGroupsRefused: the arguments Keras refuses, and inputs that do not fit.
func TestConv2DDilationGroupsRefused(t *testing.T) {
	for _, o := range []Conv2DOptions{
		{Strides: [2]int{2, 1}, DilationRate: [2]int{1, 2}},
		{Groups: 4},
		{DilationRate: [2]int{-1, 1}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewConv2D(6, 3x3, %+v) did not panic", o)
				}
			}()
			NewConv2D(6, [2]int{3, 3}, o)
		}()
	}
	l := NewConv2D(4, [2]int{3, 3}, Conv2DOptions{Groups: 2, Name: "g"})
	if _, err := l.OutputShape([]int{5, 5, 3}); !errors.Is(err, ErrShape) || !strings.Contains(err.Error(), "3 channels is not a multiple of groups 2") || !strings.Contains(err.Error(), `"g"`) {
		t.Errorf("3 channels, groups 2: %v", err)
	}
	if err := l.Build([]int{5, 5, 3}, NewRand(1)); !errors.Is(err, ErrShape) {
		t.Errorf("Build with 3 channels, groups 2: %v", err)
	}
	// TensorFlow's CPU kernel returns NaNs of the input's size here; Keras 3 refuses it.
	d := NewConv2D(4, [2]int{3, 3}, Conv2DOptions{DilationRate: [2]int{3, 3}})
	if _, err := d.OutputShape([]int{6, 6, 4}); !errors.Is(err, ErrShape) || !strings.Contains(err.Error(), "dilated by (3, 3) to 7x7") {
		t.Errorf("dilated window larger than the input: %v", err)
	}
	if s, err := d.OutputShape([]int{7, 8, 4}); err != nil || !equalInts(s, []int{1, 2, 4}) {
		t.Errorf("dilated window on 7x8: %v %v", s, err)
	}
}

// TestConv2DDilationGroupsGraph: TF's Conv2D op carries the dilation, and reads the grouped
// kernel (kh, kw, in/groups, filters), which makes it a grouped convolution.
func TestConv2DDilationGroupsGraph(t *testing.T) {
	l := build(t, NewConv2D(6, [2]int{3, 2}, Conv2DOptions{Groups: 3, DilationRate: [2]int{2, 3}, Padding: "same"}), []int{7, 8, 6}).(*Conv2D)
	g, err := l.Graph()
	if err != nil {
		t.Fatal(err)
	}
	checkGraph(t, "Conv2D", l, g)
	found := false
	for _, op := range g.Ops {
		if op.Type != "Conv2D" {
			continue
		}
		found = true
		a := op.Attrs
		if !equalInt64s(a["dilations"].Ints, 1, 2, 3, 1) || !equalInt64s(a["strides"].Ints, 1, 1, 1, 1) || a["padding"].S != "SAME" {
			t.Errorf("Conv2D attrs %+v", a)
		}
	}
	if !found {
		t.Fatalf("no Conv2D op in %+v", g.Ops)
	}
	if !equalInts(l.kernel.Value.Shape, []int{3, 2, 2, 6}) {
		t.Errorf("kernel shape %v", l.kernel.Value.Shape)
	}
}
