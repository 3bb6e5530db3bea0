"""Version 2 extraction rules (open vocabulary, new fact kinds, scoping), each with the general rule it tests.

The texts are written for these tests; several reproduce errors a user met on their own article about
shin splints, stress fractures and compartment syndrome (the issue that asked for these rules).
"""
from __future__ import annotations

import pytest

from symcause.extraction.sentences import split_sentences
from symcause.extraction.text import read_html, read_markdown


def run(extractor, text, headings=()):
    r = extractor.extract("t" * 12, text, frozenset(headings))
    return r, {c.condition_id: c for c in r.conditions.values()}


def factors(r, kind=None, cond=None):
    return {(f["kind"], f["factor"]) for f in r.factors if f["scope"] == "sentence" and not f["negated"]
            and (kind is None or f["kind"] == kind) and (cond is None or cond in f["condition_id"])}


def pairs(r, cond=None):
    return {(f["symptom"], f["region"]) for f in r.facts if not f["negated"] and (cond is None or cond in f["condition_id"])
            and not f["extractor"].endswith("condition_site")}


# ---- reading: page furniture, declared headings

def test_html_furniture_is_never_read():
    html = """<html><head><title>Knee pain</title></head><body>
    <div class="cookie-banner" role="dialog">We use cookies to improve knee pain pages.</div>
    <header class="site-header"><nav><a href="/">Home</a> <a href="/knee">Knee pain</a></nav></header>
    <nav class="breadcrumbs">Home &gt; Knee &gt; Fabella syndrome</nav>
    <main><article><h1>Fabella syndrome</h1><p>Fabella syndrome causes pain at the back of the knee.</p></article></main>
    <aside class="related"><h2>Related topics</h2><ul><li>Sciatica causes leg pain</li></ul></aside>
    <footer>Sciatica and hip pain guides</footer></body></html>"""
    text, headings = read_html(html)
    assert "cookies" not in text and "Home" not in text and "Related" not in text and "Sciatica" not in text
    assert "Fabella syndrome causes pain" in text and "Fabella syndrome" in headings


def test_markdown_headings_are_declared_even_when_numbered(extractor):
    text, headings = read_markdown("---\ntitle: x\n---\n# Causes\n\n## 2. Baastrup disease\n\nText.\n")
    assert "title" not in text and "2. Baastrup disease" in headings
    sentences = split_sentences("2. Baastrup disease\nText.", frozenset(headings))
    assert sentences[0].heading and "2." not in "2. Baastrup disease"[sentences[0].start:sentences[0].end]


# ---- conditions the lexicon does not list

def test_a_heading_names_a_condition_the_lexicon_lacks(extractor):
    text = ("Bipartite patella\nThe kneecap forms in two pieces. It causes pain at the top outer corner of the kneecap, "
            "worse with kneeling and squatting.\nHow it is treated\nRest helps.")
    r, conds = run(extractor, text, ["Bipartite patella", "How it is treated"])
    assert "bipartite_patella" in conds and conds["bipartite_patella"].category_source == "inferred"
    assert conds["bipartite_patella"].category == "knee_joint"  # a joint structure (kneecap) with the knee
    assert ("aggravating", "kneeling") in factors(r, cond="bipartite")
    assert not any("treated" in c for c in conds)  # a structural heading is not a condition


@pytest.mark.parametrize("heading", ["Understanding the radiating pain phenomenon", "Tendons and bursae",
                                     "Managing knee tendon flare-ups"])
def test_a_topic_heading_is_no_condition(extractor, heading):
    text = (f"{heading}\nThe kneecap tendon can ache at its lower tip, worse with jumping and squatting. Swelling "
            "over the front of the knee can follow kneeling.\n")
    _, conds = run(extractor, text, [heading])
    assert not any(w in c for c in conds for w in ("phenomenon", "tendons_and", "managing")), sorted(conds)


