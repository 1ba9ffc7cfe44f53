"""cyclnf: OpenFace 2.2's CLNF facial landmark detector for Python, with compiled hot paths.

OpenFace's model files are not included (their license forbids redistribution); see
:mod:`cyclnf.models` for how they are found and downloaded.
"""

from ._version import __version__
from .clnf import CLNF, NoFaceError
from .compat import install_as_pyclnf
from .models.errors import ModelDownloadError, ModelFormatError, ModelsNotInstalledError
from .pdm import PDM

__all__ = [
    "__version__",
    "CLNF",
    "PDM",
    "NoFaceError",
    "install_as_pyclnf",
    "ModelFormatError",
    "ModelsNotInstalledError",
    "ModelDownloadError",
]
