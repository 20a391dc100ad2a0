"""Sanitiser for HTML e-mail bodies.

HTML mail is hostile input: anyone can send us markup designed to run
script, steal the session, phish with look-alike forms, or report back to a
tracker the moment the message is opened.  This module is the first of three
layers of defence:

1. **This sanitiser** (server side, no Django dependency).  A strict
   allowlist built on bleach/html5lib.  The input is parsed with a
   spec-compliant HTML5 parser, exactly as a browser would, and re-serialised
   from the tree, so the output is well-formed and contains only allowlisted
   HTML elements: never raw-text/RCDATA elements (``<style>``, ``<script>``,
   ``<textarea>``, ``<noscript>``, ``<title>``...) and never SVG/MathML
   content.  Re-parsing it may re-nest allowlisted elements (an ``<h6>``
   inside an ``<h1>`` closes the ``<h1>``) but can never turn text into
   markup, so mutation-XSS tricks have nothing to mutate.
   Every URL-bearing attribute is checked against a scheme allowlist after
   entity decoding, inline CSS goes through a value-level allowlist, and
   remote content is blocked unless the user asked for it.
2. **A sandboxed iframe**: the result is shown in ``<iframe sandbox
   srcdoc=...>`` without ``allow-scripts``/``allow-same-origin``, so even a
   sanitiser bug cannot run script with the webmail's origin.
3. **A Content-Security-Policy** on the view that blocks script and, unless
   remote content was allowed, remote loads (``img-src`` limited to our own
   attachment URLs, ``data:`` and, when allowed, ``https:``/``http:``).

Layers 2 and 3 live in the views/templates; this module must stay safe on its
own anyway.

Decisions (see also the comments in the code):

* ``<style>`` blocks are dropped with their content.  Sanitising a style
  sheet safely needs a full CSS selector/at-rule sanitiser (``@import``,
  ``@font-face``, ``url()`` in any property, selectors that could restyle
  our own UI, ``</style>`` break-outs...), and the output would be a raw-text
  element — exactly what mutation-XSS feeds on.  Inline ``style=``
  attributes, which carry most of the layout of real-world mail, are kept.
* ``data:`` images are kept only for ``data:image/(png|gif|jpeg|webp);base64``
  (no SVG, which can carry script).  They are inert, local and common in
  mails written with Apple Mail/Outlook; the CSP must allow ``img-src data:``.
* CSS ``url()`` (and ``image-set()``, ``@import``...) is *always* removed,
  even with ``allow_remote=True``: only ``<img src>`` is unblocked.  The whole
  declaration that contained it is dropped.
* ``srcset``, ``background``, ``lowsrc``, ``dynsrc``, ``poster``, ``ping``,
  ``action`` and ``formaction`` are never kept.
* ``class`` and ``id`` are dropped: without the style blocks classes have no
  effect, and dropping them keeps a message from borrowing any class or
  anchor of the viewer's own markup.
* Forms and form controls are dropped *with* their content (phishing forms
  should not leave a "type your password here" prompt behind).
* html5lib has quadratic corners (very deep nesting, thousands of attributes
  on one tag); both are capped (``_MAX_DEPTH``, ``_MAX_ATTRIBUTES``).  Inputs
  of several MB still take seconds: callers should cap the size of what
  they render as HTML and cache the result.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

import tinycss2
from bleach import html5lib_shim
from bleach.css_sanitizer import CSSSanitizer
from bleach.sanitizer import BleachSanitizerFilter, Cleaner

from webmail.core.shallow import on_shallow_stack

__all__ = ["SanitizedHtml", "sanitize_html", "ALLOWED_TAGS", "ALLOWED_ATTRIBUTES"]


@dataclass(frozen=True)
class SanitizedHtml:
    #: Safe HTML fragment, to be shown inside <iframe sandbox srcdoc=...> under CSP.
    html: str
    #: True if remote content (http/https/protocol-relative images, CSS url(),
    #: srcset, background attributes, fonts, style sheets...) was removed or
    #: neutralised *because allow_remote was False*: the UI should offer
    #: "show remote content".  Always False when allow_remote=True.
    blocked_remote: bool


# --------------------------------------------------------------------------
# Allowlists
# --------------------------------------------------------------------------

ALLOWED_TAGS = frozenset(
    """
    div span p br hr h1 h2 h3 h4 h5 h6 b i u s strike em strong small sub sup
    blockquote pre code ul ol li dl dt dd a img table thead tbody tfoot tr td
    th caption colgroup col center font abbr address cite q figure figcaption
    section article header footer main nav details summary mark del ins big tt
    wbr
    """.split()
)

# Removed together with everything inside them.  These are also handed to the
# parser as "known" tags so that their content is tokenised exactly as a
# browser would (raw text for <script>/<style>/<iframe>..., RCDATA for
# <textarea>/<title>, foreign content for <svg>/<math>) and then discarded as
# a whole subtree.  Every other non-allowlisted tag is merely unwrapped
# (bleach strip=True): its text content stays visible.
DROP_WITH_CONTENT = frozenset(
    """
    script style noscript template title head iframe frame frameset noframes
    noembed object embed applet param form input button textarea select
    option optgroup datalist meta base link svg math
    """.split()
)

# Attributes allowed on every allowlisted tag.
_GLOBAL_ATTRS = ("align", "valign", "dir", "lang", "title", "style")

_TAG_ATTRS = {
    # target/rel are not accepted from the mail: they are always set by us.
    "a": ("href",),
    "img": ("src", "alt", "width", "height", "border", "hspace", "vspace"),
    "table": ("width", "height", "border", "bgcolor", "cellpadding", "cellspacing", "summary"),
    "td": ("width", "height", "bgcolor", "colspan", "rowspan", "nowrap", "scope", "abbr"),
    "th": ("width", "height", "bgcolor", "colspan", "rowspan", "nowrap", "scope", "abbr"),
    "tr": ("bgcolor", "height"),
    "thead": ("bgcolor",),
    "tbody": ("bgcolor",),
    "tfoot": ("bgcolor",),
    "col": ("span", "width"),
    "colgroup": ("span", "width"),
    "font": ("color", "face", "size"),
    "hr": ("width", "size", "color", "noshade"),
    "ol": ("start", "type", "reversed"),
    "ul": ("type",),
    "li": ("value", "type"),
    "div": ("width", "bgcolor"),
    "blockquote": ("type",),  # type="cite": quoting style of Apple Mail/Thunderbird
    "details": ("open",),
    "del": ("datetime",),
    "ins": ("datetime",),
}

ALLOWED_ATTRIBUTES = {tag: sorted(set(_GLOBAL_ATTRS) | set(_TAG_ATTRS.get(tag, ()))) for tag in ALLOWED_TAGS}

# Coarse first layer, applied by bleach to every URL attribute.  The exact
# per-attribute rules (which scheme for which attribute) are enforced
# afterwards by _MailPolicyFilter.
_BLEACH_PROTOCOLS = frozenset({"http", "https", "mailto", "tel", "cid", "data"})

_LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel"})

# Inline CSS properties we keep.  None of them is allowed a url(), and the
# value itself is checked token by token (see _css_value_is_safe).
CSS_PROPERTIES = frozenset(
    """
    color background-color background
    font font-family font-size font-style font-variant font-weight font-stretch
    text-align text-decoration text-decoration-color text-decoration-line
    text-decoration-style text-indent text-transform text-overflow
    letter-spacing word-spacing line-height vertical-align white-space
    word-break word-wrap overflow-wrap direction unicode-bidi
    margin margin-top margin-right margin-bottom margin-left
    padding padding-top padding-right padding-bottom padding-left
    border border-top border-right border-bottom border-left
    border-color border-style border-width
    border-top-color border-right-color border-bottom-color border-left-color
    border-top-style border-right-style border-bottom-style border-left-style
    border-top-width border-right-width border-bottom-width border-left-width
    border-collapse border-spacing border-radius
    border-top-left-radius border-top-right-radius
    border-bottom-left-radius border-bottom-right-radius
    width height min-width max-width min-height max-height
    display float clear overflow
    list-style-type list-style-position
    table-layout caption-side empty-cells box-sizing
    """.split()
)

# --------------------------------------------------------------------------
# Value helpers
# --------------------------------------------------------------------------

# Any attribute whose decoded value contains one of these is dropped,
# whatever the attribute (defence in depth: an alt= or title= never needs
# them, and a scheme check elsewhere could have a gap).
_DANGEROUS_MARKERS = (
    "javascript:",
    "vbscript:",
    "livescript:",
    "data:text",
    "expression(",
    "url(",
    "@import",
    "-moz-binding",
    "behavior:",
)

# Characters browsers ignore or strip inside URLs/attribute values, and that
# obfuscators therefore like to sprinkle into "java\tscript:".
_INVISIBLE_RE = re.compile(
    r"[\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f\u2060\u3000\ufeff]+"
)
_URL_TAB_NEWLINE_RE = re.compile(r"[\t\n\r]")
_URL_STRIP_CHARS = "".join(chr(c) for c in range(0x21))  # C0 controls and space
_SCHEME_RE = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")
_DATA_IMAGE_RE = re.compile(r"data:image/(?:png|gif|jpe?g|webp);base64,[A-Za-z0-9+/=\s]+", re.I)

# What counts as remote: "http(s):..." or "//host" (also "\\host", which
# browsers treat the same way in URLs with a special scheme).
_REMOTE_URL_RE = re.compile(r"(?:https?:|[/\\]{2})", re.I)
_REMOTE_SRCSET_RE = re.compile(r"https?:|(?:^|[\s,])[/\\]{2}", re.I)
_REMOTE_CSS_RE = re.compile(
    r"""(?:url|image-set|image|src)\s*\(\s*['"]?\s*(?:https?:|[/\\]{2})|@import""", re.I
)
_CSS_COMMENT_RE = re.compile(r"/\*.*?(?:\*/|$)", re.S)
_CSS_ESCAPE_RE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?|\\(.)", re.S)

# Attributes that make the browser fetch something on its own.
_REMOTE_ATTRS = frozenset({"src", "background", "lowsrc", "dynsrc", "poster", "data", "xlink:href"})
_REMOTE_SRCSET_ATTRS = frozenset({"srcset", "imagesrcset"})
_REMOTE_HREF_TAGS = frozenset({"link", "image", "use", "feimage"})
# Active content is removed for safety, not for privacy: allowing remote
# content would not bring it back, so it does not count as "remote content".
_ACTIVE_TAGS = frozenset({"script", "iframe", "frame", "object", "embed", "applet", "portal"})


def _decode(raw: str) -> str:
    """Attribute value as the browser will see it.

    Bleach keeps entities in attribute values as written and its serializer
    escapes every "&" that does not start a complete entity, so decoding the
    complete entities once yields exactly what the browser will decode.
    """
    return html5lib_shim.convert_entities(raw)


def _canonical_url(raw: str) -> str:
    # The URL parser drops tabs/newlines anywhere and C0/space at both ends.
    return _URL_TAB_NEWLINE_RE.sub("", _decode(raw)).strip(_URL_STRIP_CHARS)


def _encode(value: str) -> str:
    # Token values are "raw HTML" for bleach's serializer (entities are kept
    # as written), so a literal "&" must be written as "&amp;".
    return value.replace("&", "&amp;")


def _value_is_inert(raw: str) -> bool:
    squashed = _INVISIBLE_RE.sub("", _decode(raw)).lower()
    return not any(marker in squashed for marker in _DANGEROUS_MARKERS)


def _css_plain(css: str) -> str:
    """CSS with comments removed and escapes resolved (for detection only)."""

    def unescape(match: re.Match) -> str:
        if match.group(1):
            code = int(match.group(1), 16)
            return chr(code) if 0 < code < 0x110000 and not 0xD800 <= code <= 0xDFFF else ""
        return match.group(2)

    return _CSS_ESCAPE_RE.sub(unescape, _CSS_COMMENT_RE.sub("", css))


def _is_remote_attr(tag: str, name: str, raw: str) -> bool:
    if tag in _ACTIVE_TAGS:
        return False
    if name in _REMOTE_ATTRS or (name == "href" and tag in _REMOTE_HREF_TAGS):
        return bool(_REMOTE_URL_RE.match(_canonical_url(raw)))
    if name in _REMOTE_SRCSET_ATTRS:
        return bool(_REMOTE_SRCSET_RE.search(_decode(raw)))
    if name == "style":
        return bool(_REMOTE_CSS_RE.search(_css_plain(_decode(raw))))
    return False


# --------------------------------------------------------------------------
# CSS
# --------------------------------------------------------------------------

_CSS_PLAIN_TOKENS = frozenset({"whitespace", "ident", "number", "percentage", "dimension", "hash"})
_CSS_LITERALS = frozenset({",", "/", "+", "-", "*"})
_CSS_FUNCTIONS = frozenset({"rgb", "rgba", "hsl", "hsla", "calc"})
# Font names are the only strings we need; they never contain these.
_CSS_BAD_STRING_RE = re.compile(r"[\\/:()@&<>;{}\x00-\x1f\x7f]")
_CSS_BAD_VALUE_RE = re.compile(r"[\\&<>@;{}:`\x00-\x1f\x7f]")
_CSS_BAD_VALUE_MARKERS = (
    "url(",
    "expression",
    "javascript",
    "vbscript",
    "binding",
    "behavior",
    "image-set",
    "//",
)


def _css_value_is_safe(tokens) -> bool:
    """Allowlist of CSS value tokens: no url, no unknown function, no block."""
    for token in tokens:
        kind = token.type
        if kind in _CSS_PLAIN_TOKENS:
            continue
        if kind == "literal" and token.value in _CSS_LITERALS:
            continue
        if kind == "string" and not _CSS_BAD_STRING_RE.search(token.value):
            continue
        if kind == "function" and token.lower_name in _CSS_FUNCTIONS and _css_value_is_safe(token.arguments):
            continue
        return False  # url, unknown function, (), [], {}, at-keyword, error...
    return True


def _sanitize_style(style: str) -> str:
    # The attribute value still holds its entities (&quot; around font names
    # in Outlook mail, or &#40; used to hide "url(" ...): decode first so we
    # judge the CSS the browser will actually see.
    declarations = tinycss2.parse_declaration_list(_decode(style), skip_comments=True, skip_whitespace=True)
    kept = []
    for decl in declarations:
        if decl.type != "declaration" or decl.lower_name not in CSS_PROPERTIES:
            continue  # also drops at-rules (@import) and parse errors
        if not _css_value_is_safe(decl.value):
            continue
        value = tinycss2.serialize(decl.value).strip()
        lowered = value.lower()
        if (
            not value
            or _CSS_BAD_VALUE_RE.search(value)
            or any(marker in lowered for marker in _CSS_BAD_VALUE_MARKERS)
        ):
            continue
        kept.append(f"{decl.lower_name}: {value}{' !important' if decl.important else ''}")
    return "; ".join(kept)


_CACHED_STYLE_MAX_LEN = 500
_sanitize_style_cached = functools.lru_cache(maxsize=4096)(_sanitize_style)


class MailCssSanitizer(CSSSanitizer):
    """CSSSanitizer that also checks values, not just property names.

    Bleach's stock CSSSanitizer only filters property names, so
    ``color: url(http://tracker/)`` or ``width: expression(...)`` would pass.
    """

    def __init__(self) -> None:
        super().__init__(allowed_css_properties=CSS_PROPERTIES, allowed_svg_properties=frozenset())

    def sanitize_css(self, style: str) -> str:
        # Mail repeats the same few styles on every cell: cache the short ones
        # (only those, so that hostile mail cannot fill the memory).
        if len(style) <= _CACHED_STYLE_MAX_LEN:
            return _sanitize_style_cached(style)
        return _sanitize_style(style)


# --------------------------------------------------------------------------
# Parser and token filters
# --------------------------------------------------------------------------


@dataclass
class _Policy:
    """Per-call options and findings (the cleaner itself is shared)."""

    allow_remote: bool = False
    cid_url: Callable[[str], str | None] | None = None
    remote_seen: bool = False


# Denial-of-service guards.  html5lib checks element scope in O(depth) for
# every tag and duplicate attributes in O(attributes) for every attribute, so
# 20,000 nested <div>s or one tag with 20,000 attributes (~200 KB of mail)
# would cost seconds of CPU each.  Real mail is nowhere near these limits.
_MAX_DEPTH = 256  # deeper start tags are unwrapped (Chrome stops nesting at 512)
_MAX_ATTRIBUTES = 128  # per tag; beyond that the oldest ones are forgotten


class _SpottingTokenizer(html5lib_shim.BleachHTMLTokenizer):
    """Bleach tokenizer that notes remote references before anything is
    removed, and enforces the denial-of-service guards.

    Spotting has to happen here: tags bleach strips (``<body background=...>``,
    ``<source srcset=...>``) never reach the tree.
    """

    def emitCurrentToken(self):
        token = self.currentToken
        if token["type"] == html5lib_shim.TAG_TOKEN_TYPE_START:
            if not self.parser.remote_seen:
                tag = token["name"].lower()
                # At this point "data" is still the raw list of [name, value] pairs.
                for name, value in token["data"]:
                    if _is_remote_attr(tag, name.lower(), value):
                        self.parser.remote_seen = True
                        break
            if len(self.parser.tree.openElements) >= _MAX_DEPTH:
                # Unwrap, the way bleach strips a disallowed tag.
                stripped = {"type": html5lib_shim.TAG_TOKEN_TYPE_CHARACTERS, "data": ""}
                self.currentToken = self.emitted_last_token = stripped
                self.tokenQueue.append(stripped)
                self.state = self.dataState
                return
        super().emitCurrentToken()

    def attributeNameState(self):
        attributes = self.currentToken["data"]
        if len(attributes) > _MAX_ATTRIBUTES:
            del attributes[:-_MAX_ATTRIBUTES]  # keep the last one: it is being read
        return super().attributeNameState()


class _MailParser(html5lib_shim.BleachHTMLParser):
    remote_seen = False

    def _parse(self, stream, innerHTML=False, container="div", scripting=True, **kwargs):
        # Same as BleachHTMLParser._parse, with our tokenizer.  scripting=True
        # makes <noscript> raw text, as in a browser; it is dropped anyway.
        self.remote_seen = False
        self.innerHTMLMode = innerHTML
        self.container = container
        self.scripting = scripting
        self.tokenizer = _SpottingTokenizer(
            stream=stream, consume_entities=self.consume_entities, parser=self, **kwargs
        )
        self.reset()
        try:
            self.mainLoop()
        except html5lib_shim.ReparseException:
            self.reset()
            self.mainLoop()


class _DropSubtreesFilter(html5lib_shim.Filter):
    """Removes DROP_WITH_CONTENT elements, and anything not in the HTML
    namespace (SVG/MathML content), together with all their descendants."""

    def __init__(self, source, policy: _Policy):
        super().__init__(source)
        self.policy = policy

    def __iter__(self):
        dropping = []  # open elements of the subtree being dropped
        for token in super().__iter__():
            kind = token["type"]
            if dropping:
                if kind == "StartTag":
                    dropping.append(token["name"])
                elif kind == "EndTag":
                    dropping.pop()
                elif kind == "Characters" and dropping[-1] == "style":
                    # <style> blocks: @import, @font-face and url() are remote loads.
                    if _REMOTE_CSS_RE.search(_css_plain(token["data"])):
                        self.policy.remote_seen = True
                continue
            if kind in ("StartTag", "EmptyTag", "EndTag") and (
                token["name"] in DROP_WITH_CONTENT
                or token.get("namespace") not in (None, html5lib_shim.namespaces["html"])
            ):
                if kind == "StartTag":
                    dropping.append(token["name"])
                continue
            yield token


class _MailPolicyFilter(html5lib_shim.Filter):
    """Runs after bleach: exact URL rules, link hardening, image blocking."""

    def __init__(self, source, policy: _Policy):
        super().__init__(source)
        self.policy = policy

    def __iter__(self):
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag"):
                attrs = {
                    key: value
                    for key, value in (token.get("data") or {}).items()
                    # (an empty style is what is left when no declaration was safe)
                    if _value_is_inert(value) and (value or key != (None, "style"))
                }
                if token["name"] == "a":
                    attrs = self._link(attrs)
                elif token["name"] == "img":
                    attrs = self._image(attrs)
                token["data"] = attrs
            yield token

    @staticmethod
    def _link(attrs: dict) -> dict:
        href = attrs.get((None, "href"))
        if href is not None:
            url = _canonical_url(href)
            if url.startswith("//"):
                url = "https:" + url
            match = _SCHEME_RE.match(url)
            if match and match.group(1).lower() in _LINK_SCHEMES and _value_is_inert(url):
                attrs[(None, "href")] = _encode(url)
            else:
                del attrs[(None, "href")]
        # Links always open outside the sandboxed frame, without giving the
        # target page a handle on us or a Referer leaking the message URL.
        attrs[(None, "target")] = "_blank"
        attrs[(None, "rel")] = "noopener noreferrer"
        return attrs

    def _image(self, attrs: dict) -> dict:
        src = attrs.get((None, "src"))
        if src is not None:
            new_src = self._image_src(_canonical_url(src))
            if new_src and _value_is_inert(new_src):
                attrs[(None, "src")] = _encode(new_src)
            else:
                del attrs[(None, "src")]
        # An <img> without src shows its alt text: the reader still sees what
        # was there, and nothing is fetched.
        return attrs

    def _image_src(self, url: str) -> str | None:
        match = _SCHEME_RE.match(url)
        scheme = match.group(1).lower() if match else None
        if scheme == "cid":
            if self.policy.cid_url is None:
                return None
            content_id = unquote(url[4:]).strip().strip("<>")
            mapped = self.policy.cid_url(content_id) if content_id else None
            return mapped if isinstance(mapped, str) else None
        if scheme in ("http", "https") or (scheme is None and url.startswith("//")):
            if not self.policy.allow_remote:
                self.policy.remote_seen = True
                return None
            return url if scheme else "https:" + url
        if scheme == "data" and _DATA_IMAGE_RE.fullmatch(url):
            return url
        return None  # relative URLs are meaningless in a mail, other schemes unsafe


class MailCleaner(Cleaner):
    """bleach Cleaner configured for e-mail.

    Not thread-safe (the html5lib parser keeps state), like bleach's Cleaner:
    use sanitize_html(), which keeps one instance per thread.
    """

    def __init__(self) -> None:
        super().__init__(
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            protocols=_BLEACH_PROTOCOLS,
            strip=True,
            strip_comments=True,
            css_sanitizer=MailCssSanitizer(),
        )
        self.parser = _MailParser(
            tags=ALLOWED_TAGS | DROP_WITH_CONTENT,
            strip=True,
            consume_entities=False,
            namespaceHTMLElements=False,
        )
        # Always quote with '"': bleach only fixes up "&" in "-quoted values.
        self.serializer.use_best_quote_char = False

    def clean(self, text: str) -> str:
        return self.clean_mail(text, _Policy())

    def clean_mail(self, text: str, policy: _Policy) -> str:
        if not isinstance(text, str):
            raise TypeError(f"expected str, got {type(text).__name__}")
        if not text:
            return ""
        dom = self.parser.parseFragment(text)
        policy.remote_seen = policy.remote_seen or self.parser.remote_seen
        stream = _DropSubtreesFilter(self.walker(dom), policy)
        stream = BleachSanitizerFilter(
            source=stream,
            allowed_tags=self.tags,
            attributes=self.attributes,
            allowed_protocols=self.protocols,
            strip_disallowed_tags=True,
            strip_html_comments=True,
            css_sanitizer=self.css_sanitizer,
        )
        stream = _MailPolicyFilter(stream, policy)
        return self.serializer.render(stream)


# One cleaner per thread, built on first use: the parser is not thread-safe
# and building it costs more than a small mail takes to clean.
_local = threading.local()


def _cleaner() -> MailCleaner:
    cleaner = getattr(_local, "cleaner", None)
    if cleaner is None:
        cleaner = _local.cleaner = MailCleaner()
    return cleaner


def _clean(html: str, policy: _Policy) -> str:
    return _cleaner().clean_mail(html, policy)


def sanitize_html(
    html: str,
    *,
    allow_remote: bool = False,
    cid_url: Callable[[str], str | None] | None = None,
) -> SanitizedHtml:
    """Sanitise an HTML mail body for display in a sandboxed iframe.

    ``allow_remote``: keep http(s) ``<img src>`` (CSS url() is still removed).
    ``cid_url``: maps a Content-ID (without "cid:" and angle brackets) to the
    URL serving that inline part; when missing or returning None, the
    ``src`` is dropped. Runs on a shallow stack (`on_shallow_stack`).
    """
    policy = _Policy(allow_remote=allow_remote, cid_url=cid_url)
    cleaned = on_shallow_stack(_clean, html or "", policy)
    return SanitizedHtml(html=cleaned, blocked_remote=policy.remote_seen and not allow_remote)
