package layers

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"unsafe"

	"github.com/kerasgo/kerasgo/tensor"
)

// TestConvDW9x16 checks the kernel against convDW9x16Go and a float64 sum on random strides,
// offsets (repeated ones too) and position counts, including zero positions.
func TestConvDW9x16(t *testing.T) {
	if !hasConv512 {
		t.Skip("no AVX-512 kernel on this CPU/build: convDW9x16 is never called")
	}
	rng := NewRand(5)
	for trial := range 200 {
		npos := rng.IntN(40)
		xs, ds := 1+rng.IntN(7), 16+rng.IntN(3)*16
		var offs [9]int
		for k := range offs {
			offs[k] = rng.IntN(30)
		}
		x := make([]float32, npos*xs+40)
		dz := make([]float32, npos*ds+16)
		for i := range x {
			x[i] = rng.Uniform(-1, 1)
		}
		for i := range dz {
			dz[i] = rng.Uniform(-1, 1)
		}
		acc := make([]float32, 144)
		for i := range acc {
			acc[i] = rng.Uniform(-1, 1)
		}
		want := slices.Clone(acc)
		var bo [9]int
		for k, o := range offs {
			bo[k] = 4 * o
		}
		convDW9x16(&x[0], &dz[0], &acc[0], npos, 4*xs, 4*ds, &bo)
		convDW9x16Go(unsafe.Pointer(&x[0]), unsafe.Pointer(&dz[0]), &want[0], npos, 4*xs, 4*ds, &bo)
		for k := range 9 {
			for j := range 16 {
				r := float64(0)
				for p := range npos {
					r += float64(x[p*xs+offs[k]]) * float64(dz[p*ds+j])
				}
				got, ref := acc[k*16+j], want[k*16+j]
				if math.Abs(float64(got-ref)) > 1e-5*(1+math.Abs(r)+math.Abs(float64(ref))) {
					t.Fatalf("trial %d (npos %d): acc[%d][%d] = %v, Go %v", trial, npos, k, j, got, ref)
				}
			}
		}
	}
}

