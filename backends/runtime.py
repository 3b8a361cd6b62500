"""JIT runtime: load a generated Kokkos library once, pass numpy arrays without copies, read results."""
from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import os
import threading
from dataclasses import dataclass
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from hpcir.core.arrays import DeviceArray, contiguity, share_memory
from hpcir.core.cache import verify_artifact
from hpcir.core.elf import elf_problem
from hpcir.core.errors import ArgumentError, HpcirError, check_error
from hpcir.core.targets import TARGETS
from hpcir.core.transfers import record

MAX_RANK = 8  # hpcir_view holds up to 8 extents/strides (Kokkos' maximum rank)
ERRLEN = 4096


class KernelExecutionError(HpcirError):
    """A generated kernel raised a C++ exception (its text is the message)."""


def _hint(text: str | None) -> str | None:
    """What to do about a C++ failure whose remedy is outside the kernel."""
    if text and "exceeds this execution space's maximum" in text:
        # Kokkos::OpenMP's largest team is its thread pool (it aborts above it): more threads lift the limit
        return ("a host team runs on the threads of the OpenMP pool: use AUTO, a smaller team, or start "
                "with more threads (HPCIR_NUM_THREADS=16 or OMP_NUM_THREADS=16, even above the core count)")
    return None


class HpcirView(ctypes.Structure):
    """`struct hpcir_view` of docs/IR.md (strides in elements)."""

    _fields_ = [("data", ctypes.c_void_p), ("rank", ctypes.c_int64),
                ("extents", ctypes.c_int64 * MAX_RANK), ("strides", ctypes.c_int64 * MAX_RANK)]


_CTYPES = {"float64": ctypes.c_double, "float32": ctypes.c_float, "int64": ctypes.c_int64,
           "int32": ctypes.c_int32, "int16": ctypes.c_int16, "int8": ctypes.c_int8, "bool": ctypes.c_bool,
           "uint64": ctypes.c_uint64, "uint32": ctypes.c_uint32, "uint16": ctypes.c_uint16, "uint8": ctypes.c_uint8}


@dataclass(frozen=True)
class Param:
    """One entry argument as described by the library's manifest."""

    name: str
    kind: str
    dtype: str
    rank: int
    layout: str
    space: str
    written: bool
    shape: tuple[int, ...] = ()  # static extents (-1: dynamic)


