"""The General MIDI percussion map (channel 10), notes 35-81: name and category.

Training renders and captions drums by it; the prompt engines order drums by it
("high tom" is the highest tom of the map).
"""

GM_DRUMS = {
    35: ("Acoustic Bass Drum", "kick"), 36: ("Bass Drum 1", "kick"), 37: ("Side Stick", "snare"),
    38: ("Acoustic Snare", "snare"), 39: ("Hand Clap", "clap"), 40: ("Electric Snare", "snare"),
    41: ("Low Floor Tom", "tom"), 42: ("Closed Hi-Hat", "hi-hat"), 43: ("High Floor Tom", "tom"),
    44: ("Pedal Hi-Hat", "hi-hat"), 45: ("Low Tom", "tom"), 46: ("Open Hi-Hat", "hi-hat"),
    47: ("Low-Mid Tom", "tom"), 48: ("Hi-Mid Tom", "tom"), 49: ("Crash Cymbal 1", "cymbal"),
    50: ("High Tom", "tom"), 51: ("Ride Cymbal 1", "cymbal"), 52: ("Chinese Cymbal", "cymbal"),
    53: ("Ride Bell", "cymbal"), 54: ("Tambourine", "percussion"), 55: ("Splash Cymbal", "cymbal"),
    56: ("Cowbell", "percussion"), 57: ("Crash Cymbal 2", "cymbal"), 58: ("Vibraslap", "percussion"),
    59: ("Ride Cymbal 2", "cymbal"), 60: ("Hi Bongo", "percussion"), 61: ("Low Bongo", "percussion"),
    62: ("Mute Hi Conga", "percussion"), 63: ("Open Hi Conga", "percussion"),
    64: ("Low Conga", "percussion"), 65: ("High Timbale", "percussion"),
    66: ("Low Timbale", "percussion"), 67: ("High Agogo", "percussion"), 68: ("Low Agogo", "percussion"),
    69: ("Cabasa", "percussion"), 70: ("Maracas", "percussion"), 71: ("Short Whistle", "percussion"),
    72: ("Long Whistle", "percussion"), 73: ("Short Guiro", "percussion"),
    74: ("Long Guiro", "percussion"), 75: ("Claves", "percussion"), 76: ("Hi Wood Block", "percussion"),
    77: ("Low Wood Block", "percussion"), 78: ("Mute Cuica", "percussion"),
    79: ("Open Cuica", "percussion"), 80: ("Mute Triangle", "percussion"),
    81: ("Open Triangle", "percussion"),
}
"""GM percussion key -> (name, category)."""
