"""Save and load a module's parameters, or an optimizer's state, as an `.npz` archive, never
through pickle.

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

An optimizer or a learning-rate scheduler (anything with `state_dict()` and `load_state_dict()`)
is saved the same way. Its nested state is flattened to one array per number, with the path in
the name: `state/0/exp_avg`, `state/0/step`, `param_groups/0/lr`, `param_groups/0/params`. A
number is a 0-d array (int64, float64; a bool as uint8 0 or 1), a list or tuple of numbers
(betas, "params", base_lrs) a 1-d array, an empty dict or list a 0-length array. `load` rebuilds
the nesting (a list where the object's own state_dict has one, int keys for numbered folders)
and hands it to `load_state_dict`, which checks it and converts each number to its type. Such a
file must hold its entries uncompressed, as `save` writes them: then no entry can hold more
data than the file itself, so a crafted file cannot make `load` allocate more than its size.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import stat
import tokenize
import zipfile
import zlib
from collections.abc import Mapping
from typing import IO, Any, NamedTuple, Protocol

import numpy as np

from nn.module import Module, check_entry_names

# What zipfile raises for a damaged archive or entry: bad structure or checksum, data cut short,
# a compression method or encryption it cannot read, a corrupt deflate stream.
_DAMAGED = (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError, zlib.error)

_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0,
                   (2, 0): np.lib.format.read_array_header_2_0}


class Stateful(Protocol):
    """An optimizer, a scheduler: anything whose state `save` and `load` can keep."""

    def state_dict(self) -> Mapping[str, Any]: ...

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None: ...


# -- save ---------------------------------------------------------------------------------------

def save(obj: Module | Stateful, path: str | os.PathLike) -> None:
    """Write `obj.state_dict()` (a Module's, or an optimizer's or scheduler's, flattened) to
    `path` (the exact path given) as an .npz archive.

    Atomic: whatever happens during the save, `path` afterwards holds either its old contents
    or the complete new archive (see the module docstring). A state holding something other
    than numbers, lists of numbers and numeric arrays (a str, None) raises ValueError first.
    """
    if isinstance(obj, Module):
        state = obj.state_dict()
    else:
        _check_stateful(obj, "nn.save")
        state = flatten_state(obj.state_dict())
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


def load(obj: Module | Stateful, path: str | os.PathLike) -> Module | Stateful:
    """Load the state saved by `save` into `obj` (a Module, an optimizer, a scheduler), all or
    nothing, and return it.

    Raises ValueError naming the path and the reason for a file that is empty, truncated,
    damaged, not an .npz archive, or holds pickled objects (which are never unpickled), and
    KeyError/ValueError naming the entry for a missing, unexpected, non-numeric or mis-shaped
    one; `obj` is then unchanged. Values are cast to each parameter's dtype. An optimizer's
    file is checked by its `load_state_dict` (groups, hyperparameters, state entries, shapes).
    """
    if not isinstance(obj, Module):
        _check_stateful(obj, "nn.load")
    where = repr(os.fspath(path))
    with open(path, "rb") as file, _open_archive(file, where) as archive:
        entries = _read_headers(archive, where)
        if isinstance(obj, Module):
            _check_against(obj.state_dict(), entries, where)
        else:
            _check_stored(entries, os.fstat(file.fileno()).st_size, where)
        state = {name: _read_data(archive, name, entry, where) for name, entry in entries.items()}
    if isinstance(obj, Module):
        obj.load_state_dict(state)
        return obj
    nested = unflatten_state(state, obj.state_dict(), where)
    try:
        obj.load_state_dict(nested)
    except (KeyError, ValueError, TypeError) as error:
        raise type(error)(f"{where}: {error.args[0]}") from None
    return obj


def _check_stateful(obj: Any, caller: str) -> None:
    if not (callable(getattr(obj, "state_dict", None))
            and callable(getattr(obj, "load_state_dict", None))):
        raise TypeError(f"{caller} keeps the state of a Module, an optimizer or a scheduler "
                        f"(an object with state_dict() and load_state_dict()), got "
                        f"{type(obj).__name__}")


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
    except (ValueError, SyntaxError, tokenize.TokenError) as error:  # numpy parses the header
        # as a Python literal: a crafted one can fail in its tokenizer
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


def _check_stored(entries: dict[str, _Entry], file_size: int, where: str) -> None:
    """Every entry must be stored uncompressed, within the file: reading it then allocates no
    more than the file holds (a compressed entry may expand to any size)."""
    for name, entry in entries.items():
        info = entry.info
        if info.compress_type != zipfile.ZIP_STORED:
            raise ValueError(f"{where}: entry {name!r} is compressed; nn.load reads an "
                             f"optimizer's state only from uncompressed entries, as nn.save "
                             f"writes them")
        if info.compress_size != info.file_size or info.compress_size > file_size:
            raise ValueError(f"{where}: entry {name!r} is damaged: it claims {info.file_size} "
                             f"bytes, stored in {info.compress_size}, in a file of {file_size}")


# -- nested state <-> named arrays -------------------------------------------------------------

def flatten_state(state: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """A nested state_dict (dicts, lists of dicts, numbers, lists of numbers, arrays) as one
    numeric array per leaf, named by its path: {"state": {0: {"step": 3}}} -> {"state/0/step":
    array(3)}. See the module docstring for the encoding."""
    flat: dict[str, np.ndarray] = {}
    _flatten_into(flat, "", state)
    return flat


def _flatten_into(flat: dict[str, np.ndarray], name: str, value: Any) -> None:
    if isinstance(value, Mapping):
        items = [(_segment(key, name), item) for key, item in value.items()]
    elif isinstance(value, (list, tuple)) and value and all(
            isinstance(item, (Mapping, list, tuple)) for item in value):
        items = [(str(index), item) for index, item in enumerate(value)]
    else:
        flat[name] = _leaf(value, name)
        return
    if not items and name:
        flat[name] = np.zeros(0, dtype=np.int64)  # an empty dict: kept, so load rebuilds it
    for segment, item in items:
        _flatten_into(flat, f"{name}/{segment}" if name else segment, item)


def _segment(key: Any, name: str) -> str:
    """A dict key as a piece of an entry name: an int as its digits, a str as it is."""
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        return str(int(key))
    if isinstance(key, str) and key and "/" not in key and not (key.isascii() and key.isdigit()):
        return key
    raise ValueError(f"nn.save: the key {key!r} under {name or 'the state'!r} cannot name an "
                     f"entry: keys must be ints, or strs that are not digits and hold no '/'")


_NUMBER = (bool, int, float, np.bool_, np.integer, np.floating)


def _leaf(value: Any, name: str) -> np.ndarray:
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiub":
        return value.astype(np.uint8) if value.dtype.kind == "b" else value
    if isinstance(value, _NUMBER):
        return _numbers([value]).reshape(())
    if isinstance(value, (list, tuple)) and all(isinstance(item, _NUMBER) for item in value):
        return _numbers(value)
    raise ValueError(f"nn.save: entry {name!r} is {value!r}, which an .npz archive without "
                     f"pickle cannot hold; it keeps numbers, lists of numbers and numeric arrays")


def _numbers(values: list | tuple) -> np.ndarray:
    """Bools as uint8, ints as int64, all as float64 as soon as one is a float."""
    if values and all(isinstance(v, (bool, np.bool_)) for v in values):
        return np.array(values, dtype=np.uint8)
    if any(isinstance(v, (float, np.floating)) for v in values):
        return np.array(values, dtype=np.float64)
    return np.array(values, dtype=np.int64)


def unflatten_state(arrays: Mapping[str, np.ndarray], template: Any, where: str) -> Any:
    """Undo `flatten_state`: rebuild the nesting from the entry names, with a list wherever
    `template` (the object's own state_dict) has one, and int keys for numbered folders."""
    tree: dict[str, Any] = {}
    for name, array in arrays.items():
        *folders, last = name.split("/")
        node = tree
        for depth, folder in enumerate(folders):
            node = node.setdefault(folder, {})
            if not isinstance(node, dict):
                raise ValueError(f"{where}: entry {name!r} lies inside entry "
                                 f"{'/'.join(folders[:depth + 1])!r}, which is an array")
        if last in node:
            raise ValueError(f"{where}: entry {name!r} is both an array and a folder of entries")
        node[last] = array
    return _restore(tree, template, where, "")


def _restore(node: Any, template: Any, where: str, path: str) -> Any:
    if isinstance(node, np.ndarray):
        if node.shape == (0,) and isinstance(template, (Mapping, list)):
            return {} if isinstance(template, Mapping) else []
        return node
    if isinstance(template, list):
        numbers = [str(index) for index in range(len(node))]
        if sorted(node) != sorted(numbers):
            raise ValueError(f"{where}: the entries under {path!r} must be numbered 0 to "
                             f"{len(node) - 1}, found {sorted(node)}")
        return [_restore(node[number], template[index] if index < len(template) else None,
                         where, f"{path}/{number}") for index, number in enumerate(numbers)]
    result: dict[Any, Any] = {}
    for segment, child in node.items():
        key = int(segment) if segment.isascii() and segment.isdigit() else segment
        inner = template.get(key) if isinstance(template, Mapping) else None
        result[key] = _restore(child, inner, where, f"{path}/{segment}" if path else segment)
    return result
