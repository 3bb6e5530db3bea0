"""Developer tools (a face, like the CLI): `make bench` and `make report`."""
