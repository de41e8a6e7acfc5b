"""A small interpreter for the one-line TSP (Lua) statements that instrument drivers send.

Keithley's TSP instruments (2600B, 2450 in TSP mode) run each message as a Lua chunk. Drivers send
a narrow set of statement shapes, and this module understands exactly those, over an object model
that the simulated instrument supplies:

- assignments, ``smua.source.levelv = 1.5``, ``smua.source.func = smua.OUTPUT_DCVOLTS``,
  ``labctl_points = {}``, ``local t = timer.measure.t()``, ``local i, v = smua.measure.iv()``;
- calls, ``print(smua.source.output)``, ``errorqueue.clear()``, ``labctl_extend(t, {1,2})``,
  ``print(string.format("%.7e\\t%s", i, tostring(x)))``;
- expressions: numbers, strings, ``nil``/``true``/``false``, table constructors ``{1, 2.5, -3}``,
  names, fields ``a.b.c``, indexing ``a[1]``, calls, unary minus, ``+ - * /`` and ``..``.

Control flow (``if``, ``for``, ``function`` …) is not interpreted: a chunk using it is refused
with the syntax error a real instrument gives for malformed input (-285), so a driver that sends
something this simulator does not model fails loudly instead of being answered wrongly. Scripts
(``loadscript`` … ``endscript``) are stored and "run" by :class:`ScriptRunner`, which executes
only their top-level statements and binds the functions they define to Python implementations.

The whole chunk is parsed before anything runs, as Lua compiles before it executes, so a syntax
error never leaves a half-applied message behind.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Error codes of the 2600B/2450 TSP error queue.
SYNTAX_ERROR_CODE = -285
RUNTIME_ERROR_CODE = -286

KEYWORDS = frozenset({
    "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "if", "in",
    "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
})
#: Keywords that open a block closed by ``end`` (``for`` and ``while`` open through their ``do``).
BLOCK_OPENERS = frozenset({"function", "if", "do"})
BLOCK_CLOSERS = frozenset({"end"})


class TspError(Exception):
    """An error the instrument reports through its error queue."""

    code = RUNTIME_ERROR_CODE
    kind = "TSP Runtime error"

    def __init__(self, message: str, *, line: int | None = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line

    @property
    def text(self) -> str:
        """The error-queue message, as the instrument words it."""
        where = f" at line {self.line}" if self.line is not None else ""
        return f"{self.kind}{where}: {self.message}"


class TspSyntaxError(TspError):
    code = SYNTAX_ERROR_CODE
    kind = "TSP Syntax error"


class TspRuntimeError(TspError):
    """A Lua run-time error; ``line=None`` for ``error(message, 0)`` raised by script helpers."""


# ------------------------------------------------------------------------------- values
class LuaTable:
    """A Lua table: the array part (1-based) is all that drivers use; other keys go to ``hash``."""

    def __init__(self, items: Iterable[Any] = ()) -> None:
        self.array: list[Any] = list(items)
        self.hash: dict[Any, Any] = {}

    def get(self, key: Any) -> Any:
        if isinstance(key, float) and key.is_integer() and 1 <= key <= len(self.array):
            return self.array[int(key) - 1]
        return self.hash.get(key)

    def set(self, key: Any, value: Any) -> None:
        if isinstance(key, float) and key.is_integer() and 1 <= key <= len(self.array) + 1:
            index = int(key) - 1
            if index == len(self.array):
                self.array.append(value)
            else:
                self.array[index] = value
            return
        self.hash[key] = value

    def numbers(self, what: str) -> list[float]:
        """The array part as floats; a runtime error if an entry is not a number."""
        values = []
        for index, value in enumerate(self.array, start=1):
            if not isinstance(value, float):
                raise TspRuntimeError(f"{what}: entry {index} is not a number", line=None)
            values.append(value)
        return values


class TspObject:
    """An instrument object (``smua``, ``smua.source``, ``errorqueue`` …).

    ``members`` hold constants, sub-objects and functions; ``attributes`` map a name to a
    ``(getter, setter)`` pair, the setter None for read-only attributes. Reading an unknown name
    gives nil, as in Lua; writing one is a runtime error, so a driver's typo never passes silently.
    """

    def __init__(
        self,
        name: str,
        members: Mapping[str, Any] | None = None,
        attributes: Mapping[str, tuple[Callable[[], Any], Callable[[Any], None] | None]]
        | None = None,
        index: Callable[[float], Any] | None = None,
    ) -> None:
        self.name = name
        self.members: dict[str, Any] = dict(members or {})
        self.attributes = dict(attributes or {})
        self.index = index

    def tsp_get(self, key: Any) -> Any:
        if isinstance(key, str):
            if key in self.attributes:
                return self.attributes[key][0]()
            return self.members.get(key)
        if self.index is not None and isinstance(key, float):
            return self.index(key)
        return None

    def tsp_set(self, key: Any, value: Any) -> None:
        if isinstance(key, str) and key in self.attributes:
            setter = self.attributes[key][1]
            if setter is None:
                raise TspRuntimeError(f"{self.name}.{key} is read-only")
            setter(value)
            return
        raise TspRuntimeError(f"cannot set unknown attribute {self.name}.{key}")


TspFunction = Callable[..., Any]


# ------------------------------------------------------------------------------ tokenizer
@dataclass(frozen=True)
class Token:
    kind: str  # "name", "keyword", "number", "string", "op", "eof"
    value: Any
    text: str


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>--[^\n]*)
  | (?P<number>0[xX][0-9A-Fa-f]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z_0-9]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<op>\.\.\.|\.\.|==|~=|<=|>=|[=(){}\[\].,;:+\-*/^%<>\#])
    """,
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "a": "\a",
            "b": "\b", "f": "\f", "v": "\v", "0": "\0", "\n": "\n"}


