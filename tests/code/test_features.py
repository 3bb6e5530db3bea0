"""The classifier's concept reader (symcause.model.features): the words people write map to the concepts the
generator's vignettes carry, with negation, masks and lay synonyms read as the extractor reads them."""
from __future__ import annotations

import pytest

from symcause.model.features import annotate, concept_tokens


@pytest.mark.parametrize("text, present, absent", [
    # pain that runs down a leg is where it goes, not an activity
    ("pain runs down the outside of my shin", {"R_shin", "S_pain"}, {"F_running"}),
    ("a pain running down into my calf", {"R_calf"}, {"F_running"}),
    ("it hurts after running on hills", {"F_running"}, set()),
    # examination said to be normal negates the region, and 'non-tender' is not tenderness
    ("Hip examination is full and pain-free and the lumbar spine is non-tender.", {"NR_hip", "NR_lower_back"},
     {"R_hip", "S_tenderness", "S_pain", "R_lower_back"}),
    ("Hip and knee examinations are normal.", {"NR_hip", "NR_knee"}, {"R_hip", "R_knee"}),
    ("Knee exam NAD.", {"NR_knee"}, {"R_knee"}),
    # lay and clinical shorthand
    ("the toes on that foot feel fuzzy", {"S_tingling", "R_toes"}, set()),
    ("the top of his foot feels like it's asleep and he has caught his toe on the step",
     {"S_numbness", "X_foot_drop"}, set()),
    ("28F, lateral JLT, 3 locking episodes", {"E_joint_line_tenderness", "S_locking"}, set()),
    ("Plantarflexion power is 4/5 on the left.", {"E_myotomal_weakness"}, set()),
    ("pain starts around my belt line and zings down my thigh", {"R_lower_back", "Q_shooting"}, set()),
    ("a normal or equivocal straight leg raise", {"NE_slr_positive"}, {"E_slr_positive"}),
    ("no numbness", {"NS_numbness"}, {"S_numbness"}),
    ("I can't feel my toes", {"R_toes", "S_numbness"}, {"NR_toes"}),   # an inability is the finding
    ("can't sit through a film", {"F_sitting"}, {"NF_sitting"}),   # an activity one cannot do is one that hurts
    ("no pain on walking", {"NS_pain", "NF_walking"}, {"F_walking"}),
    # the signs clinicians use, in lay words
    ("Cutting my toenails on the left is impossible", {"F_hip_rotation"}, set()),
    ("Pain is reproduced by compressing the patella", {"E_patellar_grind_positive"}, set()),
    ("I switched to minimalist shoes", {"K_footwear"}, set()),
    # how people deny a finding in a case (context.yaml case_negation)
    ("It doesn't swell or click.", {"NS_swelling", "NS_clicking"}, {"S_swelling", "S_clicking"}),
    ("It doesn't swell or click, it hurts at night.", {"NS_swelling", "S_pain", "F_night"}, {"NS_pain", "NF_night"}),
    ("My back is totally fine and I can stand.", {"NR_lower_back"}, {"R_lower_back"}),
    ("His back has been checked and is fine.", {"NR_lower_back"}, {"R_lower_back"}),
    ("bending and coughing don't bother it", {"NF_bending_forward", "NF_coughing"}, {"F_coughing"}),
    ("Hip ROM full, FADIR/FABER neg, Trendelenburg neg.", {"NE_fadir_positive", "NE_faber_positive",
                                                          "NE_trendelenburg_positive"}, {"E_fadir_positive"}),
    ("Quadriceps power is 3/5 with normal hip adduction", {"E_myotomal_weakness"}, {"NE_myotomal_weakness"}),
    ("L knee reflex reduced (R normal)", {"E_reduced_knee_reflex"}, {"NE_reduced_knee_reflex"}),
    # a back one lies on, or the back of a limb, is not the lower back; a limb moved is not lifting or bending forward
    ("Lying on my back with the leg hanging off the bed", set(), {"R_lower_back"}),
    ("a kick in the back of his right calf", {"R_calf"}, {"R_lower_back"}),
    ("it catches while bending my knee and I can't lift my toes", set(), {"F_bending_forward", "F_lifting"}),
    ("Bending forward and lifting boxes make it worse", {"F_bending_forward", "F_lifting"}, set()),
    ("the hip replacement is fine", set(), {"R_hip"}),
    # clinicians' shorthand and signs
    ("pain on resisted knee extension, adductor squeeze test painful", {"E_resisted_test_pain"}, set()),
    ("Tapping just below the fibular head sends tingling into the foot", {"E_tinel_positive"}, set()),
    ("FNST reproduces shin pain; mild LBP", {"E_femoral_stretch_positive", "R_lower_back"}, set()),
    ("tender over the medial femoral condyle", {"R_knee"}, {"R_thigh"}),
])
def test_concepts(text, present, absent):
    toks = set(concept_tokens(text))
    assert present <= toks, (text, sorted(toks))
    assert not absent & toks, (text, sorted(toks))


def test_annotate_appends_the_concepts_after_the_marker():
    out = annotate("no numbness in the foot")
    text, concepts = out.split(" ||| ")
    assert text == "no numbness in the foot" and concepts.split() == concept_tokens("no numbness in the foot")


def test_a_bare_sudden_in_a_case_is_how_the_pain_began_not_a_warning():
    assert "X_sudden_severe_pain" not in concept_tokens("I had sudden groin pain while sprinting")
    assert "X_sudden_severe_pain" in concept_tokens("sudden severe pain in the calf")
