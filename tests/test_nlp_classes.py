"""Rules added for the round-2 and round-3 miss classes of issue 15 (docs/nlp-engine.md), each on a
sentence of its own."""
from __future__ import annotations

import pytest

import nlp
from nlp.engine import apposition, type_diabetes

pytestmark = pytest.mark.nlp
ICD10, ATC = nlp.ICD10_SYSTEM, nlp.ATC_SYSTEM


def found(engine, text: str) -> set[tuple[str, str]]:
    return {(c.code, c.assertion) for c in engine.extract(text)}


@pytest.mark.parametrize("text, fever", [
    ("Examen : T 38,4 °C, désorientée.", True),
    ("A l'entrée, température à 39°, frissons.", True),
    ("Constantes : T 37,2 °C, TA 130/80.", False),
    ("Paracétamol si T > 38,5 °C.", False),
])
def test_fever_written_as_a_temperature(nlp_engine, text, fever):
    assert (("R50", "affirmed") in found(nlp_engine, text)) is fever


def test_diabetes_complications_take_the_type_the_note_names(nlp_engine):
    typed = found(nlp_engine, "Patient DT2 depuis 2005. Rétinopathie diabétique laserisée.")
    assert ("E11.3", "affirmed") in typed and not any(c.startswith("E14") for c, _ in typed)
    untyped = found(nlp_engine, "Rétinopathie diabétique laserisée. Père DT1.")
    assert ("E14.3", "affirmed") in untyped and ("E10", "family") in untyped


def test_type_diabetes_needs_exactly_one_type():
    def c(code, assertion="affirmed"):
        return nlp.Concept(ICD10, code, None, "x", 0, 1, assertion)

    both = [c("E10"), c("E11"), c("E14.3")]
    assert type_diabetes(both, lambda s, k: None) == both
    assert [x.code for x in type_diabetes([c("E11"), c("E14.2"), c("E14", "family")],
                                          lambda s, k: "label")] == ["E11", "E11.2", "E14"]


def test_a_brand_in_parentheses_shares_the_cue_of_its_molecule(nlp_engine):
    concepts = nlp_engine.extract("Un traitement par rivastigmine (Exelon) pourra être introduit après bilan.")
    assert {(c.text, c.assertion) for c in concepts} == {("rivastigmine", "hypothetical"),
                                                         ("Exelon", "hypothetical")}
    text = "Furosémide (Lasilix) 40 mg. Amlor (amlodipine)."
    assert {c.assertion for c in apposition(nlp_engine.extract(text), text)} == {"affirmed"}


def test_mild_is_not_hypothetical_and_not_felt_is_not_a_negation(nlp_engine):
    assert ("R60", "affirmed") in found(nlp_engine, "Discrets oedèmes malléolaires.")
    assert ("G62.9", "affirmed") in found(nlp_engine, "Monofilament non perçu aux deux pieds : neuropathie "
                                                      "périphérique.")


def test_withdrawn_atih_codes_are_never_emitted(nlp_engine):
    from nlp.pipeline import cim10_label_patterns

    assert "A90" not in cim10_label_patterns()  # "*** SU17 *** Dengue": A97 since 2017
    assert ("A97", "negated") in found(nlp_engine, "Dengue non retrouvée (PCR négative).")


@pytest.mark.parametrize("text, code", [
    ("Patient somnolente, refus alimentaire depuis 3 jours.", "R63.3"),
    ("Splénomégalie à 2 travers de doigt.", "R16.1"),
    ("ECG : BAV 1 (PR 240 ms).", "I44.0"),
    ("Une GEU est éliminée.", "O00.9"),
    ("PCR VRS positive.", "B97.4"),
    ("Accès palustre simple à P. falciparum.", "B50"),
    ("Démence type Alzheimer au stade modéré.", "G30"),
    ("Anémie de l'insuffisance rénale sous Aranesp.", "D63.8"),
    ("Cirrhotique (OH sevré depuis 2018).", "F10"),
])
def test_round_two_wordings(nlp_engine, text, code):
    assert code in {c.code for c in nlp_engine.extract(text)}


def test_burning_pain_is_not_a_burn_injury(nlp_engine):
    codes = {c.code[:3] for c in nlp_engine.extract("Fourmillements et brûlures des deux pieds la nuit.")}
    assert "T30" not in codes
    assert "T30" in {c.code[:3] for c in nlp_engine.extract("Brûlure du 2e degré de l'avant-bras.")}


