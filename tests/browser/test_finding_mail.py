"""Finding and following mail in Chromium: search as people type it, attachment preview, new mail."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility import _sign_in as _axe_sign_in
from tests.browser.test_accessibility import axe_page, violations  # noqa: F401 (a fixture)
from tests.browser.test_reading_hostile import sign_in
from tests.mailbox.conftest import build

pytestmark = [pytest.mark.browser, pytest.mark.imap, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 4000  # ~1 MB behind the right magic number


def test_typing_operators_in_the_search_box(page, mail_user, imap, screenshot):
    with imap(mail_user) as mailbox:
        mailbox.append_many("INBOX", [
            build(subject="Devis toiture — version signée", sender="Claire Martin <claire@example.fr>",
                  body="Bonjour,\n\nVoici le devis signé.", attachments=[("devis.pdf", "application/pdf", PDF)]),
            build(subject="Déjeuner jeudi ?", sender="Claire Martin <claire@example.fr>", body="12 h 30 ?"),
            build(subject="Wyjazd służbowy", sender="Łukasz Wójcik <lukasz@example.pl>", body="Hotel w Gdańsku",
                  attachments=[("rezerwacja.pdf", "application/pdf", PDF)]),
        ])
    sign_in(page, mail_user)
    box = page.get_by_role("searchbox", name="Rechercher")
    box.fill("de:claire avec:pj")
    box.press("Enter")
    expect(page.get_by_text("Messages de claire avec pièce jointe")).to_be_visible()
    rows = page.locator("li.message")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Devis toiture — version signée")
    expect(box).to_have_value("de:claire avec:pj")  # the box keeps what was typed, to refine it
    screenshot("search-operators")

    box.fill("de:claire après:31/02/2026")
    box.press("Enter")
    expect(page.get_by_text("« 31/02/2026 » n’est pas une date")).to_be_visible()
    expect(rows).to_have_count(2)


def _pdf(text: str, javascript: str = "") -> bytes:
    """A real one-page PDF (with an /OpenAction script when given)."""
    content = f"BT /F1 24 Tf 72 700 Td ({text}) Tj ET".encode()
    action = f" /OpenAction << /S /JavaScript /JS ({javascript}) >>" if javascript else ""
    objects = [f"<< /Type /Catalog /Pages 2 0 R{action} >>".encode(), b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
               b" /Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


PNG_PHOTO = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
)
# Each script, if it ever ran, would ask the webmail for /pwned-<where> with the page's cookies.
HOSTILE_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" onload="fetch(\'/pwned-svg-onload\')">'
               b"<script>fetch('/pwned-svg');parent.document.title='PWNED'</script><circle r='40'/></svg>")
HOSTILE_HTML = (b"<!doctype html><title>Facture</title><script>fetch('/pwned-html');"
                b"top.document.title='PWNED'</script><img src=x onerror=\"fetch('/pwned-img')\">")


def _open_attachments(page, mail_user, imap, attachments) -> None:
    with imap(mail_user) as mailbox:
        mailbox.append_many("INBOX", [build(subject="Pièces jointes", sender="Claire Martin <claire@example.fr>",
                                            body="Ci-joint les documents.", attachments=attachments)])
    sign_in(page, mail_user)
    page.get_by_text("Pièces jointes").first.click()
    expect(page.get_by_role("heading", name="Pièces jointes", exact=True)).to_be_visible()


def _pdf_viewer_in(page) -> bool:
    """Chromium's own PDF viewer runs as an extension page inside the frame."""
    for _ in range(50):
        if any(f.url.startswith("chrome-extension://") for f in page.frames):
            return True
        page.wait_for_timeout(100)
    return False


def test_previewing_an_image_a_pdf_and_a_text_file(page, mail_user, imap, screenshot):
    letter = "Szanowni Państwo,\n\nw załączeniu sprawozdanie roczne.\nمع أطيب التحيات\n" * 30
    _open_attachments(page, mail_user, imap, [("sprawozdanie roczne.pdf", "application/pdf",
                                               _pdf("Sprawozdanie roczne 2026")),
                                              ("photo.png", "image/png", PNG_PHOTO),
                                              ("notes.txt", "text/plain", letter.encode())])
    page.get_by_role("link", name="Aperçu de sprawozdanie roczne.pdf").click()
    expect(page.get_by_role("heading", name="sprawozdanie roczne.pdf")).to_be_visible()
    expect(page.locator("iframe.preview-frame")).to_be_visible()
    assert _pdf_viewer_in(page), [f.url for f in page.frames]
    page.wait_for_timeout(800)
    screenshot("attachment-preview")
    page.get_by_role("link", name="Revenir au message").click()

    page.get_by_role("link", name="Aperçu de photo.png").click()
    image = page.get_by_role("img", name="photo.png")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.decode().then(() => img.naturalWidth)") == 1
    page.go_back()

    page.get_by_role("link", name="Aperçu de notes.txt").click()
    expect(page.get_by_label("Contenu du fichier")).to_contain_text("w załączeniu sprawozdanie roczne.")
    expect(page.get_by_label("Contenu du fichier")).to_contain_text("مع أطيب التحيات")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger").click()
    assert download.value.suggested_filename == "notes.txt"


