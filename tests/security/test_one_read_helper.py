"""R21: one way to record an audited read of case records (issue 16 #2): the doors of
`cases.access` and its `record_case_reads`; no other module calls `audit.reads` itself."""

import ast
from pathlib import Path

ENGAGE = Path(__file__).resolve().parents[2] / "engage"
# The helper itself, and the middleware that writes what it noted (installed in settings).
ALLOWED = {"audit/reads.py", "cases/access.py"}


def _imports_reads(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "engage.audit.reads"
            and any(alias.name != "ReadAuditMiddleware" for alias in node.names)
        ):
            return True
        if isinstance(node, ast.Import) and any(a.name == "engage.audit.reads" for a in node.names):
            return True
    return False


def test_only_cases_access_records_reads_of_case_records():
    found = sorted(
        str(path.relative_to(ENGAGE))
        for path in ENGAGE.rglob("*.py")
        if "migrations" not in path.parts and _imports_reads(path)
    )
    assert [path for path in found if path not in ALLOWED] == []
