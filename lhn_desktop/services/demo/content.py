"""The demo center's fictional content: names, the care team, clinical patterns, agendas and goals, the
improvement goals' drivers and PDSA ramp, and the commons resources.

These are records, not the program's words: a center that uses the program in another language keeps the
demo in English (see ``services/words``).
"""

from __future__ import annotations

import uuid

from lhn_desktop.models.team import Role

#: Names the yearly vitamin D and PHQ-9 records (see ``CenterSimulator.yearly_checks``).
YEARLY_NS = uuid.UUID("0b7c5e1e-2f51-4d7e-a3a4-1f6c1f0d9a52")

PROGRESS_LABEL = "Creating synthetic patients"
SOURCE = "demo"
CROHN, UC, IBDU = "Crohn disease", "Ulcerative colitis", "IBD unclassified"
PGA_STATES = ("quiescent", "mild", "moderate", "severe")
FLU_VACCINE = "Influenza (inactivated)"
CLINIC_WEEKDAYS = (1, 3)  # Tuesday (the first physician's clinic) and Thursday (the second's)

# fmt: off
GIVEN_NAMES = {
    "female": ("Ada", "Bea", "Cleo", "Dana", "Edie", "Faye", "Gwen", "Hana", "Ivy", "June", "Kira", "Lena", "Maya",
               "Nora", "Opal", "Pia", "Rosa", "Tess"),
    "male": ("Abe", "Ben", "Cal", "Dev", "Eli", "Finn", "Gus", "Hugo", "Ian", "Jude", "Kai", "Leo", "Max", "Ned",
             "Otis", "Pete", "Rex", "Sam", "Theo", "Wes"),
}
#: Obviously fictional family names: every synthetic patient has one of these.
FAMILY_NAMES = ("Testwood", "Sampleton", "Mockridge", "Placebury", "Synthwell", "Fictor", "Dummett", "Demoford",
                "Exampleton", "Pretendle", "Simulby", "Mockingdale", "Fakesworth", "Proxley", "Samplewood",
                "Testerby", "Dummington", "Imaginor", "Notreal", "Madeupton")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
TEAM = (
    (Role.PHYSICIAN, "Dr. Robin Sample", "Pediatric gastroenterologist; IBD clinic lead and sponsor of the team."),
    (Role.PHYSICIAN, "Dr. Sam Placeholder", "Pediatric gastroenterologist; Thursday clinic and transition clinic."),
    (Role.NURSE, "Casey Testwood, RN", "IBD nurse; pre-visit planning, infusion schedule and family phone line."),
    (Role.QI_LEAD, "Taylor Demoson", "Improvement lead; runs the PDSA huddles and keeps the run charts."),
    (Role.DATA_MANAGER, "Jamie Datafield", "Registry data entry and the monthly measure report."),
    (Role.DIETITIAN, "Riley Synthmore, RD", "Dietitian; growth and nutrition reviews, exclusive enteral nutrition."),
    (Role.PSYCHOLOGIST, "Quinn Mockwell, PhD", "Psychologist; psychosocial screening and coping skills for teens."),
    (Role.PARENT_PARTNER, "Jordan Mockridge", "Parent of a teen with Crohn disease."),
    (Role.PATIENT_PARTNER, "Sky Exampleby", "Young adult with UC; co-leads the teen advisory group."),
)
#: Per-visit transition probabilities of the disease-activity state (PGA), without and with an anti-TNF.
TRANSITIONS = {
    False: ((0.88, 0.08, 0.03, 0.01), (0.55, 0.28, 0.13, 0.04), (0.45, 0.25, 0.24, 0.06), (0.40, 0.28, 0.24, 0.08)),
    True: ((0.91, 0.06, 0.025, 0.005), (0.65, 0.25, 0.08, 0.02), (0.55, 0.25, 0.16, 0.04), (0.50, 0.28, 0.17, 0.05)),
}
#: Lab ranges per PGA state and unit: CRP in tenths of mg/L, ESR mm/h, albumin g/L, hemoglobin g/L.
LABS = {
    "CRP": (((3, 45), (30, 150), (100, 450), (300, 1200)), "mg/L"),
    "ESR": (((2, 15), (10, 30), (20, 50), (35, 80)), "mm/h"),
    "ALB": (((38, 46), (34, 41), (29, 36), (22, 31)), "g/L"),
    "HGB": (((118, 145), (108, 128), (96, 118), (82, 106)), "g/L"),
}
#: Median height (cm) and weight (kg) at ages 2..20, roughly the CDC 50th percentiles.
HEIGHT_MEDIAN = {
    "male": (87, 96, 103, 110, 116, 122, 128, 133, 138, 143, 149, 156, 164, 170, 174, 176, 177, 177, 177),
    "female": (86, 95, 102, 109, 115, 121, 127, 133, 138, 144, 151, 157, 160, 162, 163, 163, 163, 163, 163),
}
WEIGHT_MEDIAN = {
    "male": (12.5, 14.3, 16.3, 18.4, 20.7, 23, 25.6, 28.6, 32, 35.6, 40, 45.3, 50.8, 56, 60.8, 64.6, 67.2, 69, 70.6),
    "female": (12, 14.1, 16, 17.9, 20.2, 22.8, 25.8, 29, 32.6, 37, 41.5, 45.8, 49.4, 52, 53.7, 55, 56, 56.7, 57.3),
}
SCREENINGS = (("TB test", "Interferon-gamma release assay negative"),
              ("Hepatitis B serology", "HBsAg negative; anti-HBs positive"), ("Varicella IgG", "positive"))
