"""The array namespace every op computes with.

Today this is always NumPy. Keeping the import in one place is what lets a later
CuPy backend swap the namespace without touching the ops.
"""

import numpy as np

xp = np

__all__ = ["np", "xp"]
