"""Knowledge: P(finding | condition) with provenance, estimated from the fact tables."""
