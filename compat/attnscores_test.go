package compat

import "testing"

// TestAttnScoresFilesInKeras is TestRNNStateFilesInKeras for testdata/layers_attnscores
// (Attention, AdditiveAttention and MultiHeadAttention called with
// return_attention_scores=True): Go's .h5, TF checkpoint, save_weights .h5, .keras and
// .weights.h5 of each case, with changed weights, load in tf_keras and Keras 3 with Go's
// predictions of both outputs within 1e-5 and Go's summaries; the SavedModel is written
// (TestAttnScoresSavedModelServing serves it).
func TestAttnScoresFilesInKeras(t *testing.T) {
	multiOutputFilesInKeras(t, "layers_attnscores", nil)
}

// TestAttnScoresSavedModelServing is TestFunctionalSavedModelServing for
// testdata/layers_attnscores: kerasgo's SavedModel (the scores a second output of the layer's
// graph) is served by tf.saved_model.load, TF1 sessions and tf_keras with the fixture's
// predictions.
func TestAttnScoresSavedModelServing(t *testing.T) {
	fnSMServing(t, []string{"layers_attnscores"}, map[string]bool{"attention_scores": true, "additive_scores_masked": true, "mha_scores": true,
		"mha_axes2_rank4": true, "mha_axes1_rank4": true, "mha_axes12_rank4": true, "masked_metrics_attention": true,
		"masked_metrics_two_outputs": true})
}