class Entry:
    """A callable C entry `hpcir_NAME` of a loaded module."""

    def __init__(self, lib: "KokkosModule", name: str, desc: dict[str, Any]):
        self.lib = lib
        self.name = name
        self.kind: str = desc["kind"]
        self.num_bounds: int = desc["num_bounds"]
        self.params = [Param(p["name"], p["kind"], p["dtype"], p["rank"], p["layout"], p["space"], p["written"],
                             tuple(p.get("shape", ())))
                       for p in desc["params"]]
        self.results: list[str] = list(desc["results"])
        self._fn = _c_function(lib.cdll, f"hpcir_{name}")
        # GPU modules also export hpcir_NAME_device, which takes device pointers (no staging copies),
        # and hpcir_NAME_stream, which also takes the stream to launch on (interop: XLA's, Torch's).
        self._device_fn = _c_function(lib.cdll, f"hpcir_{name}_device", missing_ok=True)
        self._stream_fn = _c_function(lib.cdll, f"hpcir_{name}_stream", missing_ok=True, stream=True)

    @property
    def address(self) -> int:
        """The address of the C entry (the one taking a stream first where the module has it)."""
        return ctypes.cast(self._stream_fn or self._fn, ctypes.c_void_p).value

    def __repr__(self) -> str:
        args = ", ".join(f"{p.name}: {p.dtype}{'[' + ','.join(':' * p.rank) + ']' if p.kind == 'view' else ''}"
                         for p in self.params)
        return f"<hpcir entry {self.lib.name}.{self.name}({args}) -> {self.results}>"

    def __call__(self, *args: Any, strict_layout: bool = True) -> Any:
        """Run the entry; returns None, one value, or a tuple of values."""
        if len(args) != len(self.params):
            raise ArgumentError(f"{self.name}() takes {len(self.params)} arguments "
                                f"({', '.join(p.name for p in self.params)}), got {len(args)}")
        if any(isinstance(a, DeviceArray) for a in args):
            return self._call_device(args)
        keep: list[Any] = []  # ctypes objects and arrays that must outlive the call
        ptrs = (ctypes.c_void_p * max(1, len(args)))()
        copies: list[tuple[np.ndarray, np.ndarray]] = []
        views: list[tuple[Param, np.ndarray]] = []
        for k, (p, a) in enumerate(zip(self.params, args)):
            if p.kind == "scalar":
                obj = _scalar(p, a, self.name)
            else:
                arr = _check_array(p, a, self.name)
                packed = _layout_ok(p, arr)
                if not packed:
                    if strict_layout:
                        raise ArgumentError(
                            f"{self.name}(): argument '{p.name}' has strides {arr.strides} that a "
                            f"Kokkos::Layout{p.layout.capitalize()} view cannot wrap without a copy",
                            hint=("pass np.ascontiguousarray(x)" if p.layout == "right" else
                                  "pass np.asfortranarray(x)") + ", or declare the view with a strided layout")
                    tmp = np.ascontiguousarray(arr) if p.layout == "right" else np.asfortranarray(arr)
                    if p.written:
                        copies.append((arr, tmp))
                    arr = tmp
                views.append((p, arr))
                obj = as_hpcir_view(arr)
                keep.append(arr)
            keep.append(obj)
            ptrs[k] = ctypes.cast(ctypes.pointer(obj), ctypes.c_void_p)
        _check_aliasing(self.name, views)
        _record_staging(self.lib.target, views, "host_to_device")
        out = self._invoke(self._fn, ptrs)
        _record_staging(self.lib.target, views, "device_to_host")
        for orig, tmp in copies:
            orig[...] = tmp
        return out

    def _call_device(self, args: tuple) -> Any:
        """Run the entry on GPU arrays in place: their device pointers go to hpcir_NAME_device."""
        if self._device_fn is None:
            raise ArgumentError(f"{self.name}(): device arrays need a module built for a GPU target; "
                                f"{self.lib.name} is built for {self.lib.target!r}",
                                hint="pass host (numpy) arrays, or build for target 'cuda' / 'hip'")
        keep: list[Any] = []
        ptrs = (ctypes.c_void_p * max(1, len(args)))()
        for k, (p, a) in enumerate(zip(self.params, args)):
            if p.kind == "scalar":
                obj: Any = _scalar(p, a, self.name)
            elif not isinstance(a, DeviceArray):
                raise ArgumentError(f"{self.name}(): argument '{p.name}' is a host array while others are device "
                                    "arrays", hint="pass every array of one call from the same memory")
            else:
                _check_device_array(p, a, self.name)
                obj = _device_view(a)
            keep.append(obj)
            ptrs[k] = ctypes.cast(ctypes.pointer(obj), ctypes.c_void_p)
        return self._invoke(self._device_fn, ptrs)

    def _invoke(self, fn: Any, ptrs: ctypes.Array) -> Any:
        results = (ctypes.c_uint64 * (2 * max(1, len(self.results))))()  # 16 bytes a result (complex128)
        err = ctypes.create_string_buffer(ERRLEN)
        # ctypes releases the GIL: serialize launches, Kokkos host backends are not re-entrant.
        with _CALL_LOCK:
            status = fn(ptrs, ctypes.cast(results, ctypes.c_void_p), err, ERRLEN)
        if status == 3:  # a run-time check in the kernel failed: a located error (KernelZeroDivisionError, ...)
            raise check_error(err.value.decode(errors="replace"))
        if status != 0:
            text = err.value.decode(errors="replace") or f"status {status}"
            raise KernelExecutionError(f"kernel {self.lib.name}.{self.name} failed: {text}", hint=_hint(text))
        out = [_read_result(results, k, dt) for k, dt in enumerate(self.results)]
        if not out:
            return None
        return out[0] if len(out) == 1 else tuple(out)