def test_an_eponym_opening_a_definition_is_a_condition(extractor):
    r, conds = run(extractor, "Bertolotti syndrome is a cause of one-sided low back pain spreading into the buttock.")
    assert "bertolotti_syndrome" in conds and conds["bertolotti_syndrome"].category == "spinal"


def test_mimics_are_flagged(extractor):
    _, conds = run(extractor, "Pigmented villonodular synovitis\nIt causes repeated swelling of the knee, with warmth and "
                              "stiffness.", ["Pigmented villonodular synovitis"])
    assert conds["pigmented_villonodular_synovitis"].mimic  # a benign tumour of the joint lining
    assert conds["pigmented_villonodular_synovitis"].category == "knee_joint"


# ---- the user's shin article: each error is a general rule

def test_warm_up_is_not_warmth(extractor):
    r, _ = run(extractor, "Shin splints cause a dull ache along the shin that eases as you warm up.")
    assert ("timing", "eases_with_warm_up") in factors(r)
    assert not any(f["symptom"] == "warmth" for f in r.facts)


def test_comes_back_is_not_the_back(extractor):
    r, _ = run(extractor, "Shin splints cause shin pain that comes back after running.")
    assert ("pain", "shin") in pairs(r) and not any(f["region"] == "lower_back" for f in r.facts)


def test_stopping_an_activity_is_not_relief_by_it(extractor):
    r, _ = run(extractor, "Compartment syndrome causes calf pain that eases within minutes of stopping running.")
    assert ("aggravating", "running") in factors(r) and ("relieving", "running") not in factors(r)


def test_a_heading_alone_is_no_fact(extractor):
    r, _ = run(extractor, "Shin splints\nThey are common in runners.", ["Shin splints"])
    assert all(f["evidence"] != "Shin splints" for f in r.facts)


def test_stress_fracture_risk_factors_are_read_from_a_list(extractor):
    text = ("Tibial stress fracture\nA stress fracture causes pain at one spot on the shin.\n"
            "Risk factors for a stress fracture include:\n- a sudden increase in training\n- low bone density\n"
            "- low body weight or not eating enough\n- irregular or absent periods\n- low vitamin D")
    r, _ = run(extractor, text, ["Tibial stress fracture"])
    risks = {f for k, f in factors(r, "risk_factor")}
    assert {"training_increase", "low_bone_density", "low_body_weight", "menstrual_irregularity",
            "vitamin_d_deficiency"} <= risks and "obesity" not in risks


def test_red_flag_bullets_in_lay_words(extractor):
    text = ("Shin splints cause shin pain.\nSee a doctor straight away if:\n- your calf is hot, red and swollen\n"
            "- the pain is severe and does not ease with rest\n- your foot turns cold, pale or blue\n"
            "- you cannot put weight on the leg")
    r, _ = run(extractor, text)
    flags = {f["factor"] for f in r.factors if f["kind"] == "red_flag"}
    assert {"warmth", "redness", "significant_swelling", "severe_unrelieved_pain", "cold_pale_limb",
            "inability_to_bear_weight"} <= flags


# ---- Version 2 kinds and frequency

@pytest.mark.parametrize("text, kind, value", [
    ("A meniscus tear usually follows a twisting injury to the knee.", "onset", "twisting_injury"),
    ("Patellar tendinopathy often starts after a sudden increase in training.", "onset", "training_increase"),
    ("A meniscus tear gives joint line tenderness and a positive McMurray test.", "exam_finding", "joint_line_tenderness"),
    ("In hip osteoarthritis internal rotation is reduced and the FADIR test is painful.", "exam_finding", "fadir_positive"),
    ("Hip osteoarthritis causes stiffness in the morning that wears off within 30 minutes.", "timing", "morning_stiffness_short"),
    ("Rheumatoid arthritis brings morning stiffness lasting more than an hour.", "timing", "morning_stiffness_long"),
    ("Spinal stenosis makes walking painful, and the pain is relieved by bending forward.", "timing",
     "walking_eased_by_bending_forward"),
    ("Lumbar spinal stenosis makes both calves ache on walking, and the pain eases after a few minutes of sitting or "
     "bending forward.", "timing", "walking_eased_by_bending_forward"),
    ("Popliteal artery entrapment gives a calf ache on brisk walking that goes within a minute or two of stopping.",
     "timing", "walking_eased_by_rest"),
    ("Pigmented villonodular synovitis makes the knee swell, often after a long walk.", "timing", "after_activity"),
    ("Osgood-Schlatter disease is most common in teenagers who play sport.", "demographic", "adolescent"),
    ("Iliotibial band syndrome mainly affects runners and cyclists.", "demographic", "runner"),
])
def test_version_2_kinds(extractor, text, kind, value):
    r, _ = run(extractor, text)
    assert (kind, value) in factors(r, kind)


