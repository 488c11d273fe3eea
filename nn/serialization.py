"""Save and load a module's parameters as an `.npz` archive, never through pickle.

An `.npz` file is a zip of `.npy` arrays, one per state-dict entry. Unpickling a file can run
arbitrary code, so neither direction goes near pickle: `save` writes with `allow_pickle=False`,
and `load` parses every `.npy` header itself and refuses object arrays before any data is read.

`save` is atomic: the archive goes to a new file in the target's folder, is flushed and fsynced,
and only then renamed over the target with `os.replace` (and the folder fsynced), so the target
holds the old checkpoint or the new one, never a mix. A save that fails with an exception (disk
full, file-size limit, Ctrl-C) deletes its new file. A process killed mid-save cannot clean up,
so on Linux the new file is opened with O_TMPFILE: it has no name while it is written, and the
kernel frees it if the process dies. Once complete it is linked under a hidden random name
(`.model.npz.1a2b3c4d.tmp`) and at once renamed over the target: only a kill between those two
calls can leave that name behind. Where O_TMPFILE is missing (other systems, some file systems)
the new file has that name from the start, so a killed save leaves it behind; the checkpoint
itself is intact either way. Saving through a symlink replaces the file it points to.

`load` checks before it reads any array data: each entry's `.npy` header (dtype, shape, order)
must describe a numeric array exactly as big as the data the zip entry holds, and the names and
shapes must match the module's state_dict. A file whose header claims a huge array is refused
without allocating it, and a damaged file raises ValueError naming the path and what is wrong.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import stat
import zipfile
import zlib
from typing import IO, NamedTuple

import numpy as np

from nn.module import Module, check_entry_names

# What zipfile raises for a damaged archive or entry: bad structure or checksum, data cut short,
# a compression method or encryption it cannot read, a corrupt deflate stream.
_DAMAGED = (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError, zlib.error)

_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0,
                   (2, 0): np.lib.format.read_array_header_2_0}


# -- save ---------------------------------------------------------------------------------------

def save(module: Module, path: str | os.PathLike) -> None:
    """Write `module.state_dict()` to `path` (the exact path given) as an .npz archive.

    Atomic: whatever happens during the save, `path` afterwards holds either its old contents
    or the complete new archive (see the module docstring).
    """
    state = module.state_dict()
    target = os.path.realpath(path)
    folder, base = os.path.split(target)
    fd, temporary = _open_new_file(folder, base)
    try:
        with os.fdopen(fd, "wb") as file:
            with contextlib.suppress(FileNotFoundError):  # a checkpoint saved over keeps its
                os.chmod(file.fileno(), stat.S_IMODE(os.stat(target).st_mode))  # permissions
            _write_archive(file, state)
            file.flush()
            os.fsync(file.fileno())
            if temporary is None:
                temporary = _link_unnamed_file(file.fileno(), folder, base)
        os.replace(temporary, target)
    except BaseException:
        if temporary is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        raise
    _sync_folder(folder)


def _write_archive(file: IO[bytes], state: dict[str, np.ndarray]) -> None:
    with zipfile.ZipFile(file, "w") as archive:
        for name, array in state.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as entry:
                np.lib.format.write_array(entry, array, allow_pickle=False)


def _temporary_name(base: str) -> str:
    return f".{base}.{os.urandom(4).hex()}.tmp"


def _open_new_file(folder: str, base: str) -> tuple[int, str | None]:
    """A new file in `folder`, open for writing: (fd, None) for an unnamed O_TMPFILE file,
    else (fd, its name). Permissions are those `open()` would give (0o666 less the umask)."""
    unnamed = getattr(os, "O_TMPFILE", None)
    if unnamed is not None and os.path.isdir("/proc/self/fd"):  # linking it later needs /proc
        try:
            return os.open(folder, unnamed | os.O_WRONLY, 0o666), None
        except OSError as error:
            if error.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
                raise  # the file system supports O_TMPFILE: this is a real failure
    while True:
        name = os.path.join(folder, _temporary_name(base))
        try:
            return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), name
        except FileExistsError:
            continue


def _link_unnamed_file(fd: int, folder: str, base: str) -> str:
    """Give the O_TMPFILE file `fd` a new name in `folder` and return it (a link cannot
    replace the target, a rename can).

    Without a dir_fd, os.link calls link(2), which would link the /proc/self/fd symlink itself
    (EXDEV); with one it calls linkat(2) with AT_SYMLINK_FOLLOW, which links the file.
    """
    folder_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        while True:
            name = _temporary_name(base)
            try:
                os.link(f"/proc/self/fd/{fd}", name, dst_dir_fd=folder_fd)
                return os.path.join(folder, name)
            except FileExistsError:
                continue
    finally:
        os.close(folder_fd)


def _sync_folder(folder: str) -> None:
    """fsync `folder`, so that the rename itself survives a crash (POSIX only)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as error:
        if error.errno != errno.EINVAL:  # EINVAL: this file system cannot sync a folder
            raise
    finally:
        os.close(fd)


# -- load ---------------------------------------------------------------------------------------

class _Entry(NamedTuple):
    """What an entry's .npy header says, checked against the size of the entry."""

    info: zipfile.ZipInfo
    header_size: int  # bytes before the array data
    shape: tuple[int, ...]
    dtype: np.dtype
    fortran_order: bool


