"""A deterministic synthetic register of a city, plus questions and uses drawn from it.

    python -m bench.generate OUT.json [--persons N] [--positions N] [--grants N] [--max-depth N] [--seed S]
                                      [--questions N QUESTIONS.json]

The register is a plain `delegaties/1` file that `Registry.load` accepts (warnings only), so the
import benchmark takes the real path. Its shape follows published Flemish delegation schemes:
a unit tree (departments, services, teams), the organs, budget holdership passed down from the
college via the algemeen directeur to department heads, service heads, team leaders and staff
(up to `max_depth` levels below the algemeen directeur), day-to-day staff management under
DLB-170, (co-)signing under DLB-281/283, substitutes, absences, acting holders, conflicts of
interest and revocations. Decisions come in terms of two years (the evaluation cycle of an
afsprakennota); older terms stay in the register as expired evidence, as they would in reality,
so the search meets history. Everything is fictional ("Voorbeeldegem").

Half of the subdelegations name their parent grant explicitly (`under`); the others rely on the
search through the delegator's own grants, which is what a hand-written register mostly does.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

CURRENT_TERM = date(2025, 1, 1)
TERM_YEARS = 2
# The questions ask about these days: three in the current term, one in an older one.
QUESTION_DATES = (date(2025, 3, 14), date(2025, 7, 8), date(2025, 11, 20), date(2021, 6, 15))
COMMITMENT = ("budgethouderschap.verbintenis", "budgethouderschap.factuurgoedkeuring")
MANAGEMENT = ("budgethouderschap.budgetbeheer", "budgethouderschap.uitgaande_factuur",
              "budgethouderschap.subsidieaanvraag")
BUDGET_POWERS = COMMITMENT + MANAGEMENT
STAFF_MGMT = ("dagelijks_personeelsbeheer.verlof", "dagelijks_personeelsbeheer.werkplanning",
              "dagelijks_personeelsbeheer.overuren", "dagelijks_personeelsbeheer.telewerk",
              "dagelijks_personeelsbeheer.dienstreizen")
OTHER_POWERS = ("benoeming.personeel", "dagelijks_personeelsbeheer.evaluatie", "dagelijks_personeelsbeheer.attesten",
                "ondertekening")
DOC_TYPES = ("briefwisseling", "attest", "bestelbon", "besluit", "notulen")
ISSUERS = ("college", "burgemeester", "gemeenteraad")
LOCAL_RULE = "REGLEMENT-BUDGETHOUDERSCHAP"
URL = "https://example.invalid/voorbeeldegem"
# (max_amount, annual_ceiling, visum_above) per level below the algemeen directeur
AMOUNTS = {"dept": (85000, 1500000, 31000), "dienst": (31000, 300000, 8500), "team": (8500, 60000, None),
           "staff": (2500, 15000, None)}
FIRST = ("An", "Bram", "Chris", "Dana", "Eli", "Fien", "Gust", "Hanne", "Ilse", "Jef", "Kato", "Lou", "Mira",
         "Nand", "Oona", "Pim", "Roos", "Sam", "Tijl", "Uma", "Vic", "Wout", "Yara", "Zeno")
LAST = ("Voorbeeld", "Fictief", "Verzonnen", "Denkbeeld", "Proef", "Oefen", "Model", "Schets", "Ontwerp",
        "Sjabloon", "Invaller", "Rekenaar", "Probeer", "Staal", "Toets")


@dataclass(frozen=True)
class Params:
    persons: int = 10_000
    positions: int = 3_000
    grants: int = 50_000
    max_depth: int = 4
    seed: int = 20250502
    under_share: float = 0.5

    @classmethod
    def small(cls) -> Params:
        """A register small enough for the test suite, with every feature of the big one."""
        return cls(persons=260, positions=110, grants=700, seed=7)

    def tag(self) -> str:
        return f"p{self.persons}-f{self.positions}-g{self.grants}-d{self.max_depth}-s{self.seed}"


@dataclass
class Team:
    unit: str
    bv: str          # beleidsveld code of the service
    digit: str       # the team's digit inside the service's accounts
    dept: int
    ocmw: bool
    leader: str = ""
    staff: list[str] = field(default_factory=list)


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d is not None else None


def _day_before(d: date) -> date:
    return d - timedelta(days=1)


class City:
    """Builds the register dict and keeps the facts the question and use mixes need."""

    def __init__(self, params: Params | None = None):
        self.p = params or Params()
        self.rng = random.Random(self.p.seed)
        self.units: list[dict[str, Any]] = []
        self.positions: list[dict[str, Any]] = []
        self.persons: list[dict[str, Any]] = []
        self.appointments: list[dict[str, Any]] = []
        self.absences: list[dict[str, Any]] = []
        self.conflicts: list[dict[str, Any]] = []
        self.decisions: list[dict[str, Any]] = []
        self.revocations: list[dict[str, Any]] = []
        self.unit_of: dict[str, str] = {}          # position -> unit
        self.position_kind: dict[str, str] = {}
        self.holders: dict[str, list[str]] = {}    # position -> persons appointed (any time)
        self.jobs: dict[str, list[str]] = {}       # person -> positions (any time)
        self.tenure: list[tuple[str, str, date, date | None]] = []
        self.teams: list[Team] = []
        self.team_of: dict[str, Team] = {}         # unit or position -> team (for teams and staff)
        self.ocmw_units: set[str] = set()
        self.companies: list[str] = []
        self.conflicts_of: dict[str, list[str]] = {}
        # (recipient, powers, limits, effective_from, effective_until, entity) of every grant: questions
        # are mostly asked by someone who received the power, near its scope
        self.received: list[tuple[str, tuple[str, ...], dict[str, Any], str, str | None, str]] = []
        # (position, power, grant chain, max amount, key stem, entity) of current staff grants, for uses
        self.leaf_chains: list[tuple[str, str, tuple[str, ...], int, str, str]] = []
        self._decision_no: dict[tuple[str, int], int] = {}
        self._organisation()
        self._people()
        self._grants()
        self._revocations()

    # -- organisation ----------------------------------------------------------------------
    def _position(self, pid: str, name: str, kind: str = "personeelslid", unit: str = "bestuur",
                  manager: bool = False, substitutes: tuple[str, ...] = ()) -> str:
        pos: dict[str, Any] = {"id": pid, "name": name, "unit": unit}
        if kind != "personeelslid":
            pos["kind"] = kind
        if manager:
            pos["manager"] = True
        if substitutes:
            pos["substitutes"] = list(substitutes)
        self.positions.append(pos)
        self.unit_of[pid] = unit
        self.position_kind[pid] = kind
        return pid

    def _organisation(self) -> None:
        big = self.p.positions >= 1000
        self.units.append({"id": "bestuur", "name": "Stad Voorbeeldegem"})
        organs = [("ad", "Algemeen directeur", "algemeen_directeur"),
                  ("aad", "Adjunct-algemeen directeur", "adjunct_algemeen_directeur"),
                  ("fd", "Financieel directeur", "financieel_directeur"),
                  ("bm", "Burgemeester", "burgemeester"),
                  ("vz-gr", "Voorzitter van de gemeenteraad", "voorzitter_gemeenteraad"),
                  ("vz-ocmw", "Voorzitter van de raad voor maatschappelijk welzijn", "voorzitter_ocmw_raad"),
                  ("vz-vb", "Voorzitter van het vast bureau", "voorzitter_vast_bureau")]
        for pid, name, kind in organs:
            self._position(pid, name, kind)
        self.aldermen = [self._position(f"sch-{i:02d}", f"Schepen {i}", "schepen") for i in range(1, (9 if big else 4))]
        self.councillors = [self._position(f"rl-{i:02d}", f"Raadslid {i}", "raadslid") for i in range(1, (34 if big else 6))]
        staff_total = self.p.positions - len(self.positions)
        per_dept, per_dienst, team_size = (5, 5, 10) if big else (2, 2, 5)
        per_dept_positions = 2 + per_dept * 2 + per_dept * per_dienst * team_size
        n_dept = max(2, staff_total // per_dept_positions)
        self.depts: list[dict[str, Any]] = []
        bv_no = 100
        for d in range(n_dept):
            dunit = f"d{d + 1:02d}"
            ocmw = d == 0  # the first department is the social house of the OCMW
            self.units.append({"id": dunit, "name": "Sociaal huis" if ocmw else f"Departement {d + 1}", "parent": "bestuur"})
            adj = self._position(f"adj-{dunit}", f"Adjunct-departementshoofd {d + 1}", unit=dunit)
            head = self._position(f"dh-{dunit}", f"Departementshoofd {d + 1}", unit=dunit, manager=True, substitutes=(adj,))
            dept = {"unit": dunit, "head": head, "adj": adj, "ocmw": ocmw, "diensten": []}
            self.depts.append(dept)
            for s in range(per_dept):
                sunit = f"{dunit}-s{s + 1}"
                bv_no += 1 + self.rng.randrange(3)
                bv = f"{bv_no:04d}"
                self.units.append({"id": sunit, "name": f"Dienst {d + 1}.{s + 1}", "parent": dunit})
                sadj = self._position(f"adj-{sunit}", f"Adjunct-diensthoofd {d + 1}.{s + 1}", unit=sunit)
                shead = self._position(f"dh-{sunit}", f"Diensthoofd {d + 1}.{s + 1}", unit=sunit, manager=True,
                                       substitutes=(sadj,))
                dienst = {"unit": sunit, "head": shead, "adj": sadj, "bv": bv, "teams": []}
                dept["diensten"].append(dienst)
                for t in range(per_dienst):
                    tunit = f"{sunit}-t{t + 1}"
                    self.units.append({"id": tunit, "name": f"Team {d + 1}.{s + 1}.{t + 1}", "parent": sunit})
                    team = Team(tunit, bv, str(t + 1), d, ocmw)
                    dienst["teams"].append(team)
                    self.teams.append(team)
                    self.team_of[tunit] = team
        for d in self.depts:  # a service or department answers questions through its first team
            for ds in d["diensten"]:
                self.team_of.setdefault(ds["unit"], ds["teams"][0])
            self.team_of.setdefault(d["unit"], d["diensten"][0]["teams"][0])
            if d["ocmw"]:
                self.ocmw_units |= {u["id"] for u in self.units if u["id"].startswith(d["unit"])}
        # team leaders, then staff spread over the teams until the position count is reached
        for team in self.teams:
            team.leader = f"tl-{team.unit}"
        remaining = self.p.positions - len(self.positions) - len(self.teams)
        staff_slots = [self.teams[i % len(self.teams)] for i in range(max(remaining, 0))]
        for team in staff_slots:
            pid = f"mw-{team.unit}-{len(team.staff) + 1:02d}"
            team.staff.append(pid)
        for team in self.teams:
            subs = (team.staff[0],) if team.staff else ()
            self._position(team.leader, f"Teamleider {team.unit}", unit=team.unit, manager=True, substitutes=subs)
            self.team_of[team.leader] = team
            for pid in team.staff:
                self._position(pid, f"Medewerker {pid[3:]}", unit=team.unit)
                self.team_of[pid] = team

    # -- people ----------------------------------------------------------------------------
    def _appoint(self, person: str, position: str, start: date, until: date | None = None,
                 capacity: str = "titular") -> None:
        a: dict[str, Any] = {"person": person, "position": position, "from": start.isoformat()}
        if until is not None:
            a["until"] = until.isoformat()
        if capacity != "titular":
            a["capacity"] = capacity
        self.appointments.append(a)
        self.holders.setdefault(position, []).append(person)
        self.tenure.append((position, person, start, until))
        self.jobs.setdefault(person, []).append(position)

    def _people(self) -> None:
        rng = self.rng
        ids = [f"p-{i:05d}" for i in range(1, self.p.persons + 1)]
        for pid in ids:
            self.persons.append({"id": pid, "name": f"{rng.choice(FIRST)} {rng.choice(LAST)} {pid[2:]}"})
        pool = iter(ids)
        # organs, heads, adjuncts and team leaders have one holder each; staff positions absorb the rest
        single = [p["id"] for p in self.positions if not p["id"].startswith("mw-")]
        staff = [p["id"] for p in self.positions if p["id"].startswith("mw-")]
        turnover = date(2022, 1, 1)
        for pos in single:
            person = next(pool, None)
            if person is None:
                return
            if rng.random() < 0.15:  # a change of holder in the middle of the history
                self._appoint(person, pos, date(2012, 1, 1), _day_before(turnover))
                person = next(pool, None)
                if person is None:
                    return
                self._appoint(person, pos, turnover)
            else:
                self._appoint(person, pos, date(2012, 1, 1) + timedelta(days=rng.randrange(900)))
        rest = list(pool)
        former = rest[: len(rest) // 10]
        active = rest[len(former):]
        for i, person in enumerate(active):
            pos = staff[i] if i < len(staff) else rng.choice(staff)
            self._appoint(person, pos, date(2010, 1, 1) + timedelta(days=rng.randrange(5000)))
        for person in former:
            start = date(2008, 1, 1) + timedelta(days=rng.randrange(3000))
            self._appoint(person, rng.choice(staff), start, start + timedelta(days=300 + rng.randrange(2500)))
        # acting team leaders in 2025 while the titular is away for months
        for team in rng.sample(self.teams, max(1, len(self.teams) // 30)):
            titular = self.holders.get(team.leader, [None])[-1]
            if not team.staff or titular is None or not self.holders.get(team.staff[-1]):
                continue
            self.absences.append({"person": titular, "from": "2025-05-01", "until": "2025-09-30"})
            self._appoint(self.holders[team.staff[-1]][0], team.leader, date(2025, 5, 1), date(2025, 9, 30), "acting")
        # short absences, many of them around the days the questions ask about
        absent = {a["person"] for a in self.absences}
        for person, positions in self.jobs.items():
            manager = any(not p.startswith("mw-") for p in positions)
            if person in absent or rng.random() > (0.10 if manager else 0.02):
                continue
            day = rng.choice(QUESTION_DATES[:3]) - timedelta(days=rng.randrange(10))
            self.absences.append({"person": person, "from": day.isoformat(),
                                  "until": (day + timedelta(days=3 + rng.randrange(20))).isoformat()})
        # conflicts of interest with (fictional) companies
        self.companies = [f"KBO:0{rng.randrange(200000000, 999999999)}" for _ in range(max(50, self.p.persons // 4))]
        for person in rng.sample(ids, max(1, len(ids) // 25)):
            for matter in rng.sample(self.companies, 1 + (rng.random() < 0.3)):
                start = date(2018, 1, 1) + timedelta(days=rng.randrange(2500))
                c: dict[str, Any] = {"person": person, "matter": matter, "from": start.isoformat(), "reason": "familieband"}
                if rng.random() < 0.3:
                    c["until"] = (start + timedelta(days=200 + rng.randrange(900))).isoformat()
                self.conflicts.append(c)
                self.conflicts_of.setdefault(person, []).append(matter)

    # -- decisions -------------------------------------------------------------------------
    def _decision(self, term: list[dict[str, Any]], by: str, prefix: str, start: date, until: date | None,
                  basis: str, title: str, entity: str = "gemeente") -> dict[str, Any]:
        year = start.year
        no = self._decision_no.get((prefix, year), 0) + 1
        self._decision_no[(prefix, year)] = no
        did = f"{prefix}-{year}-{no:04d}"
        d: dict[str, Any] = {"id": did, "title": title, "by": by,
                             "decided_on": (start - timedelta(days=14 + self.rng.randrange(20))).isoformat(),
                             "effective_from": start.isoformat(), "legal_basis": basis,
                             "source": f"{URL}/besluiten/{did}", "review_every_years": TERM_YEARS, "grants": []}
        if entity != "gemeente":
            d["entity"] = entity
        if until is not None:
            d["effective_until"] = until.isoformat()
        term.append(d)
        return d

    def _grant(self, d: dict[str, Any], to: str, powers: tuple[str, ...], *, parent: str | None = None,
               level: str | None = None, keys: list[str] | None = None, units: list[str] | None = None,
               depth: int = 0, extra: dict[str, Any] | None = None, report_to: str | None = None) -> str:
        rng = self.rng
        gid = f"{d['id']}/{len(d['grants']) + 1}"
        g: dict[str, Any] = {"id": gid, "to": to, "powers": list(powers)}
        if parent is not None and rng.random() < self.p.under_share:
            g["under"] = parent
        limits: dict[str, Any] = {}
        if level is not None and powers[0] in COMMITMENT:
            max_amount, ceiling, visum = AMOUNTS[level]
            if rng.random() < 0.05:  # a subdelegation that tries to widen its parent
                max_amount *= 2
            limits["max_amount"] = str(max_amount)
            limits["annual_ceiling"] = str(ceiling)
            if visum is not None:
                g["requires"] = {"visum_above": str(visum)}
        if keys:
            limits["budget_keys"] = keys
        if units:
            limits["units"] = units
        if extra:
            limits.update(extra.pop("limits", {}))
            g.update(extra)
        if limits:
            g["limits"] = limits
        if depth > 0:
            g["subdelegation"] = {"allowed": True, "max_depth": depth}
        g["reporting"] = [{"to": report_to or d["by"], "every": rng.choice(("month", "quarter", "quarter", "year"))}]
        d["grants"].append(g)
        self.received.append((to, powers, limits, d["effective_from"], d.get("effective_until"), d.get("entity", "gemeente")))
        return gid

    def _term(self, start: date, until: date | None) -> list[dict[str, Any]]:
        """The decisions of one term, ordered top-down so that trimming removes leaves first."""
        rng, term = self.rng, []
        depth = self.p.max_depth
        levels = ("dept", "dienst", "team", "staff")[:depth]
        gr = self._decision(term, "gemeenteraad", "GR", start, until, "DLB-41",
                            "Toevertrouwen van het dagelijks bestuur aan het college")
        self._grant(gr, "college", ("budgethouderschap",), extra={"limits": {"max_amount": "500000"}}, depth=2)
        cbs = self._decision(term, "college", "CBS", start, until, LOCAL_RULE, "Reglement budgethouderschap")
        top = self._grant(cbs, "ad", ("budgethouderschap",), extra={"limits": {"max_amount": "250000"}}, depth=depth)
        vb = self._decision(term, "vast_bureau", "VB", start, until, "DLB-85", "Budgethouderschap OCMW", "ocmw")
        top_ocmw = self._grant(vb, "ad", ("budgethouderschap",), extra={"limits": {"max_amount": "150000"}}, depth=depth)
        # algemeen directeur: budget to department heads, staff management, signatures
        ad_b = self._decision(term, "ad", "AD", start, until, LOCAL_RULE, "Subdelegatie budgethouderschap departementen")
        ad_bo = self._decision(term, "ad", "AD", start, until, "DLB-85", "Subdelegatie budgethouderschap OCMW", "ocmw")
        ad_p = self._decision(term, "ad", "AD", start, until, "DLB-170", "Reglement dagelijks personeelsbeheer")
        ad_s = self._decision(term, "ad", "AD", start, until, "DLB-283", "Handtekeningdelegatie briefwisseling")
        self._grant(ad_p, "aad", ("dagelijks_personeelsbeheer",), extra={"limits": {
            "excluded": ["dagelijks_personeelsbeheer.evaluatie"]}}, report_to="ad")
        vz = self._decision(term, "vz-gr", "VZGR", start, until, "DLB-281", "Delegatie van de ondertekening")
        for rl in rng.sample(self.councillors, max(1, len(self.councillors) // 3)):
            self._grant(vz, rl, ("ondertekening",), extra={"limits": {"document_types": ["briefwisseling"],
                                                                      "issuers": ["gemeenteraad"]}},
                        report_to="gemeenteraad")
        mention = "Voor de algemeen directeur, bij delegatie"
        sig_limits = {"document_types": ["briefwisseling", "attest"], "issuers": ["college", "burgemeester"]}
        # per level: (grant id of the parent budget grants, per team/dienst/dept) built top-down
        parents: dict[str, dict[str, str]] = {}
        dienst_head_of_team: dict[str, str] = {}
        for dept in self.depts:
            ocmw = dept["ocmw"]
            dkeys = [f"{ds['bv']}/*" for ds in dept["diensten"]]
            dec = ad_bo if ocmw else ad_b
            if "dept" in levels:
                for kind, powers in (("c", COMMITMENT), ("m", MANAGEMENT)):
                    parents[f"{kind}:{dept['unit']}"] = self._grant(
                        dec, dept["head"], powers, parent=top_ocmw if ocmw else top, level="dept", keys=dkeys,
                        units=[dept["unit"]], depth=depth - 1)
            parents[f"p:{dept['unit']}"] = self._grant(ad_p, dept["head"], STAFF_MGMT, units=[dept["unit"]], depth=2)
            if rng.random() < 0.5:  # the adjunct acts only while the head is absent
                self._grant(dec, dept["adj"], COMMITMENT, parent=top_ocmw if ocmw else top, level="dept", keys=dkeys,
                            units=[dept["unit"]], extra={"limits": {"only_when_absent": dept["head"]}})
        for dept in self.depts:
            ocmw = dept["ocmw"]
            basis, entity = ("DLB-85", "ocmw") if ocmw else (LOCAL_RULE, "gemeente")
            dec_b = self._decision(term, dept["head"], "SUB", start, until, basis,
                                   f"Subdelegatie budgethouderschap {dept['unit']}", entity)
            dec_p = self._decision(term, dept["head"], "SUB", start, until, "DLB-170",
                                   f"Subdelegatie personeelsbeheer {dept['unit']}")
            for ds in dept["diensten"]:
                dienst_keys = [f"{ds['bv']}/61*", f"{ds['bv']}/62*", f"{ds['bv']}/64*"]
                for t in ds["teams"]:
                    dienst_head_of_team[t.unit] = ds["head"]
                if "dienst" in levels:
                    for kind, powers in (("c", COMMITMENT), ("m", MANAGEMENT)):
                        parents[f"{kind}:{ds['unit']}"] = self._grant(
                            dec_b, ds["head"], powers, parent=parents.get(f"{kind}:{dept['unit']}"), level="dienst",
                            keys=dienst_keys, units=[ds["unit"]], depth=depth - 2)
                    if rng.random() < 0.3:
                        self._grant(dec_b, ds["adj"], COMMITMENT, parent=parents.get(f"c:{dept['unit']}"),
                                    level="dienst", keys=dienst_keys, units=[ds["unit"]],
                                    extra={"limits": {"only_when_absent": ds["head"]}})
                parents[f"p:{ds['unit']}"] = self._grant(dec_p, ds["head"], STAFF_MGMT[:3], units=[ds["unit"]],
                                                         parent=parents[f"p:{dept['unit']}"], depth=1)
                self._grant(ad_s, ds["head"], ("medeondertekening",), extra={
                    "limits": dict(sig_limits), "signature_mention": mention}, report_to="gemeenteraad")
        for dept in self.depts:
            ocmw = dept["ocmw"]
            basis, entity = ("DLB-85", "ocmw") if ocmw else (LOCAL_RULE, "gemeente")
            for ds in dept["diensten"]:
                dec_b = self._decision(term, ds["head"], "SUB", start, until, basis,
                                       f"Subdelegatie budgethouderschap {ds['unit']}", entity)
                dec_p = self._decision(term, ds["head"], "SUB", start, until, "DLB-170",
                                       f"Subdelegatie personeelsbeheer {ds['unit']}")
                for t in ds["teams"]:
                    team_keys = [f"{t.bv}/61{t.digit}*", f"{t.bv}/62{t.digit}*"]
                    if "team" in levels:
                        for kind, powers in (("c", COMMITMENT), ("m", MANAGEMENT)):
                            parents[f"{kind}:{t.unit}"] = self._grant(
                                dec_b, t.leader, powers, parent=parents.get(f"{kind}:{ds['unit']}"), level="team",
                                keys=team_keys, units=[t.unit], depth=depth - 3)
                    self._grant(dec_p, t.leader, STAFF_MGMT[:2], units=[t.unit], parent=parents[f"p:{ds['unit']}"])
                    if rng.random() < 0.5:
                        self._grant(ad_s, t.leader, ("medeondertekening",), extra={
                            "limits": dict(sig_limits), "signature_mention": mention}, report_to="gemeenteraad")
        if "staff" in levels:
            for team in self.teams:
                if not team.staff:
                    continue
                basis, entity = ("DLB-85", "ocmw") if team.ocmw else (LOCAL_RULE, "gemeente")
                dec = self._decision(term, team.leader, "SUB", start, until, basis,
                                     f"Subdelegatie budgethouderschap {team.unit}", entity)
                for k, pid in enumerate(team.staff):
                    if rng.random() < 0.12:
                        continue
                    staff_key = f"{team.bv}/61{team.digit}{k % 10}*"
                    for power in rng.sample(BUDGET_POWERS, 3 + rng.randrange(3)):
                        kind = "c" if power in COMMITMENT else "m"
                        extra: dict[str, Any] = {}
                        if power in COMMITMENT and rng.random() < 0.05:
                            extra["requires"] = {"cosignature_by": "fd"}
                        gid = self._grant(dec, pid, (power,), parent=parents.get(f"{kind}:{team.unit}"),
                                          level="staff" if power in COMMITMENT else None,
                                          keys=[staff_key, f"{team.bv}/62{team.digit}*"], units=[team.unit], extra=extra)
                        if until is None and power in COMMITMENT:
                            chain = tuple(parents[f"{kind}:{u}"] for u in self._unit_path(team.unit)
                                          if f"{kind}:{u}" in parents)
                            self.leaf_chains.append((pid, power, (top_ocmw if team.ocmw else top, *chain, gid),
                                                     AMOUNTS["staff"][0], staff_key[:-1], entity))
                # a few improper subdelegations between staff members: refused when used
                if len(team.staff) > 2 and rng.random() < 0.05:
                    odd = self._decision(term, team.staff[0], "SUB", start, until, basis,
                                         f"Doorgifte binnen {team.unit}", entity)
                    self._grant(odd, team.staff[1], ("budgethouderschap.verbintenis",), level="staff",
                                keys=[f"{team.bv}/61*"], units=[team.unit])
        # a few grants to a named person rather than a position
        people_term = [p for p, jobs in self.jobs.items() if jobs and jobs[-1].startswith("mw-")]
        if people_term:
            for person in rng.sample(people_term, max(1, len(people_term) // 400)):
                self._grant(ad_s, person, ("medeondertekening",), extra={
                    "limits": {"document_types": ["bestelbon"], "issuers": ["college"]}}, report_to="gemeenteraad")
        return [d for d in term if d["grants"]]

    def _unit_path(self, unit: str) -> list[str]:
        parts = unit.split("-")
        return ["-".join(parts[: i + 1]) for i in range(len(parts))]

    def _grants(self) -> None:
        terms: list[list[dict[str, Any]]] = []
        total, k = 0, 0
        while total < self.p.grants:
            start = date(CURRENT_TERM.year - TERM_YEARS * k, 1, 1)
            until = None if k == 0 else _day_before(date(start.year + TERM_YEARS, 1, 1))
            term = self._term(start, until)
            terms.append(term)
            total += sum(len(d["grants"]) for d in term)
            k += 1
            if k > 40:
                break
        excess = total - self.p.grants
        oldest = terms[-1]
        while excess > 0 and oldest:
            d = oldest[-1]
            cut = min(excess, len(d["grants"]))
            del d["grants"][len(d["grants"]) - cut:]
            excess -= cut
            if not d["grants"]:
                oldest.pop()
        for term in reversed(terms):  # oldest first, as a register grows
            self.decisions.extend(term)

    def _revocations(self) -> None:
        rng = self.rng
        current = [g for d in self.decisions if "effective_until" not in d and d["by"] not in ("gemeenteraad", "college",
                                                                                                 "vast_bureau")
                   for g in d["grants"]]
        revoked = set()
        for g in rng.sample(current, max(1, len(current) // 80)):
            day = date(2025, 2, 1) + timedelta(days=rng.randrange(300))
            self.revocations.append({"target": g["id"], "effective_from": day.isoformat(),
                                     "by": f"AD-2025-9{len(self.revocations):03d}", "reason": "herschikking"})
            revoked.add(g["id"])
        self.leaf_chains = [c for c in self.leaf_chains if not revoked & set(c[2])]

    # -- output ----------------------------------------------------------------------------
    def register(self) -> dict[str, Any]:
        return {
            "format": "delegaties/1",
            "administration": {"id": "voorbeeldegem", "name": "Stad Voorbeeldegem"},
            "units": self.units,
            "positions": self.positions,
            "persons": self.persons,
            "appointments": self.appointments,
            "absences": self.absences,
            "rules": [{
                "id": LOCAL_RULE, "title": "Reglement budgethouderschap van Voorbeeldegem", "holder": "college",
                "entity": "gemeente", "powers": ["budgethouderschap"], "delegable_to": ["algemeen_directeur"],
                "subdelegable_to": ["personeelslid"], "source": f"{URL}/reglement-budgethouderschap"}],
            "decisions": self.decisions,
            "revocations": self.revocations,
            "conflicts": self.conflicts,
        }

    def grant_count(self) -> int:
        return sum(len(d["grants"]) for d in self.decisions)

    # -- questions -------------------------------------------------------------------------
    def questions(self, n: int, seed: int = 1) -> list[dict[str, Any]]:
        """A mix of allowed and refused questions as plain dicts (Question fields, strings).

        Most questions come from someone who received the power, asked near the grant's scope
        and on a date it covers (what a finance system sends); the rest change one thing (a key,
        a unit, a larger amount, another date, another power, a matter in conflict) or ask
        something nobody was given."""
        rng = random.Random(seed)
        people = list(self.jobs)
        units = [u["id"] for u in self.units]
        out = []
        for _ in range(n):
            to, powers, limits, start, until, entity = self.received[rng.randrange(len(self.received))]
            dates = [d for d in QUESTION_DATES if start <= d.isoformat() and (until is None or d.isoformat() <= until)]
            on = rng.choice(dates) if dates and rng.random() < 0.9 else rng.choice(QUESTION_DATES)
            actors = [p for pos, p, a, b in self.holding(to) if a <= on and (b is None or on <= b)]
            actors = actors or self.holders.get(to) or ([to] if to in self.jobs else [rng.choice(people)])
            power = rng.choice(powers)
            if "." not in power:  # a whole family was given: ask about one of its powers
                power = rng.choice([p for p in BUDGET_POWERS + STAFF_MGMT if p.startswith(power + ".")] or [power])
            q: dict[str, Any] = {"on": on.isoformat(), "actor": actors[-1], "power": power}
            if entity != "gemeente":
                q["entity"] = entity
            keys = limits.get("budget_keys")
            if power.startswith("budgethouderschap"):
                pattern = rng.choice(keys) if keys else f"{rng.randrange(100, 400):04d}/6*"
                stem = pattern[:-1] if pattern.endswith("*") else pattern
                q["budget_key"] = (stem + "".join(str(rng.randrange(10)) for _ in range(12)))[:12]
                if rng.random() < 0.05:
                    q["budget_key"] = f"{rng.randrange(100, 400):04d}/6{rng.randrange(10**6):06d}"
                if power in COMMITMENT or rng.random() < 0.3:
                    cap = int(limits.get("max_amount", "20000"))
                    q["amount"] = str(round(min(rng.lognormvariate(6.5, 1.3), cap * 1.6), 2))
            allowed_units = limits.get("units")
            if allowed_units or power.startswith(("budgethouderschap", "dagelijks_personeelsbeheer")):
                base = rng.choice(allowed_units) if allowed_units else rng.choice(units)
                below = [u for u in units if u.startswith(base)]
                q["unit"] = rng.choice(below) if rng.random() < 0.95 else rng.choice(units)
            if power in ("ondertekening", "medeondertekening"):
                docs = limits.get("document_types") or DOC_TYPES
                q["document_type"] = rng.choice(docs) if rng.random() < 0.85 else rng.choice(DOC_TYPES)
                issuers = limits.get("issuers") or ISSUERS
                q["issuer"] = rng.choice(issuers) if rng.random() < 0.85 else rng.choice(ISSUERS)
            r = rng.random()
            if r < 0.03:
                q["power"] = rng.choice(OTHER_POWERS)
            elif r < 0.06:
                q["actor"] = rng.choice(people)
            if rng.random() < 0.06:
                mine = self.conflicts_of.get(q["actor"])
                q["matter"] = rng.choice(mine) if mine and rng.random() < 0.5 else rng.choice(self.companies)
            out.append(q)
        return out

    def holding(self, position: str) -> list[tuple[str, str, date, date | None]]:
        if not hasattr(self, "_tenure_by"):
            self._tenure_by: dict[str, list[tuple[str, str, date, date | None]]] = {}
            for t in self.tenure:
                self._tenure_by.setdefault(t[0], []).append(t)
        return self._tenure_by.get(position, [])

    # -- uses ------------------------------------------------------------------------------
    def uses(self, n: int, seed: int = 2, year: int = 2025) -> list[dict[str, Any]]:
        """`use.recorded` payloads through current-term chains (amounts within the per-act limit)."""
        rng = random.Random(seed)
        chains = self.leaf_chains
        out = []
        start = date(year, 1, 1)
        for i in range(n):
            position, power, grants, max_amount, key, _ = chains[rng.randrange(len(chains))]
            actors = self.holders.get(position) or ["?"]
            team = self.team_of[position]
            amount = min(max_amount, round(rng.lognormvariate(5.0, 1.0), 2))
            out.append({"reference": f"BB-{year}-{i + 1:07d}", "on": (start + timedelta(days=rng.randrange(365))).isoformat(),
                        "actor": actors[-1], "power": power, "amount": f"{amount:.2f}",
                        "budget_key": f"{key}{rng.randrange(1000):03d}", "unit": team.unit, "matter": None,
                        "grants": sorted(grants), "jti": None})
        return out


def record_uses(registry: Any, uses: list[dict[str, Any]], batch: int = 20_000) -> None:
    """Append `use.recorded` events in bulk through the store and its projections (no re-check):
    how a migration of a finance system's history would fill the use log."""
    from registry import projections

    for i in range(0, len(uses), batch):
        with registry.store.transaction() as tx:
            for u in uses[i:i + batch]:
                projections.apply(tx.conn, tx.append("use.recorded", u))
        tx.appended.clear()


