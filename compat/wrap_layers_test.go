package compat

import "github.com/kerasgo/kerasgo/layers"

// addWrapperCases adds the wrapper layers' cases to TestLayersTrainingStep: Bidirectional
// over each recurrent class with each single-output merge mode, return_sequences on and off,
// and TimeDistributed over Dense and Conv2D.
func addWrapperCases(add func(id string, l layers.Layer, in []int, batch int, ties bool)) {
	add("bidi_lstm_concat_seq", layers.NewBidirectional(layers.NewLSTM(3, layers.LSTMOptions{ReturnSequences: true})), []int{5, 3}, 2, false)
	add("bidi_gru_sum", layers.NewBidirectional(layers.NewGRU(3), layers.BidirectionalOptions{MergeMode: "sum"}), []int{4, 3}, 3, false)
	add("bidi_gru_reset_before_ave_seq", layers.NewBidirectional(layers.NewGRU(2, layers.GRUOptions{ResetBefore: true, ReturnSequences: true}),
		layers.BidirectionalOptions{MergeMode: "ave"}), []int{4, 3}, 2, false)
	add("bidi_simple_rnn_mul_seq", layers.NewBidirectional(layers.NewSimpleRNN(3, layers.SimpleRNNOptions{ReturnSequences: true}),
		layers.BidirectionalOptions{MergeMode: "mul"}), []int{5, 2}, 2, false)
	add("bidi_lstm_back_concat", layers.NewBidirectional(layers.NewLSTM(2, layers.LSTMOptions{GoBackwards: true})), []int{4, 3}, 2, false)
	add("td_dense_relu", layers.NewTimeDistributed(layers.NewDense(4, layers.DenseOptions{Activation: "tanh"})), []int{5, 3}, 2, false)
	add("td_conv2d", layers.NewTimeDistributed(layers.NewConv2D(2, [2]int{3, 3}, layers.Conv2DOptions{Activation: "relu"})), []int{3, 5, 5, 2}, 2, false)
	add("td_lstm", layers.NewTimeDistributed(layers.NewLSTM(3)), []int{2, 4, 3}, 2, false)
}
