"""Writing in the rich editor as a person does, in Chromium: formatting from the toolbar and the
keyboard, a pasted and a dropped image, the signature menu, the "De" choice, templates, the
"Texte brut" switch, hostile pastes, Annuler. What left is read back on the recipient's side over IMAP."""

import base64
import email
import re
from email import policy

import pytest
from playwright.sync_api import expect

from tests.identities.images import png
from tests.outbox.conftest import messages_in, wait_for
from webmail.identities.models import Signature, WritingPreferences

pytestmark = [pytest.mark.browser, pytest.mark.imap, pytest.mark.smtp, pytest.mark.celery,
              pytest.mark.django_db(transaction=True)]


def answer_name(page, name: str) -> None:
    """The first compose page asks for the name messages carry."""
    page.goto(page.base_url + "/ecrire/")
    page.get_by_label("Votre nom, tel que vos correspondants le verront").fill(name)
    page.get_by_role("button", name="Enregistrer mon nom").click()
    expect(page.get_by_role("toolbar", name="Mise en forme")).to_be_visible()  # the editor has started


def editor(page):
    return page.get_by_role("textbox", name="Message", exact=True)


def _image_event(page, data: bytes, name: str, event: str) -> None:
    """An image file handed to the editor as the browser does: in a paste's clipboard data or a
    drop's data transfer."""
    page.evaluate("""([b64, name, event]) => {
        const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
        const data = new DataTransfer();
        data.items.add(new File([bytes], name, {type: "image/png"}));
        const target = document.getElementById("rich-body");
        target.dispatchEvent(event === "paste"
            ? new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true})
            : new DragEvent("drop", {dataTransfer: data, bubbles: true, cancelable: true}));
    }""", [base64.b64encode(data).decode(), name, event])


def paste_image(page, data: bytes, name: str) -> None:
    """What the browser fires when an image copied from another application is pasted."""
    _image_event(page, data, name, "paste")


def drop_image(page, data: bytes, name: str) -> None:
    _image_event(page, data, name, "drop")


def paste_html(page, html: str, text: str = "") -> None:
    page.evaluate("""([html, text]) => {
        const data = new DataTransfer();
        data.setData("text/html", html);
        if (text) data.setData("text/plain", text);
        document.getElementById("rich-body").dispatchEvent(
            new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
    }""", [html, text])


def received(imap, user):
    raw = wait_for(lambda: messages_in(imap, user), timeout=30)[0]
    return email.message_from_bytes(raw, policy=policy.default)


