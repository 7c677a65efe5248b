"""The catalog check: every screen's text comes from the catalogs, and the catalogs are complete.

The rule (it polices the desk, the wallboard, the admin console, the first-run page, any other
page under ``agent_ui/static/`` and the chat widget):

1. **No user-visible literal outside the catalog.** In JavaScript, a string or template literal
   containing words (two letters in a row, any script) fails the test when it is shown to people:
   a child or a ``text``/``title``/``placeholder``/``aria-label``/``label``/``alt`` prop of the DOM
   builders ``h(tag, props, ...children)`` and ``el(tag, attrs, text)``; assigned to
   ``.textContent``, ``.innerText``, ``.title``, ``.placeholder``, ``.alt``, ``.label``; the value
   of ``setAttribute("aria-label"|"title"|"placeholder"|"alt", …)``; an argument of ``announce``,
   ``toast``, ``message``, ``show``, ``showError``, ``append``, ``prepend``, ``replace``,
   ``replaceChildren``, ``createTextNode``, ``alert``, ``confirm``, ``prompt``. Any literal that
   reads like prose (several words starting with a capital, or ending in ``. … ! ? :``) fails
   wherever it is, unless it is a ``t()`` key, a ``console.*``/``Error`` message (for developers)
   or an import. In HTML, every text node with words must sit in an element carrying
   ``data-i18n="key"``, and ``title``/``placeholder``/``aria-label``/``alt`` attributes with words
   must be listed in ``data-i18n-attr``. Exempt: ``<kbd>`` key caps, elements with
   ``translate="no"`` (the brand mark), ``<script>``/``<style>``.
   Write ``t("area.thing")`` (or ``data-i18n``) and put the key in every catalog instead. A literal
   that is not for people but trips the rule goes in :data:`ALLOWED` with the reason.
2. **Every key used exists in every catalog**: ``t("key")``, ``data-i18n``/``data-i18n-attr``
   values, and any literal that looks like a key in a catalog namespace (tables of keys).
3. **No key without a use**: each catalog key appears as a literal in some page or script.
4. **The same placeholders in every language**, valid ICU syntax, and every plural giving every
   CLDR plural category of its language (Polish: one, few, many, other).
5. **The same languages** on the server (gettext) and in the browser (JSON).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from babel import Locale

from tests.unit.i18n import icu
from tests.unit.i18n.jsscan import (
    KEY,
    Finding,
    HtmlCheck,
    prose_findings,
    sink_findings,
    string_literals,
    tokenize,
    translated_keys,
)

ROOT = Path(__file__).resolve().parents[3]
UI = ROOT / "agent_ui" / "static"
WIDGET = ROOT / "connectors" / "chat" / "static"
# Each catalog set and the scripts and pages that use it.
CATALOG_SETS = {
    "screens": (UI / "i18n", [UI]),
    "chat widget": (WIDGET / "i18n", [WIDGET]),
}
LANGUAGES = ("en", "el", "pl", "fa", "fi")

# Literals the rule would flag that are not for people: (file relative to the repository, literal) -> why.
ALLOWED: dict[tuple[str, str], str] = {
    ("agent_ui/static/desk/js/alerts.js", "offer.accept"): "websocket frame type sent to the server",
    ("agent_ui/static/desk/js/alerts.js", "offer.reject"): "websocket frame type sent to the server",
    ("agent_ui/static/desk/js/presence.js", "presence.set"): "websocket frame type sent to the server",
    ("agent_ui/static/desk/js/format.js", "no rule matched: "): "rewrites routing's machine reason before parsing it",
    ("agent_ui/static/desk/js/format.js", "Shift ended"): "routing's built-in state reason (data)",
    ("agent_ui/static/desk/js/format.js", "Forgot to sign out"): "routing's built-in state reason (data)",
}


def _sources(roots: list[Path], suffix: str) -> list[Path]:
    return sorted(p for root in roots for p in root.rglob(f"*{suffix}") if "i18n" not in p.relative_to(root).parts[:1])


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _catalog(folder: Path, lang: str) -> dict[str, str]:
    data = json.loads((folder / f"{lang}.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{folder}/{lang}.json"
    assert all(isinstance(v, str) for v in data.values()), f"{folder}/{lang}.json"
    return data


def _scripts(roots: list[Path]) -> list[Path]:
    scripts = _sources(roots, ".js")
    i18n_module = UI / "i18n" / "i18n.js"
    if any(root == UI for root in roots):
        scripts.append(i18n_module)
    return scripts


def _all_sets() -> list[tuple[str, Path, list[Path]]]:
    return [(name, folder, roots) for name, (folder, roots) in CATALOG_SETS.items()]


def test_the_rule_covers_the_screens() -> None:
    """The check sees the desk, the wallboard, the chat widget (and the admin console once it exists)."""
    scanned = {_rel(p) for _, _, roots in _all_sets() for p in _scripts(roots) + _sources(roots, ".html")}
    assert {"agent_ui/static/desk/js/main.js", "agent_ui/static/desk/index.html",
            "agent_ui/static/wallboard/wallboard.js", "agent_ui/static/wallboard/index.html",
            "connectors/chat/static/widget.js"} <= scanned
    if (UI / "admin").exists():
        assert any(p.startswith("agent_ui/static/admin/") for p in scanned)


@pytest.mark.parametrize(("name", "folder", "roots"), _all_sets(), ids=list(CATALOG_SETS))
def test_no_user_visible_literal_outside_the_catalog(name: str, folder: Path, roots: list[Path]) -> None:
    """Scripts and pages show people only catalog text (see the module docstring for the rule)."""
    problems: list[str] = []
    for path in _scripts(roots):
        tokens = tokenize(path.read_text(encoding="utf-8"))
        findings: list[Finding] = sink_findings(tokens) + prose_findings(tokens)
        seen: set[tuple[int, str]] = set()
        for f in findings:
            if (_rel(path), f.literal) in ALLOWED or (f.line, f.literal) in seen:
                continue
            seen.add((f.line, f.literal))
            problems.append(f"{_rel(path)}:{f.line}: {f.literal!r} ({f.why})")
    for path in _sources(roots, ".html"):
        check = HtmlCheck()
        check.feed(path.read_text(encoding="utf-8"))
        problems.extend(f"{_rel(path)}:{f.line}: {f.literal!r} ({f.why})" for f in check.findings)
    assert not problems, "text for people outside the catalog — use t()/data-i18n:\n" + "\n".join(problems)


def _used(roots: list[Path]) -> tuple[list[tuple[str, int, str]], set[str]]:
    """(file, line, key) for explicit uses (t(), data-i18n) and every string literal of the scripts and pages."""
    explicit: list[tuple[str, int, str]] = []
    literals: set[str] = set()
    for path in _scripts(roots):
        tokens = tokenize(path.read_text(encoding="utf-8"))
        explicit.extend((_rel(path), line, key) for line, key in translated_keys(tokens))
        literals.update(t.text for t in string_literals(tokens) if (_rel(path), t.text) not in ALLOWED)
    for path in _sources(roots, ".html"):
        check = HtmlCheck()
        check.feed(path.read_text(encoding="utf-8"))
        explicit.extend((_rel(path), line, key) for line, key in check.keys)
    return explicit, literals


@pytest.mark.parametrize(("name", "folder", "roots"), _all_sets(), ids=list(CATALOG_SETS))
def test_every_key_used_is_in_every_catalog(name: str, folder: Path, roots: list[Path]) -> None:
    """t("key"), data-i18n and key-like literals in a catalog namespace all exist in each language."""
    explicit, literals = _used(roots)
    for lang in LANGUAGES:
        catalog = _catalog(folder, lang)
        namespaces = {k.split(".")[0] for k in catalog}
        missing = sorted({f"{file}:{line}: {key}" for file, line, key in explicit if key not in catalog})
        missing += sorted(k for k in literals if KEY.match(k) and k.split(".")[0] in namespaces and k not in catalog)
        assert not missing, f"{folder.name}/{lang}.json lacks keys:\n" + "\n".join(missing)


@pytest.mark.parametrize(("name", "folder", "roots"), _all_sets(), ids=list(CATALOG_SETS))
def test_no_key_without_a_use(name: str, folder: Path, roots: list[Path]) -> None:
    """Each key of the English catalog appears in some script or page (dead text is removed, not kept)."""
    explicit, literals = _used(roots)
    used = {key for _, _, key in explicit} | literals
    unused = sorted(set(_catalog(folder, "en")) - used)
    assert not unused, f"keys no code uses in {folder.name}/en.json: {unused}"


@pytest.mark.parametrize(("name", "folder", "roots"), _all_sets(), ids=list(CATALOG_SETS))
@pytest.mark.parametrize("lang", LANGUAGES[1:])
def test_catalogs_have_the_same_keys(name: str, folder: Path, roots: list[Path], lang: str) -> None:
    """Every language has exactly the English catalog's keys, none empty."""
    english, other = _catalog(folder, "en"), _catalog(folder, lang)
    assert sorted(set(english) - set(other)) == [], f"{lang}.json misses keys"
    assert sorted(set(other) - set(english)) == [], f"{lang}.json has keys English lacks"
    assert [k for k, v in other.items() if not v.strip()] == []


