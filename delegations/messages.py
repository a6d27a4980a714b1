"""Human texts for reason and condition codes: one English message id per code (the Dutch lives
in the catalogs), filled in when read."""

from __future__ import annotations

from .texts import N_, Amount, Text

MONEY = ("amount", "limit", "ceiling", "used", "remaining")

# Parameters: ids, dates (ISO) and numbers as they are; money (MONEY) as `Amount`; `what`,
# `where` and `by` may be a `Text` (translated in the language the message is read in).
TEMPLATES: dict[str, str] = {
    # reasons
    "NO_AUTHORITY": N_("{actor} has no authority for {power}: no delegation chain from the holder by law."),
    "NOT_YET_EFFECTIVE": N_("{what} {id} is only effective from {since} (asked: {on})."),
    "EXPIRED": N_("{what} {id} was effective until {until} (asked: {on})."),
    "REVOKED": N_("Grant {grant} was revoked from {since} by {by}."),
    "AMOUNT_ABOVE_LIMIT": N_("Amount {amount} EUR exceeds the limit of {limit} EUR per act of grant {grant}."),
    "ANNUAL_CEILING_EXCEEDED": N_("Annual ceiling of grant {grant} exceeded: ceiling {ceiling} EUR, used {used} EUR "
                                  "in {year}, remaining {remaining} EUR, asked {amount} EUR."),
    "BUDGET_KEY_OUT_OF_SCOPE": N_("Budget key {budget_key} is outside grant {grant} (allowed: {allowed})."),
    "UNIT_OUT_OF_SCOPE": N_("Unit {unit} is outside grant {grant} (allowed: {allowed})."),
    "DOCUMENT_TYPE_OUT_OF_SCOPE": N_("Document type {document_type} is outside {where} (allowed: {allowed})."),
    "ISSUER_OUT_OF_SCOPE": N_("Documents of {issuer} are outside {where} (allowed: {allowed})."),
    "POWER_EXCLUDED": N_("{item} is excluded by grant {grant}."),
    "SUBDELEGATION_NOT_ALLOWED": N_("Grant {parent} allows no subdelegation; {grant} relies on it."),
    "SUBDELEGATION_TOO_DEEP": N_("Grant {grant} is {depth} levels below {parent}, which allows at most {max_depth}."),
    "CONFLICT_OF_INTEREST": N_("{person} has a conflict of interest in {matter} (since {since}{reason})."),
    "SAME_PERSON": N_("Signer and co-signer are the same person ({person}); two persons are needed."),
    # conditions
    "COSIGNATURE_REQUIRED": N_("Only with a co-signature by {by} (grant {grant})."),
    "VISUM_REQUIRED": N_("Visum of {by} required above {limit} EUR (grant {grant})."),
    "NOTIFY_ABSENT_HOLDER": N_("Inform {holders} (absent, holder of {position}) at once."),
}


def _param(key: str, value: object) -> object:
    if key in MONEY and not isinstance(value, Amount):
        return Amount(value)  # None and "-" render as "-"
    return "-" if value is None else value


def msg(code: str, **params: object) -> Text:
    """The text of a reason or condition code (a `Text`: formatted only when read, since refusals in
    a batch are mostly never printed)."""
    return Text(TEMPLATES[code], {k: _param(k, v) for k, v in params.items()})
