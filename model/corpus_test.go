package model

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgo/kerasgo/layers"
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// corpusRoot returns the third-party corpus (../shared/fixtures next to the repository, or
// $KERASGO_FIXTURES), skipping the test when it is absent.
func corpusRoot(t *testing.T) string {
	t.Helper()
	root := os.Getenv("KERASGO_FIXTURES")
	if root == "" {
		root = filepath.Join("..", "..", "shared", "fixtures")
	}
	if _, err := os.Stat(root); err != nil {
		t.Skipf("third-party corpus not found at %s (set KERASGO_FIXTURES): %v", root, err)
	}
	return root
}

// TestCorpusConfigs parses every model config stored as a plain JSON file in the third-party
// corpus (written by real Keras: kotlindl's tf.keras 2.2 Functional model.to_json(), IDAES's
// Keras 3.2 Sequential to_json()). Each must either give a built model or fail with an
// ErrUnsupported error that names what is unsupported.
func TestCorpusConfigs(t *testing.T) {
	root := corpusRoot(t)
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no .json files in the corpus")
	}
	// What each file must give: "" for a model, or text the error must contain.
	want := map[string]string{
		"kotlindl/toyresnet/modelConfig.json": "", // tf.keras 2.2 Functional ("Model")
		"idaes/PT_data_2_10_10_2_relu.json":   "",
	}
	seen := 0
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		rel = filepath.ToSlash(rel)
		m, err := FromConfig(readFile(t, f))
		if w, ok := want[rel]; ok {
			seen++
			if w == "" && err != nil {
				t.Errorf("%s: %v", rel, err)
			}
			if w != "" && (err == nil || !strings.Contains(err.Error(), w)) {
				t.Errorf("%s: err = %v, want one containing %s", rel, err, w)
			}
		}
		if err != nil {
			if !errors.Is(err, ErrUnsupported) {
				t.Errorf("%s: %v is not ErrUnsupported", rel, err)
			}
			t.Logf("%s: %v", rel, err)
			continue
		}
		if !m.Built() || len(m.Layers()) == 0 {
			t.Errorf("%s: model not built (%d layers)", rel, len(m.Layers()))
		}
		t.Logf("%s: %d layers, input %v, output %v, warnings %q", rel, len(m.Layers()), m.InputShape(), m.OutputShape(), m.Warnings())
	}
	if seen != len(want) {
		t.Errorf("found %d of the %d expected corpus files", seen, len(want))
	}
}

// TestCorpusIDAESConfig checks the Keras 3.2 config in detail: names, shapes, activations.
func TestCorpusIDAESConfig(t *testing.T) {
	root := corpusRoot(t)
	m, err := FromConfig(readFile(t, filepath.Join(root, "idaes", "PT_data_2_10_10_2_relu.json")))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range m.Layers() {
		d := l.(*layers.Dense)
		out, _ := l.OutputShape(l.InputShape())
		got = append(got, l.Name()+" "+d.Activation()+" "+shapeString(-1, out))
	}
	want := "dense_9 relu (None, 10)|dense_10 relu (None, 10)|dense_11 linear (None, 2)"
	if d := ConfigDialect(readFile(t, filepath.Join(root, "idaes", "PT_data_2_10_10_2_relu.json"))); d != saved.Keras3 {
		t.Errorf("dialect %v", d)
	}
	if strings.Join(got, "|") != want || m.Name() != "PT_data_2_10_10_2_relu" || shapeString(-1, m.InputShape()) != "(None, 2)" {
		t.Errorf("got %q %s %v", got, m.Name(), m.InputShape())
	}
}