def test_a_negative_test_is_negated(extractor):
    r, _ = run(extractor, "In piriformis syndrome the straight leg raise is usually negative.")
    slr = [f for f in r.factors if f["factor"] == "slr_positive"]
    assert slr and all(f["negated"] for f in slr)


def test_a_demographic_needs_a_who_context(extractor):
    r, _ = run(extractor, "Runners should build up slowly. Shin splints cause shin pain.")
    assert not factors(r, "demographic")


def test_frequency_words_are_recorded(extractor):
    r, _ = run(extractor, "Sciatica usually causes pain down the leg and sometimes causes numbness in the foot.")
    freq = {(f["symptom"], f["frequency"]) for f in r.facts}
    assert ("pain", "most") in freq and ("numbness", "sometimes") in freq


# ---- scoping

def test_a_presentation_does_not_take_the_section(extractor):
    text = ("Lumbar facet cyst\nIt is a fluid-filled sac of a facet joint.\n"
            "Usually an L5 radiculopathy: pain from the buttock down the outer thigh to the foot.")
    r, conds = run(extractor, text, ["Lumbar facet cyst"])
    assert ("pain", "buttock") in pairs(r, "cyst")  # the lexicon knows it as a spinal synovial cyst
    assert not pairs(r, "radiculopathy")


def test_a_condition_named_late_in_a_sentence_is_its_object(extractor):
    text = ("Baastrup disease\nIt causes midline low back pain. The bursa can extend into the canal and produce "
            "neurogenic claudication, with aching in the buttocks on walking.")
    r, _ = run(extractor, text, ["Baastrup disease"])
    assert ("pain", "buttock") in pairs(r, "baastrup") and not pairs(r, "claudication")


def test_a_short_form_inside_a_section_is_the_section_condition(extractor):
    text = ("Chronic exertional compartment syndrome\nCompartment syndrome causes a tight pain in the calf during "
            "running.")
    r, conds = run(extractor, text, ["Chronic exertional compartment syndrome"])
    assert "acute_compartment_syndrome" not in conds and ("pain", "calf") in pairs(r, "chronic")


def test_a_comparison_table_scopes_each_row(extractor):
    text = ("Popliteal artery entrapment syndrome\nIt squeezes the artery behind the knee.\n"
            "Accessory soleus muscle\nAn extra calf muscle at the inner ankle.\n\n"
            "| Cause | Typical patient | Eased by |\n|---|---|---|\n"
            "| Popliteal artery entrapment | Young male athlete | Rest |\n| Accessory soleus | Teenage runner | Stretching |")
    r, _ = run(extractor, text, ["Popliteal artery entrapment syndrome", "Accessory soleus muscle"])
    assert ("relieving", "rest") in factors(r, cond="popliteal") and ("relieving", "stretching") in factors(r, cond="soleus")
    assert ("demographic", "male") in factors(r, cond="popliteal") and ("demographic", "runner") in factors(r, cond="soleus")
    assert ("relieving", "stretching") not in factors(r, cond="popliteal")


# ---- condition names: numbered headings, medical adjectives, qualified lexicon names, causes in headings

