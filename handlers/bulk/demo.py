"""Demo data: a small French hospital, made up and deterministic (the same seed gives the same files, byte for byte).

An organization tree (instance → sites → departments → units), patients with several IPPs (the establishment's
official one, sometimes an old one of a merged hospital, see docs/guides/multi-ipp.md), stays (Encounter ``IMP``
with an NDA) and their movements (Encounter ``partOf`` the stay, ``serviceProvider`` a unit), LOINC lab results
(Observation), ATC prescriptions (MedicationRequest) and a French discharge letter per stay (DocumentReference,
base64 ``text/plain``). Written twice, with the same ids: ``ndjson/`` (one file per type, Bulk Data style) and
``fhir/`` (Synthea style: ``hospitalInformation.json``, then one transaction Bundle per patient, ``urn:uuid:``
fullUrls and references, organizations named by conditional references).
"""
from __future__ import annotations

import base64
import itertools
import json
import random
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from handlers.references import rewrite_references

FAMILIES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
            "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
            "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand")
GIVEN = {"female": ("Marie", "Jeanne", "Françoise", "Monique", "Catherine", "Nathalie", "Isabelle", "Sylvie",
                    "Camille", "Léa", "Chloé", "Hélène"),
         "male": ("Jean", "Pierre", "Michel", "André", "Philippe", "Alain", "Jacques", "Bernard", "Nicolas", "Louis",
                  "Hugo", "René")}
CITIES = (("Bordeaux", "33000"), ("Mérignac", "33700"), ("Pessac", "33600"), ("Talence", "33400"),
          ("Bègles", "33130"), ("Libourne", "33500"), ("Arcachon", "33120"), ("Blanquefort", "33290"))
STREETS = ("rue Sainte-Catherine", "cours de l'Intendance", "avenue Thiers", "rue du Palais Gallien",
           "cours Victor Hugo", "rue Judaïque", "place Gambetta", "avenue de la Libération")
#: department → (units, reasons for a stay, LOINC panels, ATC drugs)
DEPARTMENTS = {
    "Cardiologie": (("USIC", "Hospitalisation complète cardiologie"),
                    ("insuffisance cardiaque décompensée", "syndrome coronarien aigu", "fibrillation atriale"),
                    ("2823-3", "2951-2", "14682-9", "30934-4"), ("C07AB07", "B01AC06", "C09AA05", "C03CA01")),
    "Pneumologie": (("Hospitalisation pneumologie", "Soins continus respiratoires"),
                    ("pneumopathie communautaire", "exacerbation de BPCO", "embolie pulmonaire"),
                    ("718-7", "6690-2", "1988-5", "2823-3"), ("J01CR02", "R03AC02", "B01AB05", "H02AB06")),
    "Endocrinologie": (("Hospitalisation diabétologie", "Hôpital de jour endocrinologie"),
                       ("déséquilibre d'un diabète de type 2", "acidocétose diabétique", "hypothyroïdie"),
                       ("4548-4", "15074-8", "14682-9", "2823-3"), ("A10BA02", "A10AE04", "H03AA01", "C10AA05")),
    "Gériatrie": (("Court séjour gériatrique", "Soins de suite gériatriques"),
                  ("chute à domicile", "syndrome confusionnel", "déshydratation"),
                  ("2951-2", "14682-9", "718-7", "1988-5"), ("N02BE01", "N06AB10", "B01AC06", "A12AX")),
}
LOINC = {  # code: (display, UCUM unit, low, high, decimals)
    "718-7": ("Hémoglobine [Masse/Volume] Sang", "g/dL", 9.0, 16.5, 1),
    "6690-2": ("Leucocytes [Nombre/Volume] Sang", "10*9/L", 3.5, 16.0, 1),
    "2823-3": ("Potassium [Moles/Volume] Sérum ou Plasma", "mmol/L", 3.2, 5.6, 1),
    "2951-2": ("Sodium [Moles/Volume] Sérum ou Plasma", "mmol/L", 128, 146, 0),
    "14682-9": ("Créatinine [Moles/Volume] Sérum ou Plasma", "umol/L", 50, 220, 0),
    "15074-8": ("Glucose [Moles/Volume] Sang", "mmol/L", 3.8, 14.0, 1),
    "4548-4": ("Hémoglobine A1c/Hémoglobine totale Sang", "%", 5.2, 11.5, 1),
    "1988-5": ("Protéine C réactive [Masse/Volume] Sérum ou Plasma", "mg/L", 1, 180, 0),
    "30934-4": ("Peptide natriurétique B [Masse/Volume] Sérum ou Plasma", "pg/mL", 20, 2500, 0),
}
ATC = {  # code: (display, dosage)
    "C07AB07": ("bisoprolol", "2,5 mg le matin"), "B01AC06": ("acide acétylsalicylique", "75 mg par jour"),
    "C09AA05": ("ramipril", "5 mg par jour"), "C03CA01": ("furosémide", "40 mg matin et midi"),
    "J01CR02": ("amoxicilline et inhibiteur d'enzyme", "1 g trois fois par jour pendant 7 jours"),
    "R03AC02": ("salbutamol", "2 bouffées si besoin"), "B01AB05": ("énoxaparine", "4000 UI par jour"),
    "H02AB06": ("prednisolone", "40 mg par jour pendant 5 jours"), "A10BA02": ("metformine", "1 g matin et soir"),
    "A10AE04": ("insuline glargine", "18 UI au coucher"), "H03AA01": ("lévothyroxine sodique", "75 µg à jeun"),
    "C10AA05": ("atorvastatine", "20 mg le soir"), "N02BE01": ("paracétamol", "1 g jusqu'à quatre fois par jour"),
    "N06AB10": ("escitalopram", "10 mg par jour"), "A12AX": ("calcium et vitamine D", "un sachet par jour"),
}
HISTORY = ("hypertension artérielle", "diabète de type 2", "dyslipidémie", "tabagisme sevré", "BPCO",
           "insuffisance rénale chronique", "fibrillation atriale", "cardiopathie ischémique", "obésité")