AGENDA = {
    "matters_most": ("Going to summer camp", "Playing in the school band", "Eating pizza with friends",
                     "Sleeping through the night", "Finishing the school year", "Playing the whole soccer season"),
    "concern": ("Tummy pain after school lunches", "Tired all the time during exams", "Scared of the infusion needle",
                "Missing school for appointments", "Not growing as fast as friends", "Side effects of the medicine"),
    "question": ("Can I stop the medicine if I feel fine?", "Is it safe to travel abroad this summer?",
                 "Do I need the flu shot this year?", "Can the blood test be done at our local lab?",
                 "When can I do the injections at home?"),
}
GOALS = {
    "fundamental": ("Feel like a normal kid again", "Be with my friends without worrying about bathrooms",
                    "Be independent before college", "Have a calm family life again"),
    "functional": ("Play the whole soccer season", "Go to school every day this term", "Go on the class trip",
                   "Sleep over at my cousin's house", "Swim with the summer swim team"),
    "disease": ("Stay in remission without prednisone", "Gain 2 kg by the summer", "No more than two stools a day",
                "Get the CRP back to normal"),
}
GAS_NOTES = ("Much less than expected", "Less than expected", "As expected", "Better than expected",
             "Much better than expected")
TASKS = (("Keep a symptom diary for two weeks", "patient"), ("Fill in the pre-visit questionnaire", "family"),
         ("Get the blood test at the local lab before the visit", "family"), ("Book a dietitian review", "team"),
         ("Send the school a letter about bathroom access", "team"), ("Practise swallowing small tablets", "patient"))
# fmt: on


