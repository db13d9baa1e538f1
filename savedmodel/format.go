package savedmodel

// File and directory names inside a SavedModel directory. Part of the format.
const (
	SavedModelFile    = "saved_model.pb"
	SavedModelTxtFile = "saved_model.pbtxt"
	KerasMetadataFile = "keras_metadata.pb"
	FingerprintFile   = "fingerprint.pb"
	VariablesDir      = "variables"
	VariablesPrefix   = "variables" // variables/variables.{index,data-*}
	AssetsDir         = "assets"
)

// Names TensorFlow and tf_keras give to parts of a SavedModel.
const (
	TagServe                = "serve"
	DefaultSignature        = "serving_default"
	PredictMethod           = "tensorflow/serving/predict"
	initOpSignature         = "__saved_model_init_op"
	objectGraphKey          = "_CHECKPOINTABLE_OBJECT_GRAPH"
	attributesSuffix        = "/.ATTRIBUTES/VARIABLE_VALUE"
	sequentialIdentifier    = "_tf_keras_sequential"
	networkIdentifier       = "_tf_keras_network"
	modelIdentifier         = "_tf_keras_model"
	layerIdentifier         = "_tf_keras_layer"
	inputLayerIdentifier    = "_tf_keras_input_layer"
	metricIdentifier        = "_tf_keras_metric"
	signatureMapIdentifier  = "signature_map"
	optimizerIdentifier     = "experimentalOptimizer"
	listWrapperIdentifier   = "trackable_list_wrapper"
	dictWrapperIdentifier   = "trackable_dict_wrapper"
	genericObjectIdentifier = "_generic_user_object"
)

// Versions written. GraphDef producer 1205 is what TF 2.10 wrote; every TF 2.x accepts it.
const (
	graphProducer         = 1205
	graphMinConsumer      = 12
	savedModelSchema      = 1
	kerasMetadataProducer = 2
	kerasMetadataMinCons  = 1
)

// Limits on what the reader accepts.
const (
	// MaxFileBytes is the largest saved_model.pb or keras_metadata.pb read (1 GiB; TF itself
	// refuses protos over 2 GiB).
	MaxFileBytes = 1 << 30
)