def test_a_numbered_heading_names_its_whole_condition(extractor):
    text = ("# Uncommon spinal causes\n\n## 3. Spinal epidural lipomatosis\n\nSpinal epidural lipomatosis is an "
            "overgrowth of fat in the spinal canal that squeezes the nerves. It causes leg pain and numbness in the "
            "feet.\n")
    _, conds = run(extractor, text)
    assert [c.name for c in conds.values()] == ["Spinal epidural lipomatosis"]


def test_an_adjective_qualifies_a_one_word_lexicon_name(extractor):
    text = ("Venous claudication causes a bursting pain in the calf when walking. Reactive arthritis causes a "
            "swollen, painful knee.\n")
    _, conds = run(extractor, text)
    names = {c.name for c in conds.values()}
    assert "Venous claudication" in names and "Reactive arthritis" in names
    assert not any("Peripheral artery disease" in n for n in names)


def test_a_condition_after_after_in_a_heading_is_history_not_the_subject(extractor):
    text = ("# Calf pain when walking\n\n## Venous claudication after a DVT\n\nThe deep veins stay blocked. "
            "Venous claudication causes a bursting pain in the calf when walking.\n")
    r, conds = run(extractor, text)
    owner = next(c for c in conds.values() if c.name == "Venous claudication")
    assert ("pain", "calf") in pairs(r, owner.condition_id)
    assert not pairs(r, "deep_vein_thrombosis")


def test_bare_claudication_is_not_arterial_disease(extractor):
    text = "Larger facet cysts cause claudication, with walking tolerance improving on bending forward.\n"
    _, conds = run(extractor, text)
    assert "peripheral_artery_disease" not in conds
    _, conds = run(extractor, "Lumbar facet cysts press on the nerve root. Larger cysts cause claudication, with "
                              "walking tolerance improved by bending forward. Claudication is worse on standing.\n")
    assert not [c for c in conds if "claudication" in c]   # a presentation, not a condition of its own
    _, conds = run(extractor, "Chronic exertional compartment syndrome causes a tight calf when running.\n\n"
                              "| Condition | Exam |\n|---|---|\n| Compartment syndrome | Normal at rest; muscle bulge |"
                              "\n\nA muscle bulge may be tender after exercise.")
    assert not [c for c in conds if "bulge" in c]   # a sign, not a condition


# ---- attribution and regions: causes after a link, landmarks, symptoms listed together

def test_a_condition_after_a_cause_link_gets_no_facts(extractor):
    r, _ = run(extractor, "Femoral neuropathy can follow a haematoma in the groin; it causes weakness of the thigh.")
    assert ("weakness", "thigh") in pairs(r, "femoral_neuropathy") and not pairs(r, "haematoma")
    r, _ = run(extractor, "Pes anserine bursitis is common in people with knee osteoarthritis and causes pain below "
                          "the inner knee.")
    assert pairs(r, "pes_anserine") and not pairs(r, "knee_osteoarthritis")
    r, _ = run(extractor, "People with sciatica feel pain down the back of the thigh.")
    assert ("pain", "thigh_back") in pairs(r, "sciatica")   # no earlier condition: the link does not apply


def test_landmarks_between_two_places_are_not_sites(extractor):
    r, _ = run(extractor, "Piriformis syndrome causes a tender spot in the buttock, between the sacrum and the outer hip.")
    assert {p for p in pairs(r) if p[0] == "tenderness"} == {("tenderness", "buttock")}


def test_a_symptom_listed_with_located_ones_takes_its_neighbours_region(extractor):
    r, _ = run(extractor, "If a Baker's cyst bursts, it causes sudden sharp calf pain, swelling and sometimes bruising "
                          "near the ankle.")
    got = pairs(r)
    assert ("swelling", "calf") in got and ("bruising", "ankle") in got
    assert ("swelling", "ankle") not in got and ("bruising", "calf") not in got
    r, _ = run(extractor, "Spinal stenosis causes pain, heaviness, numbness or tingling in both legs on walking.")
    assert {("pain", "leg"), ("heaviness", "leg"), ("numbness", "leg"), ("tingling", "leg")} <= pairs(r)
    r, _ = run(extractor, "Shin splints do not cause numbness or tingling in the foot.")
    neg = {(f["symptom"], f["region"]) for f in r.facts if f["negated"]}
    assert {("numbness", "foot"), ("tingling", "foot")} <= neg and ("numbness", "lower_leg") not in neg


