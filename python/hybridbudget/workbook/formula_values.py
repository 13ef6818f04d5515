"""The values of the formulas we write, as Excel would have saved them (cached values).

openpyxl writes a formula cell with an empty value, so a file nobody has recalculated (an e-mail
preview, Protected View, a reader that does not calculate) shows blanks. We work the value out
ourselves and write it into the cell's `<v>`; Excel still recalculates on load (`fullCalcOnLoad`).

`evaluate` computes every formula of a sheet from the values written around it, with Excel's
semantics for the functions our workbooks use (ROUND half away from zero as `money.round_to`,
SUM, IF, AND, ABS, LEN, TRIM, IFERROR, INDEX, MATCH exact, `&`, comparisons, errors). Formulas
are compiled once per text. `with_cached_values` puts the values into a worksheet part as Excel
writes them (a number, `t="str"` text, `t="b"` boolean, `t="e"` error).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.utils.cell import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import to_excel

from ..engine.money import round_to
from .fileio import atomic_save


class XLError(Exception):
    """An Excel error value (#VALUE!, #DIV/0!, #N/A, #REF!)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


Cell = tuple[str, int, int]  # sheet, row, column
Env = Callable[[Cell], Any]
Node = Callable[[Env], Any]

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)"
    r"|(?P<str>\"(?:[^\"]|\"\")*\")"
    r"|(?P<ref>(?:(?:'(?:[^']|'')+'|[A-Za-z_][\w.]*)!)?\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?)"
    r"|(?P<name>[A-Za-z_][\w.]*)"
    r"|(?P<op><>|<=|>=|[-+*/&=<>(),:]))"
)
_CELL = re.compile(r"\$?([A-Z]{1,3})\$?(\d+)")


def _tokens(text: str) -> list[tuple[str, str]]:
    out, at = [], 0
    text = text.rstrip()
    while at < len(text):
        m = _TOKEN.match(text, at)
        if not m or m.end() == at:
            raise ValueError(f"cannot read formula at {text[at:]!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        at = m.end()
    return out


def _number(v: Any) -> float:
    """A value in arithmetic: blank is 0, booleans 1/0, numeric text its number, else #VALUE!."""
    if isinstance(v, XLError):
        raise v
    if v is None:
        return 0.0
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, int | float):
        return float(v)
    try:
        return float(str(v).strip())
    except ValueError:
        raise XLError("#VALUE!") from None


def _text(v: Any) -> str:
    if isinstance(v, XLError):
        raise v
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return format(v, ".15g") if not v.is_integer() else str(int(v))
    return str(v)


def _compare(op: str, a: Any, b: Any) -> bool:
    for v in (a, b):
        if isinstance(v, XLError):
            raise v
    a = 0.0 if a is None and isinstance(b, int | float) else "" if a is None else a
    b = 0.0 if b is None and isinstance(a, int | float) else "" if b is None else b
    if isinstance(a, str) and isinstance(b, str):
        a, b = a.lower(), b.lower()
    elif isinstance(a, str) != isinstance(b, str):  # Excel: any text is greater than numbers
        a, b = (1, 0) if isinstance(a, str) else (0, 1)
    return {"=": a == b, "<>": a != b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]


class _Range:
    def __init__(self, sheet: str, r0: int, c0: int, r1: int, c1: int) -> None:
        self.sheet, self.cells = sheet, [(r, c) for r in range(r0, r1 + 1)
                                         for c in range(c0, c1 + 1)]  # fmt: skip

    def values(self, env: Env) -> list[Any]:
        return [env((self.sheet, r, c)) for r, c in self.cells]


def _split_ref(text: str, sheet: str) -> tuple[str, str]:
    if "!" in text:
        where, text = text.rsplit("!", 1)
        sheet = where[1:-1].replace("''", "'") if where.startswith("'") else where
    return sheet, text


def _cell_of(text: str) -> tuple[int, int]:
    m = _CELL.fullmatch(text)
    if not m:
        raise ValueError(text)
    return int(m.group(2)), column_index_from_string(m.group(1))


def _round(args: list[Any]) -> float:
    return round_to(_number(args[0]), int(_number(args[1])))


def _sum(args: list[Any]) -> float:
    total = 0.0
    for a in args:
        for v in a if isinstance(a, list) else [a]:
            if isinstance(v, XLError):
                raise v
            if isinstance(v, int | float) and not isinstance(v, bool):
                total += v
    return total


