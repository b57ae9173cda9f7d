"""One way for a view to call a service (issue 16 #2): `lib.forms.run_service` shows a service's
`ValidationError` next to its field, or as a message, and a concurrent edit at the top of the
form. No views module catches either exception itself."""

import ast
from pathlib import Path

ENGAGE = Path(__file__).resolve().parents[2] / "engage"
CAUGHT_BY_THE_HELPER = {"ValidationError", "ConcurrentEditError"}
ALLOWED = {
    # The offline app's device registration is JSON for the service worker, not a form: a
    # refusal (offline work not allowed to this person) is a 404, never a message to show.
    ("offline/views.py", "key"),
}


def _views_modules() -> list[Path]:
    return sorted(
        path
        for path in ENGAGE.rglob("*.py")
        if "migrations" not in path.parts
        and (path.name == "views.py" or path.name.endswith("_views.py") or "views" in path.parts)
    )


def _names(node: ast.expr | None) -> set[str]:
    """The exception names an `except` clause catches: `ValidationError`, `x.ValidationError`,
    or a tuple of them."""
    if isinstance(node, ast.Tuple):
        return set().union(*(_names(item) for item in node.elts))
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, ast.Attribute):
        return {node.attr}
    return set()


def _catches(path: Path, root: Path = ENGAGE) -> list[tuple[str, str]]:
    """(module, function) of every `except` in `path` that catches what run_service catches."""
    found = []
    module = str(path.relative_to(root))
    for function in ast.walk(ast.parse(path.read_text())):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ExceptHandler) and _names(node.type) & CAUGHT_BY_THE_HELPER:
                found.append((module, function.name))
    return found


def test_the_check_finds_a_view_catching_a_refusal(tmp_path):
    view = tmp_path / "views.py"
    view.write_text(
        "def save(request):\n"
        "    try:\n"
        "        services.save()\n"
        "    except (KeyError, forms.ValidationError) as error:\n"
        "        apply_validation_error(form, error)\n"
        "    except ConcurrentEditError:\n"
        "        form.add_conflict_error()\n"
    )
    assert _catches(view, tmp_path) == [("views.py", "save"), ("views.py", "save")]


def test_no_views_module_catches_a_service_refusal_itself():
    modules = _views_modules()
    assert any(path.name == "views.py" and path.parent.name == "cases" for path in modules)
    found = {catch for path in modules for catch in _catches(path)}
    assert sorted(found - ALLOWED) == [], "call the service through lib.forms.run_service"
