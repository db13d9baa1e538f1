package testref

// More parts of reference.py on the applications_mobile.py cache (call AppsMobileDir first:
// it must be complete). Each holds <lib>/<case>/ (lib "tf_keras" or "keras3") like AppsMobile's
// <case>/, tf_variant/ included.
const (
	// AppsMobileK3 holds keras3/<case>/: Keras 3's own step from keras3/model.keras of
	// MobileNetV2 (alpha 0.35) and EfficientNetB0.
	AppsMobileK3 = "apps_mobile_k3"
	// AppsXNAS holds tf_keras/<case>/ and keras3/<case>/ for Xception and NASNetMobile.
	AppsXNAS = "apps_xnas"
)