def test_hostile_attachments_never_run_as_the_webmail(page, mail_user, imap):
    pwned, dialogs = [], []
    page.context.on("request", lambda request: "pwned" in request.url and pwned.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    _open_attachments(page, mail_user, imap, [
        ("dessin.svg", "image/svg+xml", HOSTILE_SVG),
        ("facture.html", "text/html", HOSTILE_HTML),
        ("photo.png", "image/png", HOSTILE_SVG),  # an SVG that says it is a PNG
        ("lettre.txt", "text/plain", HOSTILE_HTML),  # HTML that says it is text
        ("relevé.pdf", "application/pdf", _pdf("Releve", "app.alert('pwned-pdf');this.submitForm('/pwned-pdf')")),
    ])
    message_url = page.url
    for name in ("dessin.svg", "facture.html"):  # no preview offered; the link downloads
        assert page.get_by_role("link", name=f"Aperçu de {name}").count() == 0
        url = page.get_by_role("link", name=name, exact=True).get_attribute("href")
        with page.expect_download():
            page.get_by_role("link", name=name, exact=True).click()
        for attempt in (url, f"{url}&inline=1"):  # typed in by hand: still a download
            with page.expect_download():
                page.evaluate("url => location.assign(url)", attempt)
        page.goto(page.base_url + url.replace("/?", "/apercu/?"))
        expect(page.get_by_text("Ce type de fichier ne peut pas être affiché ici.")).to_be_visible()
        page.goto(message_url)

    page.get_by_role("link", name="Aperçu de photo.png").click()
    image = page.get_by_role("img", name="photo.png")
    expect(image).to_be_attached()
    assert image.evaluate("img => img.decode().then(() => 'decoded', () => 'broken')") == "broken"  # never read as SVG
    page.goto(page.base_url + image.get_attribute("src"))  # the bytes opened on their own
    page.wait_for_timeout(300)

    page.goto(message_url)
    page.get_by_role("link", name="Aperçu de lettre.txt").click()
    expect(page.get_by_label("Contenu du fichier")).to_contain_text("<script>fetch('/pwned-html');")
    page.goto(page.base_url + page.locator("a[download]").get_attribute("href") + "&inline=1")
    expect(page.locator("body")).to_contain_text("<script>")  # shown as text, not run

    # Chromium runs a PDF's JavaScript outside the page, but its app.alert() opens a dialog in the
    # webmail's tab: a PDF with scripts is not shown, it downloads.
    page.goto(message_url)
    page.get_by_role("link", name="Aperçu de relevé.pdf").click()
    expect(page.get_by_text("Ce PDF contient des scripts ou des actions")).to_be_visible()
    assert page.locator("iframe.preview-frame").count() == 0
    with page.expect_download():
        page.evaluate("url => location.assign(url)", page.locator("a[download]").get_attribute("href") + "&inline=1")
    page.wait_for_timeout(1000)
    assert page.title() != "PWNED"
    assert pwned == [] and dialogs == []


# Records what the page asks of the Notification API (headless Chromium shows nothing on a desktop).
RECORD_NOTIFICATIONS = """
(() => {
  const Real = window.Notification;
  window.__shown = []; window.__asked = 0;
  function Recording(title, options) {
    window.__shown.push([title, options && options.body]);
    try { return new Real(title, options); } catch (e) { return {close() {}}; }
  }
  Object.defineProperty(Recording, "permission", { get: () => Real.permission });
  Recording.requestPermission = function () { window.__asked += 1; return Real.requestPermission(); };
  window.Notification = Recording;
})();
"""


def _wait_until(page, condition: str, seconds: float = 10) -> None:
    """page.wait_for_function evaluates a string, which the site's CSP forbids: poll instead."""
    for _ in range(int(seconds * 10)):
        if page.evaluate(f"() => {condition}"):
            return
        page.wait_for_timeout(100)
    raise AssertionError(condition)


@pytest.fixture
def quick_poll(settings):
    settings.MAIL_POLL_SECONDS = 1


def test_new_mail_updates_the_title_and_the_folder_list_without_reload(page, mail_user, imap, quick_poll):
    with imap(mail_user) as mailbox:
        mailbox.append_many("INBOX", [build(subject="Premier")])
    sign_in(page, mail_user)
    page.evaluate("window.__noReload = true")
    expect(page).to_have_title("(1) Boîte de réception · Webmail")
    inbox_count = page.locator("#folder-nav a[href='/mail/?folder=INBOX'] .count")
    expect(inbox_count).to_have_text("1")
    with imap(mail_user) as mailbox:
        mailbox.append_many("INBOX", [build(subject="Wyjazd do Gdańska"), build(subject="تقرير")])
    expect(page).to_have_title("(3) Boîte de réception · Webmail")  # the list's own poll
    expect(inbox_count).to_have_text("3")
    expect(page.locator("li.message")).to_have_count(3)

    page.goto(page.base_url + "/parametres/")  # no list here: the small poll
    page.evaluate("window.__noReload = true")
    expect(page).to_have_title("(3) Paramètres · Webmail")
    with imap(mail_user) as mailbox:
        mailbox.append_many("Archive", [build(subject="Archivé")])
        mailbox.append_many("INBOX", [build(subject="Quatrième")])
    expect(page).to_have_title("(4) Paramètres · Webmail")
    expect(inbox_count).to_have_text("4")
    expect(page.locator("#folder-nav a[href='/mail/?folder=Archive'] .count")).to_have_text("1")
    assert page.evaluate("window.__noReload") is True  # the same page all along


def test_a_desktop_notification_only_after_opting_in(page, mail_user, imap, quick_poll):
    page.context.add_init_script(RECORD_NOTIFICATIONS)
    page.context.grant_permissions(["notifications"], origin=page.base_url)
    sign_in(page, mail_user)
    with imap(mail_user) as mailbox:
        mailbox.append_many("INBOX", [build(subject="Avant l’accord")])
    expect(page).to_have_title("(1) Boîte de réception · Webmail")
    page.wait_for_timeout(1500)
    assert page.evaluate("window.__shown") == []  # permission granted by the browser, but not asked for here

    page.context.clear_permissions()  # a browser that has not answered yet
    page.goto(page.base_url + "/parametres/")
    assert page.evaluate("window.__asked") == 0  # nothing asked before the box is ticked
    page.get_by_label("Afficher une notification sur le bureau à l’arrivée d’un message").check()
    _wait_until(page, "window.__asked === 1")
    page.context.grant_permissions(["notifications"], origin=page.base_url)  # the user said yes
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Paramètres enregistrés.").wait_for()
    page.wait_for_timeout(1500)
    assert page.evaluate("window.__shown") == []  # a page load is not new mail
    with imap(mail_user) as mailbox:
        mailbox.append_many("INBOX", [build(subject="Après l’accord")])
    _wait_until(page, "window.__shown.length > 0")
    assert page.evaluate("window.__shown") == [["Nouveau message", "2 messages non lus dans la boîte de réception"]]


ARABIC_SIGN_IN = {"password_label": "كلمة المرور", "email_label": "عنوان البريد الإلكتروني", "button": "تسجيل الدخول"}


@pytest.mark.parametrize(("locale", "color_scheme"), [("fr-FR", "light"), ("fr-FR", "dark"), ("ar", "light")])
def test_search_notices_and_previews_pass_axe(axe_page, mail_user, imap, locale, color_scheme):  # noqa: F811
    with imap(mail_user) as mailbox:
        mailbox.append_many("INBOX", [build(subject="Pièces jointes", sender="سارة <sara@example.ma>",
                                            attachments=[("photo.png", "image/png", PNG_PHOTO),
                                                         ("rapport.pdf", "application/pdf", _pdf("Rapport")),
                                                         ("notes.txt", "text/plain", "Zażółć gęślą jaźń\n".encode()),
                                                         ("page.html", "text/html", HOSTILE_HTML)])])
    page = axe_page(color_scheme=color_scheme, locale=locale)
    _axe_sign_in(page, mail_user, **({} if locale == "fr-FR" else ARABIC_SIGN_IN))
    found = []
    for path in ["/mail/?q=de:sara+avec:pj+avant:31/02/2026+in:nulle-part",
                 *(f"/mail/1/pieces/{part}/apercu/?folder=INBOX" for part in (2, 3, 4, 5))]:
        page.goto(page.base_url + path)
        found += violations(page)
    assert not found, "\n".join(found)
