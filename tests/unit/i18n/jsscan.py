"""A small JavaScript/HTML scanner for the catalog check (tests only): tokens, calls, sinks, keys.

Not a full JavaScript parser: it tokenises (comments, strings, template literals with nested
``${…}``, regular-expression literals), matches brackets and finds calls and assignments, which
is what the rule needs. See ``test_catalog_check`` for the rule itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

LETTERS = re.compile(r"[^\W\d_]{2,}")  # two letters in a row, in any script
KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")

# Where a literal shows up on screen.
DOM_BUILDERS = {"h", "el"}  # h(tag, props, ...children) (desk), el(tag, attrs, text) (widget, chart)
TEXT_PROPS = {"text", "title", "placeholder", "aria-label", "label", "alt", "aria-description",
              "aria-roledescription", "aria-valuetext"}
TEXT_PROPERTIES = {"textContent", "innerText", "title", "placeholder", "alt", "label", "ariaLabel"}
TEXT_CALLS = {"announce", "toast", "message", "show", "showError", "alert", "confirm", "prompt", "createTextNode",
              "append", "prepend", "replace", "replaceChildren", "after", "before", "Option"}
TEXT_ATTRIBUTES = TEXT_PROPS - {"text", "label"}
# Where a literal is for developers, not people.
QUIET_CALLS = {"log", "warn", "error", "info", "debug", "Error", "TypeError", "RangeError"}


@dataclass
class Token:
    kind: str  # "str", "tpl", "id", "num", "punct", "regex"
    text: str  # the value of a string, the static parts of a template (joined by "\0"), else the source
    line: int
    inner: list[list[Token]] = field(default_factory=list)  # a template's ${…} expressions


PUNCT3 = ("===", "!==", "...", "**=", "??=", "&&=", "||=")
PUNCT2 = ("=>", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "++", "--", "+=", "-=")


def tokenize(src: str, line: int = 1) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c.isspace():
            line += c == "\n"
            i += 1
        elif src.startswith("//", i) or src.startswith("/*", i):
            end = src.find("\n", i) if src[i + 1] == "/" else src.find("*/", i + 2) + 2
            end = n if end < 2 else end
            line += src.count("\n", i, end) if src[i + 1] == "*" else 0
            i = end
        elif c in "\"'":
            i = _string(src, i, line, tokens)
        elif c == "`":
            token, i, line = _template(src, i, line)
            tokens.append(token)
        elif c == "/" and _regex_allowed(tokens):
            i = _regex(src, i, line, tokens)
        elif c.isalnum() or c in "_$":
            j = i
            while j < n and (src[j].isalnum() or src[j] in "_$" or (c.isdigit() and src[j] == ".")):
                j += 1
            tokens.append(Token("num" if c.isdigit() else "id", src[i:j], line))
            i = j
        else:
            size = 3 if src[i:i + 3] in PUNCT3 else 2 if src[i:i + 2] in PUNCT2 else 1
            tokens.append(Token("punct", src[i:i + size], line))
            i += size
    return tokens


def _string(src: str, i: int, line: int, tokens: list[Token]) -> int:
    quote, j, buf = src[i], i + 1, []
    while j < len(src) and src[j] != quote:
        step = 2 if src[j] == "\\" else 1
        buf.append(src[j:j + step])
        j += step
    tokens.append(Token("str", _unescape("".join(buf)), line))
    return j + 1


def _regex(src: str, i: int, line: int, tokens: list[Token]) -> int:
    j, in_class = i + 1, False
    while j < len(src) and (in_class or src[j] != "/"):
        if src[j] == "\\":
            j += 1
        elif src[j] in "[]":
            in_class = src[j] == "["
        j += 1
    j += 1
    while j < len(src) and src[j].isalpha():
        j += 1
    tokens.append(Token("regex", src[i:j], line))
    return j


def _unescape(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        return chr(int(m.group(1), 16)) if m.group(1) else {"n": "\n", "t": "\t"}.get(m.group(2), m.group(2))

    return re.sub(r"\\u\{?([0-9a-fA-F]{4,6})\}?|\\(.)", one, text)


def _template(src: str, i: int, line: int) -> tuple[Token, int, int]:
    start_line = line
    j, n = i + 1, len(src)
    parts: list[str] = []
    inner: list[list[Token]] = []
    buf: list[str] = []
    while j < n and src[j] != "`":
        if src[j] == "\\":
            buf.append(src[j:j + 2])
            j += 2
        elif src.startswith("${", j):
            parts.append("".join(buf))
            buf = []
            depth, k = 1, j + 2
            while k < n and depth:
                if src[k] == "`":  # a nested template: skip it whole
                    _, k, _ = _template(src, k, line)
                    continue
                depth += {"{": 1, "}": -1}.get(src[k], 0)
                k += 1
            inner.append(tokenize(src[j + 2:k - 1], line))
            j = k
        else:
            if src[j] == "\n":
                line += 1
            buf.append(src[j])
            j += 1
    parts.append("".join(buf))
    return Token("tpl", "\0".join(_unescape(p) for p in parts), start_line, inner), j + 1, line


def _regex_allowed(tokens: list[Token]) -> bool:
    if not tokens:
        return True
    last = tokens[-1]
    if last.kind == "id":
        return last.text in ("return", "typeof", "case", "in", "of", "new", "delete", "void", "throw")
    return last.kind == "punct" and last.text not in (")", "]", "}")


def visible_text(token: Token) -> str:
    """The static text of a string or template literal ("" for other tokens)."""
    return token.text.replace("\0", " ") if token.kind in ("str", "tpl") else ""


def has_letters(token: Token) -> bool:
    return bool(LETTERS.search(visible_text(token)))


OPEN = {"(": ")", "[": "]", "{": "}"}
COMPARISONS = {"===", "!==", "==", "!=", "in", "case"}


def match(tokens: list[Token], i: int) -> int:
    """The index of the bracket closing the one at *i*."""
    depth = 0
    for j in range(i, len(tokens)):
        t = tokens[j]
        if t.kind == "punct" and t.text in OPEN:
            depth += 1
        elif t.kind == "punct" and t.text in (")", "]", "}"):
            depth -= 1
            if depth == 0:
                return j
    return len(tokens) - 1


def split_args(tokens: list[Token], open_at: int) -> list[list[Token]]:
    """The arguments of the call whose "(" is at *open_at*."""
    return [a for a in _split_commas(tokens[open_at + 1:match(tokens, open_at)]) if a]


def _split_commas(tokens: list[Token]) -> list[list[Token]]:
    """*tokens* split at the commas outside any brackets."""
    parts: list[list[Token]] = [[]]
    depth = 0
    for t in tokens:
        if t.kind == "punct" and t.text in OPEN:
            depth += 1
        elif t.kind == "punct" and t.text in (")", "]", "}"):
            depth -= 1
        if depth == 0 and t.kind == "punct" and t.text == ",":
            parts.append([])
        else:
            parts[-1].append(t)
    return parts


def shown_literals(expr: list[Token]) -> list[Token]:
    """String literals that an expression can evaluate to (not those passed into calls inside it)."""
    out: list[Token] = []
    i = 0
    while i < len(expr):
        t = expr[i]
        prev = expr[i - 1] if i else None
        if t.kind == "punct" and t.text == "(" and prev is not None and (
                prev.kind == "id" or (prev.kind == "punct" and prev.text in (")", "]"))):
            i = match(expr, i) + 1  # a call's arguments belong to that call
            continue
        if t.kind == "punct" and t.text == "{":
            i = match(expr, i) + 1  # an object literal is not text
            continue
        nxt = expr[i + 1] if i + 1 < len(expr) else None
        compared = any(u is not None and u.kind in ("punct", "id") and u.text in COMPARISONS for u in (prev, nxt))
        if t.kind in ("str", "tpl") and not compared and not (t.kind == "str" and KEY.match(t.text)):
            out.append(t)  # compared values are codes; key-shaped literals are catalog keys
        i += 1
    return out


def props(obj: list[Token]) -> dict[str, list[Token]]:
    """The top-level ``key: value`` pairs of an object literal given as the tokens of one argument."""
    if not obj or obj[0].text != "{":
        return {}
    found: dict[str, list[Token]] = {}
    pairs = _split_commas(obj[1:match(obj, 0)])
    for pair in pairs:
        if len(pair) >= 3 and pair[1].kind == "punct" and pair[1].text == ":" and pair[0].kind in ("id", "str"):
            found[pair[0].text] = pair[2:]
    return found


@dataclass
class Finding:
    line: int
    literal: str
    why: str


def sink_findings(tokens: list[Token]) -> list[Finding]:
    """User-visible literals: DOM builders' children and text props, text properties, text attributes, text calls."""
    found: list[Finding] = []
    stylesheets = _stylesheets(tokens)

    def flag(expr: list[Token], why: str) -> None:
        found.extend(Finding(t.line, visible_text(t), why) for t in shown_literals(expr) if has_letters(t))

    for i, t in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        prev = tokens[i - 1] if i else None
        declared = prev is not None and prev.text == "function"
        string_method = t.text == "replace" and prev is not None and prev.text in (".", "?.")  # String#replace
        if t.kind == "id" and nxt is not None and nxt.text == "(" and not declared and not string_method:
            _call(t.text, split_args(tokens, i + 1), flag)
        elif (t.kind == "id" and t.text in TEXT_PROPERTIES and prev is not None and prev.text in (".", "?.")
              and nxt is not None and nxt.text in ("=", "+=")
              and not (i >= 2 and tokens[i - 2].text in stylesheets)):  # CSS of a <style> element
            flag(_assigned(tokens, i + 2), f".{t.text} =")
    for t in tokens:
        for sub in t.inner:
            found.extend(sink_findings(sub))
    return found


