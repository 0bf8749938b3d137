"""Synthetic French patients for the scale benchmarks: an official IPP (``urn:oid:1.2.250.1.71.4.2.1|…``), a family
name drawn from the most frequent French surnames (INSEE order), given names, gender and birth date."""
from __future__ import annotations

import random

IPP_SYSTEM = "urn:oid:1.2.250.1.71.4.2.1"

FAMILY = """Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel Lefebvre Leroy Roux
David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent Muller Lefevre
Faure Andre Mercier Blanc Guerin Boyer Garnier Chevalier Francois Legrand Gauthier Garcia Perrin Robin
Clement Morin Nicolas Henry Roussel Mathieu Gautier Masson Marchand Duval Denis Dumont Marie Lemaire
Noel Meyer Dufour Meunier Brun Blanchard Giraud Joly Riviere Lucas Brunet Gaillard Barbier Arnaud
Martinez Gerard Roche Renard Schmitt Roy Leroux Colin Vidal Caron Picard Roger Fabre Aubert Lemoine
Renaud Dumas Lacroix Olivier Philippe Bourgeois Pierre Benoit Rey Leclerc Payet Rolland Leclercq
Guillaume Lecomte Lopez Jean Dupuy Guillot Hubert Berger Carpentier Sanchez Dupuis Moulin Louis
Deschamps Huet Vasseur Perez Boucher Fleury Royer Klein Jacquet Adam Paris Poirier Marty Aubry Guyot
Carre Charles Renault Charpentier Menard Maillard Baron Bertin Bailly Herve Schneider Fernandez Le-Gall
Collet Leger Bouvier Julien Prevost Millet Perrot Daniel Le-Roux Cousin Germain Breton Besson Langlois
Remy Le-Goff Pelletier Leveque Perrier Leblanc Barre Lebrun Marchal Weber Mallet Hamon Boulanger Jacob
Monnier Michaud Rodriguez Guichard Gillet Etienne Grondin Poulain Tessier Chevallier Collin Chauvin Da-
Silva Bouchet Gay Lemaitre Benard Marechal Humbert Carlier Reynaud Antoine Hoarau Perret Barthelemy
Cordier Pichon Lejeune Gilbert Lamy Delaunay Pasquier Laporte""".split()

GIVEN_F = """Marie Nathalie Isabelle Sylvie Catherine Françoise Christine Monique Valérie Sandrine Camille Léa Manon
Chloé Emma Inès Jade Louise Alice Sophie""".split()
GIVEN_M = """Jean Philippe Michel Alain Patrick Nicolas Christophe Pierre Daniel Thomas Lucas Hugo Louis Gabriel Arthur
Jules Léo Paul Julien David""".split()


def patient(n: int, rng: random.Random) -> dict:
    """The n-th patient: IPP ``ipp(n)``, a realistic name, gender, birth date (deterministic for a given rng)."""
    female = rng.random() < 0.5
    given = rng.sample(GIVEN_F if female else GIVEN_M, 2)
    return {"resourceType": "Patient",
            "identifier": [{"use": "official", "system": IPP_SYSTEM, "value": ipp(n)}],
            "name": [{"use": "official", "family": rng.choice(FAMILY), "given": given}],
            "gender": "female" if female else "male",
            "birthDate": f"{rng.randint(1930, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"}


def ipp(n: int) -> str:
    return f"{800000000 + n:09d}"


def batch(patients: list[dict]) -> dict:
    """A batch Bundle POSTing each patient."""
    return {"resourceType": "Bundle", "type": "batch",
            "entry": [{"resource": p, "request": {"method": "POST", "url": "Patient"}} for p in patients]}