LOINC_SYSTEM, ATC_SYSTEM = "http://loinc.org", "http://www.whocc.no/atc"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ORG_SYSTEM = "https://chu-demo.example/fhir/sid/finess"
NDA_SYSTEM = "https://chu-demo.example/fhir/sid/nda"
MERGED_IPP_SYSTEM = "https://hopital-saint-andre.example/fhir/sid/ipp"
START = datetime(2023, 1, 2, tzinfo=timezone(timedelta(hours=1)))


class DemoHospital:
    """The generator: ``resources()`` yields every resource, organizations first, then patient by patient."""

    def __init__(self, patients: int = 50, seed: int = 13, ipp_system: str = "urn:oid:1.2.250.1.71.4.2.1",
                 level_system: str = "https://fhir.codoc.fr/CodeSystem/organization-level"):
        self.count, self.ipp_system, self.level_system = patients, ipp_system, level_system
        self.rng = random.Random(seed)
        self.stays = itertools.count(2300001)  # NDAs, unique like IPPs
        self.organizations = self._organizations()
        self.units = {o["name"]: o for o in self.organizations if self._level(o) == "unit"}

    def _id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # -- organizations -----------------------------------------------------------------------------------------
    def _organization(self, name: str, level: str, parent: dict | None, finess: str) -> dict:
        organization = {"resourceType": "Organization", "id": self._id(), "active": True,
                        "identifier": [{"system": ORG_SYSTEM, "value": finess}],
                        "type": [{"coding": [{"system": self.level_system, "code": level}]}], "name": name}
        if parent:
            organization["partOf"] = {"reference": f"Organization/{parent['id']}", "display": parent["name"]}
        return organization

    def _organizations(self) -> list[dict]:
        chu = self._organization("CHU de démonstration", "instance", None, "330000001")
        tree = [chu]
        for s, (site, departments) in enumerate((("Hôpital Nord", ("Cardiologie", "Pneumologie")),
                                                 ("Hôpital Sud", ("Endocrinologie", "Gériatrie"))), 1):
            site_org = self._organization(site, "site", chu, f"33000001{s}")
            tree.append(site_org)
            for d, department in enumerate(departments, 1):
                department_org = self._organization(f"Service de {department}", "department", site_org,
                                                    f"33000{s}{d}00")
                tree.append(department_org)
                for u, unit in enumerate(DEPARTMENTS[department][0], 1):
                    tree.append(self._organization(unit, "unit", department_org, f"33000{s}{d}0{u}"))
        return tree

    @staticmethod
    def _level(organization: dict) -> str:
        return organization["type"][0]["coding"][0]["code"]

    # -- patients ----------------------------------------------------------------------------------------------
    def patients(self):
        """Each patient with the resources of their stays: ``(patient, [resources…])``."""
        for n in range(1, self.count + 1):
            patient = self._patient(n)
            yield patient, [r for _ in range(self.rng.randint(1, 3)) for r in self._stay(patient)]

    def resources(self):
        yield from self.organizations
        for patient, theirs in self.patients():
            yield patient
            yield from theirs

    def _patient(self, n: int) -> dict:
        rng = self.rng
        gender = rng.choice(("female", "male"))
        city, postcode = rng.choice(CITIES)
        born = datetime(1930, 1, 1) + timedelta(days=rng.randint(0, 365 * 75))
        ipp = f"{800000 + n:08d}"
        identifiers = [{"use": "official", "system": self.ipp_system, "value": ipp},
                       {"use": "usual", "system": self.ipp_system, "value": ipp}]
        if rng.random() < 0.3:  # a patient of the merged hospital keeps its former IPP
            identifiers.append({"use": "old", "system": MERGED_IPP_SYSTEM, "value": f"SA-{300000 + 7 * n}"})
        given = rng.choice(GIVEN[gender])
        return {"resourceType": "Patient", "id": self._id(), "identifier": identifiers, "active": True,
                "name": [{"use": "official", "family": rng.choice(FAMILIES), "given": [given]}],
                "gender": gender, "birthDate": born.date().isoformat(),
                "address": [{"use": "home", "line": [f"{rng.randint(1, 120)} {rng.choice(STREETS)}"], "city": city,
                             "postalCode": postcode, "country": "FR"}],
                "managingOrganization": {"reference": f"Organization/{self.organizations[0]['id']}"}}

    def _stay(self, patient: dict) -> list[dict]:
        rng = self.rng
        department = rng.choice(tuple(DEPARTMENTS))
        units, reasons, panel, drugs = DEPARTMENTS[department]
        start = START + timedelta(days=rng.randint(0, 700), hours=rng.randint(0, 23))
        days = [rng.randint(1, 5) for _ in range(rng.randint(1, 3))]
        end = start + timedelta(days=sum(days))
        subject = {"reference": f"Patient/{patient['id']}"}
        reason = rng.choice(reasons)
        stay = {"resourceType": "Encounter", "id": self._id(), "status": "finished",
                "identifier": [{"system": NDA_SYSTEM, "value": f"NDA-{next(self.stays):07d}"}],
                "class": {"system": ACT_CODE, "code": "IMP", "display": "inpatient encounter"},
                "subject": subject, "period": {"start": _instant(start), "end": _instant(end)},
                "reasonCode": [{"text": reason}],
                "serviceProvider": {"reference": f"Organization/{self.units[units[0]]['id']}"}}
        found = [stay]
        moment = start
        for length in days:  # movements, back to back within the stay
            unit = self.units[rng.choice(units)]
            found.append({"resourceType": "Encounter", "id": self._id(), "status": "finished", "class": stay["class"],
                          "subject": subject, "partOf": {"reference": f"Encounter/{stay['id']}"},
                          "serviceProvider": {"reference": f"Organization/{unit['id']}", "display": unit["name"]},
                          "period": {"start": _instant(moment), "end": _instant(moment + timedelta(days=length))}})
            moment += timedelta(days=length)
        encounter = {"reference": f"Encounter/{stay['id']}"}
        results = []
        for code in panel:
            for _ in range(rng.randint(1, 2)):
                results.append(self._lab(code, subject, encounter, start + timedelta(hours=rng.randint(1, 20))))
        prescribed = rng.sample(drugs, rng.randint(1, 3))
        found += results
        found += [self._prescription(code, subject, encounter, start) for code in prescribed]
        found.append(self._letter(patient, department, reason, results, prescribed, stay, end))
        return found

    def _lab(self, code: str, subject: dict, encounter: dict, when: datetime) -> dict:
        display, unit, low, high, decimals = LOINC[code]
        value = round(self.rng.uniform(low, high), decimals)
        return {"resourceType": "Observation", "id": self._id(), "status": "final",
                "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                          "code": "laboratory"}]}],
                "code": {"coding": [{"system": LOINC_SYSTEM, "code": code, "display": display}]},
                "subject": subject, "encounter": encounter, "effectiveDateTime": _instant(when),
                "valueQuantity": {"value": int(value) if decimals == 0 else value, "unit": unit,
                                  "system": "http://unitsofmeasure.org", "code": unit}}

    def _prescription(self, code: str, subject: dict, encounter: dict, when: datetime) -> dict:
        display, dosage = ATC[code]
        return {"resourceType": "MedicationRequest", "id": self._id(), "status": "active", "intent": "order",
                "medicationCodeableConcept": {"coding": [{"system": ATC_SYSTEM, "code": code, "display": display}],
                                              "text": display},
                "subject": subject, "encounter": encounter, "authoredOn": _instant(when),
                "dosageInstruction": [{"text": dosage}]}

    def _letter(self, patient: dict, department: str, reason: str, results: list[dict], drugs: list[str],
                stay: dict, end: datetime) -> dict:
        rng = self.rng
        history = rng.sample(HISTORY, rng.randint(1, 3))
        title = "Madame" if patient["gender"] == "female" else "Monsieur"
        labs = "; ".join(f"{r['code']['coding'][0]['display'].split(' [')[0].lower()} "
                         f"{r['valueQuantity']['value']} {r['valueQuantity']['unit']}" for r in results[:4])
        text = (f"Compte rendu d'hospitalisation - Service de {department}\n\n"
                f"{title} {patient['name'][0]['family']}, né(e) le {patient['birthDate']}, a été hospitalisé(e) "
                f"du {stay['period']['start'][:10]} au {stay['period']['end'][:10]} pour {reason}.\n\n"
                f"Antécédents : {', '.join(history)}.\n"
                f"Biologie : {labs}.\n"
                f"Évolution : favorable sous traitement, pas de complication.\n"
                f"Traitement de sortie : {', '.join(ATC[c][0] + ' ' + ATC[c][1] for c in drugs)}.\n\n"
                f"Conclusion : {reason}. Le patient ne présente pas de fièvre à la sortie. "
                f"Suivi par le médecin traitant dans un mois.\n")
        return {"resourceType": "DocumentReference", "id": self._id(), "status": "current",
                "type": {"coding": [{"system": LOINC_SYSTEM, "code": "11490-0",
                                     "display": "Physician Discharge summary"}]},
                "subject": {"reference": f"Patient/{patient['id']}"}, "date": _instant(end),
                "description": f"Compte rendu d'hospitalisation ({department})",
                "content": [{"attachment": {"contentType": "text/plain; charset=utf-8", "language": "fr-FR",
                                            "data": base64.b64encode(text.encode()).decode("ascii")}}],
                "context": {"encounter": [{"reference": f"Encounter/{stay['id']}"}],
                            "period": stay["period"]}}

    # -- files -------------------------------------------------------------------------------------------------
    def write(self, out: Path) -> dict[str, int]:
        """``out/ndjson/{Type}.ndjson`` and ``out/fhir/*.json`` (Synthea style); returns resources per type."""
        ndjson, bundles = out / "ndjson", out / "fhir"
        ndjson.mkdir(parents=True, exist_ok=True)
        bundles.mkdir(parents=True, exist_ok=True)
        counts: dict[str, int] = {}
        files = {}
        try:
            def put(resource: dict) -> None:
                kind = resource["resourceType"]
                if kind not in files:
                    files[kind] = open(ndjson / f"{kind}.ndjson", "w", encoding="utf-8")
                files[kind].write(json.dumps(resource, ensure_ascii=False) + "\n")
                counts[kind] = counts.get(kind, 0) + 1

            for organization in self.organizations:
                put(organization)
            _dump(bundles / "hospitalInformation.json", self._bundle(self.organizations, conditional=True))
            for n, (patient, theirs) in enumerate(self.patients(), 1):
                for resource in (patient, *theirs):
                    put(resource)
                name = f"{patient['name'][0]['given'][0]}_{patient['name'][0]['family']}_{n:05d}.json"
                _dump(bundles / name, self._bundle([patient, *theirs]))
        finally:
            for stream in files.values():
                stream.close()
        return counts

    def _bundle(self, resources: list[dict], conditional: bool = False) -> dict:
        """A transaction Bundle as Synthea writes one: POSTs with ``urn:uuid:`` fullUrls, references to entries of
        the Bundle as ``urn:uuid:``, to organizations of another Bundle as ``Organization?identifier=…``."""
        inside = {f"{r['resourceType']}/{r['id']}" for r in resources}
        finess = {f"Organization/{o['id']}": o["identifier"][0]["value"] for o in self.organizations}

        def named(reference: str) -> str:
            if reference in inside:
                return f"urn:uuid:{reference.split('/', 1)[1]}"
            if reference in finess:
                return f"Organization?identifier={ORG_SYSTEM}|{finess[reference]}"
            return reference

        entries = []
        for resource in resources:
            body = {k: v for k, v in rewrite_references(resource, named).items() if k != "id"}
            request = {"method": "POST", "url": resource["resourceType"]}
            if conditional:
                request["ifNoneExist"] = f"identifier={ORG_SYSTEM}|{resource['identifier'][0]['value']}"
            entries.append({"fullUrl": f"urn:uuid:{resource['id']}", "resource": body, "request": request})
        return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def _instant(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _dump(path: Path, body: dict) -> None:
    path.write_text(json.dumps(body, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