def send_and_wait(page, settings, imap, to_user):
    page.get_by_role("button", name="Envoyer", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Message envoyé")).to_be_visible(timeout=20_000)
    return received(imap, to_user)


def test_bold_a_link_and_images_pasted_and_dropped_arrive_intact(page, sign_in, mail_user, make_mail_user, imap,
                                                                 settings, celery_worker, screenshot):
    settings.OUTBOX_DELAY_OVERRIDE = 1.5
    bob = make_mail_user("bob")
    sign_in(mail_user)
    answer_name(page, "Łucja Wiśniewska")
    page.get_by_label("À", exact=True).fill(bob.email)
    page.get_by_label("Objet").fill("Plan du stand — salon de Lyon")
    box = editor(page)
    box.click()
    page.keyboard.type("Bonjour Bob, voici le plan ")
    page.keyboard.press("Control+b")
    page.keyboard.type("définitif")
    page.keyboard.press("Control+b")
    page.keyboard.type(" du stand.")
    page.keyboard.press("Enter")
    page.keyboard.type("Tout est sur le site du salon.")
    page.keyboard.press("ArrowLeft")  # before the full stop; then select "salon", as with the mouse
    for _ in range(len("salon")):
        page.keyboard.press("Shift+ArrowLeft")
    page.once("dialog", lambda dialog: dialog.accept("https://salon-lyon.example/plan"))
    page.get_by_role("button", name="Lien (Ctrl+K)").click()
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    plan, logo = png(320, 200), png(64, 64, (30, 90, 200))
    paste_image(page, plan, "plan.png")
    expect(box.locator("img")).to_have_count(1)
    drop_image(page, logo, "logo.png")
    expect(box.locator("img")).to_have_count(2)
    expect(box.locator("b")).to_have_text("définitif")
    expect(box.get_by_role("link", name="salon")).to_have_attribute("href", "https://salon-lyon.example/plan")
    screenshot("compose-rich")

    message = send_and_wait(page, settings, imap, bob)
    assert message["From"].addresses[0].display_name == "Łucja Wiśniewska"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    assert "voici le plan définitif du stand." in text
    assert "sur le site du salon (https://salon-lyon.example/plan)." in text
    html = message.get_body(("html",)).get_content()
    assert re.search(r"<b>\s*définitif\s*</b>", html)
    assert 'href="https://salon-lyon.example/plan"' in html
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert sorted(part.get_content() for part in images) == sorted([plan, logo])  # byte for byte
    for part in images:
        assert f'src="cid:{part["Content-ID"].strip("<>")}"' in html
    assert "data:image" not in html


def test_annuler_brings_back_the_formatted_draft_with_its_image(page, sign_in, mail_user, make_mail_user, settings,
                                                                celery_worker):
    settings.OUTBOX_DELAY_OVERRIDE = 10
    bob = make_mail_user("bob")
    sign_in(mail_user)
    answer_name(page, "Alice Martin")
    page.get_by_label("À", exact=True).fill(bob.email)
    page.get_by_label("Objet").fill("Maquette de la plaquette")
    editor(page).click()
    page.keyboard.type("La maquette est ")
    page.keyboard.press("Control+i")
    page.keyboard.type("presque")
    page.keyboard.press("Control+i")
    page.keyboard.type(" prête :")
    page.keyboard.press("Enter")
    paste_image(page, png(200, 120), "maquette.png")
    expect(editor(page).locator("img")).to_have_count(1)
    page.get_by_role("button", name="Envoyer", exact=True).click()
    page.get_by_role("button", name="Annuler").click()
    expect(page).to_have_url(re.compile(r"/ecrire/[0-9a-f-]+/$"))
    expect(page.get_by_text("Envoi annulé")).to_be_visible()
    box = editor(page)
    expect(box.locator("i")).to_have_text("presque")
    expect(box).to_contain_text("La maquette est presque prête :")
    expect(box.locator("img")).to_have_count(1)
    assert box.locator("img").evaluate("img => img.decode().then(() => img.naturalWidth)") == 200  # the image itself, not a broken link


def add_signature(page, name: str, lines: list[str], bold_first: bool = False) -> None:
    """Paramètres → signatures → Ajouter une signature, written in the rich editor."""
    page.goto(page.base_url + "/parametres/")
    page.get_by_role("link", name="Votre nom, vos identités, signatures et modèles").click()
    page.get_by_role("link", name="Ajouter une signature").click()
    page.get_by_label("Nom").fill(name)
    page.get_by_role("textbox", name="Texte", exact=True).click()
    for number, line in enumerate(lines):
        if number:
            page.keyboard.press("Enter")
        page.keyboard.type(line)
    if bold_first:  # select the first line and make it bold
        page.keyboard.press("Control+Home")
        page.keyboard.press("Shift+End")
        page.keyboard.press("Control+b")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Signature enregistrée.")).to_be_visible()


def test_signatures_per_identity_and_the_menu_swaps_without_touching_the_text(
        page, sign_in, mail_user, make_mail_user, imap, settings, celery_worker, screenshot):
    settings.OUTBOX_DELAY_OVERRIDE = 1.5
    bob = make_mail_user("bob")
    sign_in(mail_user)
    answer_name(page, "Alice Martin")
    add_signature(page, "Complète", ["Alice Martin", "Atelier Martin — 12, rue des Lilas, Lyon"], bold_first=True)
    add_signature(page, "Courte", ["-- ", "Alice"])  # typed with its own separator: not doubled
    assert Signature.objects.get(name="Complète").is_rich
    page.get_by_role("link", name="Modifier").first.click()  # the default identity
    page.get_by_label("Signature des nouveaux messages").select_option(label="Complète")
    page.get_by_label("Signature des réponses et transferts").select_option(label="Courte")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Identité enregistrée.")).to_be_visible()
    expect(page.locator(".signature-rule")).to_contain_text("nouveaux messages : Complète")
    expect(page.locator(".signature-rule")).to_contain_text("réponses et transferts : Courte")
    screenshot("identity-settings")

    # A new message: the full signature under the text; the menu swaps it, the text stays.
    page.goto(page.base_url + "/ecrire/")
    preview = page.locator("#signature-preview")
    expect(preview.locator("b")).to_have_text("Alice Martin")
    expect(preview).to_contain_text("Atelier Martin")
    page.get_by_label("À", exact=True).fill(bob.email)
    page.get_by_label("Objet").fill("Rendez-vous de mardi")
    editor(page).click()
    page.keyboard.type("Bonjour Bob, je confirme mardi à 10 h.")
    page.set_viewport_size({"width": 1280, "height": 1000})  # the signature in view too
    screenshot("compose-signature")
    page.get_by_label("Signature", exact=True).select_option(label="Courte")
    expect(preview).not_to_contain_text("Atelier")
    expect(preview).to_contain_text("Alice")
    expect(editor(page)).to_have_text("Bonjour Bob, je confirme mardi à 10 h.")
    message = send_and_wait(page, settings, imap, bob)
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith("Bonjour Bob, je confirme mardi à 10 h.\n")
    assert text.count("-- \n") == 1 and text.rstrip().endswith("-- \nAlice") and "Atelier" not in text

    # Bob answers; our reply gets the short signature, above the quoted message, and can swap.
    wait_for(lambda: messages_in(imap, mail_user, "Sent"), timeout=30)
    with imap(mail_user) as mailbox:
        mailbox.append("INBOX", (f"From: Bob <{bob.email}>\r\nTo: {mail_user.email}\r\n"
                                 "Subject: Re: Rendez-vous de mardi\r\nMessage-ID: <rdv-2@example.test>\r\n"
                                 "Date: Mon, 30 Nov 2026 09:00:00 +0100\r\nMIME-Version: 1.0\r\n"
                                 "Content-Type: text/plain; charset=utf-8\r\n\r\nParfait, à mardi.\r\n").encode())
    page.goto(page.base_url + "/mail/")
    page.locator("li.message a.open").filter(has_text="Re: Rendez-vous de mardi").click()
    page.get_by_role("link", name="Répondre", exact=True).click()
    expect(preview).to_contain_text("Alice")
    expect(preview).not_to_contain_text("Atelier")
    quote = page.locator(".quote-field")
    expect(quote).to_contain_text("Parfait, à mardi.")
    assert preview.bounding_box()["y"] < quote.bounding_box()["y"]  # the signature sits above the quote
    editor(page).click()
    page.keyboard.type("Merci Bob.")
    page.get_by_label("Signature", exact=True).select_option(label="Complète")
    expect(preview).to_contain_text("Atelier Martin")
    expect(editor(page)).to_contain_text("Merci Bob.")


def test_choosing_an_identity_in_de(page, sign_in, mail_user, make_mail_user, imap, settings, celery_worker):
    settings.OUTBOX_DELAY_OVERRIDE = 1.5
    bob = make_mail_user("bob")
    sign_in(mail_user)
    answer_name(page, "Alice Martin")
    expect(page.get_by_label("De", exact=True)).to_have_count(0)  # one identity: no choice to make
    sales = mail_user.email.replace("@", "+ventes@")
    page.goto(page.base_url + "/parametres/ecrire/")
    page.get_by_role("link", name="Ajouter une identité").click()
    page.get_by_label("Votre nom").fill("Alice Martin — Ventes")
    page.get_by_label("Adresse").fill(sales)
    page.get_by_label("Répondre à").fill(mail_user.email)
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Identité enregistrée.")).to_be_visible()

    page.goto(page.base_url + "/ecrire/")
    page.get_by_label("De", exact=True).select_option(label=f"Alice Martin — Ventes <{sales}>")
    page.get_by_label("À", exact=True).fill(bob.email)
    page.get_by_label("Objet").fill("Offre de lancement")
    editor(page).click()
    page.keyboard.type("Bonjour, voici notre offre de lancement.")
    message = send_and_wait(page, settings, imap, bob)
    sender = message["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == ("Alice Martin — Ventes", sales)
    assert message["Reply-To"] == mail_user.email


def test_inserting_a_template_puts_the_cursor_on_its_first_placeholder(page, sign_in, mail_user, make_mail_user,
                                                                       settings, celery_worker):
    settings.OUTBOX_DELAY_OVERRIDE = 20
    bob = make_mail_user("bob")
    sign_in(mail_user)
    answer_name(page, "Alice Martin")
    page.get_by_label("À", exact=True).fill(bob.email)
    page.get_by_label("Modèle").select_option(label="Correction")
    page.get_by_role("button", name="Insérer le modèle").click()
    expect(page).to_have_url(re.compile(r"\?modele=1$"))
    expect(page.get_by_label("Objet")).to_have_value(re.compile("^Correction"))
    expect(editor(page)).to_contain_text("Petite correction à mon message précédent")
    expect(editor(page)).to_be_focused()
    assert page.evaluate("window.getSelection().toString()") == "‹Prénom›"
    page.keyboard.type("Bob")  # replaces the placeholder
    expect(editor(page)).to_contain_text("Bonjour Bob,")
    # The other placeholders were left: the checks catch them, Ctrl+Enter goes through the same checks.
    page.keyboard.press("Control+Enter")
    dialog = page.get_by_role("dialog", name="Avant d'envoyer")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("‹")
    dialog.get_by_role("link", name="Modifier").click()
    expect(editor(page)).to_contain_text("Bonjour Bob,")


def test_texte_brut_is_remembered_and_the_page_has_one_message_field(page, sign_in, mail_user, make_mail_user,
                                                                     settings, celery_worker):
    settings.OUTBOX_DELAY_OVERRIDE = 20
    bob = make_mail_user("bob")
    sign_in(mail_user)
    answer_name(page, "Alice Martin")
    page.get_by_label("À", exact=True).fill(bob.email)
    editor(page).click()
    page.keyboard.type("Un message ")
    page.keyboard.press("Control+b")
    page.keyboard.type("sans mise en forme")
    page.once("dialog", lambda dialog: dialog.accept())  # "Bold, links… will be removed"
    page.get_by_role("button", name="Texte brut").click()
    message = page.get_by_label("Message", exact=True)  # one control named "Message": the textarea now
    expect(message).to_have_value("Un message sans mise en forme")
    expect(page.get_by_role("toolbar", name="Mise en forme")).to_have_count(0)
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.get_by_text("Brouillon enregistré.")).to_be_visible()
    assert WritingPreferences.objects.get().plain_text

    page.goto(page.base_url + "/ecrire/")  # the next message starts in plain text
    expect(page.get_by_label("Message", exact=True)).to_be_editable()
    assert page.get_by_label("Message", exact=True).evaluate("el => el.tagName") == "TEXTAREA"
    expect(page.get_by_role("button", name="Texte enrichi")).to_be_visible()
    page.get_by_role("button", name="Texte enrichi").click()
    expect(editor(page)).to_be_visible()
    assert editor(page).evaluate("el => el.tagName") == "DIV"
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.get_by_text("Brouillon enregistré.")).to_be_visible()
    assert not WritingPreferences.objects.get().plain_text


