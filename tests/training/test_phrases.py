from sketchpad.training import phrases


def _notes(ph):
    return [(i.program, i.is_drum, n.pitch, round(n.start, 6), round(n.end, 6), n.velocity)
            for i in ph.midi.instruments for n in i.notes]


def test_phrases_are_deterministic_per_seed():
    a, b = [phrases.make_phrase(7, i) for i in range(6)], [phrases.make_phrase(7, i) for i in range(6)]
    assert [p.caption for p in a] == [p.caption for p in b]
    assert [_notes(p) for p in a] == [_notes(p) for p in b]
    c = [phrases.make_phrase(8, i) for i in range(6)]
    assert [_notes(p) for p in a] != [_notes(p) for p in c]


def test_phrases_are_short_and_captioned():
    for ph in [phrases.make_phrase(0, i) for i in range(30)]:
        assert 4.0 <= ph.seconds <= 8.0
        assert ph.midi.get_end_time() <= ph.seconds + 1e-6
        assert "bpm" in ph.caption and ph.parts
        if "drums" in ph.parts:
            assert ph.caption.startswith("drum groove")
            assert any(i.is_drum for i in ph.midi.instruments)
        for part in ph.parts:
            if part != "drums":
                assert part.split()[0] in ph.caption
