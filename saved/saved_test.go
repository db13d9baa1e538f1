package saved

import "testing"

// TestSlotNames: the slot names tf_keras 2.21 and Keras 3.15 give their optimizers'
// variables (optimizer.build(...); [v.name for v in optimizer.variables] in each library),
// mapped both ways.
func TestSlotNames(t *testing.T) {
	cases := []struct{ class, keras2, keras3 string }{
		{"Adam", "m", "momentum"}, {"Adam", "v", "velocity"}, {"Adam", "vhat", "velocity_hat"},
		{"AdamW", "m", "momentum"}, {"AdamW", "v", "velocity"},
		{"Nadam", "m", "momentum"}, {"Nadam", "v", "velocity"},
		{"Adamax", "m", "momentum"}, {"Adamax", "u", "norm"},
		{"SGD", "m", "momentum"},
		{"Lion", "m", "momentum"},
		{"RMSprop", "velocity", "velocity"}, {"RMSprop", "momentum", "momentum"},
		{"RMSprop", "average_gradient", "average_gradient"},
		{"Adagrad", "accumulator", "accumulator"},
		{"Adadelta", "accumulated_grad", "accumulated_grad"},
		{"Ftrl", "linear", "linear"},
	}
	for _, c := range cases {
		if got := Keras2SlotName(c.class, c.keras3); got != c.keras2 {
			t.Errorf("Keras2SlotName(%s, %s) = %q, want %q", c.class, c.keras3, got, c.keras2)
		}
		if got := Keras3SlotName(c.class, c.keras2); got != c.keras3 {
			t.Errorf("Keras3SlotName(%s, %s) = %q, want %q", c.class, c.keras2, got, c.keras3)
		}
	}
	// Adamax has no "v"/"velocity" slot: the names pass through unchanged.
	if got := Keras3SlotName("Adamax", "v"); got != "v" {
		t.Errorf("Keras3SlotName(Adamax, v) = %q", got)
	}
	if got := Keras2SlotName("Adamax", "velocity"); got != "velocity" {
		t.Errorf("Keras2SlotName(Adamax, velocity) = %q", got)
	}
}
