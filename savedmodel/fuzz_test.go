package savedmodel

import (
	"os"
	"path/filepath"
	"testing"
)

// fuzzSeeds returns the saved_model.pb / keras_metadata.pb of a Go-written SavedModel and of
// the corpus directories that are present.
func fuzzSeeds(f *testing.F, file string) {
	dir := filepath.Join(f.TempDir(), "sm")
	if err := Save(dir, fixtureModel(f, "seed", true)); err == nil {
		if b, err := os.ReadFile(filepath.Join(dir, file)); err == nil {
			f.Add(b)
		}
	}
	fx := os.Getenv("KERASGO_FIXTURES")
	if fx == "" {
		fx = filepath.Join("..", "..", "shared", "fixtures")
	}
	for _, d := range []string{"tf-serving/saved_model_half_plus_two_cpu/00000123", "tf-serving/saved_model_half_plus_two_tf2_cpu/00000123",
		"tf-rust/keras_single_input_saved_model", "tfnet/simple_model_from_auto_compile"} {
		if b, err := os.ReadFile(filepath.Join(fx, d, file)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0x12, 0x00})
}

// FuzzSavedModel feeds saved_model.pb bytes through everything Inspect and Load do with them.
func FuzzSavedModel(f *testing.F) {
	fuzzSeeds(f, SavedModelFile)
	f.Fuzz(func(t *testing.T, b []byte) {
		sm, err := parseSavedModel(b)
		if err != nil {
			return
		}
		mg := serveGraph(sm)
		for _, sd := range mg.SignatureDef {
			tensorInfos(sd.Inputs)
			tensorInfos(sd.Outputs)
		}
		if og := mg.GetObjectGraphDef(); og != nil {
			objectPaths(og)
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, SavedModelFile), b, 0o644); err != nil {
			t.Fatal(err)
		}
		Inspect(dir)
		Load(dir)
	})
}

// FuzzKerasMetadata feeds keras_metadata.pb bytes through the metadata reader.
func FuzzKerasMetadata(f *testing.F) {
	fuzzSeeds(f, KerasMetadataFile)
	f.Fuzz(func(t *testing.T, b []byte) {
		md, err := parseKerasMetadata(b)
		if err != nil {
			return
		}
		m, _, names, classes, err := modelFromMetadata(md)
		if err == nil && (m == nil || len(names) != len(classes)) {
			t.Fatalf("inconsistent result")
		}
	})
}

// FuzzLowering feeds model configs through the Sequential lowering (config parsing and
// shape inference) that Save runs before writing anything.
func FuzzLowering(f *testing.F) {
	for _, v := range modelVariants {
		if b, err := os.ReadFile(filepath.Join(modelsDir(), v, "config_keras2.json")); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"class_name":"Sequential","config":[{"class_name":"Dense","config":{"units":1e300,"batch_input_shape":[null,-5]}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m := fixtureModel(t, "seed", false)
		m.Config = b
		if _, err := (Options{}).build(m); err != nil {
			return
		}
	})
}