def _unescape(body: str) -> str:
    out, chars = [], iter(body)
    for char in chars:
        if char != "\\":
            out.append(char)
            continue
        escaped = next(chars, "")
        if escaped not in _ESCAPES:
            raise TspSyntaxError(f"invalid escape sequence '\\{escaped}'")
        out.append(_ESCAPES[escaped])
    return "".join(out)


def tokenize(text: str) -> list[Token]:
    """Lua tokens of ``text``; a syntax error names the first symbol that is not Lua."""
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise TspSyntaxError(f"unexpected symbol near '{text[position]}'")
        position = match.end()
        kind = match.lastgroup or ""
        raw = match.group()
        if kind in ("space", "comment"):
            continue
        if kind == "number":
            value: Any = float(int(raw, 16)) if raw[:2].lower() == "0x" else float(raw)
            tokens.append(Token("number", value, raw))
        elif kind == "name":
            tokens.append(Token("keyword" if raw in KEYWORDS else "name", raw, raw))
        elif kind == "string":
            tokens.append(Token("string", _unescape(raw[1:-1]), raw))
        else:
            tokens.append(Token("op", raw, raw))
    tokens.append(Token("eof", None, "<eof>"))
    return tokens


# ---------------------------------------------------------------------------------- AST
# Expressions are tuples: ("const", value), ("name", str), ("field", obj, key-expr),
# ("call", fn-expr, [args]), ("table", [items]), ("neg", expr), ("binop", op, left, right).
Expr = tuple[Any, ...]


@dataclass
class Statement:
    kind: str  # "local", "assign", "call"
    targets: list[Any] = field(default_factory=list)
    values: list[Expr] = field(default_factory=list)


_BINARY_PRIORITY = {"..": (3, 2), "+": (4, 4), "-": (4, 4), "*": (5, 5), "/": (5, 5)}
_UNARY_PRIORITY = 6