def _index(args: list[Any]) -> Any:
    values, n = args[0], int(_number(args[1]))
    if not 1 <= n <= len(values):
        raise XLError("#REF!")
    value = values[n - 1]
    if isinstance(value, XLError):
        raise value
    return 0.0 if value is None else value


def _match(args: list[Any]) -> float:
    for i, v in enumerate(args[1], start=1):
        if v is not None and not isinstance(v, XLError) and _compare("=", args[0], v):
            return float(i)
    raise XLError("#N/A")


_FUNCTIONS: dict[str, Callable[[list[Any]], Any]] = {
    "ROUND": _round,
    "SUM": _sum,
    "ABS": lambda a: abs(_number(a[0])),
    "AND": lambda a: all(_number(x) != 0 for x in a),
    "LEN": lambda a: float(len(_text(a[0]))),
    "TRIM": lambda a: " ".join(_text(a[0]).split()),
    "INDEX": _index,
    "MATCH": _match,
}


class _Parser:
    def __init__(self, text: str, sheet: str) -> None:
        self.tokens, self.at, self.sheet = _tokens(text), 0, sheet

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.at] if self.at < len(self.tokens) else ("", "")

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if value is not None and token[1] != value:
            raise ValueError(f"expected {value!r}, found {token[1]!r}")
        self.at += 1
        return token

    def parse(self) -> Node:
        node = self.comparison()
        if self.at != len(self.tokens):
            raise ValueError(f"unexpected {self.peek()[1]!r}")
        return node

    def _binary(self, ops: set[str], lower: Callable[[], Node], apply) -> Node:
        node = lower()
        while self.peek()[0] == "op" and self.peek()[1] in ops:
            op = self.take()[1]
            right = lower()
            node = (lambda a, b, o: lambda env: apply(o, a(env), b(env)))(node, right, op)
        return node

    def comparison(self) -> Node:
        return self._binary({"=", "<>", "<", ">", "<=", ">="}, self.concat, _compare)

    def concat(self) -> Node:
        return self._binary({"&"}, self.additive, lambda _o, a, b: _text(a) + _text(b))

    def additive(self) -> Node:
        return self._binary({"+", "-"}, self.term, _arith)

    def term(self) -> Node:
        return self._binary({"*", "/"}, self.unary, _arith)

    def unary(self) -> Node:
        if self.peek() in (("op", "-"), ("op", "+")):
            sign = -1.0 if self.take()[1] == "-" else 1.0
            inner = self.unary()
            return lambda env: sign * _number(inner(env))
        return self.primary()

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "num":
            number = float(value)
            return lambda env: number
        if kind == "str":
            text = value[1:-1].replace('""', '"')
            return lambda env: text
        if kind == "ref":
            return self.reference(value)
        if kind == "name" and value.upper() in ("TRUE", "FALSE") and self.peek()[1] != "(":
            truth = value.upper() == "TRUE"
            return lambda env: truth
        if kind == "name":
            return self.call(value.upper())
        if value == "(":
            node = self.comparison()
            self.take(")")
            return node
        raise ValueError(f"unexpected {value!r}")

    def reference(self, text: str) -> Node:
        sheet, text = _split_ref(text, self.sheet)
        if ":" in text:
            first, last = text.split(":")
            (r0, c0), (r1, c1) = _cell_of(first), _cell_of(last)
            rng = _Range(sheet, r0, c0, r1, c1)
            return lambda env: rng.values(env)
        cell = (sheet, *_cell_of(text))
        return lambda env: env(cell)

    def call(self, name: str) -> Node:
        self.take("(")
        args: list[Node] = []
        while self.peek()[1] != ")":
            args.append(self.comparison())
            if self.peek()[1] == ",":
                self.take(",")
        self.take(")")
        if name == "IF":
            test, yes, *no = args

            def if_(env: Env) -> Any:
                chosen = yes if _number(test(env)) != 0 else (no[0] if no else (lambda e: False))
                return chosen(env)

            return if_
        if name == "IFERROR":
            value, fallback = args

            def iferror(env: Env) -> Any:
                try:
                    result = value(env)
                    if isinstance(result, XLError):
                        raise result
                    return result
                except XLError:
                    return fallback(env)

            return iferror
        function = _FUNCTIONS[name]  # an unknown function is a defect in our own formulas
        return lambda env: function([a(env) for a in args])


def _arith(op: str, a: Any, b: Any) -> float:
    x, y = _number(a), _number(b)
    if op == "/":
        if y == 0:
            raise XLError("#DIV/0!")
        return x / y
    return {"+": x + y, "-": x - y, "*": x * y}[op]


