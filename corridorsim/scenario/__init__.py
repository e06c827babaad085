"""The scenario layer: the schema of scenario files, loading them (``extends:``), parameter
paths, the road network and its checks, priors of uncertain parameters, and the generated
field reference. Imports nothing above it.
"""