class _Parser:
    """Recursive descent over the subset described in the module docstring."""

    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.position = 0

    # -- token helpers ---------------------------------------------------------------
    @property
    def token(self) -> Token:
        return self.tokens[self.position]

    def advance(self) -> Token:
        token = self.token
        self.position += 1
        return token

    def check(self, text: str) -> bool:
        return self.token.kind in ("op", "keyword") and self.token.value == text

    def expect(self, text: str) -> None:
        if not self.check(text):
            raise TspSyntaxError(f"'{text}' expected near '{self.token.text}'")
        self.advance()

    # -- statements ----------------------------------------------------------------------
    def chunk(self) -> list[Statement]:
        statements = []
        while self.token.kind != "eof":
            if self.check(";"):
                self.advance()
                continue
            statements.append(self.statement())
        return statements

    def statement(self) -> Statement:
        token = self.token
        if token.kind == "keyword" and token.value == "local":
            self.advance()
            if self.check("function"):
                raise TspSyntaxError("'local function' is beyond the simulated TSP subset")
            names = [self.name()]
            while self.check(","):
                self.advance()
                names.append(self.name())
            values = []
            if self.check("="):
                self.advance()
                values = self.expression_list()
            return Statement("local", names, values)
        if token.kind == "keyword":
            raise TspSyntaxError(
                f"'{token.value}' is beyond the simulated TSP subset (near '{token.text}')"
            )
        target = self.suffixed()
        if self.check("=") or self.check(","):
            targets = [target]
            while self.check(","):
                self.advance()
                targets.append(self.suffixed())
            for item in targets:
                if item[0] not in ("name", "field"):
                    raise TspSyntaxError("syntax error near '='")
            self.expect("=")
            return Statement("assign", targets, self.expression_list())
        if target[0] != "call":
            raise TspSyntaxError(f"syntax error near '{self.token.text}'")
        return Statement("call", values=[target])

    def name(self) -> str:
        token = self.advance()
        if token.kind != "name":
            raise TspSyntaxError(f"<name> expected near '{token.text}'")
        return str(token.value)

    # -- expressions ---------------------------------------------------------------------
    def expression_list(self) -> list[Expr]:
        values = [self.expression()]
        while self.check(","):
            self.advance()
            values.append(self.expression())
        return values

    def expression(self, limit: int = 0) -> Expr:
        if self.check("-"):
            self.advance()
            left: Expr = ("neg", self.expression(_UNARY_PRIORITY))
        else:
            left = self.simple()
        while self.token.kind == "op" and self.token.value in _BINARY_PRIORITY:
            left_priority, right_priority = _BINARY_PRIORITY[self.token.value]
            if left_priority <= limit:
                break
            operator = self.advance().value
            left = ("binop", operator, left, self.expression(right_priority))
        return left

    def simple(self) -> Expr:
        token = self.token
        if token.kind in ("number", "string"):
            self.advance()
            return ("const", token.value)
        if token.kind == "keyword" and token.value in ("nil", "true", "false"):
            self.advance()
            return ("const", {"nil": None, "true": True, "false": False}[token.value])
        if self.check("{"):
            return self.table()
        if token.kind == "name" or self.check("("):
            return self.suffixed()
        raise TspSyntaxError(f"unexpected symbol near '{token.text}'")

    def table(self) -> Expr:
        self.expect("{")
        items = []
        while not self.check("}"):
            if self.token.kind == "name" and self.tokens[self.position + 1].value == "=":
                raise TspSyntaxError("named table fields are beyond the simulated TSP subset")
            items.append(self.expression())
            if self.check(",") or self.check(";"):
                self.advance()
            elif not self.check("}"):
                raise TspSyntaxError(f"'}}' expected near '{self.token.text}'")
        self.expect("}")
        return ("table", items)

    def suffixed(self) -> Expr:
        if self.check("("):
            self.advance()
            node: Expr = self.expression()
            self.expect(")")
        else:
            node = ("name", self.name())
        while True:
            if self.check("."):
                self.advance()
                node = ("field", node, ("const", self.name()))
            elif self.check("["):
                self.advance()
                key = self.expression()
                self.expect("]")
                node = ("field", node, key)
            elif self.check("("):
                self.advance()
                args = [] if self.check(")") else self.expression_list()
                self.expect(")")
                node = ("call", node, args)
            elif self.token.kind == "string":
                node = ("call", node, [("const", self.advance().value)])
            elif self.check("{"):
                node = ("call", node, [self.table()])
            elif self.check(":"):
                raise TspSyntaxError("method calls (':') are beyond the simulated TSP subset")
            else:
                return node


def parse(text: str) -> list[Statement]:
    """The statements of one chunk; :class:`TspSyntaxError` if it is not in the subset."""
    return _Parser(text).chunk()


# ------------------------------------------------------------------------------ formatting
def format_number(value: float, precision: int = 6) -> str:
    """A number as TSP's ``print`` writes it: ``precision`` significant digits, exponent form."""
    return f"{value:.{max(precision, 1) - 1}e}"


