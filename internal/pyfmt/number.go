package pyfmt

import (
	"fmt"
	"math"
)

// Exp4 formats v as Python's f"{v:.4e}".
func Exp4(v float64) string {
	if math.IsNaN(v) {
		return "nan"
	}
	if math.IsInf(v, 1) {
		return "inf"
	}
	if math.IsInf(v, -1) {
		return "-inf"
	}
	return fmt.Sprintf("%.4e", v)
}

// Fixed4 formats v as Python's f"{v:.4f}".
func Fixed4(v float64) string {
	if math.IsInf(v, 1) {
		return "inf"
	}
	if math.IsInf(v, -1) {
		return "-inf"
	}
	return fmt.Sprintf("%.4f", v)
}
