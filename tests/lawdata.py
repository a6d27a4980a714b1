"""Registers for the tests of the law as data: "Proefdorp", a fictional lokaal bestuur whose
gemeente and OCMW share one algemeen directeur and one financieel directeur, written the way
published decisions of such an administration read. Every name, number and URL is invented.
"""

from __future__ import annotations

from typing import Any

VERBINTENIS = "budgethouderschap.verbintenis"
URL = "https://example.invalid/proefdorp"

# person -> (name, position)
PEOPLE = {
    "d-ad": ("Ada Directeur", "ad"),
    "d-aad": ("Bert Adjunct", "aad"),
    "d-fd": ("Cleo Financien", "fd"),
    "d-bm": ("Dirk Burgemeester", "bm"),
    "d-s1": ("Eva Eerste", "sch-1"),
    "d-s2": ("Fons Tweede", "sch-2"),
    "d-s3": ("Gina Derde", "sch-3"),
    "d-vz": ("Hugo Voorzitter", "vz-gr"),
    "d-vzo": ("Ines Voorzitter", "vz-ocmw"),
    "d-rl": ("Jan Raadslid", "rl"),
    "d-vb": ("Kim Comite", "vz-bcsd"),
    "d-fin": ("Lore Aankoop", "dh-fin"),
    "d-sec": ("Mats Secretariaat", "sec"),
    "d-soc": ("Nora Sociaal", "mw-soc"),
    "d-pers": ("Omer Personeel", "dh-pers"),
    "d-mw": ("Pia Medewerker", "mw-fin"),
}


def decision(did: str, by: str, grants: list[dict[str, Any]], basis: str, entity: Any = None,
             effective_from: str = "2025-01-01", **extra: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"id": did, "title": f"Besluit {did}", "by": by, "decided_on": effective_from,
                         "effective_from": effective_from, "legal_basis": basis, "source": f"{URL}/besluiten/{did}"}
    if entity is not None:
        d["entity"] = entity
    d.update(extra)
    d["grants"] = grants
    return d


def grant(gid: str, to: str, powers: list[str], **extra: Any) -> dict[str, Any]:
    g: dict[str, Any] = {"id": gid, "to": to, "powers": powers}
    g.update(extra)
    g.setdefault("reporting", [{"to": "ad", "every": "year"}])
    return g


def positions() -> list[dict[str, Any]]:
    return [
        {"id": "ad", "name": "Algemeen directeur", "kind": "algemeen_directeur", "unit": "bestuur"},
        {"id": "aad", "name": "Adjunct-algemeen directeur", "kind": "adjunct_algemeen_directeur", "unit": "bestuur"},
        {"id": "fd", "name": "Financieel directeur", "kind": "financieel_directeur", "unit": "financien"},
        {"id": "bm", "name": "Burgemeester", "kind": "burgemeester", "unit": "bestuur", "substitutes": ["sch-2"]},
        {"id": "sch-1", "name": "Eerste schepen", "kind": "schepen", "unit": "bestuur", "rank": 1},
        {"id": "sch-2", "name": "Tweede schepen", "kind": "schepen", "unit": "bestuur", "rank": 2},
        {"id": "sch-3", "name": "Derde schepen", "kind": "schepen", "unit": "bestuur", "rank": 3},
        {"id": "vz-gr", "name": "Voorzitter gemeenteraad", "kind": "voorzitter_gemeenteraad", "unit": "bestuur"},
        {"id": "vz-ocmw", "name": "Voorzitter raad voor maatschappelijk welzijn", "kind": "voorzitter_ocmw_raad",
         "unit": "bestuur"},
        {"id": "rl", "name": "Raadslid", "kind": "raadslid", "unit": "bestuur"},
        {"id": "vz-bcsd", "name": "Voorzitter BCSD", "kind": "voorzitter_bcsd", "unit": "sociaal"},
        {"id": "dh-fin", "name": "Diensthoofd financien", "unit": "financien", "manager": True},
        {"id": "mw-fin", "name": "Medewerker financien", "unit": "financien"},
        {"id": "sec", "name": "Secretariaatsmedewerker", "unit": "bestuur"},
        {"id": "mw-soc", "name": "Maatschappelijk werker", "unit": "sociaal"},
        {"id": "dh-pers", "name": "Diensthoofd personeel", "unit": "bestuur", "manager": True},
    ]


