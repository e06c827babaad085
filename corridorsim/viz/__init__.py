"""The figure layer: style, figure layout, run and sweep figures, maps and the HTML/PDF report.
The only layer that imports matplotlib. Imports everything below it, never the CLI.
"""