WORD_PASTE = """<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><style>p.MsoNormal{margin:0}</style>
<script>window.__pwned = "script"</script></head><body>
<p class="MsoNormal" style="mso-margin-top-alt:auto;font-family:Calibri"><b>Ordre du jour</b><o:p></o:p></p>
<p class="MsoNormal"><span style="color:#C00000;mso-themecolor:accent2">Budget 2027</span>
<img src="x" onerror="window.__pwned = 'onerror'"><img src="https://tracker.example/pixel.gif">
<a href="javascript:window.__pwned='link'">cliquez ici</a>
<svg onload="window.__pwned='svg'"></svg><iframe src="https://evil.example/"></iframe></p></body></html>"""

DOCS_PASTE = ('<meta charset="utf-8"><b style="font-weight:normal;" id="docs-internal-guid-1234">'
              '<span style="font-size:11pt;font-family:Arial;color:#000000;font-weight:400;">Relevé de décisions </span>'
              '<span style="font-size:11pt;font-family:Arial;color:#000000;font-weight:700;">validé</span></b>')


def test_hostile_and_office_html_pasted_is_cleaned_and_never_runs(page, sign_in, mail_user, make_mail_user, imap,
                                                                  settings, celery_worker):
    settings.OUTBOX_DELAY_OVERRIDE = 1.5
    bob = make_mail_user("bob")
    sign_in(mail_user)
    answer_name(page, "Alice Martin")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.get_by_label("À", exact=True).fill(bob.email)
    page.get_by_label("Objet").fill("Réunion de lundi")
    editor(page).click()
    paste_html(page, WORD_PASTE)
    page.keyboard.press("Enter")
    paste_html(page, DOCS_PASTE)
    box = editor(page)
    expect(box).to_contain_text("Budget 2027")
    expect(box).to_contain_text("Relevé de décisions")
    page.wait_for_timeout(500)  # time for an onerror or an onload to fire, if anything let one through
    assert page.evaluate("window.__pwned") is None and dialogs == []
    html = box.inner_html()
    for left_out in ("onerror", "onload", "javascript:", "tracker.example", "<iframe", "<svg", "MsoNormal",
                     "mso-", "docs-internal", "font-family", "<o:p"):
        assert left_out not in html, left_out
    assert "<b>Ordre du jour</b>" in html and "color:" in html  # what a person chose is kept
    # Docs' wrapper (a <b> that is not bold) is gone; the word made bold there stays bold.
    expect(box.locator("b", has_text="Relevé de décisions")).to_have_count(0)
    assert re.search(r"<b>validé</b>|font-weight: ?(700|bold)[^>]*>validé", html), html
    message = send_and_wait(page, settings, imap, bob)
    sent = message.get_body(("html",)).get_content()
    for left_out in ("onerror", "javascript:", "tracker.example", "<script", "iframe", "MsoNormal"):
        assert left_out not in sent, left_out
    assert "Ordre du jour" in message.get_body(("plain",)).get_content()


