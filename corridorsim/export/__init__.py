"""GIS export: a run's (or a sweep point's) routes, simulated attacks, observed incidents and
destinations as GeoJSON files or one GeoPackage, for QGIS, ArcGIS and web maps.

:mod:`.layers` builds the layers (features with properties) from result tables; :mod:`.writers`
writes them (GeoJSON with the standard library; GeoPackage with pyogrio, the optional ``gis``
extra). May import every layer below the command line (scenario, model, experiments, observed,
viz).
"""