def write(path: str | Path, params: Params | None = None) -> City:
    city = City(params)
    Path(path).write_text(json.dumps(city.register(), ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return city


# Below the importer's limit for a JSON register (registry.files.MAX_JSON_BYTES, 128 MiB): the
# 200 000-grant register (about 60 MB) is one file, as a user would export it.
PART_BYTES = 120_000_000


def write_parts(prefix: str | Path, params: Params | None = None, part_bytes: int = PART_BYTES) -> tuple[City, list[Path]]:
    """The register as several `delegaties/1` files that `Registry.load(*paths)` reads as one:
    master data first, then the decisions (oldest first) in parts of at most `part_bytes`, the
    revocations with the last part. A file holding everything is one file when it fits."""
    city = City(params)
    data = city.register()
    dump = lambda obj: json.dumps(obj, ensure_ascii=False, separators=(",", ":"))  # noqa: E731
    whole = dump(data)
    prefix = Path(prefix)
    if len(whole.encode("utf-8")) <= part_bytes:
        path = prefix.with_name(prefix.name + ".json")
        path.write_text(whole, encoding="utf-8")
        return city, [path]
    head = {"format": data["format"], "administration": data["administration"]}
    parts = [{**data, "decisions": [], "revocations": []}]
    chunk: list[dict[str, Any]] = []
    size = 0
    for d in data["decisions"]:
        n = len(dump(d).encode("utf-8")) + 1
        if chunk and size + n > part_bytes - 4096:
            parts.append({**head, "decisions": chunk})
            chunk, size = [], 0
        chunk.append(d)
        size += n
    parts.append({**head, "decisions": chunk, "revocations": data["revocations"]})
    paths = []
    for i, part in enumerate(parts):
        path = prefix.with_name(f"{prefix.name}-{i:02d}.json")
        path.write_text(dump(part), encoding="utf-8")
        paths.append(path)
    return city, paths


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    defaults = Params()
    for name in ("persons", "positions", "grants", "max_depth", "seed"):
        ap.add_argument("--" + name.replace("_", "-"), type=int, default=getattr(defaults, name))
    ap.add_argument("--questions", nargs=2, metavar=("N", "FILE"), help="also write N questions (JSON list)")
    a = ap.parse_args(argv)
    city = write(a.out, Params(a.persons, a.positions, a.grants, a.max_depth, a.seed))
    if a.questions:
        Path(a.questions[1]).write_text(json.dumps(city.questions(int(a.questions[0]), seed=11)), encoding="utf-8")
    print(json.dumps({"out": a.out, "grants": city.grant_count(), "decisions": len(city.decisions),
                      "appointments": len(city.appointments), "bytes": Path(a.out).stat().st_size}))


if __name__ == "__main__":
    main()
