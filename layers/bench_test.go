package layers

import (
	"testing"
)

// seedConv returns the seed model's first layer, built, and a batch of 512 inputs.
func seedConv(b *testing.B) (*Conv2D, []int) {
	l := NewConv2D(16, [2]int{3, 3}, Conv2DOptions{Activation: "relu", Name: "conv_1"})
	if err := l.Build([]int{32, 32, 3}, NewRand(1)); err != nil {
		b.Fatal(err)
	}
	return l, []int{512, 32, 32, 3}
}

// BenchmarkConv2DForward is the seed model's Conv2D(16, 3x3, relu) over a batch of 512
// 32x32x3 images.
func BenchmarkConv2DForward(b *testing.B) {
	l, shape := seedConv(b)
	x := randTensor(NewRand(2), shape, 0, 1)
	b.ResetTimer()
	for b.Loop() {
		if _, err := l.Forward(x, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConv2DBackward is the training step of the same layer (forward with caching,
// then backward with the input gradient).
func BenchmarkConv2DTrainStep(b *testing.B) {
	l, shape := seedConv(b)
	x := randTensor(NewRand(2), shape, 0, 1)
	y, _ := l.Forward(x, true)
	dy := randTensor(NewRand(3), y.Shape, -1, 1)
	b.ResetTimer()
	for b.Loop() {
		if _, err := l.Forward(x, true); err != nil {
			b.Fatal(err)
		}
		if _, err := l.Backward(dy); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMaxPooling2DForward(b *testing.B) {
	l := NewMaxPooling2D([2]int{4, 4})
	l.Build([]int{30, 30, 16}, nil)
	x := randTensor(NewRand(2), []int{512, 30, 30, 16}, 0, 1)
	for b.Loop() {
		l.Forward(x, false)
	}
}

func BenchmarkDenseForward(b *testing.B) {
	l := NewDense(32, DenseOptions{Activation: "relu"})
	l.Build([]int{784}, NewRand(1))
	x := randTensor(NewRand(2), []int{512, 784}, 0, 1)
	for b.Loop() {
		l.Forward(x, false)
	}
}

// seedStack is the seed model's layers, built for 32x32x3 input.
func seedStack(b *testing.B) []Layer {
	stack := []Layer{
		NewConv2D(16, [2]int{3, 3}, Conv2DOptions{Activation: "relu"}),
		NewMaxPooling2D([2]int{4, 4}),
		NewBatchNormalization(),
		NewFlatten(),
		NewDense(32, DenseOptions{Activation: "relu"}),
		NewDropout(0.5),
		NewDense(10, DenseOptions{Activation: "softmax"}),
	}
	shape := []int{32, 32, 3}
	rng := NewRand(1)
	for _, l := range stack {
		if err := l.Build(shape, rng); err != nil {
			b.Fatal(err)
		}
		shape, _ = l.OutputShape(shape)
	}
	return stack
}

// BenchmarkSeedLayersTrainStep is the layers' share of one training step of the seed model
// on a batch of 512: every Forward in training mode, then every Backward (the first layer
// skips its input gradient, as a model does).
func BenchmarkSeedLayersTrainStep(b *testing.B) {
	stack := seedStack(b)
	stack[0].(InputGradientSkipper).SetSkipInputGradient(true)
	x := randTensor(NewRand(2), []int{512, 32, 32, 3}, 0, 1)
	dy := randTensor(NewRand(3), []int{512, 10}, -0.1, 0.1)
	b.ResetTimer()
	for b.Loop() {
		h := x
		var err error
		for _, l := range stack {
			if h, err = l.Forward(h, true); err != nil {
				b.Fatal(err)
			}
		}
		g := dy
		for i := len(stack) - 1; i >= 0; i-- {
			if g, err = stack[i].Backward(g); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkSeedLayersPredict is the seed model's layers in inference mode on a batch of 512.
func BenchmarkSeedLayersPredict(b *testing.B) {
	stack := seedStack(b)
	x := randTensor(NewRand(2), []int{512, 32, 32, 3}, 0, 1)
	b.ResetTimer()
	for b.Loop() {
		h := x
		var err error
		for _, l := range stack {
			if h, err = l.Forward(h, false); err != nil {
				b.Fatal(err)
			}
		}
	}
}
