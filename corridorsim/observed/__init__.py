"""The observed-data layer: incident files (ACLED layout), matching them to the network, exposure
and rate estimates, and threat blocks. Imports the experiments layer and below.
"""
