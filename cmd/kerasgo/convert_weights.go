package main

import (
	"fmt"
	"io"
	"os"

	"github.com/kerasgo/kerasgo/h5"
	"github.com/kerasgo/kerasgo/internal/wconv"
	"github.com/kerasgo/kerasgo/model"
)

// convertWeights is `kerasgo convert --weights-only`: the weights of the model saved at src
// move to dst without the model being built (package wconv), so a model whose layer classes
// kerasgo does not implement converts too. configPath, when not "", is a JSON config that
// supplies the layers list the source lacks; the source's own (a model .h5 or .keras) is
// used otherwise.
func convertWeights(src, dst, configPath string, maxShard int64, w io.Writer) error {
	f, p, err := model.Detect(src)
	if err != nil {
		return err
	}
	var kind wconv.Source
	switch f {
	case model.FormatHDF5, model.FormatKeras:
		kind = wconv.SourceHDF5
	case model.FormatCheckpoint:
		kind = wconv.SourceCheckpoint
	case model.FormatSavedModel:
		kind = wconv.SourceSavedModel
	default:
		return fmt.Errorf("%w: %s: format %s", model.ErrUnsupported, src, f)
	}
	o := wconv.Options{MaxShardBytes: maxShard}
	if configPath != "" {
		if o.Config, err = readConfig(configPath); err != nil {
			return err
		}
	}
	rep, err := wconv.Convert(p, kind, dst, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "converted %s → %s (weights: %s, %d variables of %d layers; layers list: %s)\n",
		src, dst, rep.Target, rep.Variables, rep.Layers, rep.Config)
	if rep.OptimizerLeftOut {
		fmt.Fprintln(w, "note: the optimizer state of the source is not converted")
	}
	return nil
}

// readConfig reads a --config file: JSON text, or a model file whose config is used (a .h5
// model file, a .keras archive).
func readConfig(path string) ([]byte, error) {
	if isJSON(path) {
		return os.ReadFile(path)
	}
	wf, err := h5.ReadWeightsFile(path)
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	if len(wf.Config) == 0 {
		return nil, fmt.Errorf("%w: --config %s: the file holds no model config", model.ErrNoConfig, path)
	}
	return wf.Config, nil
}
