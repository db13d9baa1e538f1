package model

import (
	"encoding/json"
	"testing"
)

// Keras 3 records the mask computations of a Functional model as operation nodes (NotEqual,
// Any) that its configs and summaries list and that calls take as "mask" arguments; kerasgo
// drops them when it reads such a config (it computes the masks from the layers, as tf_keras
// does) and writes configs without them, which Keras 3 loads with the same masks
// (compat/wrap_files_test.go). The fixture tests compare kerasgo's Keras 3 config of the
// masked cases (maskedCases) with Keras's without those nodes; everything else must be equal.
// Keras 3's summary of such a model lists the operations, which kerasgo's SummaryKeras3
// rebuilds (model/summary_masks.go): those summaries are compared in full.

// keras3WithoutMaskOps returns a Keras 3 model config without its mask operation nodes, the
// "mask" call arguments that read them set to null.
func keras3WithoutMaskOps(t testing.TB, data []byte) []byte {
	t.Helper()
	var top map[string]any
	if err := json.Unmarshal(data, &top); err != nil {
		t.Fatal(err)
	}
	cfg, _ := top["config"].(map[string]any)
	list, _ := cfg["layers"].([]any)
	kept := dropMaskOps(list)
	if len(kept) == len(list) {
		t.Fatalf("no mask operations in the Keras 3 config of a masked case")
	}
	for _, e := range kept {
		em, _ := e.(map[string]any)
		calls, _ := em["inbound_nodes"].([]any)
		for _, c := range calls {
			cm, _ := c.(map[string]any)
			if kw, ok := cm["kwargs"].(map[string]any); ok && isMaskTensor(kw["mask"]) {
				kw["mask"] = nil
			}
		}
	}
	cfg["layers"] = kept
	out, err := json.Marshal(top)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
