package model

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgo/kerasgo/saved"
)

// FuzzTrainingConfig feeds arbitrary training configs (both dialects) to trainingFromSaved
// and, when they compile, writes them back: no input may panic.
func FuzzTrainingConfig(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join(trainFixtureDir(), "*", "training_config.json"))
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, false)
		}
	}
	f.Add([]byte(`{"optimizer": {"module": "keras.optimizers", "class_name": "Adam", "config": {"name": "adam", "learning_rate": 0.001}}, "loss": {"module": "keras.losses", "class_name": "CategoricalCrossentropy", "config": {"from_logits": true}}, "metrics": ["accuracy"]}`), true)
	f.Add([]byte(`{"loss": [1], "metrics": [[{"config": 3}]], "optimizer_config": "sgd"}`), false)
	f.Fuzz(func(t *testing.T, b []byte, keras3 bool) {
		d := saved.Keras2
		if keras3 {
			d = saved.Keras3
		}
		m := tinyModel(1)
		if err := m.trainingFromSaved(&saved.Model{TrainingConfig: b, Dialect: d}); err != nil || !m.Compiled() {
			return
		}
		if _, _, err := m.trainingToSaved(saved.Keras2); err != nil {
			t.Fatal(err)
		}
		if _, _, err := m.trainingToSaved(saved.Keras3); err != nil {
			t.Fatal(err)
		}
	})
}
