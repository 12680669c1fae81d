"""A deterministic synthetic pediatric IBD center, for first run, demos, training, tests and benchmarks.

:func:`generate_demo` fills an empty center database with a care team; patients with three years of
visits, observations, medications, screenings and immunizations; an upcoming clinic with the families'
agendas, goals and tasks; collaboRATE responses; monthly measure values computed from that record; two
90-day improvement goals with driver diagrams and a PDSA ramp; and a few commons resources.

Everything is fictional and looks it: family names come from :data:`FAMILY_NAMES`, MRNs start with
``DEMO-``, phone numbers are in the 555-01xx range and e-mail addresses end with ``@example.org``.

The same ``(patients, seed, today)`` always gives the same content, ids included: every random choice
and every id comes from one ``random.Random(seed)`` stream, dates count from ``today``, and nothing
iterates over unordered collections. Monthly measure values take natural-key ids (uuid5 of
``site/measure/YYYY-MM``), as every workstation computes them.

The work runs inside one write transaction in two steps: the patients' histories are simulated in
memory (fast), then written one patient per flush with progress and a cancel check between patients,
so a cancel rolls everything back.
"""

from lhn_desktop.services.demo.build import DemoSummary, generate_demo

__all__ = ["DemoSummary", "generate_demo"]
