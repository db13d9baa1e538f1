package optimizers

import (
	"fmt"
	"strings"

	"github.com/kerasgo/kerasgo/internal/pyfmt"
	"github.com/kerasgo/kerasgo/saved"
)

// FromConfig reads an optimizer config {"class_name": ..., "config": {...}} in either dialect (tf_keras
// "Custom>Adam", legacy "Adam", Keras 3 with module/registered_name).
func FromConfig(v any) (Optimizer, string, any, error) {
	o, ok := pyfmt.Obj(v)
	if !ok {
		if s, ok := pyfmt.Str(v); ok {
			opt, err := Get(s)
			return opt, s, nil, err
		}
		return nil, "", nil, fmt.Errorf("optimizer %s", pyfmt.JSON(v))
	}
	class, _ := pyfmt.Str(o.Get("class_name"))
	short := class
	if i := strings.LastIndex(short, ">"); i >= 0 {
		short = short[i+1:]
	}
	cfgV := o.Get("config")
	cfg, _ := pyfmt.Obj(cfgV)
	num := func(k string, def float64) (float64, error) {
		v, ok := cfg.Lookup(k)
		if !ok || v == nil {
			return def, nil
		}
		f, ok := pyfmt.Num(v)
		if !ok {
			return 0, fmt.Errorf("optimizer %s: %s = %s not supported", short, k, pyfmt.JSON(v))
		}
		return f, nil
	}
	boolean := func(k string) bool { b, _ := pyfmt.Bool(cfg.Get(k)); return b }
	lr, err := num("learning_rate", -1)
	if err != nil {
		return nil, "", nil, err
	}
	if lr == -1 {
		lr, _ = num("lr", -1)
	}
	if dec, _ := num("decay", 0); dec != 0 {
		return nil, "", nil, fmt.Errorf("optimizer %s: decay %v not supported", short, dec)
	}
	var opt Optimizer
	var common *commonOptions
	switch strings.ToLower(short) {
	// The values read are set as they are: a 0 in the file is 0, not "the default".
	case "adam":
		b1, _ := num("beta_1", 0.9)
		b2, _ := num("beta_2", 0.999)
		eps, _ := num("epsilon", 1e-7)
		a := &AdamOptimizer{lr: lrOr(lr, 0.001), beta1: b1, beta2: b2, epsilon: eps, amsgrad: boolean("amsgrad")}
		opt, common = a, &a.commonOptions
	case "sgd":
		mom, _ := num("momentum", 0)
		s := &SGDOptimizer{lr: lrOr(lr, 0.01), momentum: mom, nesterov: boolean("nesterov")}
		opt, common = s, &s.commonOptions
	case "rmsprop":
		rho, _ := num("rho", 0.9)
		mom, _ := num("momentum", 0)
		eps, _ := num("epsilon", 1e-7)
		r := &RMSpropOptimizer{lr: lrOr(lr, 0.001), rho: rho, momentum: mom, epsilon: eps, centered: boolean("centered")}
		opt, common = r, &r.commonOptions
	default:
		return nil, "", nil, fmt.Errorf("optimizer %q not supported", class)
	}
	// Base options: kept so they are written back; training refuses those it cannot apply.
	if name, ok := pyfmt.Str(cfg.Get("name")); ok && name != opt.ClassName() && name != defaultKeras3Name(opt.ClassName()) {
		common.name = name
	}
	ptr := func(k string) *float64 {
		if f, ok := pyfmt.Num(cfg.Get(k)); ok {
			return &f
		}
		return nil
	}
	common.weightDecay, common.clipnorm = ptr("weight_decay"), ptr("clipnorm")
	common.globalClipnorm, common.clipvalue = ptr("global_clipnorm"), ptr("clipvalue")
	common.useEMA = boolean("use_ema")
	if f, ok := pyfmt.Num(cfg.Get("ema_momentum")); ok {
		common.emaMomentum, common.emaMomentumSet = f, true
	}
	if v, ok := cfg.Lookup("ema_overwrite_frequency"); ok {
		common.emaOverwriteFrequencySet = true
		if f, ok := pyfmt.Num(v); ok {
			n := int64(f)
			common.emaOverwriteFrequency = &n
		}
	}
	common.lossScaleFactor = cfg.Get("loss_scale_factor")
	common.gradientAccumulation = cfg.Get("gradient_accumulation_steps")
	common.jitCompile = boolean("jit_compile")
	return opt, class, cfgV, nil
}

// lrOr is lr, or def when the config has none (lr < 0).
func lrOr(lr, def float64) float32 {
	if lr < 0 {
		return float32(def)
	}
	return float32(lr)
}

// defaultKeras3Name is the name Keras 3 gives an optimizer of the class by default.
func defaultKeras3Name(class string) string {
	switch class {
	case "RMSprop":
		return "rm_sprop"
	}
	return strings.ToLower(class)
}

// ConfigFits reports whether an optimizer config read from a file can be written back
// verbatim in dialect d: tf_keras 2.11+ configs carry is_legacy_optimizer (older optimizer_v2
// configs with "decay" would be rejected by the new optimizers); Keras 3 rejects tf_keras's
// jit_compile and is_legacy_optimizer keys.
func ConfigFits(cfg any, d saved.Dialect) bool {
	o, ok := pyfmt.Obj(cfg)
	if !ok {
		return false
	}
	_, legacyKey := o.Lookup("is_legacy_optimizer")
	_, jit := o.Lookup("jit_compile")
	_, decay := o.Lookup("decay")
	if d == saved.Keras2 {
		return legacyKey && !decay
	}
	return !legacyKey && !jit && !decay
}
