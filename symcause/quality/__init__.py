"""Quality: table validation (pandera + great-expectations), the vignette audit, extraction evaluation."""
