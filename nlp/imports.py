"""Import spaCy's French language data without compiling its hyphenated-word regex until something calls it.

``edsnlp.language`` (the pipeline's language class, its tokenizer) imports ``spacy.lang.fr``, whose
``tokenizer_exceptions`` module compiles ``TOKEN_MATCH`` at import: one ``re`` pattern of ~100 alternatives over
spaCy's Unicode letter classes, 2.6–2.8 s of CPU, two thirds of loading the engine from its cache. Only spaCy's
own French tokenizer calls it; this pipeline tokenizes with ``FastEDSTokenizer``, which never does.

:func:`defer_french_token_match` makes that one module's ``re.compile`` return a :class:`DeferredPattern`: the
same pattern, compiled on first use, so ``TOKEN_MATCH`` keeps its behaviour (and ``TOKEN_MATCH.__self__.pattern``,
which spaCy serialises) for anyone who does tokenize French with spaCy in this process. The module's source is
spaCy's, run unchanged; only the ``re`` it imports differs.
"""

from __future__ import annotations

import builtins
import importlib.abc
import importlib.machinery
import re
import sys
import types

FRENCH_EXCEPTIONS = "spacy.lang.fr.tokenizer_exceptions"


class DeferredPattern:
    """``re.compile(pattern, flags)`` on first use; ``pattern`` is readable before."""

    def __init__(self, pattern: str, flags: int = 0):
        self.pattern = pattern
        self._flags = flags
        self._compiled: re.Pattern | None = None

    @property
    def compiled(self) -> bool:
        return self._compiled is not None

    def get(self) -> re.Pattern:
        if self._compiled is None:  # two threads may both compile: same result, re caches it
            self._compiled = re.compile(self.pattern, self._flags)
        return self._compiled

    @property
    def match(self) -> DeferredMatch:
        return DeferredMatch(self)

    def __getattr__(self, name: str):  # search, fullmatch, flags...: compiled now
        if name.startswith("_"):  # not set yet (copy, unpickling): never recurse into get()
            raise AttributeError(name)
        return getattr(self.get(), name)

    def __reduce__(self):
        return DeferredPattern, (self.pattern, self._flags)


class DeferredMatch:
    """``pattern.match`` of a :class:`DeferredPattern`; ``__self__`` is the compiled pattern, as for a bound method."""

    def __init__(self, deferred: DeferredPattern):
        self.deferred = deferred

    @property
    def __self__(self) -> re.Pattern:
        return self.deferred.get()

    def __call__(self, string: str, *args):
        return self.deferred.get().match(string, *args)

    def __reduce__(self):  # as a bound ``match`` pickles (a pickled French tokenizer carries it)
        return getattr, (self.deferred.get(), "match")


def _deferring_re() -> types.ModuleType:
    shim = types.ModuleType("re")
    shim.__dict__.update(vars(re))
    shim.compile = DeferredPattern
    return shim


class _DeferringLoader(importlib.machinery.SourceFileLoader):
    """spaCy's module, its own (cached) bytecode, run with ``import re`` giving the deferring ``re``."""

    def exec_module(self, module: types.ModuleType) -> None:
        code = self.get_code(module.__name__)
        shim = _deferring_re()

        def _import(name, globals=None, locals=None, fromlist=(), level=0):
            if name == "re" and level == 0:
                return shim
            return builtins.__import__(name, globals, locals, fromlist, level)

        module.__dict__["__builtins__"] = {**vars(builtins), "__import__": _import}
        try:
            exec(code, module.__dict__)
        finally:
            module.__dict__["__builtins__"] = builtins
            module.__dict__["re"] = re


class _DeferringFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != FRENCH_EXCEPTIONS:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if spec is None or type(spec.loader) is not importlib.machinery.SourceFileLoader:
            return spec  # not a plain source file (zip, frozen...): import it normally
        spec.loader = _DeferringLoader(spec.loader.name, spec.loader.path)
        return spec


_FINDER = _DeferringFinder()


def defer_french_token_match() -> None:
    """Install the deferral before spaCy's French data is first imported (idempotent; no effect once it is)."""
    if FRENCH_EXCEPTIONS not in sys.modules and _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