class PreparedCall:
    """An entry's argument block laid out once, for callers that launch one entry many times with
    arguments they have already checked (interop's per-call path): a call writes the scalars and the
    views' pointers, extents and strides into it and runs the entry, with no per-argument objects."""

    def __init__(self, entry: Entry, on_stream: bool = False, python_results: bool = False):
        self.entry = entry
        self.fn = entry._stream_fn if on_stream else (entry._device_fn or entry._fn)
        if on_stream and self.fn is None:
            raise HpcirError(f"entry {entry.name} of {entry.lib.name} takes no stream (built for {entry.lib.target!r})")
        self.on_stream = on_stream
        self.slots: list[Any] = []
        self.ptrs = (ctypes.c_void_p * max(1, len(entry.params)))()
        for k, p in enumerate(entry.params):
            if p.kind == "view":
                slot: Any = HpcirView()
                slot.rank = p.rank
            elif np.dtype(p.dtype).kind == "c":
                slot = (_CTYPES["float32" if p.dtype == "complex64" else "float64"] * 2)()
            else:
                slot = _CTYPES[p.dtype]()
            self.slots.append(slot)
            self.ptrs[k] = ctypes.addressof(slot)
        self.results = (ctypes.c_uint64 * (2 * max(1, len(entry.results))))()
        self.err = ctypes.create_string_buffer(ERRLEN)
        self.kinds = [(p.kind == "view", np.dtype(p.dtype).kind == "c") for p in entry.params]
        # python_results: read each result as a Python scalar straight from the block (what
        # hpcir.parallel_reduce returns), instead of a NumPy scalar through a bytes copy.
        self.readers = [_result_reader(self.results, k, dt) for k, dt in enumerate(entry.results)] \
            if python_results else None

    def __call__(self, values: list[Any], stream: int = 0) -> Any:
        """Run the entry: `values` has a number per scalar and (pointer, extents, strides in
        elements) per view, in entry order."""
        with _CALL_LOCK:  # the block is shared, and Kokkos host backends are not re-entrant
            for slot, (is_view, is_complex), v in zip(self.slots, self.kinds, values):
                if is_view:
                    slot.data, shape, strides = v
                    slot.extents[:len(shape)] = shape
                    slot.strides[:len(strides)] = strides
                elif is_complex:
                    slot[0], slot[1] = v.real, v.imag
                else:
                    slot.value = v
            if self.on_stream:
                status = self.fn(stream, self.ptrs, ctypes.addressof(self.results), self.err, ERRLEN)
            else:
                status = self.fn(self.ptrs, ctypes.addressof(self.results), self.err, ERRLEN)
            if status == 0:
                if self.readers is not None:
                    out = [read() for read in self.readers]
                else:
                    out = [_read_result(self.results, k, dt) for k, dt in enumerate(self.entry.results)]
                return None if not out else out[0] if len(out) == 1 else tuple(out)
            text = self.err.value.decode(errors="replace")
        if status == 3:
            raise check_error(text)
        raise KernelExecutionError(f"kernel {self.entry.lib.name}.{self.entry.name} failed: {text or f'status {status}'}",
                                   hint=_hint(text))


def _record_staging(target: str, views: list[tuple[Param, np.ndarray]], direction: str) -> None:
    """Count the copies the C entry of a GPU module makes of host arrays: each device view in
    before the kernel, each written one back after it (hpcir.transfer_stats)."""
    t = TARGETS.get(target)
    if t is None or t.runs_on_host:
        return
    for p, a in views:
        if p.space != "host" and (direction == "host_to_device" or p.written):
            record(direction, a.nbytes)


def _c_function(cdll: ctypes.CDLL, symbol: str, missing_ok: bool = False, stream: bool = False) -> Any:
    """The `int f([void* stream,] void** args, void* results, char* err, int errlen)` entry `symbol`."""
    try:
        fn = getattr(cdll, symbol)
    except AttributeError:
        if missing_ok:
            return None
        raise
    fn.argtypes = [ctypes.c_void_p] * stream + [ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p, ctypes.c_char_p,
                                                ctypes.c_int]
    fn.restype = ctypes.c_int
    return fn


