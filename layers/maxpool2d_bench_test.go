package layers

import "testing"

// BenchmarkMaxPooling2DTrainStep is the seed model's MaxPooling2D (4×4 on 30×30×16, batch
// 512) in training: Forward, then Backward.
func BenchmarkMaxPooling2DTrainStep(b *testing.B) {
	l := NewMaxPooling2D([2]int{4, 4})
	if err := l.Build([]int{30, 30, 16}, nil); err != nil {
		b.Fatal(err)
	}
	x := randTensor(NewRand(2), []int{512, 30, 30, 16}, 0, 1)
	y, _ := l.Forward(x, true)
	dy := randTensor(NewRand(3), y.Shape, -1, 1)
	for b.Loop() {
		if _, err := l.Forward(x, true); err != nil {
			b.Fatal(err)
		}
		if _, err := l.Backward(dy); err != nil {
			b.Fatal(err)
		}
	}
}
