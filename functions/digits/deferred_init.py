"""Register a package whose ``__init__`` runs only when a name it defines is first used.

Werkzeug's ``__init__`` imports its development server (``werkzeug.serving``, and with it
``http.server`` and ``socketserver``) and its test client, only to re-export ``run_simple`` and
``Client``; importing ``werkzeug.wrappers`` runs that ``__init__`` first. The Lambda handler uses
neither, so its cold start need not import them. ``defer("werkzeug")``, before anything imports
Werkzeug, puts the package in ``sys.modules`` with its path set and nothing run: its modules
import as usual, and the first other name looked up on the package itself (``from werkzeug import
run_simple``, as Flask's command line does) runs the ``__init__`` then, so nothing is missing.
"""

from __future__ import annotations

import importlib.util
import sys


def defer(name: str) -> None:
    """Register package ``name`` without running its ``__init__`` (nothing if already imported)."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        raise ImportError(f"{name} is not an installed package")
    package = importlib.util.module_from_spec(spec)

    def run_init(attribute: str):
        # A module's __getattr__ is asked only for names it lacks. A submodule's name is imported
        # (``from .. import exceptions`` inside the package asks for it so); any other name runs
        # the __init__ once, which defines it or not.
        if importlib.util.find_spec(f"{name}.{attribute}") is not None:
            return importlib.import_module(f"{name}.{attribute}")
        del package.__getattr__
        spec.loader.exec_module(package)
        return getattr(package, attribute)

    package.__getattr__ = run_init
    sys.modules[name] = package
