"""Human texts for reason, condition and validation codes (Dutch first, English second)."""

from __future__ import annotations

from .texts import Text, nl_amount

MONEY = ("amount", "limit", "ceiling", "used", "remaining")

TEMPLATES: dict[str, tuple[str, str]] = {
    # reasons
    "NO_AUTHORITY": (
        "{actor} heeft geen bevoegdheid {power}: geen delegatieketen vanaf de wettelijke houder.",
        "{actor} has no authority for {power}: no delegation chain from the holder by law.",
    ),
    "NOT_YET_EFFECTIVE": (
        "{what} {id} geldt pas vanaf {since} (gevraagd: {on}).",
        "{what_en} {id} is only effective from {since} (asked: {on}).",
    ),
    "EXPIRED": (
        "{what} {id} gold tot en met {until} (gevraagd: {on}).",
        "{what_en} {id} was effective until {until} (asked: {on}).",
    ),
    "REVOKED": (
        "Delegatie {grant} is ingetrokken vanaf {since} door {by}.",
        "Grant {grant} was revoked from {since} by {by}.",
    ),
    "AMOUNT_ABOVE_LIMIT": (
        "Bedrag {amount} EUR ligt boven de grens van {limit} EUR per handeling van delegatie {grant}.",
        "Amount {amount} EUR exceeds the limit of {limit} EUR per act of grant {grant}.",
    ),
    "ANNUAL_CEILING_EXCEEDED": (
        "Jaarplafond van delegatie {grant} overschreden: plafond {ceiling} EUR, al gebruikt {used} EUR in {year}, "
        "nog beschikbaar {remaining} EUR, gevraagd {amount} EUR.",
        "Annual ceiling of grant {grant} exceeded: ceiling {ceiling} EUR, used {used} EUR in {year}, "
        "remaining {remaining} EUR, asked {amount} EUR.",
    ),
    "BUDGET_KEY_OUT_OF_SCOPE": (
        "Budgetsleutel {budget_key} valt buiten delegatie {grant} (toegelaten: {allowed}).",
        "Budget key {budget_key} is outside grant {grant} (allowed: {allowed}).",
    ),
    "UNIT_OUT_OF_SCOPE": (
        "Organisatie-eenheid {unit} valt buiten delegatie {grant} (toegelaten: {allowed}).",
        "Unit {unit} is outside grant {grant} (allowed: {allowed}).",
    ),
    "DOCUMENT_TYPE_OUT_OF_SCOPE": (
        "Documenttype {document_type} valt buiten {where} (toegelaten: {allowed}).",
        "Document type {document_type} is outside {where_en} (allowed: {allowed}).",
    ),
    "ISSUER_OUT_OF_SCOPE": (
        "Documenten van {issuer} vallen buiten {where} (toegelaten: {allowed}).",
        "Documents of {issuer} are outside {where_en} (allowed: {allowed}).",
    ),
    "POWER_EXCLUDED": (
        "{item} is uitgesloten in delegatie {grant}.",
        "{item} is excluded by grant {grant}.",
    ),
    "SUBDELEGATION_NOT_ALLOWED": (
        "Delegatie {parent} laat geen subdelegatie toe; {grant} steunt erop.",
        "Grant {parent} allows no subdelegation; {grant} relies on it.",
    ),
    "SUBDELEGATION_TOO_DEEP": (
        "Delegatie {grant} ligt {depth} niveaus onder {parent}, dat er hoogstens {max_depth} toelaat.",
        "Grant {grant} is {depth} levels below {parent}, which allows at most {max_depth}.",
    ),
    "NOT_DELEGABLE": ("{detail}", "{detail_en}"),
    "CONFLICT_OF_INTEREST": (
        "{person} heeft een belangenconflict in {matter} (sinds {since}{reason}).",
        "{person} has a conflict of interest in {matter} (since {since}{reason}).",
    ),
    "HOLDER_NOT_ABSENT": (
        "{detail}", "{detail_en}",
    ),
    "SAME_PERSON": (
        "Ondertekenaar en medeondertekenaar zijn dezelfde persoon ({person}); er zijn twee personen nodig.",
        "Signer and co-signer are the same person ({person}); two persons are needed.",
    ),
    # conditions
    "COSIGNATURE_REQUIRED": (
        "Alleen met medeondertekening door {by} (delegatie {grant}).",
        "Only with a co-signature by {by} (grant {grant}).",
    ),
    "VISUM_REQUIRED": (
        "Visum van {by} vereist boven {limit} EUR (delegatie {grant}).",
        "Visum of {by_en} required above {limit} EUR (grant {grant}).",
    ),
    "NOTIFY_ABSENT_HOLDER": (
        "Breng {holders} (afwezig, titularis van {position}) onmiddellijk op de hoogte.",
        "Inform {holders} (absent, holder of {position}) at once.",
    ),
}


class LazyText:
    """A `Text` formatted only when read: refusals in a batch are often never printed."""

    __slots__ = ("code", "params")

    def __init__(self, code: str, params: dict[str, object]):
        self.code, self.params = code, params

    @property
    def nl(self) -> str:
        dutch = {k: (nl_amount(v) if k in MONEY and v != "-" else v) for k, v in self.params.items()}
        return TEMPLATES[self.code][0].format(**dutch)

    @property
    def en(self) -> str:
        return TEMPLATES[self.code][1].format(**self.params)

    def __call__(self, lang: str = "nl") -> str:
        return self.en if lang == "en" else self.nl

    def __str__(self) -> str:
        return self.nl

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LazyText | Text) and (self.nl, self.en) == (other.nl, other.en)

    def __hash__(self) -> int:
        return hash((self.code, tuple(sorted((k, str(v)) for k, v in self.params.items()))))


def msg(code: str, **params: object) -> Text:
    return LazyText(code, {k: ("-" if v is None else v) for k, v in params.items()})  # type: ignore[return-value]