def _call(name: str, args: list[list[Token]], flag: Callable[[list[Token], str], None]) -> None:
    if name in DOM_BUILDERS:
        tag = visible_text(args[0][0]) if args and args[0] and args[0][0].kind == "str" else ""
        for key, value in (props(args[1]) if len(args) > 1 else {}).items():
            if key in TEXT_PROPS:
                flag(value, f"{name}() prop {key}")
        if tag != "kbd":  # key caps (Ctrl, Enter) are printed on the keyboard, not translated
            for child in args[2:]:
                flag(child, f"{name}() child")
    elif name == "setAttribute" and args and args[0] and visible_text(args[0][0]) in TEXT_ATTRIBUTES:
        flag(args[1] if len(args) > 1 else [], f"setAttribute {visible_text(args[0][0])}")
    elif name in TEXT_CALLS:
        for arg in args:
            flag(arg, f"{name}()")


def _assigned(tokens: list[Token], start: int) -> list[Token]:
    """The right-hand side of an assignment starting at *start* (up to ; , or a closing bracket)."""
    expr: list[Token] = []
    depth = 0
    for u in tokens[start:]:
        if u.kind == "punct" and u.text in OPEN:
            depth += 1
        elif u.kind == "punct" and u.text in (")", "]", "}"):
            if depth == 0:
                break
            depth -= 1
        if depth == 0 and u.kind == "punct" and u.text in (";", ","):
            break
        expr.append(u)
    return expr