def _categories(lang: str, kind: str) -> set[str]:
    locale = Locale.parse(lang)
    form = locale.plural_form if kind == "plural" else locale.ordinal_form
    return set(form.tags) | {"other"}


@pytest.mark.parametrize(("name", "folder", "roots"), _all_sets(), ids=list(CATALOG_SETS))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_and_plurals_are_consistent(name: str, folder: Path, roots: list[Path], lang: str) -> None:
    """Each message parses as ICU, has the English placeholders, and gives every CLDR plural category."""
    english, catalog = _catalog(folder, "en"), _catalog(folder, lang)
    problems: list[str] = []
    for key, text in catalog.items():
        try:
            parts = icu.parse(text)
        except icu.IcuError as exc:
            problems.append(f"{key}: {exc}")
            continue
        wanted_args = icu.arguments(icu.parse(english[key]))
        if icu.arguments(parts) != wanted_args:
            problems.append(f"{key}: placeholders {icu.arguments(parts)} != English {wanted_args}")
        for arg in icu.plural_arguments(parts):
            wanted = _categories(lang, arg.kind)
            given = {s for s in arg.options if not s.startswith("=")}
            if wanted - given:
                problems.append(f"{key}: {arg.name} lacks {sorted(wanted - given)}")
            if given - wanted:
                problems.append(f"{key}: {arg.name} has categories {lang} does not use: {sorted(given - wanted)}")
    assert not problems, f"{folder.name}/{lang}.json:\n" + "\n".join(problems)