def test_the_back_passage_is_not_the_lower_back(extractor):
    r, _ = run(extractor, "Cauda equina syndrome causes numbness between the legs and around the back passage.")
    assert ("numbness", "lower_back") not in {(f["symptom"], f["region"]) for f in r.facts
                                              if not f["extractor"].endswith(("condition", "condition_site"))}


def test_negation_stays_in_its_cell_and_clause(extractor):
    text = ("| Condition | Typical patient | Pain site | Key examination finding |\n|---|---|---|---|\n"
            "| Femoral neck stress fracture | Runners, recruits | Groin or anterior thigh with loading | Positive hop "
            "test; pain at end-range rotation; X-ray often normal |\n")
    r, _ = run(extractor, text)
    assert not [f for f in r.facts if f["negated"]]
    r, _ = run(extractor, "Meralgia paresthetica causes burning pain in the outer thigh; reflexes are normal.")
    assert ("pain", "thigh_outer") in pairs(r) and not [f for f in r.facts if f["negated"] and f["symptom"] == "pain"]


def test_a_symptom_of_the_compared_thing_is_not_a_finding(extractor):
    r, _ = run(extractor, "Trochanteric bursitis causes pain on the outside of the hip. Unlike joint-related pain, "
                          "bursitis pain is often worse lying on the affected side at night.")
    assert not [f for f in r.facts if f["negated"]]


# ---- after the second blind audit: frequency words, systemic signs, provoked findings, non-conditions

def test_a_frequency_word_belongs_to_the_finding_it_governs(extractor):
    r, _ = run(extractor, "Sciatica causes shooting pain down the leg, often with pins and needles in the foot.")
    freq = {(f["symptom"], f["frequency"]) for f in r.facts}
    assert ("pain", None) in freq and ("tingling", "often") in freq and ("pain", "often") not in freq
    r, _ = run(extractor, "Sciatica causes numbness in the foot in most people.")
    assert {f["frequency"] for f in r.facts if f["symptom"] == "numbness"} == {"most"}


def test_fever_is_not_a_symptom_at_a_region(extractor):
    r, _ = run(extractor, "Septic arthritis of the knee causes a hot swollen knee and fever.")
    assert "fever" not in {f["symptom"] for f in r.facts}


def test_a_symptom_an_examination_brings_on_is_not_a_symptom(extractor):
    r, _ = run(extractor, "In meralgia paresthetica, tapping over the nerve (Tinel's sign) causes tingling. "
                          "Meralgia paresthetica causes burning pain in the outer thigh.")
    assert ("tingling", "thigh_outer") not in pairs(r) and ("pain", "thigh_outer") in pairs(r)
    assert ("exam_finding", "tinel_positive") in factors(r)


def test_tight_muscles_and_devices_in_a_sentence_are_not_conditions(extractor):
    _, conds = run(extractor, "Patellofemoral pain syndrome causes pain around the kneecap. Tight quadriceps and "
                              "an orthosis may help or hinder.")
    names = {c.name.lower() for c in conds.values()}
    assert "tight quadriceps" not in names and "orthosis" not in names


def test_subtypes_and_short_forms_fold_into_their_condition(extractor):
    text = ("# Torn knee cartilage\n\nA meniscus tear causes pain along the joint line, on the inner side with a "
            "medial tear or the outer side with a lateral tear. A meniscus tear can make the knee lock.\n")
    _, conds = run(extractor, text)
    assert sorted(c.name for c in conds.values()) == ["Meniscus tear"]


