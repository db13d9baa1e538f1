//go:build !kerasgo_noplot

package modelplot

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kerasgo/kerasgo/model"
)

// PlotModel draws m to a file as keras.utils.plot_model(model, to_file=path, ...) does: the
// format is path's extension (.png, .svg or .dot; none means PNG), the graph m.Dot(opts).
func PlotModel(ctx context.Context, m *model.Model, path string, opts model.DotOptions) error {
	f := Format(strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), "."))
	if f == "" {
		f = PNG
	}
	if f != PNG && f != SVG && f != DOT {
		return fmt.Errorf("modelplot: %s: unknown format %q (want .png, .svg or .dot)", path, f)
	}
	dot, err := m.Dot(opts)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := Render(ctx, []byte(dot), f, &buf); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
