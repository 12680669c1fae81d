"""Issue 18 item 1: the free-text gate knows this center's patients and the Safe Harbor categories a pattern finds.

Every identifier of the corpus below left in a network bundle unflagged before: the names of the demo center's
own patients in several forms, their record numbers, birth dates, phones and e-mail addresses, and the
categories of HIPAA Safe Harbor (45 CFR 164.514(b)(2)) that a pattern can find. The false-positive check
runs the same gate over the demo's real commons texts and other texts that travel in network bundles.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from importlib import resources

import pytest
from sqlalchemy import select

from lhn_desktop.access import Actor
from lhn_desktop.models.improvement import DriverNode, PdsaCycle
from lhn_desktop.models.patients import Patient
from lhn_desktop.models.team import Site
from lhn_desktop.services.commons import CommonsService
from lhn_desktop.services.sync import ExportBlocked, SyncService
from lhn_desktop.sync.scope import NETWORK_FIELDS, NETWORK_STRUCTURED, NETWORK_TEXT, network_value_structured
from lhn_desktop.sync.textgate import KnownIdentifiers, masked, scan

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")  # fmt: skip

# The Safe Harbor categories a pattern can find, each as a clinic team might type it.
SAFE_HARBOR = [
    # record numbers of 5 digits and more
    "MRN 48213 missed the infusion.",
    "Chart 30917 was reviewed at the huddle.",
    "Her record number is 7 3 4 1 9.",
    # dates tied to a person: more than the year
    "She was born November 2012 and diagnosed at 9.",
    "Born in Nov. 2012, diagnosed the year after.",
    "DOB: March 2011.",
    "His birthday is 14 February, so the visit moved.",
    "Date of birth 03/2011 per the referral.",
    "He passed away in June 2025 after a long illness.",
    # street addresses
    "The family lives at 12 Oak Street, near the clinic.",
    "Letters go to 4411 Maple Ave. since the move.",
    "They moved to 7 Harbour View Drive last spring.",
    "Mail to 221b Baker St. was returned.",
    "lives at 88 elm road with her grandmother",
    "Send it to P.O. Box 1432 instead.",
    "Apt 4B has no lift, so infusions are at home.",
    # ZIP codes
    "The family is in Columbus, OH 43215 now.",
    "ZIP code 02139 is outside our catchment.",
    "Their zip: 60614.",
    "Postal code 43215-1234 on the form.",
    # ages over 89
    "Her grandmother, aged 92, brings her to clinic.",
    "A 95-year-old great-grandfather is the main carer.",
    "Grandpa is 91 years old and drives her.",
    "The carer is 93 y/o.",
    # phone numbers, also written out
    "Call mom at 555 dot 123 dot 4567 after school.",
    "Text five five five one two three four five six seven.",
    "Dad's cell is 614 - 555 - 0187.",
    "Reach the family on 555.123.4567.",
    "The number is (614)555-0123.",
    "Call six one four, five five five, zero one two three.",
    # e-mail addresses, also written out
    "Write to jane.doe at gmail dot com for the photos.",
    "Her mum is parent77 [at] example [dot] org.",
    "Reach dad at j_smith(at)mail(dot)com.",
    "Email jane.doe@gmail.com with the results.",
    "sam.t at example.org has the forms",
    # web addresses and SSNs
    "Photos are at https://drive.example.com/share/abc123.",
    "See www.facebook.com/janedoe.family for the fundraiser.",
    "SSN 123-45-6789 was written on the intake form.",
    "Social security number 078051120 entered in error.",
]


def _demo_patients(db) -> list[Patient]:
    with db.read() as s:
        patients = list(s.scalars(select(Patient).order_by(Patient.mrn).limit(6)))
        s.expunge_all()
    assert len({p.family_name for p in patients}) >= 3
    return patients


def _spelled(digits: str) -> str:
    words = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    return " ".join(words[int(d)] for d in digits if d.isdigit())


def _patient_corpus(patients: list[Patient]) -> list[str]:
    """Every form of each patient's identifiers, as they might be typed in a shared text."""
    out: list[str] = []
    for p in patients:
        g, f, b = p.given_name, p.family_name, p.birth_date
        out += [
            f"{g} {f} had a flare after the holidays.",
            f"{g[0]}. {f} came back from the ward.",
            f"{g[0]} {f} and her mum joined the advisory group.",
            f"{g.lower()} {f.lower()} missed the infusion",
            f"{f.upper()}, {g.upper()}: seen by the fellow.",
            f"{f}, {g} asked about the transition clinic.",
            f"{f}, {g[0]}. was on the list twice.",
            f"{g} {f[0]}. told the group about her school.",
            f"The {f} family wrote the newsletter story.",
            f"{f}'s mum organised the fundraiser.",
            f"Spoke with {f.lower()} about the diary.",
            f"Record {p.mrn} was used in the test.",
            f"Chart {p.mrn.split('-')[-1]} reviewed.",
            f"Record {p.mrn.replace('-', '').lower()} again.",
            f"Born {b.day} {MONTHS[b.month - 1]} {b.year}, the youngest in the group.",
            f"DOB {b.day}.{b.month}.{b.year % 100:02d} per the referral.",
            f"Birthday party on {MONTHS[b.month - 1][:3]} {b.day}, {b.year}.",
            f"She was born {MONTHS[b.month - 1]} {b.year}.",
            f"Call the family on {p.phone}.",
            f"Phone {_spelled(p.phone)} after five.",
            f"Mum's number is {p.phone.replace('-', ' dot ')}.",
            f"Write to {p.email.replace('@', ' at ').replace('.', ' dot ')}.",
            f"Mail {p.email} for the photos.",
        ]
    return out