def test_pain_relief_is_not_pain(extractor):
    r, _ = run(extractor, "Hip osteoarthritis causes groin pain. Pain relief and gels help in the short term.")
    assert [(f["symptom"], f["region"]) for f in r.facts] == [("pain", "groin")]


def test_an_unplaced_limp_is_at_the_conditions_own_site(extractor):
    # POLICY.md: a symptom with no region is at the condition's region, a limp too; not the pain's region
    r, _ = run(extractor, "Hip osteoarthritis causes groin pain and a limp.")
    assert ("limping", "hip") in pairs(r) and ("limping", "groin") not in pairs(r)
    assert ("limping", "leg") not in pairs(r)
    # a spinal condition's limp is in the leg, not the lower back
    r, _ = run(extractor, "Lumbar spinal stenosis causes back pain and a limp.")
    assert ("limping", "leg") in pairs(r) and ("limping", "lower_back") not in pairs(r)


def test_see_a_doctor_warnings_attach_only_to_covered_conditions(extractor):
    text = ("# Knee pain\n\n## Meniscus tear\n\nA meniscus tear causes pain along the joint line. It makes the knee "
            "lock and swell.\nAn ACL injury is another cause.\n\n## When to see a doctor\n\nSee a doctor urgently if "
            "you cannot put weight on the leg.\n")
    r, _ = run(extractor, text)
    flagged = {f["condition_id"] for f in r.factors if f["scope"] == "document"}
    assert flagged == {"meniscus_tear"}


def test_see_a_doctor_warnings_skip_a_condition_a_contrast_lends_statements(extractor):
    # knee osteoarthritis gets two statements from one contrast sentence, but the article is about the cyst
    text = ("# Baker's cyst\n\nA Baker's cyst causes swelling behind the knee. It causes tightness behind the knee. "
            "It aches at the back of the knee on bending. The cyst can cause calf pain when it bursts. It causes "
            "stiffness of the knee. It is often painless.\nUnlike a Baker's cyst, knee osteoarthritis causes grinding "
            "and stiffness in the morning.\n\n## When to see a doctor\n\nSee a doctor urgently if your calf is "
            "swollen, red and warm.\n")
    r, _ = run(extractor, text)
    assert len({(f["symptom"], f["region"]) for f in r.facts if f["condition_id"] == "knee_osteoarthritis"}) >= 2
    flagged = {f["condition_id"] for f in r.factors if f["scope"] == "document"}
    assert flagged == {"bakers_cyst"}


def test_a_test_named_as_a_procedure_is_no_finding(extractor):
    # the tests a clinician *does* are not what they *found*: a finding says what the test showed
    r, _ = run(extractor, "Meniscus tears are common. Ligaments: Lachman, anterior drawer and pivot shift; "
                          "posterior sag for the PCL. The McMurray test reproduces joint-line pain in a meniscus tear.")
    exams = factors(r, "exam_finding")
    assert ("exam_finding", "mcmurray_positive") in exams
    assert not {"lachman_positive", "anterior_drawer_positive", "pivot_shift_positive"} & {v for _, v in exams}


def test_a_test_heading_a_definition_takes_the_result_after_it(extractor):
    r, _ = run(extractor, "A meniscus tear often follows a twist.\n\nMcMurray test: the knee is bent and straightened "
                          "while the lower leg is rotated; joint-line pain or a click suggests a tear.\n\n"
                          "Slump test: a seated version.")
    exams = {v for _, v in factors(r, "exam_finding")}
    assert "mcmurray_positive" in exams and "slump_positive" not in exams


def test_signs_that_are_findings_by_name_need_no_result(extractor):
    r, _ = run(extractor, "Prepatellar bursitis follows kneeling. On examination there is an effusion over the kneecap.")
    assert ("exam_finding", "effusion") in factors(r)


