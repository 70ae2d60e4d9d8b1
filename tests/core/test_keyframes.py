import numpy as np

from sketchpad.core import keyframes as kf


def test_add_keeps_time_order_and_replaces_a_point_at_the_same_time():
    points = kf.default_points(10.0)
    points, index = kf.add_point(points, 4.0, 0.3, 10.0)
    assert points == ((0.0, 0.0), (4.0, 0.3), (10.0, 1.0)) and index == 1
    points, index = kf.add_point(points, 4.0, 0.9, 10.0)
    assert points == ((0.0, 0.0), (4.0, 0.9), (10.0, 1.0))
    points, _ = kf.add_point(points, 99.0, 2.0, 10.0)  # clamped into the sound and 0..1
    assert points[-1] == (10.0, 1.0) and len(points) == 3


def test_moving_a_point_never_passes_its_neighbours():
    points = ((0.0, 0.0), (4.0, 0.5), (10.0, 1.0))
    moved = kf.move_point(points, 1, 20.0, -1.0, 10.0)
    assert moved[1] == (10.0 - kf.MIN_GAP_SECONDS, 0.0)
    assert [t for t, _ in moved] == sorted(t for t, _ in moved)
    assert kf.move_point(points, 0, -5.0, 0.2, 10.0)[0] == (0.0, 0.2)


def test_remove_keeps_the_last_point():
    points = ((0.0, 0.0), (4.0, 0.5))
    assert kf.remove_point(points, 0) == ((4.0, 0.5),)
    assert kf.remove_point(((4.0, 0.5),), 0) == ((4.0, 0.5),)


def test_snap_goes_to_the_nearest_beat():
    beats = np.array([0.5, 1.0, 1.5])
    assert kf.snap(1.2, beats) == 1.0 and kf.snap(1.2, None) == 1.2
