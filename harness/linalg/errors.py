"""Errors raised by harness.linalg.

All subclass ``numpy.linalg.LinAlgError`` (itself a ``ValueError``), so callers that already catch
NumPy's linear-algebra failures catch these too, and each says which precondition failed.
"""

import numpy as np


class NotSymmetricError(np.linalg.LinAlgError):
    """A symmetric (Hermitian) method was given a matrix that is not symmetric within tolerance."""


class NotDiagonalizableError(np.linalg.LinAlgError):
    """The eigenvector basis is defective or too ill-conditioned for ``V diag(w) V^-1`` to be trusted."""


class JacobiNotConvergedError(np.linalg.LinAlgError):
    """The Jacobi iteration hit its sweep limit before the off-diagonal norm fell below tolerance."""
