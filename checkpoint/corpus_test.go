package checkpoint

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// corpusPrefixes finds every bundle (.index file) in the third-party corpus.
func corpusPrefixes(t *testing.T) []string {
	root := fixturesDir(t)
	var out []string
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".index") {
			out = append(out, strings.TrimSuffix(p, ".index"))
		}
		return nil
	})
	if len(out) == 0 {
		t.Skip("no checkpoints in the corpus")
	}
	return out
}

// TestCorpus opens every checkpoint of the third-party corpus (TF 1.4 to 2.14: TF1 Saver
// bundles, a 2-shard bundle, Snappy-compressed indexes, SavedModel variables, Keras
// save_weights), lists it and reads every tensor with its CRC-32C verified.
func TestCorpus(t *testing.T) {
	prefixes := corpusPrefixes(t)
	total, bundles, shards := 0, 0, 0
	for _, p := range prefixes {
		r, err := Open(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		bundles++
		shards += r.NumShards()
		for _, e := range r.Entries() {
			if _, err := r.Read(e.Key); err != nil {
				t.Errorf("%s: %v", p, err)
				continue
			}
			total++
		}
		r.Close()
	}
	t.Logf("corpus: %d bundles, %d data shards, %d tensors read with crc32c verified", bundles, shards, total)
	if bundles < 10 || total < 300 {
		t.Errorf("only %d bundles / %d tensors read; the corpus has more", bundles, total)
	}
}

// TestCorpusV1Rejected checks that an old V1 (tensor-slice) checkpoint, which has no .index,
// is refused cleanly.
func TestCorpusV1Rejected(t *testing.T) {
	dir := filepath.Join(fixturesDir(t), "tf-serving", "bad_half_plus_two", "00000123")
	_, err := Open(filepath.Join(dir, "export"))
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("V1 checkpoint: err = %v, want ErrNotFound", err)
	}
	if _, err := Latest(dir); err == nil {
		t.Error("Latest on a V1 checkpoint folder succeeded")
	}
}

// TestCorpusStateFiles resolves the corpus `checkpoint` files, including absolute paths from
// other machines.
func TestCorpusStateFiles(t *testing.T) {
	root := fixturesDir(t)
	for _, d := range []string{"dl4j/tf_graphs/nd4j_convert/simple_graph", "t2t/transformer_test_ckpt",
		"tf2onnx/regression/checkpoint", "tfx/keras_tuner_trial_1cbaf13c/checkpoints/epoch_0"} {
		dir := filepath.Join(root, d)
		p, err := Latest(dir)
		if err != nil {
			t.Errorf("%s: %v", d, err)
			continue
		}
		if _, err := Open(p); err != nil {
			t.Errorf("%s: latest %s: %v", d, p, err)
		}
	}
}

// TestCorpusKeras loads the Keras checkpoints of the corpus through the object graph.
func TestCorpusKeras(t *testing.T) {
	root := fixturesDir(t)
	cases := []struct {
		prefix       string
		layers       int
		slots        int
		class        string
		firstLayer   string
		trainableAll bool
	}{
		// TF 2.3 KerasTuner save_weights, legacy Adam: Dense 4->8->8->8->3.
		{"tfx/keras_tuner_trial_1cbaf13c/checkpoints/epoch_0/checkpoint", 4, 16, "Adam", "", true},
		// TF 2.3 SavedModel variables of a Sequential Dense(5), Dense(5), Dense(1).
		{"tf-rust/keras_single_input_saved_model/variables/variables", 3, 12, "Adam", "", true},
	}
	for _, c := range cases {
		m, err := LoadKerasWeights(filepath.Join(root, c.prefix))
		if err != nil {
			t.Errorf("%s: %v", c.prefix, err)
			continue
		}
		withW := 0
		for _, l := range m.Layers {
			if len(l.Weights) > 0 {
				withW++
			}
		}
		if withW < c.layers {
			t.Errorf("%s: %d layers with weights, want %d", c.prefix, withW, c.layers)
		}
		if m.Optimizer == nil {
			t.Errorf("%s: no optimizer", c.prefix)
			continue
		}
		if len(m.Optimizer.Slots) != c.slots || m.Optimizer.Class != c.class {
			t.Errorf("%s: optimizer %s with %d slots, want %s with %d", c.prefix, m.Optimizer.Class, len(m.Optimizer.Slots), c.class, c.slots)
		}
		for _, s := range m.Optimizer.Slots {
			if s.Name != "momentum" && s.Name != "velocity" {
				t.Errorf("%s: slot name %q is not a Keras 3 Adam slot", c.prefix, s.Name)
			}
		}
		t.Logf("%s: %d layers, iterations %d, lr %g", c.prefix, len(m.Layers), m.Optimizer.Iterations, m.Optimizer.LearningRate)
	}
}

// TestMultiBlockIndex reads a TF 2.21 bundle whose index spans two data blocks
// (internal/table/testdata/gen_multiblock.py: tensor i of the sorted names holds float(i)).
func TestMultiBlockIndex(t *testing.T) {
	r, err := Open(filepath.Join(repoRoot(), "internal", "table", "testdata", "multiblock_tf2_21"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ents := r.Entries()
	if len(ents) != 4500 {
		t.Fatalf("%d entries, want 4500", len(ents))
	}
	for i, e := range ents {
		v, err := r.Read(e.Key)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.Float32s()[0]; got != float32(i) {
			t.Fatalf("%s = %v, want %d", e.Key, got, i)
		}
	}
}
