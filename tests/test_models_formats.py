"""Every reader of OpenFace's file formats, on the real files and on damaged copies."""

import numpy as np
import pytest

from cyclnf import models
from cyclnf.models import ModelFormatError
from cyclnf.models.formats.cnn import CONV, FULLY_CONNECTED, MAX_POOL, PRELU, RELU

M = "lib/local/LandmarkDetector/model/"
MANIFEST_FILES = sorted(models.manifest().files)


def read(path, fmt):
    """Parse a file with one reader, bypassing the cache."""
    return models.READERS[fmt][1](path)


def local(models_root, openface_path):
    return models_root / "originals" / openface_path


# ------------------------------------------------------------------ the real files

@pytest.mark.parametrize("path", MANIFEST_FILES)
def test_every_manifest_file_loads(models_root, path):
    parsed = models.load_file(path)
    assert type(parsed) is models.READERS[models.manifest().file(path).format][0]


def test_pdm_files(models_root):
    for path, (n, m) in {"pdms/In-the-wild_aligned_PDM_68.txt": (68, 34),
                         "model_inner/pdms/pdm_51_inner.txt": (51, None),
                         "model_eye/pdms/pdm_28_eye_3D_closed.txt": (28, None)}.items():
        pdm = models.load_file(M + path)
        assert pdm.mean_shape.shape == (3 * n, 1)
        assert pdm.princ_comp.shape[0] == 3 * n
        assert m is None or pdm.princ_comp.shape[1] == m
        assert (pdm.eigen_values > 0).all()
    wild = models.load_file(M + "pdms/In-the-wild_aligned_PDM_68.txt")
    assert wild.mean_shape[0, 0] == -73.393523        # first value of OpenFace's file
    assert wild.eigen_values[0] == 826.213804


@pytest.mark.parametrize("scale", ["0.25", "0.35", "0.5"])
def test_ccnf_general_files(models_root, scale):
    ccnf = models.load_file(M + f"patch_experts/ccnf_patches_{scale}_general.txt")
    assert ccnf.scale == float(scale)
    assert (ccnf.n_views, ccnf.n_landmarks) == (7, 68)
    np.testing.assert_allclose(np.rad2deg(ccnf.view_centres[:, 1]), [0, -20, -45, -70, 70, 45, 20])
    np.testing.assert_array_equal(ccnf.visibility.sum(axis=1), [68, 68, 68, 35, 35, 68, 68])
    np.testing.assert_array_equal(ccnf.window_sizes, [7, 9, 11, 15])
    assert [s.shape for s in ccnf.sigma_components] == [(3, w * w, w * w) for w in (7, 9, 11, 15)]
    # Visible landmarks have a 7-neuron 11x11 expert; the others have none.
    counts = np.diff(ccnf.expert_neurons).reshape(7, 68)
    np.testing.assert_array_equal(counts, np.where(ccnf.visibility, 7, 0))
    np.testing.assert_array_equal(ccnf.expert_size[ccnf.visibility], [[11, 11]] * 410)
    assert ccnf.neuron_weights.shape == (counts.sum(), 11, 11)
    assert (ccnf.confidence[~ccnf.visibility] == 0).all()
    assert (ccnf.confidence[ccnf.visibility] > 0).all()
    assert (ccnf.alpha >= 0).all() and set(ccnf.neuron_type) == {0}
    sl = ccnf.neurons(0, 30)
    assert sl.stop - sl.start == 7


def test_ccnf_part_files(models_root):
    inner = models.load_file(M + "model_inner/patch_experts/ccnf_patches_1.00_inner.txt")
    assert (inner.n_views, inner.n_landmarks, inner.scale) == (7, 51, 1.0)
    for side in ("left_", ""):
        for scale in ("1.00", "1.50"):
            eye = models.load_file(M + f"model_eye/patch_experts/{side}ccnf_patches_{scale}_synth_lid_.txt")
            assert (eye.n_views, eye.n_landmarks, eye.scale) == (1, 28, float(scale))
            assert eye.betas.shape[2] == len(eye.sigma_components[0])


