from __future__ import annotations

from symcause.core.contract import CATEGORIES
from symcause.core.vocab import PhraseMatcher, load_vocab


def test_matcher_is_whole_word_and_longest_first():
    m = PhraseMatcher()
    m.add("knee", "region", "knee")
    m.add("back of the knee", "region", "knee_back")
    m.add("back", "region", "lower_back")
    m.build()
    text = "pain at the back of the knee, not kneeling or backpacks"
    got = [(x.surface, x.value) for x in m.find(text)]
    assert got == [("back of the knee", "knee_back")]


def test_matcher_hyphen_and_possessive_variants():
    m = PhraseMatcher()
    m.add("Baker's cyst", "condition", "bakers_cyst")
    m.add("weight-bearing", "factor", "weight_bearing")
    m.build()
    assert [x.value for x in m.find("a bakers cyst with weight bearing pain")] == ["bakers_cyst", "weight_bearing"]


def test_vocabularies_load_and_keep_the_contract_names(root):
    v = load_vocab(root)
    assert tuple(v.categories) == CATEGORIES
    for region in ["lower_back", "buttock", "groin", "hip_outer", "thigh_back", "knee_front", "knee_back",
                   "lower_leg_outer", "calf", "toes", "leg"]:
        assert region in v.regions
    assert v.region_coarse["knee_back"] == "knee" and v.region_coarse["toes"] == "foot"
    assert {"pain", "numbness", "tingling", "instability", "crepitus", "reduced_reflex", "fever"} <= set(v.symptoms)
    assert {"sharp", "dull", "aching", "burning", "shooting", "electric", "throbbing", "deep"} == set(v.qualities)
    assert {"sitting", "stairs", "lying_on_side", "hip_rotation", "coughing", "night"} <= v.factor_values


def test_yaml_words_like_no_and_on_stay_strings(root):
    v = load_vocab(root)
    assert "no" in v.context["negation"]["forward"]
    assert all(isinstance(w, str) for w in v.morphology["strip_leading"])