def lua_tostring(value: Any) -> str:
    """``tostring``: Lua's ``%.14g`` for numbers."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.14g}"
    if isinstance(value, str):
        return value
    kind = "table" if isinstance(value, LuaTable | TspObject) else "function"
    return f"{kind}: 0x{id(value) & 0xFFFFFFFF:08x}"


_FORMAT_SPEC = re.compile(r"%([-+ #0]*\d*(?:\.\d+)?)([diouxXeEfgGcsq%])")


def lua_format(template: str, *args: Any) -> str:
    """``string.format`` for the C conversions drivers use (``%d %e %f %g %s %x`` …)."""
    out, position, used = [], 0, 0
    for match in _FORMAT_SPEC.finditer(template):
        out.append(template[position : match.start()])
        position = match.end()
        flags, conversion = match.group(1), match.group(2)
        if conversion == "%":
            out.append("%")
            continue
        if used >= len(args):
            raise TspRuntimeError(f"bad argument #{used + 2} to 'format' (no value)")
        value = args[used]
        used += 1
        if conversion in "sq":
            text = lua_tostring(value)
            out.append(f"%{flags}s" % (f'"{text}"' if conversion == "q" else text))
            continue
        if not isinstance(value, float) or isinstance(value, bool):
            raise TspRuntimeError(
                f"bad argument #{used + 1} to 'format' (number expected, got "
                f"{type_name(value)})"
            )
        number: float | int = value
        if conversion in "diouxXc":
            number = int(value)
            conversion = {"i": "d", "u": "d"}.get(conversion, conversion)
        out.append(f"%{flags}{conversion}" % number)
    out.append(template[position:])
    return "".join(out)


def type_name(value: Any) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, LuaTable | TspObject):
        return "table"
    return "function"


# ----------------------------------------------------------------------------- execution
class Interpreter:
    """Runs chunks against ``globals`` (shared by every message: TSP globals persist)."""

    def __init__(self, globals_: dict[str, Any]) -> None:
        self.globals = globals_
        self.output: list[str] = []
        self.precision = 6  # format.asciiprecision
        self._depth = 0

    def run(self, text: str) -> list[str]:
        """Execute one chunk and return what it printed, one entry per ``print``.

        A chunk run from inside another (a script started by a call) prints into the outer
        chunk's output, which is what the instrument sends back for the message.
        """
        statements = parse(text)
        outermost = self._depth == 0
        if outermost:
            self.output = []
        self._depth += 1
        try:
            scope: dict[str, Any] = {}
            for statement in statements:
                self.execute(statement, scope)
        finally:
            self._depth -= 1
        return self.output if outermost else []

    def print_values(self, values: Sequence[Any], separator: str = "\t") -> None:
        self.output.append(separator.join(self.show(v) for v in values))

    def show(self, value: Any) -> str:
        """A value as ``print`` writes it."""
        if isinstance(value, float):
            return format_number(value, self.precision)
        return lua_tostring(value)

    # -- statements ------------------------------------------------------------------------
    def execute(self, statement: Statement, scope: dict[str, Any]) -> None:
        if statement.kind == "call":
            self.evaluate_multi(statement.values[0], scope)
            return
        values = self.evaluate_list(statement.values, scope)
        values += [None] * (len(statement.targets) - len(values))
        if statement.kind == "local":
            for name, value in zip(statement.targets, values, strict=False):
                scope[name] = value
            return
        # Evaluate every target's object before assigning, as Lua does.
        resolved = []
        for target in statement.targets:
            if target[0] == "name":
                resolved.append((None, target[1]))
            else:
                resolved.append(
                    (self.evaluate(target[1], scope), self.evaluate(target[2], scope), target)
                )
        for entry, value in zip(resolved, values, strict=False):
            if entry[0] is None:
                name = entry[1]
                if name in scope:
                    scope[name] = value
                else:
                    self.globals[name] = value
            else:
                self.assign_field(entry[0], entry[1], value, entry[2])

    def assign_field(self, obj: Any, key: Any, value: Any, target: Expr) -> None:
        if isinstance(obj, TspObject):
            obj.tsp_set(key, value)
        elif isinstance(obj, LuaTable):
            obj.set(key, value)
        else:
            raise TspRuntimeError(f"attempt to index {describe(target[1], obj)}")

    # -- expressions ---------------------------------------------------------------------
    def evaluate_list(self, expressions: Sequence[Expr], scope: dict[str, Any]) -> list[Any]:
        """Values of an expression list: the last one expands to all its results."""
        values: list[Any] = []
        for position, expression in enumerate(expressions):
            if position == len(expressions) - 1:
                values.extend(self.evaluate_multi(expression, scope))
            else:
                values.append(self.evaluate(expression, scope))
        return values

    def evaluate(self, expression: Expr, scope: dict[str, Any]) -> Any:
        results = self.evaluate_multi(expression, scope)
        return results[0] if results else None

    def evaluate_multi(self, expression: Expr, scope: dict[str, Any]) -> list[Any]:
        kind = expression[0]
        if kind == "const":
            return [expression[1]]
        if kind == "name":
            name = expression[1]
            return [scope[name] if name in scope else self.globals.get(name)]
        if kind == "field":
            obj = self.evaluate(expression[1], scope)
            key = self.evaluate(expression[2], scope)
            if isinstance(obj, TspObject):
                return [obj.tsp_get(key)]
            if isinstance(obj, LuaTable):
                return [obj.get(key)]
            raise TspRuntimeError(f"attempt to index {describe(expression[1], obj)}")
        if kind == "table":
            return [LuaTable(self.evaluate_list(expression[1], scope))]
        if kind == "neg":
            return [-self.number(self.evaluate(expression[1], scope), "perform arithmetic on")]
        if kind == "binop":
            return [self.binary(expression, scope)]
        if kind == "call":
            function = self.evaluate(expression[1], scope)
            if not callable(function):
                raise TspRuntimeError(f"attempt to call {describe(expression[1], function)}")
            args = self.evaluate_list(expression[2], scope)
            result = function(*args)
            if result is None:
                return []
            return list(result) if isinstance(result, tuple) else [result]
        raise TspSyntaxError(f"unexpected expression {kind}")  # pragma: no cover

    def binary(self, expression: Expr, scope: dict[str, Any]) -> Any:
        _, operator, left_expr, right_expr = expression
        left = self.evaluate(left_expr, scope)
        right = self.evaluate(right_expr, scope)
        if operator == "..":
            for value in (left, right):
                if not isinstance(value, str | float) or isinstance(value, bool):
                    raise TspRuntimeError(f"attempt to concatenate a {type_name(value)} value")
            return lua_tostring(left) + lua_tostring(right)
        a = self.number(left, "perform arithmetic on")
        b = self.number(right, "perform arithmetic on")
        if operator == "+":
            return a + b
        if operator == "-":
            return a - b
        if operator == "*":
            return a * b
        if b == 0:
            return float("nan") if a == 0 else float("inf") * (1 if a > 0 else -1)
        return a / b

    @staticmethod
    def number(value: Any, action: str) -> float:
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        if not isinstance(value, float) or isinstance(value, bool):
            raise TspRuntimeError(f"attempt to {action} a {type_name(value)} value")
        return value


def describe(expression: Expr, value: Any) -> str:
    """Lua's wording for what went wrong: ``a nil value (global 'foo')``."""
    what = f"a {type_name(value)} value"
    if expression[0] == "name":
        return f"{what} (global '{expression[1]}')"
    if expression[0] == "field" and expression[2][0] == "const":
        return f"{what} (field '{expression[2][1]}')"
    return what