def load(module: Module, path: str | os.PathLike) -> Module:
    """Load the parameters saved by `save` into `module` (all or nothing) and return it.

    Raises ValueError naming the path and the reason for a file that is empty, truncated,
    damaged, not an .npz archive, or holds pickled objects (which are never unpickled), and
    KeyError/ValueError naming the entry for a missing, unexpected, non-numeric or mis-shaped
    one; the module is then unchanged. Values are cast to each parameter's dtype.
    """
    where = repr(os.fspath(path))
    with open(path, "rb") as file, _open_archive(file, where) as archive:
        entries = _read_headers(archive, where)
        _check_against(module.state_dict(), entries, where)
        state = {name: _read_data(archive, name, entry, where) for name, entry in entries.items()}
    module.load_state_dict(state)
    return module


def _open_archive(file: IO[bytes], where: str) -> zipfile.ZipFile:
    start = file.read(8)
    if not start:
        raise ValueError(f"{where} is empty (0 bytes): not an .npz archive")
    if start.startswith(b"\x93NUMPY"):
        raise ValueError(f"{where} holds a single array, not an .npz archive of named parameters")
    if start.startswith(b"\x80"):  # the PROTO opcode that starts every pickle since protocol 2
        raise ValueError(f"{where} is not an .npz archive: it is a pickle, which nn.load refuses "
                         f"to unpickle (that could run code)")
    file.seek(0)
    try:
        return zipfile.ZipFile(file)
    except _DAMAGED as error:
        size = os.fstat(file.fileno()).st_size
        if start.startswith(b"PK\x03\x04"):
            raise ValueError(f"{where} is truncated or damaged: its {size} bytes start like a zip "
                             f"archive but do not hold a whole one ({error})") from None
        raise ValueError(f"{where} is not an .npz archive: its {size} bytes are not a zip "
                         f"archive (they start {start!r})") from None


def _read_headers(archive: zipfile.ZipFile, where: str) -> dict[str, _Entry]:
    entries: dict[str, _Entry] = {}
    for info in archive.infolist():
        name = info.filename.removesuffix(".npy")
        if name in entries:
            raise ValueError(f"{where}: entry {name!r} appears twice")
        try:
            with archive.open(info) as stream:
                entries[name] = _read_header(stream, info, name, where)
        except _DAMAGED as error:
            raise ValueError(f"{where}: entry {name!r} is damaged ({error})") from None
    return entries


def _read_header(stream: IO[bytes], info: zipfile.ZipInfo, name: str, where: str) -> _Entry:
    try:
        version = np.lib.format.read_magic(stream)
    except ValueError as error:
        raise ValueError(f"{where}: entry {name!r} is truncated or not a .npy array "
                         f"({error})") from None
    if version not in _HEADER_READERS:
        raise ValueError(f"{where}: entry {name!r} is a .npy file of format version {version}; "
                         f"nn.load reads versions 1.0 and 2.0")
    try:
        shape, fortran_order, dtype = _HEADER_READERS[version](stream)
    except ValueError as error:
        raise ValueError(f"{where}: entry {name!r} has a truncated or damaged .npy header "
                         f"({error})") from None
    if dtype.hasobject:
        raise ValueError(f"{where}: entry {name!r} is an object array (it needs pickle, which "
                         f"nn.load refuses: it could run code); only numeric arrays are loaded")
    if dtype.kind not in "fiu":
        raise ValueError(f"{where}: entry {name!r} has dtype {dtype}; expected numbers")
    if any(length < 0 for length in shape):
        raise ValueError(f"{where}: entry {name!r} has a damaged .npy header (shape {shape})")
    header_size = stream.tell()
    held, expected = info.file_size - header_size, math.prod(shape) * dtype.itemsize
    if held < expected:
        raise ValueError(f"{where} is truncated: entry {name!r} holds {held} bytes of data, its "
                         f"header says {expected} (shape {shape}, {dtype})")
    if held > expected:
        raise ValueError(f"{where}: entry {name!r} holds {held} bytes of data, but its header "
                         f"says {expected} (shape {shape}, {dtype})")
    return _Entry(info, header_size, shape, dtype, fortran_order)


def _check_against(state: dict[str, np.ndarray], entries: dict[str, _Entry], where: str) -> None:
    """The names and shapes of the file's entries must be those of the module's state_dict."""
    check_entry_names(state, entries, where)
    for name, array in state.items():
        if entries[name].shape != array.shape:
            raise ValueError(f"{where}: entry {name!r} has shape {entries[name].shape}, but the "
                             f"parameter has shape {array.shape}")


def _read_data(archive: zipfile.ZipFile, name: str, entry: _Entry, where: str) -> np.ndarray:
    size = math.prod(entry.shape) * entry.dtype.itemsize
    try:
        with archive.open(entry.info) as stream:
            stream.read(entry.header_size)
            data = stream.read(size)  # reading to the end of the entry checks its CRC
    except _DAMAGED as error:
        raise ValueError(f"{where}: entry {name!r} is damaged ({error})") from None
    if len(data) != size:
        raise ValueError(f"{where} is truncated: entry {name!r} holds {len(data)} bytes of data, "
                         f"its header says {size}")
    array = np.frombuffer(data, dtype=entry.dtype, count=math.prod(entry.shape))
    if entry.fortran_order:
        return array.reshape(entry.shape[::-1]).T
    return array.reshape(entry.shape)