# fmt: off
#: Driver diagrams as (primary driver, ((secondary driver, (change ideas...)), ...)).
MODEL_CARE_DRIVERS = (
    ("Reliable pre-visit planning", (("Checklist reviewed the day before clinic",
                                      ("Nurse completes the pre-visit checklist the afternoon before clinic",
                                       "Flag a missing Paris classification on the clinic list")),)),
    ("Growth measured at every visit", (("Height and weight taken at check-in",
                                         ("Move the stadiometer to the check-in room",)),)),
    ("The team knows its own data", ()),
)
VISIT_DRIVERS = (
    ("Families know when the next visit is due", (("Next visit booked before the family leaves",
                                                   ("Front desk books the next visit at check-out",)),)),
    ("Overdue patients are found early", (("A monthly list of patients not seen for 170 days",
                                           ("Data manager sends the 170-day list on the first Monday",)),)),
)
GOAL_SPECS = (  # title, measure, days before today it started, aim, drivers, progress score, evidence
    ("Model care at every visit", "model_care", 45,
     "Raise the share of clinic visits with the model-care bundle complete (classification, PGA, weight and height "
     "recorded) from {b}% to {t}% by {d}", MODEL_CARE_DRIVERS, 25,
     "Changes tested in a PDSA ramp; run chart with its target, no sustained shift yet"),
    ("Every patient seen within 200 days", "visit_200d", 20,
     "Raise the share of active patients seen within 200 days from {b}% to {t}% by {d}", VISIT_DRIVERS, 20,
     "Team chartered and driver diagram agreed; first change ideas being planned"),
)
# fmt: on

# fmt: off
RAMP = (  # scale (patients), started days ago, length in days, decision, status, questions, study, next step
    (1, 44, 0, "adapt", "done",
     [{"q": "Can the checklist be done in under 10 minutes?", "prediction": "Yes, about 8 minutes",
       "result": "It took 14 minutes; finding the last PGA took longest"},
      {"q": "Will the physician use the plan in the visit?", "prediction": "Yes",
       "result": "Yes; the physician asked for the growth chart on the same page"}],
     "Checklist done for one patient; the last PGA was hard to find.",
     "Pre-fill the last PGA and growth from the registry; test with 5 patients."),
    (5, 37, 7, "adopt", "done",
     [{"q": "With pre-filled values, is it under 10 minutes?", "prediction": "Yes",
       "result": "Yes, 6 to 9 minutes for all 5 patients"},
      {"q": "How many visits have the height missing before planning?", "prediction": "1 in 5",
       "result": "2 of 5; both were measured at check-in after the flag"}],
     "All 5 checklists were done the afternoon before; two missing heights were caught.",
     "Adopt for one clinic day and ramp to 20 patients across both physicians."),
    (20, 16, 28, None, "doing",
     [{"q": "Can the checklist be done for a full clinic day?", "prediction": "Yes, for 18 of 20 patients",
       "result": ""}],
     None, None),
)
# fmt: on

# fmt: off
RESOURCES = (  # title, kind, contributor role, audience, tags, summary, body
    ("IBD pre-visit planning checklist", "tool", "clinician", "care team", "pre-visit planning,model care",
     "A one-page checklist the nurse completes the afternoon before clinic.",
     "Classification recorded; last PGA and PCDAI or PUCAI; weight and height; TPMT before a thiopurine; TB, "
     "hepatitis B and varicella screening before an anti-TNF; influenza vaccine; the family's agenda."),
    ("PDSA write-up: pre-filled checklists", "pdsa_writeup", "improver", "improvement teams",
     "pre-visit planning,PDSA ramp",
     "Three cycles from 1 to 20 patients; pre-filling from the registry cut the time to under 10 minutes.",
     "Cycle 1 took 14 minutes for one patient. Cycle 2 pre-filled the last PGA and growth: 6 to 9 minutes. "
     "Cycle 3 runs a full clinic day."),
    ("Spring newsletter of the demo clinic", "newsletter", "improver", "families", "newsletter,collaboRATE",
     "What we changed this season, our run charts and how families can join the advisory group.",
     "Thank you to every family who answered the three collaboRATE questions after a visit."),
    ("Book the next visit at check-out", "change_idea", "clinician", "care team", "visit within 200 days",
     "The front desk books the next visit before the family leaves clinic.",
     "Families leave with a date; missed visits are followed up by phone within a week."),
    ("Our family's first year with Crohn disease", "story", "parent", "families", "family voice,goal setting",
     "A parent partner's story of the first year after diagnosis, and what helped.",
     "Writing down what mattered most before each visit made the visits ours. (A fictional story for the demo.)"),
)
# fmt: on
