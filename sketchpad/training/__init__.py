"""Qt-free dataset building, training loops and evaluation."""