@pytest.mark.parametrize("scale", ["0.25", "0.35", "0.5"])
def test_svr_general_files(models_root, scale):
    svr = models.load_file(M + f"patch_experts/svr_patches_{scale}_general.txt")
    assert svr.scale == float(scale)
    assert svr.weights.shape == (7, 68, 2, 11, 11)
    np.testing.assert_array_equal(svr.feature_type, np.broadcast_to([0, 1], (7, 68, 2)))
    np.testing.assert_array_equal(svr.visibility.sum(axis=1), [68, 68, 68, 35, 35, 68, 68])
    # Unseen landmarks have all-zero placeholder experts.
    assert (svr.scaling[svr.visibility] > 0).all()
    assert (svr.scaling[~svr.visibility] == 0).all() and (svr.confidence[~svr.visibility] == 0).all()


def test_svr_weights_are_transposed_as_openface_uses_them(models_root):
    path = local(models_root, M + "patch_experts/svr_patches_0.25_general.txt")
    words = path.read_text().split("# Patches themselves (1 line patches of a vertex)")[1].split()
    # First expert: 3 11 11 2, then modality: 2 type conf scaling bias, 11 11 5, 121 values.
    assert words[:4] == ["3", "11", "11", "2"] and words[4] == "2"
    # The matrix type is 5 (float32): OpenFace holds the weights in single precision.
    assert words[9:12] == ["11", "11", "5"]
    first = np.array(words[12:12 + 121], np.float32).reshape(11, 11)
    svr = models.load_file(M + "patch_experts/svr_patches_0.25_general.txt")
    np.testing.assert_array_equal(svr.weights[0, 0, 0], first.T)


def test_validator(models_root):
    validator = models.load_file(M + "detection_validation/validator_cnn_68.txt")
    assert len(validator.networks) == 7
    np.testing.assert_allclose(np.rad2deg(validator.orientations[:, 1]), [0, -20, -45, -70, 20, 45, 70])
    kinds = [layer.kind for layer in validator.networks[0].layers]
    assert kinds == [CONV, RELU, MAX_POOL, CONV, RELU, MAX_POOL, CONV, RELU, MAX_POOL,
                     FULLY_CONNECTED, RELU, FULLY_CONNECTED]
    warp = validator.warps[0]
    assert warp.destination.shape == (68, 2)
    assert warp.pixel_mask.sum() == warp.n_pixels == validator.mean_images[0].size
    assert warp.triangle_id[warp.pixel_mask].min() >= 0
    assert (warp.triangle_id[~warp.pixel_mask] == -1).all()


def test_mtcnn_networks(models_root):
    first_conv = {"PNet": (10, 3, 3, 3), "RNet": (28, 3, 3, 3), "ONet": (32, 3, 3, 3)}
    outputs = {"PNet": 6, "RNet": 6, "ONet": 16}   # 2 scores + 4 box (+ 10 landmark) values
    for name in first_conv:
        net = models.load_file(M + f"mtcnn_detector/{name}.dat")
        assert net.layers[0].kind == CONV
        assert net.layers[0].params["kernels"].shape == first_conv[name]
        assert net.layers[1].kind == PRELU
        assert net.layers[-1].kind == FULLY_CONNECTED
        assert net.layers[-1].params["weights"].shape[1] == outputs[name]
        pools = [l.params["pool"].tolist() for l in net.layers if l.kind == MAX_POOL]
        assert pools and all(len(p) == 4 for p in pools)


def test_triangulations_and_haar_alignment(models_root):
    tris = models.load_file(M + "tris_68.txt")
    assert [t.shape[0] for t in tris.triangles] == [97, 97, 82, 31, 97, 82, 31]
    full = models.load_file(M + "tris_68_full.txt")
    assert len(full.triangles) == 1 and full.triangles[0].shape == (111, 3)
    assert all(t.max() < 68 for t in tris.triangles + full.triangles)
    haar = models.load_file(M + "haarAlign.txt").matrix
    assert haar.shape == (3, 4)
    np.testing.assert_allclose(haar[2], [0.055858, 0.229781, 0.871248, 0.892778])


# ------------------------------------------------------------------ damaged copies

