import pytest


@pytest.fixture
def sign_in(page):
    def sign_in_as(user):
        page.goto(page.base_url + "/compte/connexion/")
        page.get_by_label("Adresse e-mail").fill(user.email)
        page.get_by_label("Mot de passe").fill(user.password)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(page.base_url + "/mail/**")

    return sign_in_as
