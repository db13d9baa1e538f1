package tensor

import (
	"errors"
	"math"
	"testing"
)

func TestCheckShape(t *testing.T) {
	if n, err := CheckShape(Float32, []int{3, 3, 3, 16}, 0); err != nil || n != 432*4 {
		t.Fatalf("CheckShape = %d, %v; want 1728", n, err)
	}
	for _, c := range []struct {
		d     DType
		shape []int
		limit int64
	}{
		{Float32, []int{-1, 2}, 0},
		{Float32, []int{1 << 40, 1 << 40}, 0},           // overflows int64
		{Float64, []int{1 << 20, 1 << 20}, 0},           // 8 TiB > the default limit
		{Float32, []int{1000}, 100},                     // over the caller's limit
		{Float32, make([]int, MaxRank+1), 0},            // rank limit
		{DType(99), []int{2}, 0},                        // unknown dtype
		{String, []int{1 << 30, 1 << 30}, 1 << 20},      // strings are counted too
		{Int64, []int{math.MaxInt32, math.MaxInt32}, 0}, // 2^62 elements
	} {
		if _, err := CheckShape(c.d, c.shape, c.limit); err == nil {
			t.Errorf("CheckShape(%v, %v, %d) accepted", c.d, c.shape, c.limit)
		}
	}
	if _, err := CheckShape(DType(99), []int{1}, 0); !errors.Is(err, ErrUnsupported) {
		t.Errorf("unknown dtype: %v, want ErrUnsupported", err)
	}
}

func TestBytesRoundTrip(t *testing.T) {
	for _, d := range []DType{Float32, Float64, Int32, Int64, Uint8, Int8, Int16, Uint16, Float16, BFloat16, Uint32, Uint64, Bool, Complex64, Complex128} {
		x, err := New(d, []int{2, 3})
		if err != nil {
			t.Fatal(err)
		}
		raw := make([]byte, 6*d.Size())
		for i := range raw {
			raw[i] = byte(i*7 + 1)
		}
		if d == Bool {
			for i := range raw {
				raw[i] &= 1
			}
		}
		x, err = FromBytes(d, []int{2, 3}, raw)
		if err != nil {
			t.Fatalf("%v: %v", d, err)
		}
		back, err := x.AppendBytes(nil)
		if err != nil {
			t.Fatal(err)
		}
		if string(back) != string(raw) {
			t.Errorf("%v: bytes changed in a round trip", d)
		}
		if c := x.Clone(); c == x || c.Len() != 6 {
			t.Errorf("%v: Clone", d)
		}
		if _, err := FromBytes(d, []int{2, 3}, raw[:len(raw)-1]); !errors.Is(err, ErrShape) {
			t.Errorf("%v: short payload: %v, want ErrShape", d, err)
		}
	}
}

// TestFloat16 checks the half-precision conversion on values whose bits IEEE 754 fixes.
func TestFloat16(t *testing.T) {
	for bits, want := range map[uint16]float32{
		0x0000: 0, 0x3c00: 1, 0xc000: -2, 0x3555: 0.333251953125, 0x7bff: 65504,
		0x0001: 5.960464477539063e-08, 0x0400: 6.103515625e-05,
	} {
		if got := Float16ToFloat32(bits); got != want {
			t.Errorf("Float16ToFloat32(%#04x) = %g, want %g", bits, got, want)
		}
	}
	if !math.IsInf(float64(Float16ToFloat32(0x7c00)), 1) || !math.IsNaN(float64(Float16ToFloat32(0x7e00))) {
		t.Error("inf/nan")
	}
	bf := &Tensor{DType: BFloat16, Shape: []int{2}, Data: []uint16{0x3f80, 0xc040}}
	f, err := bf.ToFloat32()
	if err != nil || f.Float32s()[0] != 1 || f.Float32s()[1] != -3 {
		t.Errorf("bfloat16 → float32 = %v, %v", f, err)
	}
}