def test_the_same_languages_on_the_server_and_in_the_browser() -> None:
    """A language has both catalogs, for the screens, the widget and the server's gettext texts."""
    locales = ROOT / "contact_center" / "i18n" / "locales"
    server = {p.parent.parent.name for p in locales.glob("*/LC_MESSAGES/messages.po")}
    for folder, _ in CATALOG_SETS.values():
        assert {p.stem for p in folder.glob("*.json")} == server == set(LANGUAGES)


@pytest.mark.parametrize(("source", "flagged"), [
    ('el.textContent = "Sign in";', True),
    ('el.textContent = t("login.submit");', False),
    ('h("button", { class: "btn primary" }, "Accept ", h("kbd", {}, "A"));', True),
    ('h("button", { class: "btn primary" }, t("offer.accept"), " ", h("kbd", {}, "A"));', False),
    ('h("input", { placeholder: "Search" });', True),
    ('h("span", { "aria-label": `${n} new` });', True),
    ('h("span", {}, x ? "Busy" : null);', True),
    ('h("span", {}, [a, b].filter(Boolean).join(" · "));', False),
    ('announce(`Screen pop: ${who}`);', True),
    ('el.setAttribute("title", "Refresh");', True),
    ('el.setAttribute("data-state", "busy");', False),
    ('const CANCEL = { timeout: "The offer timed out" };', True),
    ('console.warn("session check failed", err);', False),
    ('throw new Error(`#${id} is missing from the page`);', False),
    ('if (event.key === "Escape") return;', False),
    ('const x = h("kbd", { translate: "no" }, "Ctrl");', False),
    ('line.textContent = who || "Agent";', True),
    ('replace(el, "No conversations");', True),
    ('text.replace(/_/g, " · ");', False),
])
def test_the_detector_flags_text_for_people_only(source: str, flagged: bool) -> None:
    """The literal detector: text on screen is flagged, codes, keys and developer messages are not."""
    tokens = tokenize(source)
    assert bool(sink_findings(tokens) + prose_findings(tokens)) is flagged


@pytest.mark.parametrize(("page", "flagged"), [
    ('<p>Ready for the next contact</p>', True),
    ('<p data-i18n="desk.empty.title">Ready for the next contact</p>', False),
    ('<button aria-label="Close">x</button>', True),
    ('<button data-i18n-attr="aria-label:common.close" aria-label="Close">x</button>', False),
    ('<span translate="no">CC</span><kbd>Ctrl</kbd>', False),
])
def test_the_page_check_flags_untranslated_text(page: str, flagged: bool) -> None:
    """The HTML check: text nodes and text attributes need data-i18n / data-i18n-attr."""
    check = HtmlCheck()
    check.feed(page)
    assert bool(check.findings) is flagged


def test_the_catalog_key_pattern() -> None:
    """Keys are flat, dotted, lower case: the literal that names them can be found by a search."""
    for folder, _ in CATALOG_SETS.values():
        bad = [k for k in _catalog(folder, "en") if not KEY.match(k)]
        assert bad == []
    assert re.fullmatch(KEY, "desk.offer.accept")
