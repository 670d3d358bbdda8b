"""A package registered by digits.deferred_init: its modules import without its __init__, and the
names only the __init__ defines still arrive on first use. Each case runs in a fresh interpreter,
since sys.modules is the process's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


def run(code: str) -> dict:
    """Run ``code`` in a fresh interpreter with functions/ on its path; return what it prints."""
    prelude = f"import json, sys\nsys.path.insert(0, {str(FUNCTIONS)!r})\n"
    done = subprocess.run(
        [sys.executable, "-c", prelude + code], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_the_handlers_werkzeug_modules_import_without_the_development_server():
    loaded = run(
        "from digits.deferred_init import defer\n"
        "defer('werkzeug')\n"
        "from werkzeug.wrappers import Request, Response\n"
        "from werkzeug.routing import Map, Rule\n"
        "from werkzeug.exceptions import HTTPException\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('werkzeug', 'http.')))))"
    )
    assert "werkzeug.wrappers" in loaded
    assert "werkzeug.routing" in loaded
    assert not {"werkzeug.serving", "werkzeug.test", "http.server"} & set(loaded)


def test_the_model_loads_with_joblibs_loader_alone():
    loaded = run(
        "from digits.deferred_init import defer\n"
        "defer('joblib')\n"
        "from digits.classifier.inference import load_model\n"
        "from digits.config import DEFAULT_MODEL_PATH\n"
        "model = load_model(DEFAULT_MODEL_PATH)\n"
        "print(json.dumps({'version': model.version, 'modules': sorted(sys.modules)}))"
    )
    assert loaded["version"]
    assert "joblib.numpy_pickle" in loaded["modules"]
    assert not {"joblib.parallel", "joblib.memory", "asyncio"} & set(loaded["modules"])


def test_a_name_of_the_init_runs_it_on_first_use_so_flask_still_imports():
    found = run(
        "from digits.deferred_init import defer\n"
        "defer('werkzeug')\n"
        "from werkzeug.wrappers import Request\n"
        "before = 'werkzeug.serving' in sys.modules\n"
        "from werkzeug import Client, run_simple\n"
        "import flask  # its command line does `from werkzeug import run_simple`\n"
        "import werkzeug\n"
        "print(json.dumps({'before': before, 'after': 'werkzeug.serving' in sys.modules,\n"
        "    'run_simple': run_simple.__module__, 'Request': werkzeug.Request is Request}))"
    )
    assert found == {
        "before": False,
        "after": True,
        "run_simple": "werkzeug.serving",
        "Request": True,
    }


def test_a_package_already_imported_is_left_as_it_is():
    found = run(
        "import werkzeug\n"
        "from digits.deferred_init import defer\n"
        "defer('werkzeug')\n"
        "print(json.dumps(sys.modules['werkzeug'] is werkzeug and hasattr(werkzeug, 'Client')))"
    )
    assert found is True


def test_only_a_package_can_be_deferred():
    refused = run(
        "from digits.deferred_init import defer\n"
        "assert 'wave' not in sys.modules\n"
        "messages = []\n"
        "for name in ('no_such_package_here', 'wave'):  # wave: a module, not a package\n"
        "    try:\n"
        "        defer(name)\n"
        "    except ImportError as error:\n"
        "        messages.append(str(error))\n"
        "print(json.dumps(messages))"
    )
    assert refused == [
        "no_such_package_here is not an installed package",
        "wave is not an installed package",
    ]
