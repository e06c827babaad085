"""The experiments layer: runs (replications on worker processes), run directories, sweep files
and designs, the sweep runner and executors, statistics and summaries, and calibration. Imports
the model and scenario layers.
"""
