"""DVC stage entry points: one thin module per stage (`python -m pipeline.<stage>`).

Each reads its params section, calls the `symcause` library and writes its outputs. A stage
never imports another stage or the CLI (`.importlinter`).
"""