// TestCorpusLoad loads every Keras HDF5 and .keras file of the corpus as a model. Each must
// load, or fail with an error that says what is unsupported (a Functional model, a layer
// class, an option), or with ErrNoConfig for a weights-only file. The Sequential models made
// of supported layers must load fully (config, weights, training state when supported).
func TestCorpusLoad(t *testing.T) {
	root := corpusRoot(t)
	mustLoad := map[string]bool{
		"dl4j/keras/simple/cnn_tf_model.h5":                        true, // Keras 1.1.2
		"dl4j/modelimport/keras/fullconfigs/cnn/cnn_batch_norm.h5": true, // Keras 2.1.3
		"dl4j/modelimport/keras/optimizers/adam.h5":                true, // Keras 2.0.9
		"dl4j/modelimport/keras/weights/conv2d_theano_2.h5":        true, // Theano backend
		"hls4ml/dense_streaming_keras_model.keras":                 true, // HDF5 named .keras
		"hls4ml/tanh.h5":                      true, // tf.keras 2.13
		"idaes/PT_data_2_10_10_2_relu.keras":  true, // Keras 3.2 zip
		"idaes/idaes_keras_model.keras":       true, // tf.keras 2.15 zip written on Windows
		"omlt/keras_linear_131_sigmoid.keras": true, // Keras 3.3
		"omlt/keras_linear_2353.keras":        true,
		// Functional models.
		"mlcommons-tiny/pretrainedResnet.h5":                true, // tf.keras ResNet (Add)
		"mlcommons-tiny/trainedResnet.h5":                   true,
		"dl4j/modelimport/keras/tfkeras/cnn2d_64.h5":        true,
		"dl4j/modelimport/keras/gans/wgan_discriminator.h5": true,
		// Input shapes with None besides the batch.
		"dl4j/modelimport/keras/examples/12net.h5": true, // Keras 2.2: Input((None, None, 3))
		// Attention on rank-2 inputs (across the batch).
		"dl4j/modelimport/keras/weights/keras-attention.h5": true,
		// LSTMs with return_state and initial_state, Bidirectional LSTMs, Input((None, 4));
		// its predictions are tf_keras's (compat TestFrugallyDeepLSTMPredict).
		"frugally-deep/lstm.h5": true,
		// Keras 2.0.6: LSTM implementation 0, RMSprop variables named "Variable_N:0" (compat
		// TestKeras206OptimizerState compares them with tf_keras's).
		"dl4j/modelimport/keras/examples/simple_lstm/simple_lstm_tf_keras_2_model.h5": true,
	}
	// Files whose load error, while they fail, must name this feature (not their None input
	// dimensions). None at present.
	failNaming := map[string]string{}
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			switch filepath.Ext(p) {
			case ".h5", ".hdf5", ".keras":
				files = append(files, p)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	loaded := 0
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		rel = filepath.ToSlash(rel)
		m, err := Load(f)
		if w, ok := failNaming[rel]; ok && err != nil && (!strings.Contains(err.Error(), w) || strings.Contains(err.Error(), "unknown dimensions")) {
			t.Errorf("%s: %v, want an error naming %s", rel, err, w)
		}
		if err != nil {
			skipNoHDF5(t, err)
			if mustLoad[rel] {
				t.Errorf("%s: %v", rel, err)
			} else if !errors.Is(err, ErrNoConfig) && !errors.Is(err, ErrUnsupported) {
				t.Errorf("%s: error does not say what is unsupported: %v", rel, err)
			}
			t.Logf("%s: %v", rel, err)
			continue
		}
		loaded++
		if !m.Built() || len(m.Weights()) == 0 {
			t.Errorf("%s: loaded without weights", rel)
		}
		t.Logf("%s: loaded: %d layers, %d parameters, compiled %v, warnings %q", rel, len(m.Layers()), m.CountParams(), m.Compiled(), m.Warnings())
	}
	t.Logf("%d of %d HDF5/.keras corpus files load as models", loaded, len(files))
	if loaded < len(mustLoad) {
		t.Errorf("%d files loaded, want at least %d", loaded, len(mustLoad))
	}
}

