"""zoo: a TensorFlow/Keras model zoo for unsupervised disentangled representation learning."""

__version__ = "0.1.0"
