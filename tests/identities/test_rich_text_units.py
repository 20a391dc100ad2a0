"""Rich text and signatures as plain functions: the text part, the cleaning, the "-- " line."""

from webmail.compose import richtext
from webmail.identities.models import Signature
from webmail.identities.service import signature_html, signature_text, suggested_name

PASTED_FROM_WORD = (
    '<div class="WordSection1"><p class="MsoNormal" style="mso-line-height-rule:exactly;color:red" '
    'onclick="steal()">Bonjour <b>Zofia</b>,<o:p></o:p></p>'
    '<script>alert(1)</script><img src="https://tracker.example/p.gif"><img src=x onerror="alert(2)">'
    '<p>Voir <a href="javascript:alert(3)">ici</a> et <a href="https://atelier.example/devis">le devis</a>.</p></div>'
)


def test_the_text_part_keeps_links_lists_and_quotes():
    html = ('<div>Bonjour Łucja,</div><div><br></div><div>Voici le <a href="https://x.fr/doc">dossier</a> '
            'et https://y.fr :</div><ul><li>plans</li><li>devis<ol><li>lot 1</li></ol></li></ul>'
            '<blockquote><div>Tu m\'avais écrit</div><div>deux lignes</div></blockquote><div>مع التحية</div>')
    assert richtext.to_text(html) == (
        "Bonjour Łucja,\n\nVoici le dossier (https://x.fr/doc) et https://y.fr :\n\n- plans\n- devis\n"
        "  1. lot 1\n\n> Tu m'avais écrit\n> deux lignes\n\nمع التحية"
    )


def test_hostile_html_pasted_is_cleaned_before_it_is_stored():
    cleaned = richtext.clean(PASTED_FROM_WORD)
    for bad in ("script", "onclick", "onerror", "javascript:", "tracker.example", "mso-", "class="):
        assert bad not in cleaned
    assert "<b>Zofia</b>" in cleaned and 'href="https://atelier.example/devis"' in cleaned


def test_pasted_images_become_inline_parts_once_each():
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    html = f'<div><img src="data:image/png;base64,{png}" alt="logo"> et encore <img src="data:image/png;base64,{png}"></div>'
    markup, images = richtext.inline_images(html, "atelier.example")
    assert len(images) == 1 and images[0].content_type == "image/png" and images[0].data.startswith(b"\x89PNG")
    assert markup.count(f'src="cid:{images[0].content_id}"') == 2 and "data:" not in markup
    back = richtext.with_data_images(markup, {images[0].content_id: (images[0].data, "image/png")})
    assert back.count(f"data:image/png;base64,{png}") == 2


def test_the_separator_is_added_once_and_never_doubled():
    assert signature_text(Signature(text="Alice Martin\nAtelier Martin")) == "-- \nAlice Martin\nAtelier Martin"
    assert signature_text(Signature(text="-- \nAlice Martin")) == "-- \nAlice Martin"
    assert signature_text(Signature(text="--\r\nAlice Martin")) == "-- \nAlice Martin"
    assert signature_text(Signature(text="  ")) == "" and signature_text(None) == ""
    assert signature_html(Signature(text="Alice", html="<div><b>Alice</b></div>")).count("--") == 1
    assert signature_html(Signature(text="-- \nAlice", html="<div>--&nbsp;<br><b>Alice</b></div>")).count("--") == 1


def test_a_name_is_suggested_from_the_address():
    assert suggested_name("marie-claire.dupont@atelier.example") == "Marie-Claire Dupont"
    assert suggested_name("alice+ventes@demo.test") == "Alice"


def test_the_templates_placeholders_are_what_the_check_catches():
    from webmail.compose.checks import _placeholders

    text = "Bonjour ‹Prénom›,\n\nPetite correction : ‹ce qui était faux› doit se lire 12 €. Merci ‹›."
    assert _placeholders(text) == ["‹Prénom›", "‹ce qui était faux›"]
    assert _placeholders("« Bonjour » ‹\n›") == []  # French quotes and a lone mark are not fields


def test_a_forwarded_mails_cid_images_become_data_urls_and_others_are_dropped():
    from tests.identities.images import png

    logo = png(8, 8)
    parts = {"logo@ex.fr": (logo, "image/png"), "notes@ex.fr": (b"%PDF-1.4", "application/pdf")}
    cleaned = richtext.clean('<p><img src="cid:logo@ex.fr" alt="Logo"><img src="cid:notes@ex.fr">'
                             '<img src="cid:missing@ex.fr"><img src="https://tracker.example/t.gif"></p>',
                             inline_parts=parts)
    assert cleaned.count("<img") == 1 and "data:image/png;base64," in cleaned
    markup, images = richtext.inline_images(cleaned)
    assert [image.data for image in images] == [logo] and "cid:" in markup
