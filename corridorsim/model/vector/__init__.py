"""The vectorised fast path: many replications of an eligible scenario at once, as arrays.

:func:`ineligibility` says in one line why a scenario cannot take the fast path (None when it
can); :func:`run_replications_vector` runs a batch of replications and returns the same
:class:`~corridorsim.model.records.ReplicationRecords` as
:func:`corridorsim.model.engine.run_replication`, replication by replication, drawing the same
counter-based uniforms. SimPy-free; may import numpy, scipy and the model's pure modules.
"""

from .arrays import array_module
from .batch import run_replications_vector
from .eligibility import ineligibility

__all__ = ["array_module", "ineligibility", "run_replications_vector"]