# ------------------------------------------------------------------------------- scripts
@dataclass
class Script:
    """A script loaded with ``loadscript name`` … ``endscript``: its lines, kept as sent."""

    name: str
    lines: list[str]


def check_blocks(lines: Sequence[str]) -> None:
    """Refuse a script whose ``function``/``if``/``do`` blocks do not close, as the instrument's
    compiler would at ``endscript`` (-285)."""
    depth = 0
    for number, line in enumerate(lines, start=1):
        try:
            tokens = tokenize(line)
        except TspSyntaxError as exc:
            raise TspSyntaxError(exc.message, line=number) from None
        for token in tokens:
            if token.kind != "keyword":
                continue
            if token.value in BLOCK_OPENERS:
                depth += 1
            elif token.value in BLOCK_CLOSERS:
                depth -= 1
                if depth < 0:
                    raise TspSyntaxError("'<eof>' expected near 'end'", line=number)
    if depth:
        raise TspSyntaxError("'end' expected", line=len(lines))


_FUNCTION_HEAD = re.compile(r"^\s*function\s+([A-Za-z_][A-Za-z_0-9.]*)\s*\(")


class ScriptRunner:
    """Runs a stored script the way the simulator can: top-level statements are executed, and
    each ``function name(...)`` the script defines becomes the Python helper registered under that
    name (``helpers``), or a stub that reports it is not simulated.

    The function bodies themselves are not interpreted; the helpers reproduce what they do.
    """

    def __init__(self, interpreter: Interpreter, helpers: Mapping[str, TspFunction]) -> None:
        self.interpreter = interpreter
        self.helpers = helpers

    def run(self, script: Script) -> list[str]:
        check_blocks(script.lines)
        output: list[str] = []
        depth = 0
        for number, line in enumerate(script.lines, start=1):
            tokens = [t for t in tokenize(line) if t.kind == "keyword"]
            opened = sum(t.value in BLOCK_OPENERS for t in tokens)
            closed = sum(t.value in BLOCK_CLOSERS for t in tokens)
            if depth == 0:
                head = _FUNCTION_HEAD.match(line)
                if head:
                    self.define(head.group(1))
                elif opened == 0:
                    try:
                        output += self.interpreter.run(line)
                    except TspError as exc:
                        exc.line = number if exc.line is not None else None
                        raise
            depth += opened - closed
        return output

    def define(self, name: str) -> None:
        helper = self.helpers.get(name)
        if helper is None:
            helper = _not_simulated(name)
        self.interpreter.globals[name] = helper


def _not_simulated(name: str) -> TspFunction:
    def stub(*args: Any) -> None:
        raise TspRuntimeError(f"{name}: this script function is not simulated", line=None)

    return stub