def proefdorp(**sections: list[dict[str, Any]]) -> dict[str, Any]:
    """The register; keyword arguments extend its sections (decisions=[...], absences=[...])."""
    data: dict[str, Any] = {
        "format": "delegaties/1",
        "administration": {"id": "proefdorp", "name": "Lokaal bestuur Proefdorp"},
        "units": [
            {"id": "bestuur", "name": "Bestuur"},
            {"id": "financien", "name": "Financien", "parent": "bestuur"},
            {"id": "sociaal", "name": "Sociaal huis", "parent": "bestuur", "entity": "ocmw"},
        ],
        "positions": positions(),
        "persons": [{"id": pid, "name": name} for pid, (name, _pos) in PEOPLE.items()],
        "appointments": [{"person": pid, "position": pos, "from": "2019-01-01"} for pid, (_n, pos) in PEOPLE.items()],
        "rules": [{
            "id": "VISUM-GR-2024", "title": "Visumreglement (organisatiebeheersing) van de gemeente", "holder": "gemeenteraad",
            "entity": "gemeente", "effective_from": "2024-01-01", "visum_exempt": [{"max_amount": 8500}],
            "source": f"{URL}/reglementen/visum-gemeente",
        }],
        "decisions": [
            decision("GR-2025-01", "gemeenteraad", [grant("GR-2025-01/1", "college", ["budgethouderschap"],
                                                          subdelegation={"allowed": True, "max_depth": 3})], "DLB-41"),
            decision("CBS-2025-01", "college", [
                grant("CBS-2025-01/1", "ad", ["budgethouderschap", "overheidsopdracht.bestelling"],
                      limits={"max_amount": 50000}, subdelegation={"allowed": True, "max_depth": 2}),
            ], "DLB-57"),
            decision("AD-2025-01", "ad", [
                grant("AD-2025-01/1", "dh-fin", [VERBINTENIS], limits={"max_amount": 20000}),
                grant("AD-2025-01/2", "aad", [VERBINTENIS], limits={"max_amount": 30000}),
                grant("AD-2025-01/3", "fd", ["budgethouderschap.factuurgoedkeuring"]),
            ], "DLB-57"),
            decision("RMW-2025-01", "ocmw_raad", [grant("RMW-2025-01/1", "vast_bureau", ["budgethouderschap"],
                                                        subdelegation={"allowed": True, "max_depth": 3})],
                     "DLB-78", entity="ocmw"),
            decision("VB-2025-01", "vast_bureau", [
                grant("VB-2025-01/1", "ad", ["budgethouderschap"], limits={"max_amount": 25000},
                      subdelegation={"allowed": True, "max_depth": 1}),
            ], "DLB-85", entity="ocmw"),
            decision("AD-2025-02", "ad", [grant("AD-2025-02/1", "mw-soc", [VERBINTENIS], limits={"max_amount": 2500})],
                     "DLB-85", entity="ocmw"),
            # one act for both legal entities: the shared algemeen directeur's signing delegation
            decision("AD-2025-03", "ad", [
                grant("AD-2025-03/1", "sec", ["medeondertekening"],
                      limits={"document_types": ["briefwisseling"], "issuers": ["college", "vast_bureau"]}),
                grant("AD-2025-03/2", "aad", ["medeondertekening"]),
                grant("AD-2025-03/3", "fd", ["medeondertekening"], limits={"document_types": ["bestelbon"]}),
            ], "DLB-283", entity=["gemeente", "ocmw"]),
            # reglement dagelijks personeelsbeheer for gemeente- en OCMW-personeel, not for the decretal grades
            decision("AD-2025-04", "ad", [
                grant("AD-2025-04/1", "dh-pers", ["dagelijks_personeelsbeheer.verlof", "dagelijks_personeelsbeheer.evaluatie"],
                      limits={"excluded": ["decretale_graad"]}),
            ], "DLB-170", entity=["gemeente", "ocmw"]),
            decision("VZGR-2025-01", "vz-gr", [
                grant("VZGR-2025-01/1", "sch-1", ["ondertekening"], limits={"issuers": ["gemeenteraad"]}),
                grant("VZGR-2025-01/2", "bm", ["ondertekening"], limits={"issuers": ["gemeenteraad"]}),
            ], "DLB-281"),
            decision("BM-2025-01", "bm", [
                grant("BM-2025-01/1", "sch-3", ["ondertekening"], limits={"issuers": ["college"]}),
            ], "DLB-280"),
        ],
        "absences": [
            {"person": "d-ad", "from": "2025-07-01", "until": "2025-07-31"},
            {"person": "d-bm", "from": "2025-08-01", "until": "2025-08-15"},
            {"person": "d-s2", "from": "2025-08-10", "until": "2025-08-15"},
        ],
        "conflicts": [{"person": "d-ad", "matter": "KBO:0888888888", "from": "2025-01-01", "reason": "familieband"}],
    }
    for key, items in sections.items():
        data[key] = list(data.get(key, [])) + list(items)
    return data