def test_a_hostile_html_mail_quoted_in_a_reply_does_not_run(page, sign_in, mail_user, make_mail_user, imap, settings,
                                                            celery_worker):
    settings.OUTBOX_DELAY_OVERRIDE = 1.5
    bob = make_mail_user("bob")
    sign_in(mail_user)
    answer_name(page, "Alice Martin")
    hostile = ('<html><body><p>Voici la <b>facture</b> n° 2026-114.</p><script>window.__pwned="script"</script>'
               '<img src="x" onerror="window.__pwned=\'onerror\'"><a href="javascript:window.__pwned=1">payer</a>'
               '<img src="https://tracker.example/open.gif" width="1"></body></html>')
    with imap(mail_user) as mailbox:
        mailbox.append("INBOX", (f"From: Bob <{bob.email}>\r\nTo: {mail_user.email}\r\nSubject: Facture\r\n"
                                 "Message-ID: <facture-114@example.test>\r\nDate: Mon, 30 Nov 2026 09:00:00 +0100\r\n"
                                 "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
                                 + hostile + "\r\n").encode())
    page.goto(page.base_url + "/mail/")
    page.locator("li.message a.open").filter(has_text="Facture").click()
    page.get_by_role("link", name="Répondre", exact=True).click()
    quote = page.locator(".quoted-original")
    expect(quote.locator("b")).to_have_text("facture")  # quoted as HTML
    page.wait_for_timeout(500)
    assert page.evaluate("window.__pwned") is None
    assert "tracker.example" not in quote.inner_html() and "onerror" not in quote.inner_html()
    editor(page).click()
    page.keyboard.type("Bien reçu, merci.")
    message = send_and_wait(page, settings, imap, bob)
    html = message.get_body(("html",)).get_content()
    assert "<b>facture</b>" in html and "<blockquote" in html
    for left_out in ("<script", "onerror", "javascript:", "tracker.example"):
        assert left_out not in html, left_out
    assert re.search(r"Le .+ a écrit", message.get_body(("plain",)).get_content())


