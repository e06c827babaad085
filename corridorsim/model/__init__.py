"""The model layer: random streams, threat tables and outcome draws, routing, the compiled plan
(work done once per scenario), the SimPy engine (the only SimPy importer) and the records it
writes. Imports only :mod:`corridorsim.scenario` and the shared helpers.
"""