def _stylesheets(tokens: list[Token]) -> set[str]:
    """Names of variables holding a <style> element (x = el("style") / h("style") / createElement("style"))."""
    names: set[str] = set()
    for i in range(len(tokens) - 4):
        a, eq, call, paren, arg = tokens[i:i + 5]
        if (a.kind == "id" and eq.text == "=" and call.text in DOM_BUILDERS | {"createElement"} and paren.text == "("
                and arg.kind == "str" and arg.text == "style"):
            names.add(a.text)
    return names


def quiet_spans(tokens: list[Token]) -> set[int]:
    """Token indexes inside console.*(), new Error(), import/export and t() calls: never text for people."""
    quiet: set[int] = set()
    for i, t in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if t.kind == "id" and nxt is not None and nxt.text == "(" and (t.text in QUIET_CALLS or t.text == "t"):
            quiet.update(range(i, match(tokens, i + 1) + 1))
        if t.kind == "id" and t.text in ("import", "export", "from"):
            quiet.update(range(i, i + 2))
    return quiet


PROSE_START = re.compile(r"^\s*[^\W\d_][^\W\d_]*(?:[\s,'\u2019][^\W\d_]+)+", re.UNICODE)


def looks_like_prose(text: str) -> bool:
    """A sentence or phrase: several words starting with a capital ("Sign in") or ending like one ("not sent.")."""
    text = text.replace("\0", " ").strip()
    if not LETTERS.search(text) or not PROSE_START.match(text):
        return False
    return text[0].isupper() or bool(re.search(r"[^\W\d_][.…!?:]$", text))


