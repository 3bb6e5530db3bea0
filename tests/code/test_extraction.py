"""Behaviour of the rule extractor on small texts written for the test (no seed conditions)."""
from __future__ import annotations

import pytest

from symcause.extraction.rules import categorise


def run(extractor, text):
    r = extractor.extract("t" * 12, text)
    return r, {c.condition_id: c for c in r.conditions.values()}


def pairs(result, negated=False):
    return {(f["condition_id"], f["symptom"], f["region"]) for f in result.facts if f["negated"] == negated}


def test_unseen_condition_by_morphology_gets_category_and_code(extractor):
    text = ("Tarsal Tunnel Syndrome\n\nThis condition causes burning pain and tingling in the sole of the foot. "
            "Symptoms are worse with standing and improve with rest.")
    r, conds = run(extractor, text)
    (cid,) = [c for c in conds if "tarsal" in c]
    assert conds[cid].category == "peripheral_nerve"
    assert conds[cid].icd10 and conds[cid].icd10.startswith("G57.5")
    assert (cid, "pain", "foot") in pairs(r)
    assert (cid, "tingling", "foot") in pairs(r)
    qualities = {f["quality"] for f in r.facts if f["symptom"] == "pain"}
    assert "burning" in qualities
    kinds = {(f["kind"], f["factor"]) for f in r.factors}
    assert ("aggravating", "standing") in kinds and ("relieving", "rest") in kinds


def test_alias_is_merged_into_one_condition(extractor):
    text = "A Baker's cyst, also known as a popliteal cyst, causes fullness behind the knee."
    r, conds = run(extractor, text)
    baker = [c for c in conds.values() if "baker" in c.name.lower()]
    assert len(baker) == 1
    assert any("popliteal cyst" in a for a in baker[0].aliases)
    assert not [c for c in conds.values() if c.name.lower().startswith("popliteal cyst")]


def test_parenthesised_abbreviation_becomes_an_alias(extractor):
    text = "Sacroiliac Joint Dysfunction (SIJD) can cause pain in the buttock. SIJD is worse when standing."
    r, conds = run(extractor, text)
    (c,) = [c for c in conds.values() if "sacroiliac" in c.name.lower()]
    assert "sijd" in c.aliases


def test_negation_and_boundary_are_marked(extractor):
    text = ("Piriformis syndrome causes buttock pain that stops above the knee. "
            "Piriformis syndrome does not cause numbness in the foot.")
    r, conds = run(extractor, text)
    cid = next(c for c in conds if "piriformis" in c)
    assert (cid, "pain", "buttock") in pairs(r)
    assert (cid, "pain", "knee") in pairs(r, negated=True)
    assert (cid, "pain", "knee") not in pairs(r)
    assert (cid, "numbness", "foot") in pairs(r, negated=True)


def test_hedged_statements_are_flagged_not_negated(extractor):
    r, conds = run(extractor, "Spinal stenosis may cause weakness in the legs.")
    (fact,) = [f for f in r.facts if f["symptom"] == "weakness"]
    assert fact["hedged"] and not fact["negated"]
    assert fact["confidence"] < 0.9


def test_secondary_conditions_do_not_take_the_facts(extractor):
    text = "A popliteal cyst often develops as a result of a meniscus tear and causes swelling in the calf."
    r, conds = run(extractor, text)
    owners = {f["condition_id"] for f in r.facts if not f["extractor"].endswith("condition_site")}
    assert len(owners) == 1 and "menisc" not in next(iter(owners))
    assert not any("menisc" in c for c in conds)  # a passing mention: named once, nothing stated about it
    r, conds = run(extractor, text + "\nA meniscus tear makes the knee lock and catch.")
    assert any("menisc" in c for c in conds)  # stated about in a sentence of its own: a condition of the article


def test_anaphora_carries_the_condition_into_the_next_paragraph(extractor):
    text = ("Meralgia paresthetica is a nerve problem of the outer thigh.\n\n"
            "This condition causes burning and numbness on the outside of the thigh, worse with tight belts.")
    r, conds = run(extractor, text)
    (cid,) = [c for c in conds if "meralgia" in c]
    assert conds[cid].category == "peripheral_nerve"
    assert (cid, "numbness", "thigh_outer") in pairs(r)
    assert ("aggravating", "tight_clothing") in {(f["kind"], f["factor"]) for f in r.factors}


def test_bare_head_takes_its_site_from_the_sentence(extractor):
    r, conds = run(extractor, "Bursitis at the back of the knee creates swelling.")
    assert any(c.name.lower() in ("popliteal bursitis", "knee bursitis") for c in conds.values())


def test_red_flag_section_records_red_flags(extractor):
    text = ("Spinal stenosis causes leg pain when walking.\n\nWhen to See a Doctor\n\n"
            "Seek care for loss of bladder or bowel control or a fever.")
    r, conds = run(extractor, text)
    flags = {(f["kind"], f["factor"], f["scope"]) for f in r.factors}
    assert ("red_flag", "bowel_bladder_loss", "document") in flags
    assert ("red_flag", "fever", "document") in flags


def test_bullets_under_a_red_flag_lead_sentence_are_red_flags(extractor):
    """No heading: a sentence that sends the reader to a doctor and ends in ':' opens a list of red flags, in the
    lay words articles use ('trouble lifting the front of your foot', 'feel generally unwell', 'hot, red')."""
    text = ("Spinal stenosis causes leg pain when walking.\n\nMost people improve with exercise. "
            "Please see a doctor straight away if you notice:\n\n"
            "- You have trouble lifting the front of your foot\n"
            "- Numbness in the saddle area\n"
            "- You feel generally unwell\n"
            "- The knee is hot, red and swollen\n"
            "- The pain has not improved after six weeks\n\n"
            "Walking uphill is usually easier than walking downhill.")
    r, conds = run(extractor, text)
    flags = {f["factor"] for f in r.factors if f["kind"] == "red_flag" and not f["negated"]}
    assert {"foot_drop", "saddle_numbness", "malaise", "warmth", "redness", "significant_swelling",
            "persistent_pain"} <= flags  # "The pain has not ..." is about the condition: a sentence-scope flag
    # the list ends with the bullets: the next paragraph is not a red flag
    assert not [f for f in r.factors if f["kind"] == "red_flag" and "uphill" in f["evidence"]]