@pytest.mark.parametrize("text, expected", [
    ("Sérologies VIH et hépatite B négatives.", {("B24", "negated"), ("B18.1", "negated")}),
    ("Toux, fièvre et dyspnée absentes.", {("R05", "negated"), ("R50", "negated"),
                                           ("R06.0", "negated")}),
    # singular: the result is about the last one only
    ("Diabète de type 2 et sérologie VIH négative.", {("E11", "affirmed"), ("B24", "negated")}),
    # not joined by "et" / "," alone: the scope still ends
    ("Diabète de type 2 et HTA, bilans négatifs.", {("E11", "affirmed"), ("I10", "affirmed")}),
])
def test_a_plural_negative_result_covers_the_list_before_it(nlp_engine, text, expected):
    assert {(c.code, c.assertion) for c in nlp_engine.extract(text)} == expected


def test_rickettsiosis_is_coded(nlp_engine):
    assert ("A79.9", "hypothetical") in found(nlp_engine, "Une rickettsiose est à discuter.")


# Round 5 (docs/nlp-engine.md): scopes of the negation, hypothesis and family cues.
@pytest.mark.parametrize("text, expected", [
    # a cue before ":" qualifies the whole list, up to the sentence end
    ("Pas de : fièvre, toux, dyspnée.",
     {("R50", "negated"), ("R05", "negated"), ("R06.0", "negated")}),
    ("Absence de : céphalées, vomissements ou diarrhée.",
     {("R51", "negated"), ("R11", "negated"), ("A09", "negated")}),
    # ... or the bullet lines below a colon that ends its line
    ("Pas de :\n- fièvre\n- toux\n\nDyspnée.",
     {("R50", "negated"), ("R05", "negated"), ("R06.0", "affirmed")}),
    ("Hypothèses : pneumopathie, embolie pulmonaire.",
     {("J18", "hypothetical"), ("I26", "hypothetical")}),
    ("Diagnostics évoqués : sarcoïdose, tuberculose.",
     {("D86", "hypothetical"), ("A16.9", "hypothetical")}),
    ("Père : infarctus à 50 ans, diabète de type 2.", {("I21", "family"), ("E11", "family")}),
    # "mais", ";" and the sentence end close the list; a prescription is no hypothesis
    ("Pas de : fièvre, toux ; dyspnée.",
     {("R50", "negated"), ("R05", "negated"), ("R06.0", "affirmed")}),
    ("Traitement proposé :\n- Kardégic 75 mg\n- Doliprane 1 g", {("B01AC06", "affirmed"),
                                                                ("N02BE01", "affirmed")}),
    # without a colon, a comma still ends the scope
    ("Pas de fièvre, toux grasse.", {("R50", "negated"), ("R05", "affirmed")}),
])
def test_a_cue_before_a_colon_covers_its_list(nlp_engine, text, expected):
    assert found(nlp_engine, text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Absence de fièvre et de toux.", {("R50", "negated"), ("R05", "negated")}),
    ("Pas de fièvre, de toux ou de dyspnée.",
     {("R50", "negated"), ("R05", "negated"), ("R06.0", "negated")}),
    ("Pas de toux et une fièvre à 39.", {("R05", "negated"), ("R50", "affirmed")}),
])
def test_a_repeated_preposition_keeps_the_cue(nlp_engine, text, expected):
    assert found(nlp_engine, text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Le diagnostic de lupus n'a finalement pas été confirmé.", ("M32.9", "negated")),
    ("Le Kardégic n'a pas été repris.", ("B01AC06", "negated")),
    ("Toux, fièvre : absentes.", ("R05", "negated")),
    ("Une endocardite ne peut être exclue.", ("I38", "hypothetical")),
    ("Une embolie pulmonaire ne peut pas être éliminée.", ("I26", "hypothetical")),
    ("Le tableau oriente vers une pyélonéphrite.", ("N10", "hypothetical")),
    ("On craint une endocardite.", ("I38", "hypothetical")),
    ("Pas d'arrêt du Kardégic.", ("B01AC06", "affirmed")),
    ("Sans modification du traitement de son hypertension.", ("I10", "affirmed")),
])
def test_negation_and_hypothesis_wordings_of_round_five(nlp_engine, text, expected):
    assert expected in found(nlp_engine, text)


@pytest.mark.parametrize("text, expected", [
    # a disease's name, not a relative
    ("Hypercholestérolémie familiale traitée par statine.", ("E78.0", "affirmed")),
    # the child is the patient; parents who describe are reporters
    ("Enfant de 4 ans hospitalisé pour bronchiolite.", ("J21", "affirmed")),
    ("L'enfant présente une fièvre à 39.", ("R50", "affirmed")),
    ("Les parents décrivent une toux nocturne chez l'enfant.", ("R05", "affirmed")),
    ("Ses enfants sont en bonne santé, sa fille aînée est diabétique.", ("E14", "family")),
    # "ATCD fam." is a family section, not the patient's history
    ("ATCD fam. : cancer du côlon, AVC.", ("I64", "family")),
])
def test_family_cues_that_name_no_relative(nlp_engine, text, expected):
    assert expected in found(nlp_engine, text)