// TestCorpusWeightsIntoModels loads weights-only corpus files into the models their full
// files give (each pair holds the same weights, per the corpus provenance): LoadWeights must
// set exactly the weights Load read.
func TestCorpusWeightsIntoModels(t *testing.T) {
	root := corpusRoot(t)
	for _, c := range [][2]string{
		{"hls4ml/tanh.h5", "hls4ml/tanh_weights.h5"},
		{"dl4j/keras/simple/cnn_tf_model.h5", "dl4j/keras/simple/cnn_tf_weights.h5"},
	} {
		full, err := Load(filepath.Join(root, c[0]))
		if err != nil {
			skipNoHDF5(t, err)
			t.Fatal(err)
		}
		want := snapshot(full)
		m, err := FromSaved(mustToSaved(t, full))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range m.Weights() { // forget the weights
			clear(w.Value.Float32s())
		}
		if err := m.LoadWeights(filepath.Join(root, c[1])); err != nil {
			t.Errorf("%s: %v", c[1], err)
			continue
		}
		if !sameWeights(snapshot(m), want) {
			t.Errorf("%s: weights differ from %s's", c[1], c[0])
		}
	}
}

func mustToSaved(t *testing.T, m *Sequential) *saved.Model {
	t.Helper()
	sm, err := m.ToSaved(saved.Keras2)
	if err != nil {
		t.Fatal(err)
	}
	return sm
}

// TestCorpusNoneDims runs the corpus's MTCNN 12-net (Keras 2.2, Input((None, None, 3)), two
// heads) on images of two sizes. It is fully convolutional with a total stride of 2, so the
// heads' output at (i, j) for a 16x20 image is its output for the 12x12 crop at (2i, 2j).
func TestCorpusNoneDims(t *testing.T) {
	root := corpusRoot(t)
	m, err := Load(filepath.Join(root, "dl4j", "modelimport", "keras", "examples", "12net.h5"))
	if err != nil {
		skipNoHDF5(t, err)
		t.Fatal(err)
	}
	if got := shapeString(-1, m.DeclaredInputShapes()[0]); got != "(None, None, None, 3)" {
		t.Errorf("declared input %s", got)
	}
	if !strings.Contains(m.Summary(), "(None, None, None, 10)") {
		t.Errorf("summary without None dims:\n%s", m.Summary())
	}
	const h, w = 16, 20
	big := tensor.MustFromFloat32([]int{1, h, w, 3}, make([]float32, h*w*3))
	for i, v := 0, big.Float32s(); i < len(v); i++ {
		v[i] = float32((i*7919)%255)/127.5 - 1
	}
	ys, err := m.PredictN([]*tensor.Tensor{big})
	if err != nil {
		t.Fatal(err)
	}
	oh, ow := ys[0].Shape[1], ys[0].Shape[2]
	if oh != 3 || ow != 5 {
		t.Fatalf("output shape %v for a %dx%d image", ys[0].Shape, h, w)
	}
	checked := 0
	for i := 0; i < oh; i++ {
		for j := 0; j < ow; j++ {
			crop := tensor.MustFromFloat32([]int{1, 12, 12, 3}, make([]float32, 12*12*3))
			cv, bv := crop.Float32s(), big.Float32s()
			for r := 0; r < 12; r++ {
				copy(cv[r*12*3:(r+1)*12*3], bv[((2*i+r)*w+2*j)*3:((2*i+r)*w+2*j+12)*3])
			}
			cs, err := m.PredictN([]*tensor.Tensor{crop})
			if err != nil {
				t.Fatal(err)
			}
			for k := range ys {
				c := cs[k].Float32s()
				full := ys[k].Float32s()
				ch := ys[k].Shape[3]
				for q := 0; q < ch; q++ {
					if d := math.Abs(float64(full[(i*ow+j)*ch+q] - c[q])); d > 1e-5 {
						t.Errorf("head %d at (%d,%d) channel %d: %g on the image, %g on the crop", k, i, j, q, full[(i*ow+j)*ch+q], c[q])
					}
					checked++
				}
			}
		}
	}
	t.Logf("%d head outputs of the 16x20 image equal those of their 12x12 crops", checked)
}