def prose_findings(tokens: list[Token]) -> list[Finding]:
    quiet = quiet_spans(tokens)
    found = [Finding(t.line, visible_text(t), "prose literal") for i, t in enumerate(tokens)
             if i not in quiet and t.kind in ("str", "tpl") and looks_like_prose(t.text)]
    for t in tokens:
        for sub in t.inner:
            found.extend(prose_findings(sub))
    return found


def string_literals(tokens: list[Token]) -> list[Token]:
    out = [t for t in tokens if t.kind == "str"]
    for t in tokens:
        for sub in t.inner:
            out.extend(string_literals(sub))
    return out


def translated_keys(tokens: list[Token]) -> list[tuple[int, str]]:
    """(line, key) for t("key") calls and "data-i18n"/"data-i18n-attr" props in JavaScript."""
    keys: list[tuple[int, str]] = []
    for i, t in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if t.kind == "id" and t.text == "t" and nxt is not None and nxt.text == "(":
            args = split_args(tokens, i + 1)
            if args and args[0] and args[0][0].kind == "str":
                keys.append((t.line, args[0][0].text))
        if t.kind == "str" and t.text in ("data-i18n", "data-i18n-attr") and nxt is not None and nxt.text == ":":
            value = tokens[i + 2] if i + 2 < len(tokens) else None
            if value is not None and value.kind == "str":
                keys.extend((t.line, k) for k in attr_keys(t.text, value.text))
    for t in tokens:
        for sub in t.inner:
            keys.extend(translated_keys(sub))
    return keys


def attr_keys(attribute: str, value: str) -> list[str]:
    if attribute == "data-i18n":
        return [value.strip()]
    return [pair.split(":", 1)[1].strip() for pair in value.split(";") if ":" in pair]


class HtmlCheck(HTMLParser):
    """Text nodes and text attributes of a page that no data-i18n / data-i18n-attr covers."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, translated by data-i18n, exempt)
        self.findings: list[Finding] = []
        self.keys: list[tuple[int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        line = self.getpos()[0]
        covered = {pair.split(":", 1)[0].strip() for pair in a.get("data-i18n-attr", "").split(";") if ":" in pair}
        for name in TEXT_ATTRIBUTES:
            if name in a and LETTERS.search(a[name]) and name not in covered:
                self.findings.append(Finding(line, a[name], f"<{tag} {name}> without data-i18n-attr"))
        if "data-i18n" in a:
            self.keys.append((line, a["data-i18n"]))
        if "data-i18n-attr" in a:
            self.keys.extend((line, k) for k in attr_keys("data-i18n-attr", a["data-i18n-attr"]))
        exempt = (tag in ("script", "style", "kbd") or a.get("translate") == "no"
                  or any(e for _, _, e in self.stack))
        if tag not in self.VOID:
            self.stack.append((tag, "data-i18n" in a, exempt))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not LETTERS.search(data) or not self.stack:
            return
        tag, translated, exempt = self.stack[-1]
        if not translated and not exempt:
            self.findings.append(Finding(self.getpos()[0], data.strip(), f"text in <{tag}> without data-i18n"))
