"""Small modules with one idea each: a product module over ~300 lines, or a function over ~60,
says why in its docstring (a paragraph starting `Size:`)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("services", "plumbing", "cli", "contracts")
MODULE_LINES, FUNCTION_LINES = 310, 62


def sources() -> list[Path]:
    return sorted(p for top in PRODUCT for p in (ROOT / top).rglob("*.py"))


def test_a_long_module_says_why() -> None:
    unexplained = []
    for path in sources():
        text = path.read_text()
        if text.count("\n") > MODULE_LINES and "Size:" not in (ast.get_docstring(ast.parse(text)) or ""):
            unexplained.append(f"{path.relative_to(ROOT)}: {text.count(chr(10))} lines")
    assert unexplained == []


def test_a_long_function_says_why() -> None:
    unexplained = []
    for path in sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > FUNCTION_LINES and "Size:" not in (ast.get_docstring(node) or ""):
                    unexplained.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {length} lines")
    assert unexplained == []
