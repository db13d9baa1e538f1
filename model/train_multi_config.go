package model

import (
	"fmt"

	"github.com/kerasgo/kerasgo/internal/pyfmt"
	"github.com/kerasgo/kerasgo/losses"
	"github.com/kerasgo/kerasgo/saved"
)

// Compile configs of models with several outputs: loss and loss_weights as a list (one entry
// per output) or a dict (by output name), metrics per output, in both dialects.

// lossConfig is the loss as Keras writes it: one loss, a list, or a dict.
func (t *trainState) lossConfig(d saved.Dialect) any {
	one := func(l *losses.Loss) any {
		if l == nil {
			return nil
		}
		return l.Config(d)
	}
	switch t.losses.form {
	case formList:
		out := make([]any, len(t.losses.list))
		for i, l := range t.losses.list {
			out[i] = one(l)
		}
		return out
	case formDict:
		out := make(pyfmt.Object, len(t.losses.list))
		for i, l := range t.losses.list {
			out[i] = pyfmt.KV{t.losses.names[i], one(l)}
		}
		return out
	}
	return one(t.loss)
}

// weightsConfig is loss_weights as given (null when not given).
func (t *trainState) weightsConfig() any {
	switch t.weights.form {
	case formList:
		out := make([]any, len(t.weights.list))
		for i, w := range t.weights.list {
			out[i] = w
		}
		return out
	case formDict:
		out := make(pyfmt.Object, len(t.weights.list))
		for i, w := range t.weights.list {
			out[i] = pyfmt.KV{t.weights.names[i], w}
		}
		return out
	}
	return nil
}

// outMetricsConfig writes per-output metrics: Keras 3 a dict of name lists by output;
// tf_keras one list of MeanMetricWrapper objects per output, named "<output>_<metric>".
func (t *trainState) outMetricsConfig(d saved.Dialect) any {
	if t.outs == nil {
		return nil
	}
	empty := true
	for _, o := range t.outs {
		empty = empty && len(o.metrics) == 0
	}
	if empty && t.metrics == nil {
		return nil
	}
	if d == saved.Keras3 {
		out := pyfmt.Object{}
		for _, o := range t.outs {
			names := make([]any, 0, len(o.metrics))
			for _, s := range o.metrics {
				names = append(names, s.Name)
			}
			out = append(out, pyfmt.KV{o.name, names})
		}
		return out
	}
	out := make([]any, 0, len(t.outs))
	for _, o := range t.outs {
		objs := make([]any, 0, len(o.metrics))
		for _, s := range o.metrics {
			fn := s.Fn
			if s.Auto && !t.resolved {
				fn = "categorical_accuracy"
			}
			objs = append(objs, pyfmt.Object{
				{"class_name", "MeanMetricWrapper"},
				{"config", pyfmt.Object{{"name", o.name + "_" + s.Name}, {"dtype", "float32"}, {"fn", fn}}},
			})
		}
		out = append(out, objs)
	}
	return out
}

// isLossObject reports whether v is a Keras Loss object ({"class_name": ...}) rather than a
// dict of losses by output name.
func isLossObject(o pyfmt.Object) bool {
	_, ok := o.Lookup("class_name")
	return ok
}

// parseLosses reads a training config's loss: one loss, a list or a dict by output name.
func (t *trainState) parseLosses(v any) error {
	one := func(v any) (*losses.Loss, error) {
		if v == nil {
			return nil, nil
		}
		return losses.FromConfig(v)
	}
	switch x := v.(type) {
	case []any:
		t.losses.form = formList
		for _, e := range x {
			l, err := one(e)
			if err != nil {
				return err
			}
			t.losses.list = append(t.losses.list, l)
		}
		return nil
	case pyfmt.Object:
		if isLossObject(x) {
			break
		}
		t.losses.form = formDict
		for _, e := range x {
			l, err := one(e.V)
			if err != nil {
				return fmt.Errorf("loss of output %q: %v", e.K, err)
			}
			t.losses.names, t.losses.list = append(t.losses.names, e.K), append(t.losses.list, l)
		}
		return nil
	}
	l, err := losses.FromConfig(v)
	t.loss = l
	return err
}

// parseWeights reads loss_weights: null, a list or a dict by output name.
func (t *trainState) parseWeights(v any) error {
	num := func(v any) (float64, error) {
		f, ok := pyfmt.Num(v)
		if !ok {
			return 0, fmt.Errorf("loss weight %s is not a number", pyfmt.JSON(v))
		}
		return f, nil
	}
	switch x := v.(type) {
	case nil:
	case []any:
		t.weights.form = formList
		for _, e := range x {
			f, err := num(e)
			if err != nil {
				return err
			}
			t.weights.list = append(t.weights.list, f)
		}
	case pyfmt.Object:
		t.weights.form = formDict
		for _, e := range x {
			f, err := num(e.V)
			if err != nil {
				return err
			}
			t.weights.names, t.weights.list = append(t.weights.names, e.K), append(t.weights.list, f)
		}
	default:
		return fmt.Errorf("loss_weights %s not supported", pyfmt.JSON(v))
	}
	return nil
}

// parseOutMetrics reads per-output metrics: a Keras 3 dict by output name, or tf_keras's
// list of per-output lists when there are several. It reports whether v was per-output.
func (t *trainState) parseOutMetrics(v any) (bool, error) {
	var names []string
	var lists []any
	switch x := v.(type) {
	case pyfmt.Object:
		for _, e := range x {
			names, lists = append(names, e.K), append(lists, e.V)
		}
		t.outMetrics.form = formDict
	case []any:
		if len(x) < 2 {
			return false, nil
		}
		for _, e := range x {
			if _, ok := e.([]any); !ok {
				return false, nil
			}
		}
		lists = x
		t.outMetrics.form = formList
	default:
		return false, nil
	}
	t.outMetrics.names = names
	for _, l := range lists {
		sub := &trainState{}
		if err := sub.parseMetricList(l); err != nil {
			return false, err
		}
		t.outMetrics.list = append(t.outMetrics.list, sub.metrics)
	}
	return true, nil
}