def test_the_identifier_corpus_is_all_flagged(demo_db):
    known = SyncService(demo_db).known_patients()
    corpus = _patient_corpus(_demo_patients(demo_db)) + SAFE_HARBOR
    missed = [text for text in corpus if not scan(text, known)]
    assert missed == [], f"{len(missed)} of {len(corpus)} identifiers left unflagged"
    assert len(corpus) >= 170


def test_names_are_compared_folded_for_case_accents_initials_and_order():
    known = KnownIdentifiers()
    known.add_patient("Zoë", "Østergård-O'Brien", "00-48213", date(2011, 3, 4), "+1 (614) 555-0199", "zoe@example.org")
    for text in [
        "zoe ostergard-obrien",
        "ZOË O'BRIEN",
        "O'Brien, Zoë",
        "Z. Østergård",
        "Obrien Zoe",
        "Zoe O.",
        "Ostergard had a flare",
        "chart 48213",
        "MRN 0048213",
        "seen 04/03/2011",
        "born 2011-03-04",
        "call 614 555 0199",
        "six one four five five five zero one nine nine",
        "zoe at example dot org",
    ]:
        kinds = [f.kind for f in scan(text, known)]
        assert kinds and set(kinds) == {"patient"}, text
    # other patients' names and everyday words are not this center's patient
    for text in ["Zoe met the team", "the Z. team", "Oster is not here", "born in 2011"]:
        assert all(f.kind != "patient" for f in scan(text, known)), text


def test_a_family_name_that_is_an_everyday_word_counts_alone_only_with_a_capital():
    known = KnownIdentifiers()
    known.add_patient("Ivy", "Young")
    assert scan("young adults moved to adult care", known) == []
    assert [f.kind for f in scan("Young had a flare", known)] == ["patient"]
    assert [f.kind for f in scan("ivy young had a flare", known)] == ["patient"]


def test_known_identifiers_hold_no_identifier_in_the_clear(demo_db):
    known = SyncService(demo_db).known_patients()
    patients = _demo_patients(demo_db)
    blob = repr(known).encode() + b"".join(sorted(known._digests))  # looking inside on purpose
    for p in patients:
        for value in (p.given_name, p.family_name, p.mrn, p.phone, p.email, p.birth_date.isoformat()):
            assert value.encode() not in blob and value.lower().encode() not in blob
    assert not hasattr(known, "__dict__")  # slots: nowhere to keep anything else
    # a new key every review: the digests of two reviews cannot be matched with each other
    assert not known._digests & SyncService(demo_db).known_patients()._digests


def test_a_hit_is_never_shown_in_the_review(demo_db):
    known = SyncService(demo_db).known_patients()
    p = _demo_patients(demo_db)[0]
    text = f"We asked {p.given_name} {p.family_name} (born {MONTHS[p.birth_date.month - 1]} {p.birth_date.year})."
    for finding in scan(text, known):
        shown = masked(text, finding, known)
        assert p.family_name not in shown and p.given_name not in shown and str(p.birth_date.year) not in shown


def test_every_field_that_travels_is_scanned_or_structured():
    for entity, fields in NETWORK_FIELDS.items():
        text, structured = set(NETWORK_TEXT[entity]), set(NETWORK_STRUCTURED[entity])
        assert not text & structured and text | structured == fields, entity
    # a structured field holding anything but its shape is read as text
    assert network_value_structured("resource", "published_on", "2026-01-31")
    assert not network_value_structured("resource", "published_on", "born 2012-11-05")
    assert not network_value_structured("usage_event", "kind", "Ada Demoford")
    assert not network_value_structured("resource", "disease", "IBD")


