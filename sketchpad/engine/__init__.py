"""Qt-free model runtime: loading weights, encoding, decoding, generation."""