@pytest.mark.parametrize("text, expected", [
    ("Image pouvant correspondre à une embolie pulmonaire.", ("I26", "hypothetical")),
    ("Une pneumopathie présumée bactérienne.", ("J18", "hypothetical")),
    ("Une tuberculose n'est plus retenue.", ("A16.9", "negated")),
    ("Nous discuterons d'un traitement par Xarelto.", ("B01AF01", "hypothetical")),
    ("Proposition de traitement par méthotrexate.", ("L01BA01", "hypothetical")),
    # a treatment to come does not make the disease it treats hypothetical
    ("Proposition de cure chirurgicale de sa hernie inguinale.", ("K40.9", "affirmed")),
])
def test_more_hypothesis_wordings(nlp_engine, text, expected):
    assert expected in found(nlp_engine, text)


@pytest.mark.parametrize("text, expected", [
    # the treatment after "sous" is taken, whatever the negation before it
    ("Pas de saignement sous Eliquis.", ("B01AF02", "affirmed")),
    ("Pas de fièvre depuis 48 h sous Augmentin.", ("J01CR02", "affirmed")),
    ("Pas de fièvre depuis 48 h sous Augmentin.", ("R50", "negated")),
    ("Pas de traitement par Kardégic ni par Plavix.", ("B01AC04", "negated")),
    # post-posed "non <seen>" negations; "non connu" stays out ("diabète non connu découvert")
    ("Thrombose non mise en évidence.", ("I82.9", "negated")),
    ("Hématurie non rapportée.", ("R31", "negated")),
    ("Cisplatine et vinorelbine sont envisagés.", ("L01XA01", "hypothetical")),
])
def test_treatments_and_post_posed_cues(nlp_engine, text, expected):
    assert expected in found(nlp_engine, text)


@pytest.mark.parametrize("text, expected", [
    # the care or the event is denied, not the disease it is about
    ("Pas de traitement de son diabète.", ("E14", "affirmed")),
    ("Pas de suivi de sa BPCO depuis 2 ans.", ("J44", "affirmed")),
    ("Pas d'indication à une anticoagulation pour sa fibrillation auriculaire.", ("I48", "affirmed")),
    ("Pas d'indication à traiter son hypothyroïdie.", ("E03.9", "affirmed")),
    ("Pas de décompensation de son asthme.", ("J45", "affirmed")),
    # ... a drug after "par" is denied, a disease without such a noun too
    ("Pas de traitement de fond par Seretide.", ("R03AK06", "negated")),
    ("Pas de complication, pas de diabète.", ("E14", "negated")),
    # a termination inside a cue ends no scope
    ("Tableau compatible avec une pneumopathie.", ("J18", "hypothetical")),
])
def test_what_a_negation_denies(nlp_engine, text, expected):
    assert expected in found(nlp_engine, text)


@pytest.mark.parametrize("text, expected", [
    ("Dans la famille, plusieurs cas de diabète de type 2.", ("E11", "family")),
    ("Côté paternel, diabète et HTA.", ("I10", "family")),
    # a relative in apposition is no introduction: the letter may go on about the patient
    ("Son fils, qui l'accompagne, rapporte des chutes et une toux.", ("R05", "affirmed")),
])
def test_a_family_introduction_covers_its_sentence(nlp_engine, text, expected):
    assert expected in found(nlp_engine, text)


@pytest.mark.parametrize("text, expected", [
    ("Embolie pulmonaire, éliminée par l'angioscanner.", ("I26", "negated")),
    ("Fibrillation auriculaire, non retrouvée sur le Holter.", ("I48", "negated")),
    ("Sarcoïdose, à confirmer par une biopsie.", ("D86", "hypothetical")),
    # a cue that precedes the next span is that span's; a qualifier is no cue
    ("Fièvre, probable pneumopathie.", ("R50", "affirmed")),
    ("Asthme, non contrôlé, sous Seretide.", ("J45", "affirmed")),
])
def test_a_post_posed_cue_after_a_comma(nlp_engine, text, expected):
    assert expected in found(nlp_engine, text)


@pytest.mark.parametrize("text, expected", [
    # a ":" after the cue's words ends a negation scope
    ("Pas de thrombose veineuse : Lovenox 4000 UI en prévention.", ("B01AB05", "affirmed")),
    ("Diabète : non.", ("E14", "negated")),
    # contrast words end every scope
    ("Une tuberculose reste à éliminer malgré un Quantiféron négatif.", ("A16.9", "hypothetical")),
])
def test_colons_and_contrasts_end_scopes(nlp_engine, text, expected):
    assert expected in found(nlp_engine, text)


def test_the_ground_a_disease_grows_on_is_out_of_its_cue(nlp_engine):
    concepts = found(nlp_engine, "Céphalées par abus médicamenteux probables sur terrain migraineux.")
    assert ("R51", "hypothetical") in concepts and ("G43", "affirmed") in concepts
