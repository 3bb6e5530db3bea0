"""Core layer: errors, atomic I/O, params, vocabularies, the table contract and small shared helpers.

Nothing here imports a domain library or a face.
"""
