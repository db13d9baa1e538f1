"""A custom layer class, ScaleShift, for both tf_keras and Keras 3: the wonly fixtures use it as
a layer class no Keras-reading program knows (kerasgo never will), and compat/py/wonly_load.py
imports this module to rebuild those models from their configs.

ScaleShift(x) = x * scale + shift + offset, with scale and shift trainable (shape: the last
axis) and offset a non-trainable scalar, created in that order.
"""


def scale_shift_class(lib):
    """The ScaleShift class for lib (tf_keras or keras), registered as "kerasgo>ScaleShift"."""
    cached = _classes.get(lib.__name__)
    if cached is not None:
        return cached

    class ScaleShift(lib.layers.Layer):
        def build(self, input_shape):
            d = int(input_shape[-1])
            self.scale = self.add_weight(name="scale", shape=(d,), initializer="ones", trainable=True)
            self.shift = self.add_weight(name="shift", shape=(d,), initializer="zeros", trainable=True)
            self.offset = self.add_weight(name="offset", shape=(), initializer="zeros", trainable=False)
            super().build(input_shape)

        def call(self, x):
            return x * self.scale + self.shift + self.offset

    ScaleShift.__name__ = ScaleShift.__qualname__ = "ScaleShift"
    cls = lib.saving.register_keras_serializable(package="kerasgo")(ScaleShift)
    _classes[lib.__name__] = cls
    return cls


_classes = {}