def test_keyboard_shortcuts_format_and_ctrl_enter_sends(page, sign_in, mail_user, make_mail_user, imap, settings,
                                                        celery_worker):
    settings.OUTBOX_DELAY_OVERRIDE = 1.5
    bob = make_mail_user("bob")
    sign_in(mail_user)
    answer_name(page, "Alice Martin")
    page.get_by_label("À", exact=True).fill(bob.email)
    page.get_by_label("Objet").fill("Trois façons d’insister")
    editor(page).click()
    for key, word in (("b", "gras"), ("i", "italique"), ("u", "souligné")):
        page.keyboard.press(f"Control+{key}")
        page.keyboard.type(word)
        page.keyboard.press(f"Control+{key}")
        page.keyboard.type(" ")
    box = editor(page)
    expect(box.locator("b")).to_have_text("gras")
    expect(box.locator("i")).to_have_text("italique")
    expect(box.locator("u")).to_have_text("souligné")
    # The toolbar says where the cursor is: inside the bold word, Gras is pressed.
    box.locator("b").click()
    expect(page.get_by_role("button", name="Gras (Ctrl+B)")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="Italique (Ctrl+I)")).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("Control+Enter")
    expect(page.get_by_role("status").filter(has_text="Message envoyé")).to_be_visible(timeout=20_000)
    html = received(imap, bob).get_body(("html",)).get_content()
    assert re.search(r"<b>gras</b>.*<i>italique</i>.*<u>souligné</u>", html, re.S)


