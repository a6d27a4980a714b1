"""`delegaties demo`: the bundled example in a temporary register, a handful of answers."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from .render import answer_text

# (title nl, title en, question)
SCENARIOS = [
    ("Bestelling binnen de grenzen van het diensthoofd aankoop",
     "An order within the limits of the head of purchasing",
     dict(actor="p-001", power="budgethouderschap.verbintenis", on="2025-05-02", amount="1200",
          budget_key="0119/6140000", unit="aankoop")),
    ("Bestelling boven het bedrag per handeling", "An order above the amount per act",
     dict(actor="p-001", power="budgethouderschap.verbintenis", on="2025-05-02", amount="9000",
          budget_key="0119/6140000", unit="aankoop")),
    ("Het diensthoofd techniek probeert zijn delegatie te verruimen: het surplus geeft niets",
     "The head of the technical service tries to widen his grant: the excess grants nothing",
     dict(actor="p-004", power="budgethouderschap.verbintenis", on="2025-05-02", amount="30000",
          budget_key="0200/6100000", unit="techniek")),
    ("Na de intrekking van zijn delegatie (vanaf 2025-10-01)", "After his grant was revoked (from 2025-10-01)",
     dict(actor="p-011", power="budgethouderschap.verbintenis", on="2025-10-15", amount="500",
          budget_key="0200/6100000", unit="techniek")),
    ("Waarnemend diensthoofd techniek voor de intrekking", "Acting head of the technical service before the revocation",
     dict(actor="p-011", power="budgethouderschap.verbintenis", on="2025-09-15", amount="500",
          budget_key="0200/6100000", unit="techniek")),
    ("Vormingsaanvraag goedgekeurd door de vormingsverantwoordelijke (geen leidinggevende)",
     "Training request approved by the training officer (not a manager)",
     dict(actor="p-006", power="dagelijks_personeelsbeheer.vorming", on="2025-04-01", amount="800")),
    ("Medeondertekening van briefwisseling van het college onder DLB-283",
     "Co-signing correspondence of the college under DLB-283",
     dict(actor="p-010", power="medeondertekening", on="2025-06-01", document_type="briefwisseling", issuer="college")),
    ("De notulen van het college blijven bij de algemeen directeur", "The minutes of the college stay with the algemeen directeur",
     dict(actor="p-010", power="medeondertekening", on="2025-06-01", document_type="notulen", issuer="college")),
    ("Vervanging tijdens de vakantie van het diensthoofd aankoop", "Substitution during the holiday of the head of purchasing",
     dict(actor="p-002", power="budgethouderschap.verbintenis", on="2025-07-10", amount="1200",
          budget_key="0119/6140000", unit="aankoop")),
    ("Belangenconflict: het diensthoofd aankoop in het dossier van een verwante leverancier",
     "Conflict of interest: the head of purchasing in the file of a related supplier",
     dict(actor="p-001", power="budgethouderschap.verbintenis", on="2025-05-02", amount="1200",
          budget_key="0119/6140000", unit="aankoop", matter="KBO:0999999999")),
]


def examples_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "examples"


def run_demo(args: argparse.Namespace) -> int:
    from registry import Registry

    lang = args.lang
    en = lang == "en"
    files = sorted(f for f in examples_dir().glob("*.yaml") if not f.name.endswith("-assertions.yaml"))
    with tempfile.TemporaryDirectory(prefix="delegaties-demo-") as tmp:
        reg = Registry.init(Path(tmp) / "demo.db")
        result = reg.load(*files)
        seq, head = reg.head
        print(("Example loaded: " if en else "Voorbeeld ingelezen: ") + ", ".join(f.name for f in files)
              + f" ({result.added} {'entries' if en else 'elementen'}, seq {seq})")
        for f in result.findings:
            print("  " + f.render(lang))
        for checks in sorted(examples_dir().glob("*-assertions.yaml")):
            from .whatif_cmds import demo_assertions

            print(demo_assertions(reg, checks, lang))
        names = {p.id: p.name for p in reg.state().persons.values()}
        for i, (nl, eng, q) in enumerate(SCENARIOS, 1):
            print(f"\n== {i}. {eng if en else nl} ==")
            answer = reg.check(**q)
            print(answer_text(answer.to_dict(lang), lang, names))
        print("\n== " + ("Uses reach the yearly ceiling of AD-2025-0007/1 (20 000 EUR)" if en
                         else "Uitoefeningen bereiken het jaarplafond van AD-2025-0007/1 (20.000 EUR)") + " ==")
        for ref, amount in (("BB-2025-0101", "8000"), ("BB-2025-0102", "8000"), ("BB-2025-0103", "8000")):
            answer = reg.check(actor="p-001", power="budgethouderschap.verbintenis", on="2025-08-04", amount=amount,
                               budget_key="0119/6140000", unit="aankoop")
            answer = reg.record_use(answer, ref)
            if answer.allowed:
                print(f"  {ref}: {amount} EUR " + ("recorded" if en else "vastgelegd"))
            else:
                print(f"  {ref}: " + "; ".join(f"{r.code}: {r.text(lang)}" for r in answer.reasons[:1]))
        problems = reg.fsck()
        print("\n" + ("Integrity (fsck): " if en else "Integriteit (fsck): ")
              + ("OK" if not problems and en else "in orde" if not problems else problems[0](lang)))
        extra = getattr(reg, "demo_report", None)
        if extra is not None:
            print(extra(lang))
        reg.close()
    return 0