def _check_device_array(p: Param, a: DeviceArray, fname: str) -> None:
    """A device array must match the entry's dtype, rank, static extents and layout exactly (no copies)."""
    if a.dtype != np.dtype(p.dtype) or a.ndim != p.rank:
        raise ArgumentError(f"{fname}(): argument '{p.name}' is {a.dtype}[{a.ndim}], the kernel expects "
                            f"{p.dtype}[{p.rank}]")
    for k, (want, got) in enumerate(zip(p.shape, a.shape)):
        if want >= 0 and want != got:
            raise ArgumentError(f"{fname}(): argument '{p.name}' has shape {a.shape}, the kernel expects extent "
                                f"{want} in dimension {k}")
    if p.written and a.readonly:
        raise ArgumentError(f"{fname}(): argument '{p.name}' is written by the kernel but the array is read-only")
    c, f = contiguity(a.shape, a.strides, a.itemsize)
    if any(s < 0 or s % a.itemsize for s in a.strides) or not (p.layout == "stride" or (c if p.layout == "right" else f)):
        raise ArgumentError(f"{fname}(): argument '{p.name}' has strides {a.strides} that a "
                            f"Kokkos::Layout{p.layout.capitalize()} view cannot wrap, and device arrays are not copied",
                            hint="pass a contiguous array in the layout the kernel was built for")


def _device_view(a: DeviceArray) -> HpcirView:
    """The C ABI descriptor of a device array (its device pointer; strides in elements)."""
    v = HpcirView()
    v.data = a.ptr
    v.rank = a.ndim
    for k in range(a.ndim):
        v.extents[k] = a.shape[k]
        v.strides[k] = a.strides[k] // a.itemsize
    return v


_INT_RANGE = {t: (int(np.iinfo(t).min), int(np.iinfo(t).max))
              for t in ("int64", "int32", "int16", "int8", "uint32", "uint16", "uint8")}


def _scalar(p: Param, a: Any, fname: str) -> Any:
    kind = np.dtype(p.dtype).kind
    if kind == "c":  # Kokkos::complex<T>: two Ts, the real part first (NumPy's layout)
        if not isinstance(a, (int, float, complex, np.number)) or isinstance(a, (bool, np.bool_)):
            raise ArgumentError(f"{fname}(): argument '{p.name}' must be a {p.dtype} scalar, got {type(a).__name__}")
        z = complex(a)
        return (_CTYPES["float32" if p.dtype == "complex64" else "float64"] * 2)(z.real, z.imag)
    ok = (isinstance(a, (bool, np.bool_)) if kind == "b" else
          isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_)) if kind == "i" else
          isinstance(a, (int, float, np.integer, np.floating)) and not isinstance(a, (bool, np.bool_)))
    if not ok:
        raise ArgumentError(f"{fname}(): argument '{p.name}' must be a {p.dtype} scalar, got {type(a).__name__}")
    if kind == "i":
        lo, hi = _INT_RANGE[p.dtype]
        if not lo <= int(a) <= hi:
            raise ArgumentError(f"{fname}(): argument '{p.name}'={a} does not fit in {p.dtype}")
    return _CTYPES[p.dtype](a)


def _check_array(p: Param, a: Any, fname: str) -> np.ndarray:
    if not isinstance(a, np.ndarray):
        raise ArgumentError(f"{fname}(): argument '{p.name}' must be a numpy array, got {type(a).__name__}",
                            hint="wrap it with np.asarray(...)")
    if a.dtype != np.dtype(p.dtype):
        raise ArgumentError(f"{fname}(): argument '{p.name}' has dtype {a.dtype}, the kernel expects {p.dtype}",
                            hint=f"pass {p.name}.astype(np.{p.dtype})")
    if a.ndim != p.rank:
        raise ArgumentError(f"{fname}(): argument '{p.name}' has {a.ndim} dimensions, the kernel expects {p.rank}")
    for k, (want, got) in enumerate(zip(p.shape, a.shape)):
        if want >= 0 and want != got:
            raise ArgumentError(f"{fname}(): argument '{p.name}' has shape {a.shape}, the kernel expects extent "
                                f"{want} in dimension {k}")
    if p.written and not a.flags.writeable:
        raise ArgumentError(f"{fname}(): argument '{p.name}' is written by the kernel but the array is read-only")
    if any(s < 0 for s in a.strides) or any(s % a.itemsize for s in a.strides):
        raise ArgumentError(f"{fname}(): argument '{p.name}' has negative or unaligned strides {a.strides}",
                            hint=f"pass np.ascontiguousarray({p.name})")
    return a


