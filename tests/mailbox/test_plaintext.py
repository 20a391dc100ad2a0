"""Tests for webmail.mailbox.plaintext.text_to_html."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from webmail.mailbox.plaintext import text_to_html

LINK = '<a href="{href}" target="_blank" rel="noopener noreferrer">{text}</a>'
QUOTE_OPEN = '<details class="quoted"><summary>···</summary>'


class _Collector(HTMLParser):
    """Records every tag and attribute the output contains, and its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def collect(markup: str) -> _Collector:
    parser = _Collector()
    parser.feed(markup)
    parser.close()
    return parser


def assert_safe(markup: str) -> None:
    """Only the documented tags/attributes, only http(s)/mailto links."""
    for tag, attrs in collect(markup).tags:
        assert tag in {"a", "details", "summary", "div"}, tag
        assert set(attrs) <= {"href", "target", "rel", "class"}, attrs
        if tag == "a":
            assert attrs["href"].startswith(("http://", "https://", "mailto:")), attrs
            assert (attrs["target"], attrs["rel"]) == ("_blank", "noopener noreferrer")


def test_everything_is_escaped():
    out = text_to_html('<script>alert("x")</script> & <b onclick=\'y\'>bold</b>')
    assert out == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; "
        "&lt;b onclick=&#x27;y&#x27;&gt;bold&lt;/b&gt;"
    )
    assert collect(out).tags == []


def test_empty_and_line_breaks():
    assert text_to_html("") == ""
    # Line breaks stay "\n" (for white-space: pre-wrap); CRLF and CR are normalised.
    assert text_to_html("one\r\ntwo\rthree\n\nfive\n") == "one\ntwo\nthree\n\nfive\n"
    assert "<br" not in text_to_html("a\nb")
    assert text_to_html("bell\x07 nul\x00 tab\tok") == "bell nul tab\tok"


WIKI = "https://en.wikipedia.org/wiki/Mail_(disambiguation)"


# (text, expected href, expected link text), both as they appear in the HTML.
@pytest.mark.parametrize(
    "text, href, shown",
    [
        ("see https://example.com.", "https://example.com", "https://example.com"),
        ("see http://example.com/?a=1&b=2, ok", "http://example.com/?a=1&amp;b=2", "http://example.com/?a=1&amp;b=2"),
        ("(see https://example.com/x)", "https://example.com/x", "https://example.com/x"),
        (f"{WIKI}.", WIKI, WIKI),  # balanced parentheses belong to the URL
        ("go to www.example.org!", "http://www.example.org", "www.example.org"),
        ("HTTPS://EXAMPLE.COM/Up", "https://EXAMPLE.COM/Up", "HTTPS://EXAMPLE.COM/Up"),
        ("https://bücher.example/straße", "https://b%C3%BCcher.example/stra%C3%9Fe", "https://bücher.example/straße"),
        ("https://example.com/a%20b", "https://example.com/a%20b", "https://example.com/a%20b"),
        ("'https://example.com/q'", "https://example.com/q", "https://example.com/q"),
        ("<https://example.com/angle>", "https://example.com/angle", "https://example.com/angle"),
    ],
)
def test_url_links(text, href, shown):
    out = text_to_html(text)
    assert_safe(out)
    assert out.count("<a ") == 1
    assert LINK.format(href=href, text=shown) in out


def test_trailing_punctuation_stays_outside_the_link():
    out = text_to_html("Links: https://a.example/x, https://b.example/y. (https://c.example/z)")
    assert out == (
        "Links: " + LINK.format(href="https://a.example/x", text="https://a.example/x") + ", "
        + LINK.format(href="https://b.example/y", text="https://b.example/y") + ". ("
        + LINK.format(href="https://c.example/z", text="https://c.example/z") + ")"
    )


def test_email_links():
    out = text_to_html("Write to jane.doe+list@example.co.uk, or bob@example.org.")
    assert LINK.format(href="mailto:jane.doe+list@example.co.uk", text="jane.doe+list@example.co.uk") in out
    assert LINK.format(href="mailto:bob@example.org", text="bob@example.org") + "." in out
    assert_safe(out)


def test_email_inside_url_is_part_of_the_url():
    out = text_to_html("https://user@example.com/inbox")
    assert out == LINK.format(href="https://user@example.com/inbox", text="https://user@example.com/inbox")


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(document.cookie)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox",
        '<a href="javascript:alert(1)">click</a>',
        "xhttps://example.com",
        "https://",
    ],
)
def test_dangerous_schemes_stay_text(text):
    out = text_to_html(text)
    assert "<a" not in out
    assert "".join(collect(out).text) == text


