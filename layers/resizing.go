package layers

import (
	"github.com/kerasgo/kerasgo/saved"
	"github.com/kerasgo/kerasgo/tensor"
)

// Resizing is Keras's Resizing preprocessing layer: images (batch, h, w, c) resized to
// (height, width) as tf.image.resize does it (half-pixel centers, no antialiasing), bilinear
// or nearest; with crop_to_aspect_ratio the largest centred box of the target's aspect ratio
// is resized.
type Resizing struct {
	imageLayer
	interpolation string
	crop          bool
}

// ResizingOptions are the optional arguments of NewResizing.
type ResizingOptions struct {
	Name              string
	Interpolation     string // "bilinear" (default) or "nearest"
	CropToAspectRatio bool
	InputShape        []int
}

// NewResizing returns a Resizing layer.
func NewResizing(height, width int, opts ...ResizingOptions) *Resizing {
	o := optionsArg("NewResizing", opts)
	l := &Resizing{interpolation: o.Interpolation, crop: o.CropToAspectRatio}
	if l.interpolation == "" {
		l.interpolation = "bilinear"
	}
	if height < 1 || width < 1 || (l.interpolation != "bilinear" && l.interpolation != "nearest") {
		panic("layers.NewResizing: height and width must be positive, interpolation bilinear or nearest")
	}
	l.init(o.Name, o.InputShape, height, width)
	return l
}

func (l *Resizing) init(name string, in []int, h, w int) {
	l.base = newBase(name, in)
	l.class, l.height, l.width = "Resizing", h, w
	l.planFor = func(ih, iw int) (*resample, error) {
		p := &resample{h: ih, w: iw, ch: ih, cw: iw, oh: l.height, ow: l.width, bilinear: l.interpolation == "bilinear"}
		if l.crop {
			p.y0, p.x0, p.ch, p.cw = centerBox(ih, iw, l.height, l.width)
		}
		return p, nil
	}
}

func init() { register(Spec{Classes: []string{"Resizing"}, FromConfig: resizingFromConfig}) }

func resizingFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("Resizing", cfg)
	l := &Resizing{}
	l.init("", nil, 1, 1)
	r.readBase(&l.base)
	l.readSize(r)
	r.dataFormat()
	l.interpolation = r.str("bilinear", "interpolation")
	if l.interpolation != "bilinear" && l.interpolation != "nearest" {
		r.fail(ErrUnsupported, "interpolation %q (bilinear and nearest are implemented)", l.interpolation)
	}
	l.crop = r.boolean(false, "crop_to_aspect_ratio")
	if r.boolean(false, "pad_to_aspect_ratio") {
		r.fail(ErrUnsupported, "pad_to_aspect_ratio true")
	}
	if r.boolean(false, "antialias") {
		r.fail(ErrUnsupported, "antialias true")
	}
	if fm := r.str("constant", "fill_mode"); fm != "constant" {
		r.fail(ErrFormat, "fill_mode %q", fm)
	}
	r.ignore("fill_value") // used by pad_to_aspect_ratio only
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "Resizing".
func (l *Resizing) Class() string { return "Resizing" }

// Forward resizes x (training and inference are the same).
func (l *Resizing) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	return l.forward(x)
}

// Config returns the layer's Keras config in dialect d.
func (l *Resizing) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	if d == saved.Keras3 {
		c["data_format"] = "channels_last"
	}
	c["height"] = l.height
	c["width"] = l.width
	c["interpolation"] = l.interpolation
	c["crop_to_aspect_ratio"] = l.crop
	if d == saved.Keras3 {
		c["pad_to_aspect_ratio"] = false
		c["fill_mode"] = "constant"
		c["fill_value"] = 0.0
		c["antialias"] = false
	}
	return c
}

// keras3CallKwargs: Keras 3 records the call's training argument (default True).
func (l *Resizing) keras3CallKwargs() map[string]any { return map[string]any{"training": true} }

// CenterCrop is Keras's CenterCrop preprocessing layer: the centred height×width box of each
// image (start (h−height)/2 rounded down); an image smaller than the box in either dimension
// is instead resized as Resizing with crop_to_aspect_ratio does (bilinear).
type CenterCrop struct {
	imageLayer
}

// CenterCropOptions are the optional arguments of NewCenterCrop.
type CenterCropOptions struct {
	Name       string
	InputShape []int
}

// NewCenterCrop returns a CenterCrop layer.
func NewCenterCrop(height, width int, opts ...CenterCropOptions) *CenterCrop {
	o := optionsArg("NewCenterCrop", opts)
	if height < 1 || width < 1 {
		panic("layers.NewCenterCrop: height and width must be positive")
	}
	l := &CenterCrop{}
	l.init(o.Name, o.InputShape, height, width)
	return l
}

// centerCropPlan is CenterCrop's (and tf_keras RandomCrop's inference) plan.
func centerCropPlan(ih, iw, h, w int, smart bool) *resample {
	p := &resample{h: ih, w: iw, oh: h, ow: w, bilinear: true}
	if !smart && ih >= h && iw >= w {
		p.y0, p.x0, p.ch, p.cw = (ih-h)/2, (iw-w)/2, h, w
	} else {
		p.y0, p.x0, p.ch, p.cw = centerBox(ih, iw, h, w)
	}
	return p
}

func (l *CenterCrop) init(name string, in []int, h, w int) {
	l.base = newBase(name, in)
	l.class, l.height, l.width = "CenterCrop", h, w
	l.planFor = func(ih, iw int) (*resample, error) { return centerCropPlan(ih, iw, l.height, l.width, false), nil }
}

func init() { register(Spec{Classes: []string{"CenterCrop"}, FromConfig: centerCropFromConfig}) }

func centerCropFromConfig(cfg map[string]any, d saved.Dialect) (Layer, []string, error) {
	r := newCfgReader("CenterCrop", cfg)
	l := &CenterCrop{}
	l.init("", nil, 1, 1)
	r.readBase(&l.base)
	l.readSize(r)
	r.dataFormat()
	w, err := r.finish()
	if err != nil {
		return nil, nil, err
	}
	return l, w, nil
}

// Class returns "CenterCrop".
func (l *CenterCrop) Class() string { return "CenterCrop" }

// Forward crops x (training and inference are the same).
func (l *CenterCrop) Forward(x *tensor.Tensor, training bool) (*tensor.Tensor, error) {
	return l.forward(x)
}

// Config returns the layer's Keras config in dialect d.
func (l *CenterCrop) Config(d saved.Dialect) map[string]any {
	c := l.baseConfig(d)
	if d == saved.Keras3 {
		c["data_format"] = "channels_last"
	}
	c["height"] = l.height
	c["width"] = l.width
	return c
}

// keras3CallKwargs: Keras 3 records the call's training argument (default True).
func (l *CenterCrop) keras3CallKwargs() map[string]any { return map[string]any{"training": true} }
