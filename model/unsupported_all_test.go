package model

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnsupportedClassesAllListed: a config with several layers of classes kerasgo does not
// implement is refused with one UnsupportedLayersError that names every one of them by layer
// name and class, in config order, for a Sequential and a Functional config in both dialects.
func TestUnsupportedClassesAllListed(t *testing.T) {
	// replace swaps the class of layers (config order) for unknown classes.
	replace := func(path string, swaps ...[2]string) []byte {
		s := string(readFile(t, path))
		for _, sw := range swaps {
			if !strings.Contains(s, sw[0]) {
				t.Fatalf("%s: no %s", path, sw[0])
			}
			s = strings.Replace(s, sw[0], sw[1], 1)
		}
		return []byte(s)
	}
	seq := filepath.Join(fixtureRoot, "seed")
	fun := filepath.Join("..", "testdata", "functional", "two_branch_residual")
	for _, c := range []struct {
		name string
		cfg  []byte
		want string
	}{
		{"Sequential tf_keras", replace(filepath.Join(seq, "config_keras2.json"),
			[2]string{`"class_name": "MaxPooling2D"`, `"class_name": "ConvLSTM3D"`},
			[2]string{`"class_name": "Flatten"`, `"class_name": "Custom>Thing"`},
			[2]string{`"class_name": "Dropout"`, `"class_name": "AlphaDropout"`}),
			`model: from JSON: 3 layers of classes kerasgo does not implement: "pool_1" (ConvLSTM3D), "flatten" (Custom>Thing), "dropout" (AlphaDropout)`},
		{"Sequential Keras 3", replace(filepath.Join(seq, "config_keras3.json"),
			[2]string{`"class_name": "Conv2D"`, `"class_name": "ConvLSTM3D"`},
			[2]string{`"class_name": "Dropout"`, `"class_name": "AlphaDropout"`}),
			`model: from JSON: 2 layers of classes kerasgo does not implement: "conv_1" (ConvLSTM3D), "dropout" (AlphaDropout)`},
		{"Functional Keras 3", replace(filepath.Join(fun, "config_keras3.json"),
			[2]string{`"class_name": "ReLU"`, `"class_name": "ThresholdedReLU"`},
			[2]string{`"class_name": "Add"`, `"class_name": "Custom>Merge"`},
			[2]string{`"class_name": "GlobalAveragePooling2D"`, `"class_name": "GlobalAveragePooling3D"`}),
			`model: from JSON: 3 layers of classes kerasgo does not implement: "relu_a" (ThresholdedReLU), "add" (Custom>Merge), "gap" (GlobalAveragePooling3D)`},
		{"Functional tf_keras", replace(filepath.Join(fun, "config_keras2.json"),
			[2]string{`"class_name": "BatchNormalization"`, `"class_name": "Custom>Norm"`},
			[2]string{`"class_name": "Add"`, `"class_name": "Custom>Merge"`}),
			`model: from JSON: 2 layers of classes kerasgo does not implement: "bn_a" (Custom>Norm), "add" (Custom>Merge)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := FromJSON(c.cfg)
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != c.want {
				t.Errorf("error\n%s\nwant\n%s", err, c.want)
			}
			var ul *UnsupportedLayersError
			if !errors.As(err, &ul) {
				t.Errorf("%T is not an *UnsupportedLayersError", err)
			}
			if !errors.Is(err, ErrUnsupported) {
				t.Errorf("errors.Is(err, ErrUnsupported) is false")
			}
		})
	}
}
