"""Detectors by name (pyclnf's and cyclnf's), and what every detection holds."""

import pytest

from cyclnf.detect import HaarDetector, MTCNNDetector, make_detector
from cyclnf.detect.base import convert_box, intersection_over_union


def test_names_give_detectors_and_retinaface_is_refused_with_the_reason(models_root):
    assert isinstance(make_detector("haar"), HaarDetector)
    assert isinstance(make_detector("mtcnn"), MTCNNDetector)
    assert isinstance(make_detector(" PyMTCNN "), MTCNNDetector)
    assert make_detector(None) is None and make_detector(False) is None
    with pytest.raises(ValueError, match="RetinaFace"):
        make_detector("retinaface")
    with pytest.raises(ValueError, match="unknown detector"):
        make_detector("yolo")
    with pytest.raises(TypeError):
        make_detector(3)


def test_pymtcnn_falls_back_to_haar_without_mtcnns_files(tmp_path, caplog):
    from cyclnf import ModelsNotInstalledError
    assert isinstance(make_detector("pymtcnn", tmp_path), HaarDetector)
    assert "Haar cascade instead" in caplog.text
    with pytest.raises(ModelsNotInstalledError):
        make_detector("mtcnn", tmp_path)


def test_boxes():
    assert convert_box((10, 20, 100, 50), 0.1, 0.2, 0.5, 2.0) == (20.0, 30.0, 50.0, 100.0)
    assert intersection_over_union((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert intersection_over_union((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(1 / 3)
    assert intersection_over_union((0, 0, 10, 10), (20, 20, 5, 5)) == 0.0
    assert intersection_over_union((0, 0, 0, 0), (0, 0, 0, 0)) == 0.0
