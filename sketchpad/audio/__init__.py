"""Qt-free audio: file I/O, resampling, export, analysis and the player.

The player module (playback.py) is the only place that imports sounddevice.
"""
