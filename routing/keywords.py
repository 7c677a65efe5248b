"""Keyword matching for ``contains_any`` rules: whole words, prefixes and phrases. Pure.

Text is folded (Unicode NFC, case-folded) and split into words; a keyword matches a whole word
(``invoice``), a word start (``rechnung*`` matches ``Rechnungsadresse``) or a run of words
(``not working``). :class:`FieldIndex` answers every keyword rule on one field in one pass.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

WORD = re.compile(r"\w+")
_STEM = 3
MEMO_TOKENS = 50_000  # distinct words whose hits FieldIndex remembers (then it starts over)


def fold(text: str) -> str:
    """Case-insensitive, Unicode-normalised form used for every text comparison."""
    if not text.isascii():  # ASCII text is already in NFC
        text = unicodedata.normalize("NFC", text)
    return text.casefold().strip()


# ASCII bytes that are not word characters (for ASCII text, ``\w`` is exactly [A-Za-z0-9_]) -> space.
_ASCII_SPACES = bytes(c if (chr(c).isascii() and (chr(c).isalnum() or c == ord("_"))) else 32 for c in range(256))


def words(text: str) -> tuple[frozenset[str], str]:
    """The folded words of *text*, and the words joined by single spaces (with a space at each end)."""
    folded = fold(text)
    # ASCII: the same split as WORD.findall, without a regex match object per word.
    tokens = folded.encode().translate(_ASCII_SPACES).decode().split() if folded.isascii() else WORD.findall(folded)
    return frozenset(tokens), " " + " ".join(tokens) + " "


@dataclass(frozen=True, slots=True)
class Keywords:
    """contains_any's compiled value: whole words, prefixes (``rechnung*``) and phrases.

    Prefixes are indexed by their first three letters, so checking a field costs one dict
    lookup per word of the field, however many keywords the rule lists.
    """

    words: frozenset[str]
    prefixes: tuple[str, ...]
    phrases: tuple[str, ...]
    by_stem: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    short: tuple[str, ...] = ()  # prefixes under three letters, checked against every word

    @classmethod
    def compile(cls, items: Iterable[str]) -> Keywords:
        words, prefixes, phrases = set(), [], []
        for item in items:
            tokens = WORD.findall(fold(item))
            if not tokens:
                continue
            if len(tokens) > 1:
                phrases.append(" " + " ".join(tokens) + " ")
            elif item.strip().endswith("*"):
                prefixes.append(tokens[0])
            else:
                words.add(tokens[0])
        by_stem: dict[str, list[str]] = {}
        for prefix in prefixes:
            if len(prefix) >= _STEM:
                by_stem.setdefault(prefix[:_STEM], []).append(prefix)
        short = tuple(p for p in prefixes if len(p) < _STEM)
        return cls(frozenset(words), tuple(prefixes), tuple(phrases),
                   {k: tuple(v) for k, v in by_stem.items()}, short)

    def find(self, tokens: frozenset[str], joined: str) -> str | None:
        """The keyword present in a field's words (see :func:`words`), or None."""
        hit = self.words & tokens
        if hit:
            return min(hit)
        if self.prefixes:
            found = [p for t in tokens for p in (*self.by_stem.get(t[:_STEM], ()), *self.short) if t.startswith(p)]
            if found:
                return min(found) + "*"
        phrases = [p.strip() for p in self.phrases if p in joined]
        return min(phrases) if phrases else None


class FieldIndex:
    """Every contains_any keyword of one field across the table: one pass over a contact's words
    answers all of those rules at once (the same result as each rule's :meth:`Keywords.find`)."""

    def __init__(self) -> None:
        self.words: dict[str, list[int]] = {}
        self.stems: dict[str, list[tuple[str, int]]] = {}
        self.short: list[tuple[str, int]] = []
        self.phrases: list[tuple[str, int]] = []
        self._memo: dict[str, tuple[tuple[int, int, str], ...]] = {}  # word -> what it hits (a cache)
        self._misses: set[str] = set()  # the words in _memo that hit nothing
        self._phrases: list[tuple[str, str, int]] = []  # (first word, phrase, rule number)

    def add(self, number: int, keywords: Keywords) -> None:
        for word in keywords.words:
            self.words.setdefault(word, []).append(number)
        for prefix in keywords.prefixes:
            if len(prefix) >= _STEM:
                self.stems.setdefault(prefix[:_STEM], []).append((prefix, number))
            else:
                self.short.append((prefix, number))
        self.phrases.extend((phrase, number) for phrase in keywords.phrases)
        self._phrases.extend((phrase.split()[0], phrase, number) for phrase in keywords.phrases)
        self._memo.clear()
        self._misses.clear()

    def scan(self, tokens: frozenset[str], joined: str) -> dict[int, str]:
        """Rule number -> the keyword that matched (exact word, else prefix, else phrase; then alphabetical)."""
        best: dict[int, tuple[int, str]] = {}
        memo, misses = self._memo, self._misses
        for token in tokens - misses:  # most words hit nothing, and are known not to after their first time
            found = memo.get(token)
            if found is None:
                found = self._token_hits(token)
                if len(memo) >= MEMO_TOKENS:
                    memo.clear()
                    misses.clear()
                memo[token] = found
                if not found:
                    misses.add(token)
            for number, rank, keyword in found:
                current = best.get(number)
                if current is None or (rank, keyword) < current:
                    best[number] = (rank, keyword)
        for first, phrase, number in self._phrases:
            if first in tokens and phrase in joined:
                _keep(best, (number,), 2, phrase.strip())
        return {number: keyword for number, (_, keyword) in best.items()}

    def _token_hits(self, token: str) -> tuple[tuple[int, int, str], ...]:
        # What one word hits, computed once per distinct word: (rule number, 0 word / 1 prefix, keyword).
        best: dict[int, tuple[int, str]] = {}
        if token in self.words:
            _keep(best, self.words[token], 0, token)
        candidates = self.stems.get(token[:_STEM])
        if candidates:
            _keep_prefixes(best, token, candidates)
        if self.short:
            _keep_prefixes(best, token, self.short)
        return tuple((number, rank, keyword) for number, (rank, keyword) in best.items())


def _keep(best: dict[int, tuple[int, str]], numbers: Iterable[int], rank: int, keyword: str) -> None:
    for number in numbers:
        current = best.get(number)
        if current is None or (rank, keyword) < current:
            best[number] = (rank, keyword)


def _keep_prefixes(best: dict[int, tuple[int, str]], token: str, candidates: Iterable[tuple[str, int]]) -> None:
    for prefix, number in candidates:
        if token.startswith(prefix):
            _keep(best, (number,), 1, prefix + "*")
