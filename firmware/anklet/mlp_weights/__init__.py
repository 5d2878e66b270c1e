"""The stride classifier's weights, one generated module per model (`anklet.detect_mlp.load` imports one)."""