def test_findings_a_clause_points_elsewhere_are_not_the_conditions(extractor):
    r, _ = run(extractor, "A hamstring strain causes sudden pain at the back of the thigh. Dermatomal numbness or "
                          "pain spreading below the knee suggest a lumbar source instead.")
    assert ("pain", "thigh_back") in pairs(r, "hamstring")
    assert not {s for s, _ in pairs(r, "hamstring")} & {"numbness"}
    assert "dermatomal_sensory_loss" not in {v for _, v in factors(r, cond="hamstring")}
    r, _ = run(extractor, "Sciatica causes pain down the leg. A reduced ankle jerk points to the spine.")
    assert ("exam_finding", "reduced_ankle_reflex") in factors(r, cond="sciatica")   # the same cause: kept


def test_normal_or_equivocal_and_preserved_findings_are_negated(extractor):
    r, _ = run(extractor, "Deep gluteal syndrome causes buttock pain on sitting, with a normal or equivocal "
                          "straight leg raise.")
    neg = {(f["factor"], f["negated"]) for f in r.factors if f["kind"] == "exam_finding"}
    assert neg == {("slr_positive", True)}


def test_a_test_the_examiner_looks_for_is_no_finding(extractor):
    r, _ = run(extractor, "Meralgia paresthetica causes burning in the outer thigh. The doctor may look for a "
                          "Trendelenburg sign, where the pelvis dips when standing on the sore leg.")
    assert "trendelenburg_positive" not in {v for _, v in factors(r, "exam_finding")}
    r, _ = run(extractor, "Trochanteric bursitis causes outer hip pain. A positive Trendelenburg sign is common.")
    assert ("exam_finding", "trendelenburg_positive") in factors(r)


def test_a_heading_that_uses_the_short_form_defined_below_it_names_the_section(extractor):
    text = ("PVNS, or Tenosynovial Giant Cell Tumour\n\nPigmented villonodular synovitis (PVNS) is an overgrowth of "
            "the joint lining.\n\nWhat people tell me:\n\n* the knee swells again and again\n* a dull ache and "
            "stiffness\n")
    r, conds = run(extractor, text, ["PVNS, or Tenosynovial Giant Cell Tumour"])
    pvns = [c for c in conds if "villonodular" in c]
    assert pvns and ("swelling", "knee") in pairs(r, pvns[0])


def test_a_sentence_inheriting_several_conditions_places_no_symptom_by_context(extractor):
    # "the pain each tends to produce" after a list of four conditions says where none of them hurts ...
    r, _ = run(extractor, "Running pain at the knee and hip is often about movement. Patellofemoral pain syndrome, "
                          "iliotibial band syndrome, gluteal tendinopathy and shin splints all recur if the driver is "
                          "left alone. Below are five movement faults, with the pain each tends to produce.")
    assert not [f for f in r.facts if "Below are five" in f["evidence"]]
    # ... but a symptom with its own region is stated of each ("Characteristics: ... groin pain")
    r, _ = run(extractor, "Hip osteoarthritis, labral tears and femoroacetabular impingement can refer pain to the "
                          "knee. The pain is often worse with hip movements and can come with groin pain.")
    assert ("pain", "groin") in pairs(r, "hip_osteoarthritis")


def test_normal_at_rest_is_not_pain_at_rest(extractor):
    r, _ = run(extractor, "Popliteal artery entrapment causes calf pain on walking. The ankle pulses may be normal at "
                          "rest but fade when the foot is pushed down.")
    assert ("timing", "pain_at_rest") not in factors(r, "timing")


def test_the_regions_a_symptom_spreads_to_are_its_own(extractor):
    r, _ = run(extractor, "Facet joint syndrome causes one-sided low back pain, just off the midline, often spreading "
                          "into the buttock and sometimes the back of the thigh.")
    assert {("pain", "lower_back"), ("pain", "buttock"), ("pain", "thigh_back")} <= pairs(r)
    # a region after a boundary is not reached
    r, _ = run(extractor, "Meralgia paresthetica causes burning in the outer thigh that stops above the knee.")
    assert ("pain", "knee") not in pairs(r)
