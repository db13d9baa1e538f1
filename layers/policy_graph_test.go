package layers

import (
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// TestPolicyGraph checks the casts PolicyGraph puts around a layer's float32 graph: float32
// layers keep their graph; float16 variables are read as float16 and cast to float32; mixed
// policies round inputs, variables (not BatchNormalization's) and outputs through the compute
// dtype; every reader of a rounded value reads the rounded one.
func TestPolicyGraph(t *testing.T) {
	graphOf := func(l Layer, in []int, policy string) *saved.LayerGraph {
		t.Helper()
		if err := l.(interface{ SetDTypePolicy(string) error }).SetDTypePolicy(policy); err != nil {
			t.Fatal(err)
		}
		if err := l.Build(in, NewRand(1)); err != nil {
			t.Fatal(err)
		}
		g, err := l.(Grapher).Graph()
		if err != nil {
			t.Fatal(err)
		}
		pg, err := PolicyGraph(l, g)
		if err != nil {
			t.Fatal(err)
		}
		if policy == PolicyFloat32 && pg != g {
			t.Errorf("float32: graph changed")
		}
		return pg
	}
	describe := func(g *saved.LayerGraph) string {
		var b []string
		for _, op := range g.Ops {
			s := op.Type + "(" + strings.Join(op.Inputs, ",") + ")"
			if a, ok := op.Attrs["dtype"]; ok && op.Type == "ReadVariableOp" {
				s += ":" + a.Type.String()
			}
			if a, ok := op.Attrs["DstT"]; ok {
				s += ":" + op.Attrs["SrcT"].Type.String() + ">" + a.Type.String()
			}
			b = append(b, op.Name+"="+s)
		}
		return strings.Join(b, " ") + " -> " + g.Output
	}
	graphOf(NewDense(2), []int{3}, PolicyFloat32)
	got := describe(graphOf(NewDense(2, DenseOptions{Activation: "relu"}), []int{3}, PolicyFloat16))
	want := "policy/input_0/Cast=Cast($in):float32>float16 policy/input_0/Cast_1=Cast(policy/input_0/Cast):float16>float32 " +
		"MatMul/ReadVariableOp=ReadVariableOp($var:kernel):float16 MatMul/ReadVariableOp/Cast=Cast(MatMul/ReadVariableOp):float16>float32 " +
		"MatMul=MatMul(policy/input_0/Cast_1,MatMul/ReadVariableOp/Cast) " +
		"BiasAdd/ReadVariableOp=ReadVariableOp($var:bias):float16 BiasAdd/ReadVariableOp/Cast=Cast(BiasAdd/ReadVariableOp):float16>float32 " +
		"BiasAdd=BiasAdd(MatMul,BiasAdd/ReadVariableOp/Cast) Relu=Relu(BiasAdd) " +
		"policy/output/Cast=Cast(Relu):float32>float16 policy/output/Cast_1=Cast(policy/output/Cast):float16>float32 -> policy/output/Cast_1"
	if got != want {
		t.Errorf("float16 Dense:\n got %s\nwant %s", got, want)
	}
	got = describe(graphOf(NewDense(2), []int{3}, PolicyMixedBFloat16))
	if !strings.Contains(got, "MatMul/ReadVariableOp=ReadVariableOp($var:kernel):float32 MatMul/ReadVariableOp/Cast=Cast(MatMul/ReadVariableOp):float32>bfloat16") ||
		!strings.Contains(got, "MatMul=MatMul(policy/input_0/Cast_1,MatMul/ReadVariableOp/Cast_1)") {
		t.Errorf("mixed_bfloat16 Dense: %s", got)
	}
	got = describe(graphOf(NewBatchNormalization(), []int{2, 2, 3}, PolicyMixedFloat16))
	if strings.Contains(got, "ReadVariableOp/Cast") || !strings.Contains(got, "FusedBatchNormV3(policy/input_0/Cast_1,") ||
		!strings.HasSuffix(got, "-> policy/output/Cast_1") {
		t.Errorf("mixed_float16 BatchNormalization (float32 variables, rounded input and output): %s", got)
	}
	// tf_keras's BatchNormalization keeps float32 variables under the bfloat16 policy
	bn := NewBatchNormalization()
	got = describe(graphOf(bn, []int{2, 2, 3}, PolicyBFloat16))
	if strings.Contains(got, ":bfloat16 ") && strings.Contains(got, "ReadVariableOp($var:gamma):bfloat16") ||
		VariableDTypeIn(bn, saved.Keras2) != tensor.Invalid || VariableDTypeIn(bn, saved.Keras3) != tensor.BFloat16 {
		t.Errorf("bfloat16 BatchNormalization: %s", got)
	}
}