def test_ctrl_k_makes_a_link_of_the_selected_words(page, sign_in, mail_user, make_mail_user):
    sign_in(mail_user)
    answer_name(page, "Alice Martin")
    box = editor(page)
    box.click()
    page.keyboard.type("Voir le devis signé")
    page.keyboard.press("Shift+Home")
    page.once("dialog", lambda dialog: dialog.accept("atelier.example/devis"))
    page.keyboard.press("Control+k")
    expect(box.locator("a")).to_have_attribute("href", "https://atelier.example/devis")
    expect(box.locator("a")).to_have_text("Voir le devis signé")


def test_what_was_typed_before_the_editor_arrived_is_kept(page, sign_in, mail_user):
    """On a slow connection the page shows the plain field before editor.js arrives; a person
    who starts typing there keeps their words, and their caret, when the editor takes over."""
    sign_in(mail_user)
    answer_name(page, "Alice Martin")
    held = []
    page.route("**/editor*.js", lambda route: held.append(route))  # on the wire until let go below
    page.goto(page.base_url + "/ecrire/", wait_until="commit")
    page.locator("textarea#id_body").fill("Bonjour Bob,\n\nle devis est signé")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    held[0].continue_()
    page.unroute("**/editor*.js")
    expect(page.get_by_role("toolbar", name="Mise en forme")).to_be_visible()
    expect(editor(page)).to_have_text(re.compile(r"Bonjour Bob,\s*le devis est signé"))
    page.keyboard.type(" ce matin.")
    expect(editor(page)).to_have_text(re.compile(r"le devis est signé ce matin\.$"))
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.get_by_text("Brouillon enregistré.")).to_be_visible()
    page.reload()
    expect(editor(page)).to_have_text(re.compile(r"Bonjour Bob,\s*le devis est signé ce matin\.$"))
