"""Pre-send checks speed, printed (not asserted beyond a catastrophe guard): `make bench`.

Issue 6 sets the budget: under 20 ms for a 100 KB body with 50 recipients. We time `run_checks`
(every check on) over a realistic reply: the user's text in four languages, a signature, and a
long quoted thread; and, as a worst case, 100 KB the user typed entirely (nothing quoted).
The baseline, measured in the same run, is the cheapest honest pass over the same body: one
`str.casefold()` + `unicodedata.normalize("NFKD")`, which any accent-insensitive check must pay.
"""

import statistics
import time
import unicodedata

from webmail.compose import checks
from webmail.compose.checks import CheckSettings, Draft, run_checks

TARGET_MS = 20.0
ROUNDS = 200

OWN_TEXT = """Bonjour à toutes et à tous,

Suite à notre réunion de mardi, voici le compte rendu et les prochaines étapes du projet.
Le budget prévisionnel a été validé ; il reste à confirmer le calendrier avec l'équipe de Lyon.
Hi everyone, a quick summary in English for our colleagues in Dublin: the launch moves to May,
and the test plan needs one more review before Friday.
Dzień dobry, krótkie podsumowanie dla zespołu w Krakowie: termin przesuwa się na maj.
مرحبا بالجميع، نلخص لكم نتائج الاجتماع: تم تأجيل الإطلاق إلى شهر مايو.
"""

QUOTED_MESSAGE = """Le mar. 4 mars 2025 à 09:12, Jean Dupont <jean.dupont@acme.fr> a écrit :
> Bonjour,
> Je reviens vers vous au sujet du planning : les livraisons de la semaine 12 sont confirmées,
> mais la recette du module de facturation (voir la pièce jointe du 28 février) doit être décalée.
> On Mon, Mar 3, 2025 at 6:40 PM Sarah Kelly <s.kelly@example.ie> wrote:
>> Please find attached the revised schedule; the QA team needs two more days for regression.
>> W dniu 3.03.2025 o 15:02, Piotr Nowak <p.nowak@firma.pl> napisał(a):
>>> W załączeniu przesyłam poprawiony harmonogram, proszę o uwagi do piątku.
>>> في 3 مارس 2025، كتب أحمد <ahmed@example.com>:
>>>> تجدون في المرفق الجدول الزمني المحدث مع الملاحظات.
"""

SIGNATURE = "Marie Martin\nCheffe de projet — ACME\nTél. : +33 1 23 45 67 89\nPJ : aucune"


def _recipients(n: int) -> list[str]:
    domains = ["acme.fr", "acme-industries.com", "example.ie", "firma.pl", "gmail.com", "orange.fr",
               "hotmail.fr", "example.com", "univ-lyon1.fr", "wp.pl", "gmial.com", "partner.de"]  # fmt: skip
    return [f"person{i}@{domains[i % len(domains)]}" for i in range(n)]


def _body(size: int, quoted: bool) -> str:
    """A body of `size` bytes (UTF-8)."""
    if quoted:
        text = OWN_TEXT + "\n-- \n" + SIGNATURE + "\n\n" + QUOTED_MESSAGE * (size // len(QUOTED_MESSAGE))
    else:
        tail = "\n-- \n" + SIGNATURE
        text = OWN_TEXT * (size // len(OWN_TEXT))
        return text.encode()[: size - len(tail.encode())].decode(errors="ignore") + tail
    return text.encode()[:size].decode(errors="ignore")


def _draft(body: str) -> Draft:
    recipients = _recipients(50)
    return Draft(to=recipients[:30], cc=recipients[30:45], bcc=recipients[45:], subject="Re: Planning du projet",
                 body=body, attachment_names=[], attachments_bytes=0, is_reply_all=True, signature=SIGNATURE)  # fmt: skip


def _time(function, rounds: int = ROUNDS) -> list[float]:
    function()  # warm caches (regex, lru caches) as a running server would have them
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def _report(label: str, body: str, cold: bool = False) -> float:
    draft = _draft(body)
    settings = CheckSettings()
    known = ["acme.fr", "acme-industries.com", "example.ie", "firma.pl", "univ-lyon1.fr", "partner.de",
             *(f"client{i}.fr" for i in range(30))]  # fmt: skip

    def run():
        if cold:  # as for the first message a server process checks: no domain already looked up
            checks._closest_common.cache_clear()
            checks._parts.cache_clear()
        return run_checks(draft, settings, known_domains=known)

    timings = _time(run)
    baseline = _time(lambda: unicodedata.normalize("NFKD", body.casefold()))
    median, base = statistics.median(timings), statistics.median(baseline)
    verdict = "PASS" if median < TARGET_MS else "MISS"
    codes = sorted({finding.code for finding in run_checks(draft, settings, known_domains=known)})
    print(
        f"\n{label}: {len(body.encode()) / 1024:.0f} KB body (UTF-8), 50 recipients, {ROUNDS} rounds\n"
        f"  findings: {', '.join(codes)}\n"
        f"  {'run_checks':27} median {median:6.2f} ms   p95 {_p95(timings):6.2f} ms\n"
        f"  {'baseline (casefold + NFKD)':27} median {base:6.2f} ms   p95 {_p95(baseline):6.2f} ms\n"
        f"  ratio {median / base:.1f}x baseline; target {TARGET_MS:.0f} ms → {verdict}"
    )
    return median


def test_checks_on_a_quoted_reply():
    assert _report("reply with a long quoted thread", _body(100 * 1024, quoted=True)) < 200


def test_checks_on_a_quoted_reply_with_cold_caches():
    assert (
        _report("same reply, domain caches emptied each round", _body(100 * 1024, quoted=True), cold=True)
        < 200
    )


def test_checks_on_100_kb_of_own_text():
    assert _report("100 KB typed by the user (worst case)", _body(100 * 1024, quoted=False)) < 200
