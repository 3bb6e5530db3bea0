"""Release: the published dataset folder (tables, splits, manifest, checksums, dataset card)."""
