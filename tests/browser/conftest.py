import pytest


@pytest.fixture
def open_page(browser, live_server):
    """Open pages in browsers of other kinds than `page`'s: another language, colour scheme, screen
    (any option of Playwright's new_context); French on a 1280 × 800 screen unless told otherwise."""
    contexts = []

    def open_with(**options):
        options = {"locale": "fr-FR", "viewport": {"width": 1280, "height": 800}, **options}
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.base_url = live_server.url
        return page

    yield open_with
    for context in contexts:
        context.close()


@pytest.fixture
def sign_in(page):
    def sign_in_as(user):
        page.goto(page.base_url + "/compte/connexion/")
        page.get_by_label("Adresse e-mail").fill(user.email)
        page.get_by_label("Mot de passe").fill(user.password)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(page.base_url + "/mail/**")

    return sign_in_as


def make_every_day_a_working_day(page) -> None:
    """On the settings page, so that "Demain matin" is offered whatever day the test runs."""
    page.goto(page.base_url + "/parametres/")
    for day in ("samedi", "dimanche"):
        page.get_by_label(day, exact=True).check()
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Paramètres enregistrés.").wait_for()


def write(page, to: str, subject: str, body: str) -> None:
    """Open the compose page and type a message as a person does."""
    page.goto(page.base_url + "/ecrire/")
    page.get_by_label("À", exact=True).fill(to)
    page.get_by_label("Objet").fill(subject)
    page.get_by_label("Message", exact=True).fill(body)