@cache
def compile_formula(formula: str, sheet: str) -> Node:
    """A formula ("=...") as a function of the cell values (compiled once per text and sheet)."""
    return _Parser(formula.lstrip("="), sheet).parse()


def evaluate(formulas: Mapping[Cell, str], values: Mapping[Cell, Any]) -> dict[Cell, Any]:
    """The value of every formula cell (an `XLError` where Excel would show an error)."""
    done: dict[Cell, Any] = {}
    busy: set[Cell] = set()

    def env(cell: Cell) -> Any:
        if cell in done:
            result = done[cell]
        elif cell in formulas:
            if cell in busy:
                raise XLError("#REF!")  # a circular reference: none in our layouts
            busy.add(cell)
            try:
                result = compile_formula(formulas[cell], cell[0])(env)
            except XLError as exc:
                result = exc
            busy.discard(cell)
            done[cell] = result = 0.0 if result is None else result
        else:
            return values.get(cell)
        if isinstance(result, XLError):
            raise result
        return result

    for cell in formulas:
        with contextlib.suppress(XLError):  # kept in `done` as the cell's error value
            env(cell)
    return done


def cached_cell(start: str, formula_xml: str, value: Any) -> str:
    """A formula cell with its cached value (`start` is its start tag without `t`)."""
    if isinstance(value, XLError):
        kind, text = ' t="e"', value.code
    elif isinstance(value, bool):
        kind, text = ' t="b"', "1" if value else "0"
    elif isinstance(value, int | float):
        if not math.isfinite(value):
            kind, text = ' t="e"', "#NUM!"
        else:
            kind, text = (
                "",
                repr(float(value)) if not float(value).is_integer() else str(int(value)),
            )
    else:
        kind, text = ' t="str"', _escape(str(value))
    return f"{start[:-1]}{kind}>{formula_xml}<v>{text}</v></c>"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_FORMULA_CELL = re.compile(
    r'(<c r="([A-Z]{1,3}\d+)"[^>]*?)(?: t="[a-z]+")?>(<f>[^<]*</f>)<v\s*/?>(?:</v>)?</c>'
)


def with_cached_values(xml: str, values: Mapping[str, Any]) -> str:
    """A worksheet part with the cached value of each formula cell named in `values`."""

    def fill(m: re.Match[str]) -> str:
        coord = m.group(2)
        if coord not in values:
            return m.group(0)
        return cached_cell(m.group(1) + ">", m.group(3), values[coord])

    return _FORMULA_CELL.sub(fill, xml)


def coordinate(cell: Cell) -> str:
    return f"{get_column_letter(cell[2])}{cell[1]}"


def _plain(value: Any) -> Any:
    """A cell value as a formula sees it (dates and times as Excel serial numbers)."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return float(to_excel(value))
    return value


def workbook_cached_values(wb: Workbook) -> dict[str, dict[str, Any]]:
    """Sheet title -> coordinate -> value of every formula of an openpyxl workbook."""
    formulas: dict[Cell, str] = {}
    values: dict[Cell, Any] = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f" and isinstance(c.value, str):
                    formulas[(ws.title, c.row, c.column)] = c.value
                elif c.value is not None:
                    values[(ws.title, c.row, c.column)] = _plain(c.value)
    out: dict[str, dict[str, Any]] = {}
    for cell, value in evaluate(formulas, values).items():
        out.setdefault(cell[0], {})[coordinate(cell)] = value
    return out


def workbook_parts(wb: Workbook) -> dict[str, bytes]:
    """An openpyxl workbook saved, as its package parts in order."""
    buffer = io.BytesIO()
    wb.save(buffer)
    with zipfile.ZipFile(buffer) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def save_parts(path: Path, parts: Mapping[str, bytes]) -> None:
    """Write package parts as a workbook, atomically."""

    def save(tmp: str) -> None:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in parts.items():
                z.writestr(name, data)

    atomic_save(path, save)


def save_with_cached_values(wb: Workbook, path: Path) -> None:
    """Save an openpyxl workbook atomically, every formula carrying its cached value."""
    cached = workbook_cached_values(wb)
    parts = workbook_parts(wb)  # saving gives each worksheet its part name (ws.path)
    for ws in wb.worksheets:
        part = ws.path.lstrip("/")
        if ws.title in cached and part in parts:
            xml = parts[part].decode("utf-8")
            parts[part] = with_cached_values(xml, cached[ws.title]).encode("utf-8")
    save_parts(path, parts)
