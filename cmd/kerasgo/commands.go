package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/kerasgo/kerasgo/internal/demo"
	"github.com/kerasgo/kerasgo/model"
	"github.com/kerasgo/kerasgo/tensor"
)

func cmdSummary(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("summary", flag.ContinueOnError)
	keras3 := fs.Bool("keras3", false, "print Keras 3's summary table instead of tf_keras's")
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	m, err := loadModel(pos[0])
	if err != nil {
		return err
	}
	if *keras3 {
		_, err = io.WriteString(w, m.SummaryKeras3())
	} else {
		_, err = io.WriteString(w, m.Summary())
	}
	return err
}

func cmdPredict(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	var ins, outs pathList
	fs.Var(&ins, "input", "input batch (.npy, batch first); repeat once per model input, in the model's input order")
	fs.Var(&outs, "output", "where to write the predictions (.npy); repeat once per model output, in the model's output order")
	batch := fs.Int("batch-size", model.DefaultBatchSize, "batch size")
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	if len(ins) == 0 || len(outs) == 0 {
		return fmt.Errorf("%w: predict needs --input and --output", errUsage)
	}
	m, err := loadModel(pos[0])
	if err != nil {
		return err
	}
	if err := checkIOCount(pos[0], m, len(ins), len(outs)); err != nil {
		return err
	}
	xs := make([]*tensor.Tensor, len(ins))
	for i, p := range ins {
		if xs[i], err = readNpy(p); err != nil {
			return err
		}
	}
	ys, err := m.PredictN(xs, model.PredictOptions{BatchSize: *batch})
	if err != nil {
		return err
	}
	for i, y := range ys {
		if err := writeNpy(outs[i], y); err != nil {
			return err
		}
		fmt.Fprintf(w, "wrote %s %s\n", outs[i], tensor.ShapeString(y.Shape))
	}
	return nil
}

// cmdConvert loads SRC (any format) and saves it to DST, choosing DST's format from its name
// as Keras does: model.Save for a whole model. With --weights-only the weights alone are
// moved, without building the model (convertWeights), so any model's can be.
func cmdConvert(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	weightsOnly := fs.Bool("weights-only", false, "write the weights only (.h5, .weights.h5 or a TF checkpoint prefix), for any model: its layers are not built")
	config := fs.String("config", "", "with --weights-only: the model's config JSON (model.to_json(), a .keras's config.json), for what the source does not record")
	maxShard := fs.Int64("max-shard-size", 0, "with --weights-only: split the weights into shards of at most this many bytes (Keras 3 sharded weights for a .weights.json or .weights.h5 DST, several data files for a checkpoint prefix)")
	pos, err := parse(fs, args, 2)
	if err != nil {
		return err
	}
	src, dst := pos[0], pos[1]
	if *config != "" && !*weightsOnly {
		return fmt.Errorf("%w: --config goes with --weights-only", errUsage)
	}
	if *maxShard != 0 && !*weightsOnly {
		return fmt.Errorf("%w: --max-shard-size goes with --weights-only", errUsage)
	}
	if *weightsOnly && !isJSON(src) {
		return withLocalInput(src, w, func(src string, w io.Writer) error {
			return withLocalOutput(dst, w, func(dst string, w io.Writer) error {
				return convertWeights(src, dst, *config, *maxShard, w)
			})
		})
	}
	m, err := loadModel(src)
	if err != nil {
		return err
	}
	if *weightsOnly {
		err = m.SaveWeightsWith(dst, model.SaveWeightsOptions{MaxShardBytes: *maxShard})
	} else {
		err = m.Save(dst)
	}
	if err != nil {
		return err
	}
	what := "model"
	if *weightsOnly {
		what = "weights"
	}
	fmt.Fprintf(w, "converted %s → %s (%s)\n", src, dst, what)
	return nil
}

// loadModel loads a whole model from any supported file, or from a Keras JSON config
// (model.to_json() in either dialect; the model is then built with fresh weights).
func loadModel(path string) (*model.Sequential, error) {
	// A Keras 3 sharded weights manifest (name.weights.json) is JSON too: model.Load reports it.
	if data, err := readIfJSON(path); err == nil && bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) &&
		!strings.HasSuffix(strings.ToLower(path), ".weights.json") {
		m, err := model.FromJSON(data)
		if err != nil {
			// Name the file in place of FromJSON's "model: from JSON" (the inner error is
			// the config's problem: the layer and the reason).
			if inner := errors.Unwrap(err); inner != nil {
				err = inner
			}
			return nil, fmt.Errorf("load %s: %w", path, err)
		}
		return m, nil
	}
	return model.Load(path)
}

// isJSON reports whether path is a file holding a JSON object: a Keras config. A Keras 3
// sharded weights manifest (name.weights.json) is JSON too: model.Load reports it.
func isJSON(path string) bool {
	if strings.HasSuffix(strings.ToLower(path), ".weights.json") {
		return false
	}
	data, err := readIfJSON(path) // a regular file only: never blocks on a pipe
	return err == nil && len(data) > 0
}

// cmdDemo runs the seed workflow: build the seed CNN, print its summary, fit 5 epochs at batch
// 512, evaluate, save in every format, load each back and compare.
func cmdDemo(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	data := fs.String("data", "", "folder with the CIFAR-10 binary files (default: the embedded synthetic dataset)")
	out := fs.String("out", "", "folder for the saved files (default: a new temporary folder)")
	epochs := fs.Int("epochs", 0, "epochs (default 5, as the seed)")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	return demo.Run(w, demo.Options{DataDir: *data, OutDir: *out, Epochs: *epochs})
}