@pytest.mark.parametrize("path", MANIFEST_FILES)
def test_cut_off_copies_raise_model_format_error(models_root, tmp_path, path):
    data = local(models_root, path).read_bytes()
    fmt = models.manifest().file(path).format
    cuts = {len(data) // 4, len(data) // 2, 3 * len(data) // 4}
    if fmt in ("ccnf", "validator", "mtcnn"):        # binary: even one byte short is caught
        cuts.add(len(data) - 1)
    for cut in sorted(cuts):
        damaged = tmp_path / f"cut_{cut}"
        damaged.write_bytes(data[:cut])
        with pytest.raises(ModelFormatError) as err:
            read(damaged, fmt)
        assert str(damaged) in str(err.value)


def test_empty_and_extra_bytes_raise(models_root, tmp_path):
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    for fmt in models.READERS:
        with pytest.raises(ModelFormatError):
            read(empty, fmt)
    longer = tmp_path / "longer"
    longer.write_bytes(local(models_root, M + "mtcnn_detector/PNet.dat").read_bytes() + b"\0" * 8)
    with pytest.raises(ModelFormatError, match="unexpected bytes"):
        read(longer, "mtcnn")


FORMAT_EXAMPLES = {
    "pdm": M + "pdms/In-the-wild_aligned_PDM_68.txt",
    "ccnf": M + "model_eye/patch_experts/ccnf_patches_1.00_synth_lid_.txt",
    "svr": M + "patch_experts/svr_patches_0.5_general.txt",
    "triangulation": M + "tris_68.txt",
    "validator": M + "detection_validation/validator_cnn_68.txt",
    "mtcnn": M + "mtcnn_detector/RNet.dat",
    "text_matrix": M + "haarAlign.txt",
}


@pytest.mark.parametrize("reader", sorted(FORMAT_EXAMPLES))
@pytest.mark.parametrize("given", sorted(FORMAT_EXAMPLES))
def test_wrong_kind_of_file_raises(models_root, reader, given):
    if reader == given:
        return
    with pytest.raises(ModelFormatError):
        read(local(models_root, FORMAT_EXAMPLES[given]), reader)


@pytest.mark.parametrize("fmt", ["ccnf", "validator", "mtcnn"])
def test_corrupted_binary_files_never_crash(models_root, tmp_path, fmt):
    """Random bytes overwritten near the start (where the counts and headers are) give a
    clean parse or a ModelFormatError, never another exception or a huge allocation."""
    data = local(models_root, FORMAT_EXAMPLES[fmt]).read_bytes()
    rng = np.random.default_rng(0)
    damaged = tmp_path / "damaged"
    errors = 0
    for _ in range(40):
        corrupt = bytearray(data)
        for at in rng.integers(0, min(len(data), 4096), size=4):
            corrupt[at] = rng.integers(0, 256)
        damaged.write_bytes(bytes(corrupt))
        try:
            read(damaged, fmt)
        except ModelFormatError:
            errors += 1
    assert errors > 0


def test_non_finite_values_are_refused(models_root, tmp_path):
    text = local(models_root, M + "pdms/In-the-wild_aligned_PDM_68.txt").read_text()
    damaged = tmp_path / "nan_pdm.txt"
    damaged.write_text(text.replace("-73.393523", "nan", 1))
    with pytest.raises(ModelFormatError, match="non-finite"):
        read(damaged, "pdm")
    data = bytearray(local(models_root, FORMAT_EXAMPLES["ccnf"]).read_bytes())
    data[:8] = np.array([np.nan]).tobytes()                 # the patch scale
    damaged = tmp_path / "nan_ccnf"
    damaged.write_bytes(bytes(data))
    with pytest.raises(ModelFormatError):
        read(damaged, "ccnf")


def test_missing_file_is_file_not_found(tmp_path):
    for fmt in models.READERS:
        with pytest.raises(FileNotFoundError):
            models.read_file(tmp_path / "absent.txt", fmt)
    with pytest.raises(ValueError, match="unknown model file format"):
        models.read_file(tmp_path / "absent.txt", "cen")


# ------------------------------------------------------------------ definitions and streams

def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_bytes(text.encode("latin-1"))
    return path


def test_model_definition_resolves_paths_and_keeps_unknown_keys(tmp_path):
    model = write(tmp_path, "model.txt", "PDM pdms/a.txt\nTriangulations t.txt\n"
                  "PatchesIntensity p1.txt\nPatchesIntensity p2.txt\nFancyNewKey 1 2\n")
    main = write(tmp_path, "main.txt", "LandmarkDetector model.txt\n"
                 "LandmarkDetector_part part/main_part.txt eye 36 8 37 10\n"
                 "DetectionValidator v.txt\n")
    definition = models.read_model_definition(main)
    assert definition.pdm == tmp_path / "pdms" / "a.txt"
    assert definition.patch_expert_kind == "svr"
    assert definition.patch_experts == (tmp_path / "p1.txt", tmp_path / "p2.txt")
    assert definition.parts[0].name == "eye" and definition.parts[0].mapping == ((36, 8), (37, 10))
    assert definition.validator == tmp_path / "v.txt"
    assert models.read_model_definition(model).other == (("FancyNewKey", "1", "2"),)


@pytest.mark.parametrize("text, message", [
    ("PDM\n", "has no file name"),
    ("LandmarkDetector m.txt\nLandmarkDetector_part p.txt eye 36 8 37\n", "pairs"),
    ("LandmarkDetector m.txt\nLandmarkDetector_part p.txt eye 36 x\n", "whole numbers"),
    ("LandmarkDetector m.txt\nLandmarkDetector_part p.txt eye 36 -8\n", "negative"),
    ("PDM a.txt\nPatchesCCNF c.txt\nPatchesIntensity s.txt\n", "mixes"),
    ("hello world\n", "not an OpenFace model definition"),
    ("PDM caf\xe9.txt\n", "not plain text"),
])
def test_bad_model_definitions_raise(tmp_path, text, message):
    with pytest.raises(ModelFormatError, match=message):
        models.read_model_definition(write(tmp_path, "bad.txt", text), follow=False)


def test_matrix_headers_that_would_allocate_gigabytes_are_refused(tmp_path):
    from cyclnf.models.formats.stream import BinaryReader, TextReader
    huge = tmp_path / "huge.bin"
    huge.write_bytes(np.array([100_000, 100_000, 6], "<i4").tobytes() + b"\0" * 64)
    with pytest.raises(ModelFormatError, match="invalid header"):
        BinaryReader(huge).matrix("m")
    wrong_type = tmp_path / "type.bin"
    wrong_type.write_bytes(np.array([1, 1, 17], "<i4").tobytes() + b"\0" * 8)
    with pytest.raises(ModelFormatError, match="invalid header"):
        BinaryReader(wrong_type).matrix("m")
    text = write(tmp_path, "huge.txt", "100000 100000 6\n1 2 3\n")
    with pytest.raises(ModelFormatError, match="invalid header"):
        TextReader(text).matrix("m")
    short = write(tmp_path, "short.txt", "2 2 6\n1 2 3\n")
    with pytest.raises(ModelFormatError, match="truncated"):
        TextReader(short).matrix("m")
    word = write(tmp_path, "word.txt", "2 1 6\n1 two\n")
    with pytest.raises(ModelFormatError, match="'two' is not a number") as err:
        TextReader(word).matrix("m")
    assert err.value.offset == 2          # reported at its line


def test_runs_of_matrices_are_read_in_one_go_and_checked(tmp_path):
    """BinaryReader.matrices (MTCNN's and the validator's kernels): the same arrays as one
    matrix at a time; a header that differs, a short file or NaN is refused."""
    import struct

    from cyclnf.models.formats.stream import BinaryReader

    def encoded(shapes, values=None):
        out = b""
        for i, (rows, cols) in enumerate(shapes):
            data = np.arange(rows * cols, dtype="<f4") + i if values is None else values
            out += struct.pack("<3i", rows, cols, 5) + np.asarray(data, "<f4").tobytes()
        return out

    path = tmp_path / "m.bin"
    path.write_bytes(encoded([(2, 3)] * 5))
    stacked = BinaryReader(path).matrices(5, "kernel")
    one_by_one = BinaryReader(path)
    np.testing.assert_array_equal(stacked, [one_by_one.matrix("k") for _ in range(5)])
    path.write_bytes(encoded([(2, 3)] * 3 + [(3, 2)]))
    with pytest.raises(ModelFormatError, match="kernel 3 differs"):
        BinaryReader(path).matrices(4, "kernel")
    path.write_bytes(encoded([(2, 3)] * 3)[:-4])
    with pytest.raises(ModelFormatError, match="file ends"):
        BinaryReader(path).matrices(3, "kernel")
    path.write_bytes(encoded([(1, 2)] * 2, values=[1.0, np.nan]))
    with pytest.raises(ModelFormatError, match="non-finite"):
        BinaryReader(path).matrices(2, "kernel")
