"""`delegaties demo`: the bundled example in a temporary register, a handful of answers."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from delegations.texts import tr

from .render import answer_text


def examples_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "examples"


def run_demo(args: argparse.Namespace) -> int:
    from registry import Registry

    lang = args.lang
    # The stories are data next to the register they are told on (examples/voorbeeldegem-demo.json).
    script = json.loads((examples_dir() / "voorbeeldegem-demo.json").read_text(encoding="utf-8"))
    files = [examples_dir() / script["register"]]
    with tempfile.TemporaryDirectory(prefix="delegaties-demo-") as tmp:
        reg = Registry.init(Path(tmp) / "demo.db")
        result = reg.load(*files)
        seq, head = reg.head
        print(tr("Example loaded: {files} ({added} entries, seq {seq})", files=", ".join(f.name for f in files),
                 added=result.added, seq=seq)(lang))
        for f in result.findings:
            print("  " + f.render(lang))
        for checks in sorted(examples_dir().glob("*-assertions.yaml")):
            from .whatif_cmds import demo_assertions

            print(demo_assertions(reg, checks, lang))
        names = {p.id: p.name for p in reg.state().persons.values()}
        for i, story in enumerate(script["scenarios"], 1):
            print(f"\n== {i}. {story['title'][lang]} ==")
            answer = reg.check(**story["question"])
            print(answer_text(answer.to_dict(lang), lang, names))
        uses = script["uses"]
        print("\n== " + uses["title"][lang] + " ==")
        for ref, amount in uses["records"]:
            answer = reg.check(**uses["question"], amount=amount)
            answer = reg.record_use(answer, ref)
            if answer.allowed:
                print(f"  {ref}: " + tr("{amount} EUR recorded", amount=amount)(lang))
            else:
                print(f"  {ref}: " + "; ".join(f"{r.code}: {r.text(lang)}" for r in answer.reasons[:1]))
        problems = reg.fsck()
        verdict = tr("Integrity (fsck): {problem}", problem=problems[0]) if problems else tr("Integrity (fsck): OK")
        print("\n" + verdict(lang))
        extra = getattr(reg, "demo_report", None)
        if extra is not None:
            print(extra(lang))
        reg.close()
    return 0
