"""Generation: the knowledge table -> synthetic patient vignettes (columnar composer, local or Dask engine)."""