// TestConv2DDirectKernelGradient checks Conv2D's kernel, bias and input gradients with the
// direct kernel gradient (filters in multiples of 16, windows inside the image) against a
// float64 reference and against the im2col path (hasConv512 off), on random odd shapes,
// strides and kernel sizes, with activations relu and linear.
func TestConv2DDirectKernelGradient(t *testing.T) {
	if !hasConv512 {
		t.Skip("no AVX-512 on this CPU/build: the direct kernel gradient never runs")
	}
	saved := hasConv512
	defer func() { hasConv512 = saved }()
	rng := NewRand(9)
	ran := 0
	for trial := range 40 {
		h, w, c := 2+rng.IntN(12), 2+rng.IntN(12), 1+rng.IntN(5)
		f := 16 * (1 + rng.IntN(3))
		k := [2]int{1 + rng.IntN(min(h, 4)), 1 + rng.IntN(min(w, 4))}
		s := [2]int{1 + rng.IntN(3), 1 + rng.IntN(3)}
		pad := "valid"
		if trial%5 == 4 {
			pad, k = "same", [2]int{1, 1}
		}
		act := []string{"relu", "linear"}[trial%2]
		n := 1 + rng.IntN(5)
		conv := NewConv2D(f, k, Conv2DOptions{Strides: s, Padding: pad, Activation: act})
		if err := conv.Build([]int{h, w, c}, NewRand(uint64(trial))); err != nil {
			t.Fatal(err)
		}
		if k == [2]int{1, 1} && s == [2]int{1, 1} {
			continue // trivial geometry: the plain product
		}
		for j := range conv.bias.Value.Float32s() {
			conv.bias.Value.Float32s()[j] = rng.Uniform(-0.2, 0.2)
		}
		name := fmt.Sprintf("%d_%dx%dx%dx%d_f%d_k%v_s%v_%s_%s", trial, n, h, w, c, f, k, s, pad, act)
		hasConv512 = true
		if !conv.directDW() {
			t.Fatalf("%s: directDW false", name)
		}
		ran++
		xd := make([]float32, n*h*w*c)
		for j := range xd {
			xd[j] = rng.Uniform(-1, 1)
		}
		g := conv.g
		dyd := make([]float32, n*g.oh*g.ow*f)
		for j := range dyd {
			dyd[j] = rng.Uniform(-1, 1)
		}
		var res [2][3][]float32
		for r, on := range []bool{true, false} {
			hasConv512 = on
			y, err := conv.Forward(tensor.MustFromFloat32([]int{n, h, w, c}, slices.Clone(xd)), true)
			if err != nil {
				t.Fatal(err)
			}
			dx, err := conv.Backward(tensor.MustFromFloat32(y.Shape, slices.Clone(dyd)))
			if err != nil {
				t.Fatal(err)
			}
			res[r] = [3][]float32{slices.Clone(dx.Float32s()), slices.Clone(gradOf(conv.kernel)), slices.Clone(gradOf(conv.bias))}
		}
		// float64 reference (the pre-activation from the float64 forward).
		kd, bd := conv.kernel.Value.Float32s(), conv.bias.Value.Float32s()
		rdW := make([]float64, len(kd))
		rdB := make([]float64, f)
		rdx := make([]float64, len(xd))
		for b := range n {
			for oy := range g.oh {
				for ox := range g.ow {
					for fo := range f {
						zz := float64(bd[fo])
						for ky := range g.kh {
							for kx := range g.kw {
								iy, ix := oy*g.sh-g.pt+ky, ox*g.sw-g.pl+kx
								for ci := range c {
									zz += float64(xd[((b*h+iy)*w+ix)*c+ci]) * float64(kd[((ky*g.kw+kx)*c+ci)*f+fo])
								}
							}
						}
						gv := float64(dyd[((b*g.oh+oy)*g.ow+ox)*f+fo])
						if act == "relu" && zz <= 0 {
							if zz > -1e-5 {
								gv = math.NaN() // too close to call: marks the case
							} else {
								gv = 0
							}
						}
						rdB[fo] += gv
						for ky := range g.kh {
							for kx := range g.kw {
								iy, ix := oy*g.sh-g.pt+ky, ox*g.sw-g.pl+kx
								for ci := range c {
									xi := ((b*h+iy)*w+ix)*c + ci
									wi := ((ky*g.kw+kx)*c+ci)*f + fo
									rdW[wi] += float64(xd[xi]) * gv
									rdx[xi] += float64(kd[wi]) * gv
								}
							}
						}
					}
				}
			}
		}
		for q, what := range []string{"dx", "kernel gradient", "bias gradient"} {
			ref := [][]float64{rdx, rdW, rdB}[q]
			for j, v := range ref {
				if math.IsNaN(v) {
					continue
				}
				got, im2col := res[0][q][j], res[1][q][j]
				tol := 1e-4 * (1 + math.Abs(v))
				if math.Abs(float64(got)-v) > tol || math.Abs(float64(got-im2col)) > tol {
					t.Fatalf("%s: %s[%d] = %v direct, %v im2col, reference %v", name, what, j, got, im2col, v)
				}
			}
		}
	}
	if ran < 20 {
		t.Fatalf("only %d cases ran", ran)
	}
}

// TestSumRows16 checks sumRows16 bit for bit against the Go loop (the same additions in the
// same order per lane) on random row counts and strides.
func TestSumRows16(t *testing.T) {
	if !hasConv512 {
		t.Skip("no AVX-512 kernel on this CPU/build: sumRows16 is never called")
	}
	rng := NewRand(17)
	for trial := range 100 {
		rows, F := rng.IntN(50), 16*(1+rng.IntN(3))
		d := make([]float32, rows*F+16)
		for i := range d {
			d[i] = rng.Uniform(-1e3, 1e3)
		}
		got := make([]float32, F)
		for i := range got {
			got[i] = rng.Uniform(-1, 1)
		}
		want := slices.Clone(got)
		sumRows(got, d[:rows*F])
		for r := range rows {
			for j := range F {
				want[j] += d[r*F+j]
			}
		}
		for j := range F {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
				t.Fatalf("trial %d (rows %d, F %d): acc[%d] = %v, want %v", trial, rows, F, j, got[j], want[j])
			}
		}
	}
}
