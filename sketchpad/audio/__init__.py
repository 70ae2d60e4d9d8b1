"""Qt-free audio: file I/O, resampling, export, analysis and the playback engine.

The playback engine module is the only place that imports sounddevice.
"""
