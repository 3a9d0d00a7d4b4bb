"""``keras.datasets``: the Keras loaders, reading local files only (chalkgrad never downloads).

Each ``load_data()`` returns ``(x_train, y_train), (x_test, y_test)`` as NumPy arrays with Keras'
shapes and dtypes, from the files Keras caches in ``~/.keras/datasets`` (``$KERAS_HOME/datasets``)
or from ``path``. A missing file raises a :class:`~chalkgrad.errors.DataError` naming the files
expected, where they were looked for, and where to get them.
"""

from . import cifar10, fashion_mnist, imdb, mnist

__all__ = ["mnist", "fashion_mnist", "cifar10", "imdb"]