def _layout_ok(p: Param, a: np.ndarray) -> bool:
    if p.layout == "stride":
        return True
    return bool(a.flags.c_contiguous if p.layout == "right" else a.flags.f_contiguous)


def as_hpcir_view(a: np.ndarray) -> HpcirView:
    """The C ABI descriptor of a numpy array (pointer, extents, strides in elements); no copy."""
    v = HpcirView()
    v.data = a.ctypes.data
    v.rank = a.ndim
    for k in range(a.ndim):
        v.extents[k] = a.shape[k]
        v.strides[k] = a.strides[k] // a.itemsize
    return v


def _check_aliasing(fname: str, views: list[tuple[Param, np.ndarray]]) -> None:
    """A written view must not overlap another view argument (Kokkos kernels assume no aliasing)."""
    for i, (p, a) in enumerate(views):
        if not p.written:
            continue
        for j, (q, b) in enumerate(views):
            if i != j and share_memory(a, b):  # exact: interleaved strided views are disjoint
                raise ArgumentError(f"{fname}(): arguments '{p.name}' and '{q.name}' overlap in memory and "
                                    f"'{p.name}' is written", hint=f"pass a copy: {q.name}.copy()")


def _result_reader(buf: ctypes.Array, k: int, dtype: str) -> Any:
    """A function returning result `k` of `buf` as a Python scalar (as `_read_result(...).item()`)."""
    if np.dtype(dtype).kind == "c":
        pair = (_CTYPES["float32" if dtype == "complex64" else "float64"] * 2).from_buffer(buf, 16 * k)
        return lambda: complex(pair[0], pair[1])
    cell = _CTYPES[dtype].from_buffer(buf, 16 * k)
    return lambda: cell.value


def _read_result(buf: ctypes.Array, k: int, dtype: str) -> Any:
    raw = bytes(memoryview(buf).cast("B")[16 * k: 16 * k + 16])
    return np.frombuffer(raw[: np.dtype(dtype).itemsize], dtype=dtype)[0]


class KokkosModule:
    """A loaded generated library: its manifest and one `Entry` per C entry."""

    def __init__(self, path: Path):
        self.path = path
        self.cdll = ctypes.CDLL(str(path))
        self.cdll.hpcir_manifest.restype = ctypes.c_char_p
        self.cdll.hpcir_manifest.argtypes = []
        manifest = json.loads(self.cdll.hpcir_manifest().decode())
        self.name: str = manifest["module"]
        self.target: str = manifest["target"]
        self.entries = {n: Entry(self, n, d) for n, d in manifest["entries"].items()}
        _initialize(self.cdll)

    def __getattr__(self, name: str) -> Entry:
        entries = self.__dict__.get("entries", {})
        if name in entries:
            return entries[name]
        raise AttributeError(f"module {self.__dict__.get('name')!r} has no entry {name!r} "
                             f"(entries: {', '.join(entries)})")

    def __getitem__(self, name: str) -> Entry:
        return self.entries[name]


_LOCK = threading.Lock()
_CALL_LOCK = threading.RLock()
_LOADED: dict[str, KokkosModule] = {}


