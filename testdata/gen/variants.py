"""Model architectures used by the fixtures.

Each builder takes a layers module (tf_keras.layers or keras.layers) and returns the
list of layers, so the same code builds the tf_keras model and the Keras 3 model.
The first layer always receives input_shape=..., as the seed article writes it.
"""


def seed(L, input_shape=(32, 32, 3), dropout=0.5):
    """The seed article's model, exactly (dropout may be changed for training parity)."""
    layers = [
        L.Conv2D(16, (3, 3), activation="relu", input_shape=input_shape, name="conv_1"),
        L.MaxPooling2D((4, 4), name="pool_1"),
        L.BatchNormalization(),
        L.Flatten(name="flatten"),
        L.Dense(32, activation="relu", name="dense_1"),
    ]
    if dropout is not None:
        layers.append(L.Dropout(dropout))
    layers.append(L.Dense(10, activation="softmax", name="dense_2"))
    return layers


def padding_same(L, input_shape=(15, 15, 3)):
    return [
        L.Conv2D(8, (3, 3), padding="same", activation="relu", input_shape=input_shape, name="conv_1"),
        L.Conv2D(6, (5, 5), padding="same", activation="relu", name="conv_2"),
        L.MaxPooling2D((2, 2), name="pool_1"),
        L.BatchNormalization(name="bn_1"),
        L.Flatten(name="flatten"),
        L.Dense(16, activation="relu", name="dense_1"),
        L.Dense(10, activation="softmax", name="dense_2"),
    ]


def strides2(L, input_shape=(17, 16, 3)):
    # valid with stride 2 on an odd size, then same with stride 2 on an even size
    # (TF pads the extra row/column at the bottom/right), then a (1,2) stride.
    return [
        L.Conv2D(8, (3, 3), strides=(2, 2), activation="relu", input_shape=input_shape, name="conv_1"),
        L.Conv2D(8, (3, 3), strides=(2, 2), padding="same", activation="relu", name="conv_2"),
        L.Conv2D(4, (2, 3), strides=(1, 2), activation="relu", name="conv_3"),
        L.Flatten(name="flatten"),
        L.Dense(10, activation="softmax", name="dense_1"),
    ]


def no_bias(L, input_shape=(12, 12, 3)):
    return [
        L.Conv2D(8, (3, 3), activation="relu", use_bias=False, input_shape=input_shape, name="conv_1"),
        L.MaxPooling2D((2, 2), name="pool_1"),
        L.BatchNormalization(name="bn_1"),
        L.Flatten(name="flatten"),
        L.Dense(16, activation="relu", use_bias=False, name="dense_1"),
        L.Dense(10, activation="softmax", name="dense_2"),
    ]


def no_bn(L, input_shape=(16, 16, 3)):
    return [
        L.Conv2D(16, (3, 3), activation="relu", input_shape=input_shape, name="conv_1"),
        L.MaxPooling2D((4, 4), name="pool_1"),
        L.Flatten(name="flatten"),
        L.Dense(32, activation="relu", name="dense_1"),
        L.Dropout(0.5),
        L.Dense(10, activation="softmax", name="dense_2"),
    ]


def gray(L, input_shape=(28, 28, 1)):
    return [
        L.Conv2D(8, (3, 3), activation="relu", input_shape=input_shape, name="conv_1"),
        L.MaxPooling2D((4, 4), name="pool_1"),
        L.BatchNormalization(),
        L.Flatten(name="flatten"),
        L.Dense(16, activation="relu", name="dense_1"),
        L.Dropout(0.25),
        L.Dense(10, activation="softmax", name="dense_2"),
    ]


def activations(L, input_shape=(12, 12, 3)):
    return [
        L.Conv2D(8, (3, 3), activation="tanh", input_shape=input_shape, name="conv_tanh"),
        L.Conv2D(8, (3, 3), activation="sigmoid", name="conv_sigmoid"),
        L.Conv2D(4, (3, 3), activation="linear", name="conv_linear"),
        L.MaxPooling2D((2, 2), name="pool_1"),
        L.Flatten(name="flatten"),
        L.Dense(16, activation="sigmoid", name="dense_sigmoid"),
        L.Dense(12, activation="tanh", name="dense_tanh"),
        L.Dense(10, name="dense_linear"),  # default activation: linear (logits)
    ]


