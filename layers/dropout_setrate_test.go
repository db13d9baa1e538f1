package layers

import (
	"testing"

	"github.com/kerasgo/kerasgo/tensor"
)

// TestDropoutSetRate: a rate outside [0, 1) is refused; rate 0 makes training Forward the identity.
func TestDropoutSetRate(t *testing.T) {
	l := NewDropout(0.5, DropoutOptions{Name: "d"})
	for _, r := range []float64{1, -0.1, 1.5} {
		if err := l.SetRate(r); err == nil {
			t.Errorf("SetRate(%v) accepted", r)
		}
	}
	if l.Rate() != 0.5 {
		t.Fatalf("rate %v after refused SetRate, want 0.5", l.Rate())
	}
	if err := l.Build([]int{64}, NewRand(1)); err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 2*64)
	for i := range x {
		x[i] = float32(i) + 1
	}
	in := tensor.MustFromFloat32([]int{2, 64}, x)
	y, err := l.Forward(in, true)
	if err != nil {
		t.Fatal(err)
	}
	dropped := 0
	for _, v := range y.Float32s() {
		if v == 0 {
			dropped++
		}
	}
	if dropped == 0 {
		t.Fatalf("rate 0.5 dropped nothing of 128 values")
	}
	if err := l.SetRate(0); err != nil {
		t.Fatal(err)
	}
	y, err = l.Forward(in, true)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range y.Float32s() {
		if v != x[i] {
			t.Fatalf("rate 0: y[%d] = %v, want %v", i, v, x[i])
		}
	}
}