def test_the_review_lists_and_scans_disease_audience_and_network_name(demo_db, admin):
    p = _demo_patients(demo_db)[0]
    commons = CommonsService(demo_db, demo_db.path.parent / "attachments", today=lambda: date(2026, 3, 2))
    disease, audience = f"{p.given_name} {p.family_name}'s Crohn disease", f"The {p.family_name} family"
    commons.add_resource(admin, title="Transition checklist", kind="tool", summary="For teens moving on.",
                         disease=disease, audience=audience)  # fmt: skip
    with demo_db.write(admin) as s:  # no screen edits the network's name yet; the record is what travels
        s.scalars(select(Site)).one().network = f"Network of {p.given_name[0]}. {p.family_name}"
    preview = SyncService(demo_db).preview(admin, "network")
    listed = {(t.kind, t.field) for t in preview.texts}
    assert {("commons resource", "Disease"), ("commons resource", "Audience"), ("center", "Network")} <= listed
    flagged = {(t.kind, t.field) for t in preview.texts if t.findings}
    assert flagged == {("commons resource", "Disease"), ("commons resource", "Audience"), ("center", "Network")}
    assert all("name or details of a patient" in f for t in preview.texts for f in t.findings)
    assert not any(p.family_name in f for t in preview.texts for f in t.findings)


def test_export_is_refused_without_a_name_in_the_message_or_the_log(demo_db, admin, tmp_path, caplog):
    p = _demo_patients(demo_db)[0]
    commons = CommonsService(demo_db, demo_db.path.parent / "attachments", today=lambda: date(2026, 3, 2))
    commons.add_resource(admin, title="Tips", kind="tool", summary=f"{p.given_name.lower()} {p.family_name.lower()} "
                         "liked the diary.")  # fmt: skip
    caplog.set_level(logging.DEBUG)
    out = tmp_path / "shared"
    out.mkdir()
    with pytest.raises(ExportBlocked) as err:
        SyncService(demo_db).export_network(Actor.workstation(), out)
    for value in (p.family_name, p.family_name.lower(), p.given_name):
        assert value not in str(err.value) and value not in caplog.text
    assert list(out.iterdir()) == []


# -- false positives -----------------------------------------------------------------------------------------


def _other_network_texts(demo_db, admin) -> list[str]:
    """Texts that travel in network bundles besides the demo's commons: the demo's PDSA cycles and change ideas
    shared to the commons, the network's measure definitions, and ordinary improvement sentences."""
    from tests.sync.test_textgate import CLEAN

    commons = CommonsService(demo_db, demo_db.path.parent / "attachments", today=lambda: date(2026, 3, 2))
    with demo_db.read() as s:
        cycles = list(s.scalars(select(PdsaCycle.id)))
        ideas = list(s.scalars(select(DriverNode.id).where(DriverNode.kind == "change_idea")))
        drivers = list(s.scalars(select(DriverNode.text)))
    for cycle in cycles:
        commons.share_pdsa(admin, cycle)
    for idea in ideas:
        commons.share_change_idea(admin, idea)
    library = json.loads(resources.files("lhn_desktop.content").joinpath("measures.json").read_text())
    measures = [m.get(k) or "" for m in library["measures"] for k in ("title", "numerator_text", "denominator_text")]
    return [*CLEAN, *drivers, *measures]


def test_false_flags_on_real_network_texts(demo_db, admin):
    """The number of false flags that remain is written in docs/sync.md."""
    extra = _other_network_texts(demo_db, admin)
    preview = SyncService(demo_db).preview(admin, "network")
    known = SyncService(demo_db).known_patients()
    texts = [t.text for t in preview.texts] + extra
    assert len(texts) >= 150 and any(t.kind == "commons resource" for t in preview.texts)
    flagged = [f for t in preview.texts for f in t.findings]
    assert flagged == []  # the demo's own commons, with its shared PDSA cycles and change ideas
    flagged = [(f.kind, t[f.start : f.end]) for t in extra for f in scan(t, known)]
    # What remains: the deadline of a 90-day aim written as a full date, which the full-date rule flags on
    # purpose (a full date is the most common identifier in PDSA notes). 2 false flags of 181 texts.
    assert sorted(flagged) == [("date", "11 May 2026"), ("date", "16 April 2026")]
