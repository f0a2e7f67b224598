"""The demo mail's vocabulary: people, words, topics and subject forms (mailapp.core.demo)."""

from __future__ import annotations

import random

# (display, ascii) pairs so that e-mail addresses stay ASCII while names need not be.
FIRST_NAMES = [
    ("Anna", "anna"), ("Ben", "ben"), ("Chloé", "chloe"), ("David", "david"), ("Elif", "elif"),
    ("Farid", "farid"), ("Grace", "grace"), ("Hannah", "hannah"), ("Ivan", "ivan"),
    ("José", "jose"), ("Katarzyna", "katarzyna"), ("Liam", "liam"), ("María", "maria"),
    ("Noah", "noah"), ("Olga", "olga"), ("Pierre", "pierre"), ("Quinn", "quinn"),
    ("Rahul", "rahul"), ("Søren", "soren"), ("Tomás", "tomas"), ("Uma", "uma"),
    ("Valentina", "valentina"), ("Wei", "wei"), ("Xavier", "xavier"), ("Yuki", "yuki"),
    ("Zoë", "zoe"), ("Łukasz", "lukasz"), ("Ingrid", "ingrid"), ("Amara", "amara"),
    ("Jürgen", "jurgen"), ("Fatima", "fatima"), ("Mateo", "mateo"), ("Aiko", "aiko"),
    ("Oliver", "oliver"), ("Nadia", "nadia"), ("Björn", "bjorn"), ("Siobhán", "siobhan"),
    ("Ольга", "olga"), ("太郎", "taro"), ("Αλέξης", "alexis"),
]
LAST_NAMES = [
    ("Smith", "smith"), ("Müller", "mueller"), ("García", "garcia"), ("Nguyen", "nguyen"),
    ("Kowalski", "kowalski"), ("Rossi", "rossi"), ("Dubois", "dubois"), ("Johansson", "johansson"),
    ("Okafor", "okafor"), ("Tanaka", "tanaka"), ("Silva", "silva"), ("Novak", "novak"),
    ("O'Brien", "obrien"), ("Hernández", "hernandez"), ("Petrov", "petrov"), ("Kim", "kim"),
    ("Andersen", "andersen"), ("Brown", "brown"), ("Yılmaz", "yilmaz"), ("Chen", "chen"),
    ("Fernández", "fernandez"), ("Østergaard", "ostergaard"), ("Patel", "patel"),
    ("Schröder", "schroeder"), ("Dvořák", "dvorak"), ("Lefèvre", "lefevre"), ("Wright", "wright"),
    ("Иванова", "ivanova"), ("山田", "yamada"), ("Παπαδόπουλος", "papadopoulos"),
]
DOMAINS = [
    "example.com", "example.net", "example.org", "acme.example", "globex.example",
    "initech.example", "university.example", "studio.example", "family.example",
    "consulting.example",
]
WORD_TEXT = """
about above account action actually address after again agenda agree ahead almost already also
although always amount analysis another answer anyone anything appreciate approach april around
arrange attached august available back background balance based before begin behind believe below
benefit best better between board book both brief budget build business call calendar campaign
can change check choose clear client close colleague comment community company complete concern
confirm consider contact content context continue contract copy corner cost could course cover
create current customer data date deadline decide decision deliver department design detail
develop different direction discuss document draft during early easy edit either email end
enough ensure entire estimate evening event every example expect experience explain feature
feedback figure file final find finish first focus follow forward friday further future general
goal good great group guess happy hear help hope idea important improve include information
instead issue item just keep kind know last late later latest launch leave less let letter level
light likely list little local look lunch main make manage many market maybe mean measure mention
message might minor minute model monday month morning move much need never next nice note notice
number offer office often open option order organise original other outline over page paper part
partner people perhaps period person phone picture place plan please point possible post prepare
present price print priority probably problem process produce product progress project proposal
provide public purpose question quick quite ready real reason receive recent record reference
regard related release remember reply report request require research resource response result
review right room round run sample saturday schedule second section send sense september service
session share short should show side sign similar simple since slide small soon sort sound space
speak specific staff stage start status step still story suggest summary sunday supply support
sure system table talk team test thank thing think thought thursday ticket time today together
tomorrow topic track travel tuesday understand update upon usual value version video visit wait
want week weekend welcome while whole wonder work would write year yesterday
"""
WORDS = WORD_TEXT.split()
TOPICS = [
    "budget", "roadmap", "offsite", "hiring plan", "design review", "release notes",
    "quarterly report", "conference trip", "customer feedback", "onboarding", "team dinner",
    "server migration", "contract renewal", "grant proposal", "holiday schedule", "user study",
    "press release", "security audit", "marketing plan", "board slides", "workshop",
    "Café ☕ catch-up", "Grüße aus München", "résumé review", "日程の確認", "Отчёт за месяц",
]
SUBJECT_FORMS = [
    "{topic}", "Question about the {topic}", "{topic}: next steps", "Draft {topic} attached",
    "Re-scheduling the {topic}", "Quick update on the {topic}", "Thoughts on the {topic}?",
    "{topic} — feedback welcome", "Reminder: {topic} on {weekday}", "FYI: {topic}",
]
ENDINGS = ".........?!"
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
SHOPS = ["Bookshop Example", "Rail Example", "Coffee Example", "Hardware Example", "Cloud Example"]
SPAM = [
    "You have WON a prize!!!", "Cheap watches — 90% off", "URGENT: verify your account",
    "Re: invoice overdue (action required)", "Make money from home", "Your parcel is waiting",
]
NEWSLETTERS = ["Weekly Digest", "Product News", "The Friday Letter", "Community Update"]


def sentences(rng: random.Random, count: int) -> list[str]:
    result = []
    for _ in range(count):
        words = rng.choices(WORDS, k=6 + int(rng.random() * 9))
        words[0] = words[0].capitalize()
        result.append(" ".join(words) + ENDINGS[int(rng.random() * len(ENDINGS))])
    return result