def test_quote_in_url_cannot_break_out_of_the_attribute():
    out = text_to_html('https://example.com/"onmouseover="alert(1)')
    assert_safe(out)
    assert 'onmouseover="' not in out
    out = text_to_html("https://example.com/'onmouseover='alert(1)")
    assert_safe(out)
    [(_, attrs)] = collect(out).tags
    assert attrs["href"] == "https://example.com/'onmouseover='alert(1)"


def test_javascript_inside_text_with_a_real_url():
    out = text_to_html("javascript:alert('http://evil.example')")
    assert_safe(out)
    assert out.startswith("javascript:alert(&#x27;")


def test_quoted_block_is_collapsible_with_attribution():
    text = (
        "Sounds good.\n"
        "\n"
        "On Mon, 4 Mar 2024 at 09:00, Carol <carol@example.net> wrote:\n"
        "> Lunch at noon?\n"
        ">\n"
        "> > Earlier quote\n"
        "\n"
        "Bye"
    )
    out = text_to_html(text)
    assert_safe(out)
    carol = LINK.format(href="mailto:carol@example.net", text="carol@example.net")
    assert out == (
        "Sounds good.\n"
        "\n"
        f"{QUOTE_OPEN}On Mon, 4 Mar 2024 at 09:00, Carol &lt;{carol}&gt; wrote:\n"
        "&gt; Lunch at noon?\n"
        "&gt;\n"
        "&gt; &gt; Earlier quote</details>\n"
        "Bye"
    )


@pytest.mark.parametrize(
    "attribution",
    [
        "Le lun. 4 mars 2024 à 09:00, Carol <carol@example.net> a écrit\u00a0:",
        "Le 04/03/2024 à 09:00, Carol a écrit :",
        "Am 04.03.2024 um 09:00 schrieb Carol:",
        "Carol <carol@example.net> wrote:",
    ],
)
def test_localised_attributions(attribution):
    out = text_to_html(f"Hi\n{attribution}\n> quoted")
    assert out.startswith(f"Hi\n{QUOTE_OPEN}")
    assert out.endswith("&gt; quoted</details>")


def test_attribution_wrapped_over_two_lines_and_blank_line():
    out = text_to_html("Hi\nOn Mon, 4 Mar 2024 at 09:00, Carol Someone\n<carol@example.net> wrote:\n\n> quoted")
    assert out.startswith(f"Hi\n{QUOTE_OPEN}On Mon, 4 Mar 2024")
    assert out.endswith("wrote:\n\n&gt; quoted</details>")


def test_unrelated_line_before_quote_is_not_swallowed():
    out = text_to_html("I wrote this line myself\n> quoted")
    assert out == f"I wrote this line myself\n{QUOTE_OPEN}&gt; quoted</details>"
    out = text_to_html("On second thought, fine.\nBob wrote:\n> quoted")
    assert out == f"On second thought, fine.\n{QUOTE_OPEN}Bob wrote:\n&gt; quoted</details>"


def test_interleaved_quotes_make_separate_blocks():
    out = text_to_html("> question one\nanswer one\n> question two\nanswer two")
    assert out == (
        f"{QUOTE_OPEN}&gt; question one</details>answer one\n{QUOTE_OPEN}&gt; question two</details>answer two"
    )


def test_signature():
    out = text_to_html("Thanks!\n-- \nAlice Martin\nhttps://alice.example\n")
    assert out == (
        'Thanks!\n<div class="signature">-- \nAlice Martin\n'
        + LINK.format(href="https://alice.example", text="https://alice.example")
        + "</div>"
    )
    assert_safe(out)


def test_signature_needs_the_exact_delimiter():
    assert "signature" not in text_to_html("Thanks!\n--\nAlice")
    assert "signature" not in text_to_html("Thanks!\n---\nAlice")


def test_signature_ends_where_the_quote_starts():
    out = text_to_html("Thanks!\n-- \nAlice\n\nOn Mon, Bob wrote:\n> hi")
    assert out == (
        'Thanks!\n<div class="signature">-- \nAlice</div>\n'
        f"{QUOTE_OPEN}On Mon, Bob wrote:\n&gt; hi</details>"
    )


def test_quoted_signature_is_not_a_signature():
    out = text_to_html("> text\n> -- \n> sig")
    assert "signature" not in out
    assert out.count(QUOTE_OPEN) == 1


def test_large_input_stays_safe():
    text = "Line with https://example.com/a and mail@example.com\n> quoted\n" * 4_000
    out = text_to_html(text)
    assert_safe(out[:100_000].rsplit("\n", 1)[0])
