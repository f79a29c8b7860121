"""A printed page cannot load or send anything (security review round 4, H2).

Two independent locks, each enough on its own in a current browser:

1. A Content-Security-Policy that cmtk writes as the first element of <head>: nothing but inline styles
   and data: images, no base URL, no form target. A policy in a <meta> applies to what follows it, so it
   must come before anything a template wrote.
2. A check of the rendered page with an HTML parser: only the elements and attributes a printed form
   needs (an allow-list, not a list of known dangers), no script or event handler, no attribute that can
   carry a URL except a data: image, no comment or processing instruction (where parsers disagree with
   browsers), and style sheets and style attributes that name no URL (url(), @import, image-set()...,
   CSS escapes decoded first).

A store's own templates (`.cmtk/templates/`) may come from anywhere the store was copied from, so they are
treated as hostile; the bundled ones pass the same check.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from cmtk.errors import CmtkError

POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
POLICY_TAG = f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">'

# What a printed form is made of. Anything else (script, link, base, meta refresh, iframe, object, embed,
# svg, math, form, a, audio, video, picture, template, noscript...) is refused.
ALLOWED_TAGS = frozenset(
    "html head body meta title style div span p br hr h1 h2 h3 h4 h5 h6 section header footer main article "
    "aside figure figcaption table thead tbody tfoot tr th td col colgroup caption b i u s em strong small "
    "sub sup mark ul ol li dl dt dd blockquote pre code img".split()
)
# Charts cmtk draws itself (the benchmark stars): plain shapes and text. No <image>, <use>, <a>,
# <foreignObject>, <style>, <script> or animation, which could load, link or run something.
SVG_TAGS = frozenset("svg g defs pattern polygon polyline line rect circle ellipse path text tspan".split())
SVG_ATTRIBUTES = frozenset(
    "viewbox points fill fill-opacity stroke stroke-width stroke-dasharray stroke-opacity opacity x y x1 y1 x2 y2 "
    "cx cy r rx ry d font-size font-weight text-anchor dominant-baseline transform preserveaspectratio patternunits "
    "width height".split()
)
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
# Attributes that carry no URL and run nothing; `style` is checked as CSS, `src` only on <img> as a data:
# image, `name`/`content`/`charset` only on <meta> (charset and viewport).
ALLOWED_ATTRIBUTES = frozenset(
    "class id lang dir title colspan rowspan scope span width height alt role align valign".split()
)
_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*$")
_VIEWPORT = re.compile(r"^[a-z0-9=,.\- ]*$", re.IGNORECASE)
# In CSS (comments and strings removed, escapes decoded): every way a style sheet can name a resource.
_CSS_URL = re.compile(
    r"url\(|@import|@font-face|@namespace|image-set\(|image\(|src\(|cross-fade\(|expression\(|behavior\s*:"
    r"|-moz-binding|//",
)
_FRAGMENT_URL = re.compile(r"^\s*url\(\s*#[A-Za-z][A-Za-z0-9_-]*\s*\)\s*$")
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?|\\(.)", re.DOTALL)


class PageRefused(CmtkError):
    pass


def check_self_contained(html: str) -> str:
    """The page with cmtk's Content-Security-Policy first in <head>; refused when it could reach outside itself.

    Idempotent: a page that already starts its <head> with cmtk's policy is checked and returned as it is.
    """
    checker = _Checker()
    try:
        checker.feed(html)
        checker.close()
    except PageRefused:
        raise
    except Exception as error:  # noqa: BLE001 - html.parser raises assorted errors on malformed input
        checker.refuse(f"markup cmtk cannot read ({type(error).__name__})")
    if checker.head_end is None:
        checker.refuse("no <head> element for the page's security policy")
    if checker.has_policy:
        return html
    return html[: checker.head_end] + "\n" + POLICY_TAG + html[checker.head_end :]


def css_problem(text: str) -> str | None:
    """What in a style sheet (or style attribute) could load something, or None."""
    if "<" in text or "\x00" in text:
        return "'<' in a style sheet (it could end the <style> element)"
    plain = _decode_escapes(_strip_strings(_strip_comments(text))).lower()
    plain = "".join(plain.split())  # `url (` is not url(, but `u r l(` is not either: spaces go
    found = _CSS_URL.search(plain)
    return f"{found.group(0)!r} in a style" if found else None


def _strip_comments(text: str) -> str:
    return re.sub(r"/\*.*?(\*/|$)", " ", text, flags=re.DOTALL)


def _strip_strings(text: str) -> str:
    """CSS with every quoted string replaced by "" (a string alone loads nothing; url("...") still shows)."""
    out, index, quote = [], 0, None
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 2
                continue
            if char == quote or char == "\n":
                quote = None
                out.append('""')
        elif char in "\"'":
            quote = char
        else:
            out.append(char)
        index += 1
    return "".join(out)


def _decode_escapes(text: str) -> str:
    def one(match: re.Match) -> str:
        if match.group(1):
            number = int(match.group(1), 16)
            return chr(number) if 0 < number <= 0x10FFFF else "\ufffd"
        return match.group(2)

    return _CSS_ESCAPE.sub(one, text)


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.head_end: int | None = None
        self.has_policy = False
        self.first_in_head = False  # the next element is the first inside <head>
        self.before_head: list[str] = []
        self._line_starts = [0]
        self._text = ""

    def feed(self, data: str) -> None:
        if "\x00" in data:
            self.refuse("a NUL character")
        self._text += data
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", self._text)]
        super().feed(data)

    def refuse(self, what: str) -> None:
        raise PageRefused.of("page-reaches-outside", what=what)

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs)
        if tag not in ("meta", "br", "hr", "img", "col") and tag not in SVG_TAGS - {"svg", "g", "text", "tspan"}:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def _element(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS and tag not in SVG_TAGS:
            self.refuse(f"a <{tag}> element")
        first_in_head, self.first_in_head = self.first_in_head, False
        if tag == "head":
            if self.head_end is not None:
                self.refuse("a second <head>")
            if any(t != "html" for t in self.before_head):
                self.refuse("markup before <head>")
            self.head_end = self._offset() + len(self.get_starttag_text() or "")
            self.first_in_head = True
        elif self.head_end is None:
            self.before_head.append(tag)
        if tag == "meta":
            self._meta(attrs, first_in_head)
            return
        for name, value in attrs:
            self._attribute(tag, name, value or "")

    def _meta(self, attrs: list[tuple[str, str | None]], first: bool) -> None:
        given = {name: value or "" for name, value in attrs}
        if given.keys() == {"charset"} and given["charset"].lower() == "utf-8":
            return
        if given.keys() == {"name", "content"} and given["name"] == "viewport" and _VIEWPORT.match(given["content"]):
            return
        if (
            first
            and not self.has_policy
            and given == {"http-equiv": "Content-Security-Policy", "content": POLICY}
            and list(given) == [a for a, _ in attrs]
        ):
            self.has_policy = True
            return
        self.refuse("a <meta> other than charset and viewport (refresh, a policy of its own...)")

    def _attribute(self, tag: str, name: str, value: str) -> None:
        if tag in SVG_TAGS and (name in SVG_ATTRIBUTES or (tag == "svg" and name == "xmlns")):
            in_page = _FRAGMENT_URL.sub("", value)  # fill="url(#hatch)" names a pattern of this page: loads nothing
            if value != SVG_NAMESPACE if name == "xmlns" else css_problem(in_page):
                self.refuse(f"a {name}= attribute on <{tag}> that names something")
            return
        if name == "style":
            problem = css_problem(value)
            if problem:
                self.refuse(problem)
        elif name == "src" and tag == "img":
            if not _DATA_IMAGE.match(value.strip()):
                self.refuse("an image that is not a data: URL")
        elif name not in ALLOWED_ATTRIBUTES and not name.startswith(("aria-", "data-")):
            self.refuse(f"a {name}= attribute on <{tag}>")

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] == "style":
            problem = css_problem(data)
            if problem:
                self.refuse(problem)

    def handle_comment(self, data: str) -> None:
        self.refuse("an HTML comment (browsers and parsers disagree on where some end)")

    def handle_pi(self, data: str) -> None:
        self.refuse("a processing instruction")

    def unknown_decl(self, data: str) -> None:
        self.refuse("a <![...]> section")

    def handle_decl(self, decl: str) -> None:
        if decl.strip().lower() != "doctype html":
            self.refuse("a declaration other than <!DOCTYPE html>")