func TestParseDType(t *testing.T) {
	for _, d := range []DType{Float32, Float64, Int64, BFloat16, Float16, Bool, String} {
		got, err := ParseDType(d.String())
		if err != nil || got != d {
			t.Errorf("ParseDType(%q) = %v, %v", d.String(), got, err)
		}
	}
	if _, err := ParseDType("float8"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("float8: %v", err)
	}
}

func TestZerosAndFromFloat32(t *testing.T) {
	z := Zeros(2, 3)
	if z.DType != Float32 || len(z.Shape) != 2 || z.Shape[0] != 2 || z.Shape[1] != 3 || len(z.Float32s()) != 6 {
		t.Fatalf("Zeros(2, 3) = %v %v %d values", z.DType, z.Shape, len(z.Float32s()))
	}
	if s := Zeros(); len(s.Shape) != 0 || len(s.Float32s()) != 1 {
		t.Errorf("Zeros() = %v with %d values, want a scalar", s.Shape, len(s.Float32s()))
	}
	data := []float32{1, 2, 3, 4, 5, 6}
	x, err := FromFloat32([]int{3, 2}, data)
	if err != nil {
		t.Fatal(err)
	}
	if &x.Float32s()[0] != &data[0] {
		t.Error("FromFloat32 copied the data")
	}
	for _, shape := range [][]int{{5}, {2, 2}, {-6}, {}, make([]int, MaxRank+1)} {
		if _, err := FromFloat32(shape, data); !errors.Is(err, ErrShape) {
			t.Errorf("FromFloat32(%v, 6 values): err = %v, want ErrShape", shape, err)
		}
	}
	mustPanic(t, "MustFromFloat32 with 6 values for 5", func() { MustFromFloat32([]int{5}, data) })
	mustPanic(t, "Zeros(-1)", func() { Zeros(-1) })
}

func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	f()
}

func TestAsFloat32(t *testing.T) {
	f32 := MustFromFloat32([]int{2}, []float32{1.5, -2})
	got, err := f32.AsFloat32()
	if err != nil || &got[0] != &f32.Float32s()[0] {
		t.Errorf("float32: %v, %v; want the tensor's own data", got, err)
	}
	for _, c := range []*Tensor{
		{DType: Float64, Shape: []int{2}, Data: []float64{1.5, -2}},
		{DType: Int8, Shape: []int{2}, Data: []int8{3, -2}},
		{DType: Float16, Shape: []int{2}, Data: []uint16{0x3e00, 0xc000}}, // 1.5, -2
	} {
		got, err := c.AsFloat32()
		if err != nil || len(got) != 2 || got[1] != -2 {
			t.Errorf("%v: %v, %v", c.DType, got, err)
		}
	}
	for _, c := range []*Tensor{
		nil,
		{DType: Bool, Shape: []int{1}, Data: []bool{true}},
		{DType: String, Shape: []int{1}, Data: [][]byte{[]byte("a")}},
		{DType: Float32, Shape: []int{3}, Data: []float32{1, 2}},  // too short
		{DType: Float32, Shape: []int{2}, Data: []float64{1, 2}},  // Data of another dtype
		{DType: Int32, Shape: []int{2}, Data: []int64{1, 2}},      // Data of another dtype
		{DType: Float64, Shape: []int{-2}, Data: []float64{1, 2}}, // bad shape
		{DType: Float64, Shape: []int{2}, Data: "not a slice"},    // not a Data type
	} {
		if got, err := c.AsFloat32(); err == nil {
			t.Errorf("AsFloat32 of %+v = %v, want an error", c, got)
		}
	}
	mustPanic(t, "Float32s on float64", func() { (&Tensor{DType: Float64, Shape: []int{1}, Data: []float64{1}}).Float32s() })
}

func TestShapeString(t *testing.T) {
	for _, c := range []struct {
		in   []int
		want string
	}{
		{[]int{-1, 32, 32, 3}, "(None, 32, 32, 3)"},
		{[]int{3, 3, 3, 16}, "(3, 3, 3, 16)"},
		{[]int{10}, "(10,)"},
		{[]int{-1}, "(None,)"},
		{nil, "()"},
	} {
		if got := ShapeString(c.in); got != c.want {
			t.Errorf("ShapeString(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}
