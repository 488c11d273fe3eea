"""Save and load a module's parameters as an `.npz` archive, never through pickle.

An `.npz` file is a zip of `.npy` arrays, one per state-dict entry. Unpickling a file can run
arbitrary code, so both directions refuse Python objects: `save` writes with
`allow_pickle=False`, and `load` reads with `allow_pickle=False` and names the entry that
holds objects.
"""

from __future__ import annotations

import os
import zipfile

import numpy as np

from nn.module import Module


def save(module: Module, path: str | os.PathLike) -> None:
    """Write `module.state_dict()` to `path` (the exact path given) as an .npz archive."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, array in module.state_dict().items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as entry:
                np.lib.format.write_array(entry, array, allow_pickle=False)


def load(module: Module, path: str | os.PathLike) -> Module:
    """Load the parameters saved by `save` into `module` (all or nothing) and return it.

    Raises ValueError for a file that is not an .npz archive or that holds object arrays,
    and KeyError/ValueError (from `load_state_dict`) for a missing, unexpected or mis-shaped
    entry, leaving the module unchanged.
    """
    try:
        archive = np.load(path, allow_pickle=False)
    except ValueError:
        raise ValueError(f"{os.fspath(path)!r} is not an .npz archive of arrays (it may be a "
                         f"pickle, which nn.load refuses to run)") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"{os.fspath(path)!r} holds a single array, not an .npz archive of "
                         f"named parameters")
    with archive:
        state = {}
        for name in archive.files:
            try:
                state[name] = archive[name]
            except ValueError:
                raise ValueError(f"{os.fspath(path)!r}: entry {name!r} is an object array (it "
                                 f"needs pickle, which nn.load refuses: it could run code); "
                                 f"only numeric arrays are loaded") from None
    module.load_state_dict(state)
    return module
