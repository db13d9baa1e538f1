package layers

import (
	"path/filepath"
	"testing"
)

// The per-layer cases of testdata/layers_conv2d (testdata/gen/layers_conv2d.py: DepthwiseConv2D,
// SeparableConv2D and Conv2DTranspose written by tf_keras 2.21 and Keras 3.15) run through
// TestProbeFixtures too: configs in both dialects equal to Keras's, build configs, weight
// names and shapes, and the probe's and the model's outputs within 1e-5.
func init() {
	dirs, _ := filepath.Glob(filepath.Join(functionalRoot, "..", "layers_conv2d", "layer_*"))
	for _, d := range dirs {
		probeChainCases = append(probeChainCases, filepath.Join("..", "layers_conv2d", filepath.Base(d)))
	}
}

// TestConv2DFamilyFixturesPresent makes sure the cases above are there (a missing directory
// would silently test nothing).
func TestConv2DFamilyFixturesPresent(t *testing.T) {
	n := 0
	for _, c := range probeChainCases {
		if filepath.Dir(c) == filepath.Join("..", "layers_conv2d") {
			n++
		}
	}
	if n < 16 {
		t.Fatalf("%d cases of testdata/layers_conv2d in probeChainCases, want 16", n)
	}
}