def test_red_of_red_flags_is_not_redness(extractor):
    text = ("Spinal stenosis causes leg pain when walking.\n\nWhen to See a Doctor\n\n"
            "These red flags need emergency care: loss of bladder control.")
    r, _ = run(extractor, text)
    flags = {f["factor"] for f in r.factors if f["kind"] == "red_flag"}
    assert "bowel_bladder_loss" in flags and "redness" not in flags


def test_warning_signs_listed_under_a_condition_are_also_its_symptoms(extractor):
    text = ("Deep vein thrombosis\n\nDeep vein thrombosis is a blood clot in a deep vein of the leg. "
            "Warning signs include:\n\n  \u2022 Sudden swelling of one calf.\n  \u2022 Aching pain in the calf.")
    r, conds = run(extractor, text)
    assert ("pain", "calf") in {(f["symptom"], f["region"]) for f in r.facts if not f["negated"]}
    assert "significant_swelling" in {f["factor"] for f in r.factors if f["kind"] == "red_flag"}


def test_generic_phrases_are_not_conditions(extractor):
    r, conds = run(extractor, "Referred pain and nerve compression are common. A diagnosis needs an exam.")
    assert conds == {}


@pytest.mark.parametrize("name, category", [
    ("lumbar facet syndrome", "spinal"),
    ("hip labral tear", "hip_joint"),
    ("medial meniscus tear", "knee_joint"),
    ("gluteal tendinopathy", "soft_tissue"),
    ("saphenous nerve entrapment", "peripheral_nerve"),
    ("leg length discrepancy", "biomechanical"),
])
def test_category_cues_for_unseen_names(extractor, name, category):
    assert categorise(extractor.rules, name)[0] == category


def test_offsets_point_at_the_evidence(extractor):
    text = "Iliotibial Band (ITB) Syndrome\n\nITB syndrome causes sharp pain on the outside of the knee in runners."
    r, _ = run(extractor, text)
    assert r.facts
    for f in r.facts + r.factors:
        assert text[f["char_start"]:f["char_end"]] == f["evidence"]


def test_factors_before_a_backward_cue_take_its_kind_but_not_from_a_preposition(extractor):
    text = ("Plantar Fasciitis\n\nPlantar fasciitis causes sharp heel pain. Resting from running and putting ice on "
            "the heel after activity usually calm the pain. Pain that builds with walking eases with rest.")
    r, conds = run(extractor, text)
    kinds = {(f["kind"], f["factor"]) for f in r.factors if f["scope"] == "sentence"}
    assert ("relieving", "ice") in kinds and ("relieving", "rest") in kinds
    assert ("aggravating", "walking") in kinds
    assert ("aggravating", "ice") not in kinds and ("aggravating", "rest") not in kinds


def test_a_generic_subheading_keeps_the_condition_of_its_section(extractor):
    text = ("Ischial Bursitis\n\nIschial bursitis is inflammation of the bursa under the sitting bone.\n\n"
            "What does it feel like?\n\nA deep ache in the buttock.\n\n"
            "Sitting on hard chairs and cycling often make the pain worse. Standing up eases the ache.")
    r, conds = run(extractor, text)
    (cid,) = [c for c in conds if "ischial" in c]
    kinds = {(f["condition_id"], f["kind"], f["factor"]) for f in r.factors}
    assert (cid, "aggravating", "sitting") in kinds and (cid, "aggravating", "cycling") in kinds
    assert (cid, "relieving", "standing") in kinds


def test_passing_and_differential_mentions_are_not_conditions_of_the_article(extractor):
    text = ("Shin Splints\n\nShin splints cause a dull ache along the inner shin that is worse with running. "
            "Weak calf muscles may play a part. Pain that wakes you at night is more likely to be a stress fracture. "
            "It is easily confused with compartment syndrome.")
    r, conds = run(extractor, text)
    assert "medial_tibial_stress_syndrome" in conds
    assert not [c for c in conds if "calf" in c or "fracture" in c or "compartment" in c], sorted(conds)


def test_plural_of_a_lexicon_name_is_the_lexicon_condition(extractor):
    r, conds = run(extractor, "MCL sprains cause pain on the inner side of the knee. Most MCL sprains heal well.")
    assert [c for c in conds if "mcl" in c] == ["mcl_injury"]
    assert conds["mcl_injury"].category == "knee_joint"


def test_usually_not_caused_symptoms_are_negated_and_overview_keeps_the_condition(extractor):
    text = ("Peroneal Tendinopathy\n\nOverview\n\nPeroneal tendinopathy is irritation of the tendons behind the outer "
            "ankle bone.\n\nSymptoms\n\n- Swelling around the outside of the ankle\n- Stiffness in the ankle in the "
            "morning\n\nIt doesn't usually cause numbness in the foot.")
    r, conds = run(extractor, text)
    assert "peroneal_tendinopathy" in conds
    assert {("peroneal_tendinopathy", "swelling", "ankle"), ("peroneal_tendinopathy", "stiffness", "ankle")} <= pairs(r)
    assert ("peroneal_tendinopathy", "numbness", "foot") in pairs(r, negated=True)
    assert ("peroneal_tendinopathy", "numbness", "foot") not in pairs(r)
