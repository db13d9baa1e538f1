package savedmodel

import (
	"fmt"
	"io"
	"strings"

	"github.com/kerasgo/kerasgo/tensor"
)

// dtypeName names a TF DataType as TF does ("float32", "float32_ref" for reference dtypes).
func dtypeName(d tensor.DType) string {
	if d > 100 {
		return dtypeName(d-100) + "_ref"
	}
	if d == 0 {
		return "invalid"
	}
	return d.String()
}

func shapeString(s []int, rank int) string {
	if rank < 0 {
		return "unknown"
	}
	parts := make([]string, len(s))
	for i, d := range s {
		if d < 0 {
			parts[i] = "-1"
		} else {
			parts[i] = fmt.Sprint(d)
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// Dump writes a listing of info: the Keras model (if any), each signature with its inputs and
// outputs (as saved_model_cli show --all prints them), then every variable with its dtype
// and shape (as tf.train.list_variables).
func (info *Info) Dump(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "SavedModel %s\n", info.Dir)
	for _, t := range info.Tags {
		fmt.Fprintf(&b, "tag-set: %s\n", strings.Join(t, ","))
	}
	if info.TensorFlowVersion != "" {
		fmt.Fprintf(&b, "written by TensorFlow %s\n", info.TensorFlowVersion)
	}
	if k := info.Keras; k != nil {
		fmt.Fprintf(&b, "Keras %s %q (Keras %s, %d Keras objects)\n", k.Class, k.Name, k.KerasVersion, k.Nodes)
	}
	for _, s := range info.Signatures {
		fmt.Fprintf(&b, "\nsignature_def[%q]:\n", s.Key)
		for _, x := range []struct {
			kind string
			ts   []TensorInfo
		}{{"inputs", s.Inputs}, {"outputs", s.Outputs}} {
			for _, t := range x.ts {
				fmt.Fprintf(&b, "  %s[%q]: %s %s  (%s)\n", x.kind, t.Key, dtypeName(t.DType), shapeString(t.Shape, t.Rank), t.Name)
			}
		}
		if s.Method != "" {
			fmt.Fprintf(&b, "  method: %s\n", s.Method)
		}
	}
	if len(info.Variables) > 0 {
		fmt.Fprintf(&b, "\nvariables (%d):\n", len(info.Variables))
		for _, v := range info.Variables {
			fmt.Fprintf(&b, "  %s %s %s", v.Key, dtypeName(v.DType), shapeString(v.Shape, len(v.Shape)))
			if v.FullName != "" {
				fmt.Fprintf(&b, "  (%s)", v.FullName)
			}
			b.WriteByte('\n')
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