def wide(L, input_shape=(16, 16, 3), filters=(24, 32), units=48):
    return [
        L.Conv2D(filters[0], (3, 3), padding="same", activation="relu", input_shape=input_shape, name="conv_1"),
        L.Conv2D(filters[1], (3, 3), activation="relu", name="conv_2"),
        L.MaxPooling2D((4, 4), name="pool_1"),
        L.BatchNormalization(name="bn_1"),
        L.Flatten(name="flatten"),
        L.Dense(units, activation="relu", name="dense_1"),
        L.Dropout(0.3, name="dropout_1"),
        L.Dense(10, activation="softmax", name="dense_2"),
    ]


def pool_strides(L, input_shape=(19, 19, 3)):
    return [
        L.Conv2D(8, (3, 3), activation="relu", input_shape=input_shape, name="conv_1"),
        L.MaxPooling2D(pool_size=(3, 3), strides=(2, 2), name="pool_1"),
        L.Conv2D(8, (2, 2), activation="relu", name="conv_2"),
        L.MaxPooling2D(pool_size=(3, 3), strides=(2, 2), padding="same", name="pool_2"),
        L.MaxPooling2D(pool_size=(2, 2), strides=(1, 1), name="pool_3"),
        L.Flatten(name="flatten"),
        L.Dense(10, activation="softmax", name="dense_1"),
    ]


def auto_names(L, input_shape=(12, 12, 3)):
    return [
        L.Conv2D(8, (3, 3), activation="relu", input_shape=input_shape),
        L.Conv2D(8, (3, 3), activation="relu"),
        L.MaxPooling2D((2, 2)),
        L.BatchNormalization(),
        L.Flatten(),
        L.Dense(16, activation="relu"),
        L.Dropout(0.5),
        L.Dense(12, activation="relu"),
        L.Dropout(0.2),
        L.Dense(10, activation="softmax"),
    ]


def bn_options(L, input_shape=(12, 12, 3)):
    return [
        L.Conv2D(8, (3, 3), input_shape=input_shape, name="conv_1"),
        L.BatchNormalization(center=False, name="bn_nocenter"),
        L.MaxPooling2D((2, 2), name="pool_1"),
        L.BatchNormalization(scale=False, momentum=0.9, epsilon=1e-5, name="bn_noscale"),
        L.Flatten(name="flatten"),
        L.Dense(16, activation="relu", name="dense_1"),
        L.BatchNormalization(momentum=0.9, epsilon=1e-5, name="bn_dense"),
        L.Dense(10, activation="softmax", name="dense_2"),
    ]


# name -> (builder, input_shape, loss kind, description)
MODEL_VARIANTS = {
    "seed": (seed, (32, 32, 3), "sce", "the seed article's model, exactly"),
    "padding_same": (padding_same, (15, 15, 3), "sce", "Conv2D padding same (3x3 and 5x5) on an odd input size"),
    "strides2": (strides2, (17, 16, 3), "sce", "Conv2D strides 2 valid/same and strides (1,2), kernel (2,3)"),
    "no_bias": (no_bias, (12, 12, 3), "sce", "Conv2D and Dense with use_bias=False"),
    "no_bn": (no_bn, (16, 16, 3), "sce", "seed without BatchNormalization"),
    "gray": (gray, (28, 28, 1), "sce", "one input channel (28x28x1)"),
    "activations": (activations, (12, 12, 3), "sce_logits", "tanh, sigmoid, linear activations; logits output"),
    "wide": (wide, (16, 16, 3), "sce", "wider layers, two Conv2D layers"),
    "pool_strides": (pool_strides, (19, 19, 3), "sce", "MaxPooling2D pool 3 strides 2 (valid and same), pool 2 strides 1"),
    "auto_names": (auto_names, (12, 12, 3), "sce", "no names given: Keras automatic layer names"),
    "bn_options": (bn_options, (12, 12, 3), "sce", "BatchNormalization center=False / scale=False, momentum 0.9, epsilon 1e-5, BN on Dense output"),
}


def make_loss(lib, kind):
    if kind == "sce":
        return "sparse_categorical_crossentropy"
    if kind == "sce_logits":
        return lib.losses.SparseCategoricalCrossentropy(from_logits=True)
    raise ValueError(kind)