def openmp_defaults(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The OpenMP variables hpcir sets before the OpenMP runtime starts, given `env` (default: this
    process's environment): only those the user left unset (docs/threads.md). The generated
    executables apply the same rules (hpcir::apply_openmp_defaults in hpcir_prelude.hpp).

    - OMP_PROC_BIND=false (true when OMP_PLACES is set, which is what libgomp does then): no
      pinning on a shared machine, and no Kokkos warning about OMP_PROC_BIND being unset;
    - OMP_WAIT_POLICY=passive unless OMP_WAIT_POLICY or GOMP_SPINCOUNT is set: idle OpenMP threads
      sleep instead of spinning; on a loaded machine a spinning thread that the OS preempted delays
      the next small launch by a scheduler time slice (benchmarks/RESULTS.md, "Threads and OpenMP
      defaults").

    HPCIR_OMP_DEFAULTS=0 (or false/off/no) turns them off.
    """
    env = os.environ if env is None else env
    if env.get("HPCIR_OMP_DEFAULTS", "").strip().lower() in ("0", "false", "off", "no"):
        return {}
    out: dict[str, str] = {}
    if "OMP_PROC_BIND" not in env:
        out["OMP_PROC_BIND"] = "true" if "OMP_PLACES" in env else "false"
    if "OMP_WAIT_POLICY" not in env and "GOMP_SPINCOUNT" not in env:
        out["OMP_WAIT_POLICY"] = "passive"
    return out


def _openmp_runtime_loaded() -> bool:
    """Whether the system's OpenMP runtime (libgomp, libomp, libiomp5) is mapped into this process
    already (the private copies Python wheels bundle, e.g. torch's libgomp-<hash>.so, are other
    libraries with their own settings)."""
    try:
        with open("/proc/self/maps") as f:
            return any(lib in line for line in f for lib in ("/libgomp.so", "/libomp.so", "/libiomp5.so"))
    except OSError:
        return False


_OPENMP_APPLIED: dict[str, Any] | None = None


def openmp_applied() -> dict[str, Any] | None:
    """What the process's first module load did (None before it): {"set": the variables hpcir set
    for it, "openmp_already_loaded": whether an OpenMP runtime was loaded before, in which case the
    defaults came too late for that runtime (it read its environment when it was loaded)}."""
    return None if _OPENMP_APPLIED is None else {"set": dict(_OPENMP_APPLIED["set"]),
                                                 "openmp_already_loaded": _OPENMP_APPLIED["openmp_already_loaded"]}


@contextlib.contextmanager
def _openmp_environment() -> Iterator[None]:
    """Set hpcir's OpenMP defaults while a module library (and with it the OpenMP runtime, which
    reads its environment once, when it is loaded) is loaded and Kokkos initialized, then give the
    process its environment back (OpenMP runtimes loaded later, e.g. torch's, see the user's)."""
    global _OPENMP_APPLIED
    defaults = openmp_defaults()
    if _OPENMP_APPLIED is None:
        _OPENMP_APPLIED = {"set": dict(defaults), "openmp_already_loaded": _openmp_runtime_loaded()}
    for var, value in defaults.items():
        os.environ[var] = value
    try:
        yield
    finally:
        for var in defaults:
            os.environ.pop(var, None)


def _num_threads() -> int:
    for var in ("HPCIR_NUM_THREADS", "OMP_NUM_THREADS"):
        val = os.environ.get(var, "")
        if val.isdigit() and int(val) > 0:
            return int(val)
    return -1


def _initialize(cdll: ctypes.CDLL) -> None:
    """Initialize the Kokkos this library uses, unless another module already did it (shared Kokkos)."""
    cdll.hpcir_initialize.argtypes = [ctypes.c_int]
    cdll.hpcir_initialize.restype = ctypes.c_int
    status = cdll.hpcir_initialize(_num_threads())
    if status < 0:
        cdll.hpcir_init_error.restype = ctypes.c_char_p
        text = cdll.hpcir_init_error().decode(errors="replace")
        raise KernelExecutionError(f"Kokkos::initialize failed: {text}",
                                   hint="check HPCIR_NUM_THREADS / OMP_NUM_THREADS and the Kokkos install")
    if status == 1:
        # This library initialized its Kokkos: it finalizes it at interpreter exit.
        cdll.hpcir_finalize.restype = None
        atexit.register(cdll.hpcir_finalize)


def load_module(path: str | os.PathLike[str]) -> KokkosModule:
    """Load a built module library once per process (later calls return the same object)."""
    key = str(Path(path).resolve())
    with _LOCK:
        mod = _LOADED.get(key)
        if mod is None:
            if not Path(key).exists():
                raise HpcirError(f"generated library {key} does not exist", hint="build the module first")
            # Before dlopen: a truncated library would crash the process (SIGBUS), and one that
            # differs from what the cache recorded is another module's or damaged.
            problem = elf_problem(Path(key)) or verify_artifact(Path(key))
            if problem:
                raise HpcirError(f"refusing to load {key}: {problem}",
                                 hint="build the module again (hpcir rebuilds a damaged cache entry on the next "
                                      "build; `hpcir cache clean` removes it)")
            with _openmp_environment():
                mod = KokkosModule(Path(key))
            _LOADED[key] = mod
        return mod
