package model

import (
	"fmt"

	"github.com/kerasgo/kerasgo/losses"
	"github.com/kerasgo/kerasgo/tensor"
)

// Keras weights the loss of an output that carries a Keras mask (a sequence output after
// Embedding(mask_zero) or Masking, through layers that carry the mask) by that mask: each
// row's loss (one per output entry without the class axis) counts with weight
// mask·total/valid, so the loss is the mean over the unmasked rows (tf_keras's
// apply_valid_mask, Keras 3's apply_mask with reduction sum_over_batch_size).

// computeLoss is loss.Compute, weighted by mask (batch·steps flags, one per row) when not nil.
func computeLoss(l *losses.Loss, pred, y *tensor.Tensor, mask []bool, act string, wantGrad, wantLogits bool) (losses.Result, error) {
	if mask == nil {
		return l.Compute(pred, y, act, wantGrad, wantLogits)
	}
	if len(pred.Shape) < 2 {
		return losses.Result{}, fmt.Errorf("%w: model output shape %s has no class axis", ErrShape, tensor.ShapeString(pred.Shape))
	}
	c := pred.Shape[len(pred.Shape)-1]
	rows := pred.Len() / max(c, 1)
	if len(mask) != rows || y == nil || y.Len()%rows != 0 {
		return losses.Result{}, fmt.Errorf("%w: output mask of %d flags for output %s", ErrShape, len(mask), tensor.ShapeString(pred.Shape))
	}
	valid := 0
	for _, k := range mask {
		if k {
			valid++
		}
	}
	var res losses.Result
	if wantGrad {
		res.Grad = make([]float32, pred.Len())
	}
	if valid == 0 {
		return res, nil // every row masked: Keras's loss is 0 (0/ε in Keras 3)
	}
	yRow := y.Len() / rows
	p, yv := pred.Float32s(), y.Float32s()
	var sum float64
	logits := false
	for r, keep := range mask {
		if !keep {
			continue
		}
		pr := tensor.MustFromFloat32([]int{1, c}, p[r*c:(r+1)*c])
		yr := tensor.MustFromFloat32([]int{1, yRow}, yv[r*yRow:(r+1)*yRow])
		rr, err := l.Compute(pr, yr, act, wantGrad, wantLogits)
		if err != nil {
			return losses.Result{}, err
		}
		sum += float64(rr.Loss)
		if wantGrad {
			g := res.Grad[r*c : (r+1)*c]
			for j, v := range rr.Grad {
				g[j] = v / float32(valid)
			}
			logits = rr.Logits
		}
	}
	res.Loss = float32(sum / float64(valid))
	res.Logits = logits
	return res, nil
}
