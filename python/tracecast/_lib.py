"""ctypes binding of libtracecast's C API (api/include/tracecast.h): JSON requests in, JSON out."""
import ctypes
import ctypes.util
import glob
import json
import os

API_VERSION = 1


class Error(Exception):
    """A tracecast error: the library's one-line message (file, place and problem)."""


def _candidates():
    env = os.environ.get("TRACECAST_LIB")
    if env:
        yield env
    here = os.path.dirname(os.path.abspath(__file__))
    # installed beside the package, or the repository's meson build next to python/
    for pattern in (os.path.join(here, "libtracecast.so*"),
                    os.path.join(here, "..", "..", "build", "api", "libtracecast.so")):
        for p in sorted(glob.glob(pattern)):
            yield p
    found = ctypes.util.find_library("tracecast")
    if found:
        yield found


def _load():
    tried = []
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append(f"{path}: {e}")
            continue
        _declare(lib)
        if lib.tc_api_version() != API_VERSION:
            tried.append(f"{path}: API version {lib.tc_api_version()}, need {API_VERSION}")
            continue
        return lib
    raise Error("libtracecast not found (build it with meson, or set TRACECAST_LIB): "
                + "; ".join(tried or ["no candidate"]))


def _declare(lib):
    c_p = ctypes.c_void_p
    pp = ctypes.POINTER(ctypes.c_char_p)
    lib.tc_api_version.restype = ctypes.c_int
    lib.tc_api_library_version.restype = ctypes.c_char_p
    lib.tc_api_new.argtypes = [ctypes.POINTER(c_p), ctypes.c_char_p]
    lib.tc_api_free_ctx.argtypes = [c_p]
    lib.tc_api_error.argtypes = [c_p]
    lib.tc_api_error.restype = ctypes.c_char_p
    lib.tc_api_free.argtypes = [c_p]
    lib.tc_api_project.argtypes = [c_p, ctypes.c_char_p, ctypes.POINTER(c_p),
                                   ctypes.POINTER(c_p)]
    lib.tc_api_ingest.argtypes = [c_p, ctypes.c_char_p]
    lib.tc_api_chips.argtypes = [c_p, ctypes.POINTER(c_p)]
    lib.tc_api_query.argtypes = [c_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(c_p)]
    lib.tc_api_sweep.argtypes = [c_p, ctypes.c_char_p, PROGRESS, c_p, ctypes.POINTER(c_p)]
    del pp


# int (*)(void *user, uint64_t done, uint64_t total): non-zero cancels
PROGRESS = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint64)

_lib = None


def lib():
    global _lib
    if _lib is None:
        _lib = _load()
    return _lib


class Context:
    """One library context (not shared between threads)."""

    def __init__(self, specs=None):
        self._lib = lib()
        self._ctx = ctypes.c_void_p()
        if self._lib.tc_api_new(ctypes.byref(self._ctx),
                                specs.encode() if specs else None) != 0:
            raise Error("out of memory")

    def __del__(self):
        ctx, self._ctx = getattr(self, "_ctx", None), None
        if ctx and ctx.value:
            self._lib.tc_api_free_ctx(ctx)

    def _check(self, rc):
        if rc != 0:
            raise Error(self._lib.tc_api_error(self._ctx).decode(errors="replace"))

    def _take(self, ptr):
        if not ptr.value:
            return None
        try:
            return ctypes.string_at(ptr.value).decode()
        finally:
            self._lib.tc_api_free(ptr)

    def project(self, request):
        out, ops = ctypes.c_void_p(), ctypes.c_void_p()
        rc = self._lib.tc_api_project(self._ctx, json.dumps(request).encode(),
                                      ctypes.byref(out), ctypes.byref(ops))
        text, csv = self._take(out), self._take(ops)
        self._check(rc)
        return json.loads(text), csv

    def ingest(self, request):
        self._check(self._lib.tc_api_ingest(self._ctx, json.dumps(request).encode()))

    def chips(self):
        out = ctypes.c_void_p()
        rc = self._lib.tc_api_chips(self._ctx, ctypes.byref(out))
        text = self._take(out)
        self._check(rc)
        return json.loads(text)

    def query(self, db, sql):
        out = ctypes.c_void_p()
        rc = self._lib.tc_api_query(self._ctx, db.encode(), sql.encode(), ctypes.byref(out))
        text = self._take(out)
        self._check(rc)
        return json.loads(text)

    def sweep(self, request, progress=None):
        """tc_api_sweep; progress(done, total) runs on this thread, a true result cancels.
        An exception raised by progress cancels the sweep and is raised again here."""
        raised = []

        def call(_user, done, total):
            try:
                return 1 if progress(int(done), int(total)) else 0
            except BaseException as e:  # KeyboardInterrupt too: stop cleanly, then raise
                raised.append(e)
                return 1

        cb = PROGRESS(call) if progress else PROGRESS()
        out = ctypes.c_void_p()
        rc = self._lib.tc_api_sweep(self._ctx, json.dumps(request).encode(), cb, None,
                                    ctypes.byref(out))
        text = self._take(out)
        if raised:
            raise raised[0]
        self._check(rc)
        return json.loads(text)
