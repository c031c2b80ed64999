"""Early payment (账期融资): the price of being paid now, which orders may be, and the ledger
transfers of each step. Pure: the commands read the facts and write what this decides.

Price. A supplier waits for receipt confirmation (at the latest its auto-confirm time) and then
for the next daily payout run. Paid now instead, it gives up

    discount = face * APR * days early / 365        (in fen, rounded half up)

where `face` is what the release would credit it (the escrow held, less the platform fee), and
days early = the day after the expected release - today, at least 1 and at most the longest
auto-confirm wait. The supplier receives face - discount now.

Ledger, per early payment of face N, discount D, advance A = N - D:

    accept   financing fund → financing advanced   A   the fund's money goes out
             supplier financed → bank (pending)    A   the advance leaves through the bank
             supplier financed → financing income  D   the discount, earned
    settled  the pending transfer is posted; if the bank refuses it is voided and the other two
             are reversed (the order can be financed again)
    release  supplier payable → supplier financed  N   the release repays the advance at face
             financing advanced → financing fund   A   the fund has its money back
    broken   (the order was refunded or cancelled before a full release)
             financing income → supplier financed  D   no discount on a financing that did not run
             supplier payable → supplier financed  r   what the release did pay, up to A
             financing advanced → financing fund   r
             supplier financing receivable → supplier financed   A - r   owed, recovered from the
             supplier's next releases and payouts like a guarantee advance

Size: each step's balanced transfers (advance, discount, repayment, recovery) sit next to
their undo forms, so that an undo is read beside what it undoes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.settlement.ledger.domain import accounts
from services.settlement.ledger.domain.codes import TransferCode
from services.settlement.ledger.domain.ledger import Transfer, TransferKind, transfer_id

BASIS = 10_000
YEAR = 365


def discount(face_minor: int, apr_bp: int, days: int) -> int:
    """face * APR * days / 365, in fen, rounded half up (integers only)."""
    numerator = face_minor * apr_bp * days
    denominator = BASIS * YEAR
    return (2 * numerator + denominator) // (2 * denominator)


def days_early(today: date, expected_release: date, *, max_days: int) -> int:
    """From today to the payout run after the expected release (the day after it)."""
    return max(1, min((expected_release - today).days + 1, max_days))


@dataclass(frozen=True)
class Candidate:
    """What settlement knows of an order a supplier wants paid early."""

    order_id: str
    supplier_id: str
    escrow_status: str | None  # held | released | voided | refunded | rejected; None: unknown
    face_minor: int  # what its release credits (or credited) the supplier
    expected_release: date | None  # held: its auto-confirm day; released: today
    refund_open: bool
    financed: bool
    released_unpaid_minor: int = 0  # released: how much of the face is still in the payable
    awaiting_invoice: bool = False  # released, and held until matched invoices cover it


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


def refusal(c: Candidate) -> Refusal | None:
    """Why the order cannot be paid early, or None."""
    if c.escrow_status is None:
        return Refusal("order_not_found", f"no order {c.order_id} of this supplier is in escrow")
    if c.financed:
        return Refusal("already_financed", f"order {c.order_id} was paid early already")
    if c.refund_open:
        return Refusal("refund_open", f"order {c.order_id} has an open refund or dispute")
    if c.escrow_status == "held" and c.expected_release is None:
        return Refusal("order_not_shipped", f"order {c.order_id} has not shipped")
    if c.awaiting_invoice:
        return Refusal(
            "held_for_invoices", f"order {c.order_id}'s release waits for a matched invoice before it is paid"
        )
    if c.escrow_status == "released" and c.released_unpaid_minor < c.face_minor:
        return Refusal("already_paid_out", f"order {c.order_id} was paid out already")
    if c.escrow_status not in ("held", "released"):
        return Refusal("order_not_financeable", f"order {c.order_id}'s escrow is {c.escrow_status}")
    if c.face_minor <= 0:
        return Refusal("order_not_financeable", f"order {c.order_id} would release nothing")
    return None


@dataclass(frozen=True)
class Line:
    order_id: str
    face_minor: int
    days: int
    discount_minor: int

    @property
    def advance_minor(self) -> int:
        return self.face_minor - self.discount_minor


def priced(c: Candidate, today: date, apr_bp: int, max_days: int) -> Line:
    release = c.expected_release or today
    days = days_early(today, release, max_days=max_days)
    return Line(c.order_id, c.face_minor, days, discount(c.face_minor, apr_bp, days))


def _move(
    cause: str,
    debit: str,
    credit: str,
    amount: int,
    code: TransferCode,
    *,
    order_id: str | None = None,
    kind: TransferKind = TransferKind.POSTED,
    pending: str | None = None,
) -> Transfer:
    return Transfer(
        transfer_id(cause),
        debit,
        credit,
        amount,
        kind,
        code,
        pending_id=transfer_id(pending) if pending else None,
        order_id=order_id,
    )


def acceptance(quote_id: str, supplier_id: str, lines: list[Line]) -> list[Transfer]:
    """The fund's money out, the discounts, and the advance's pending payment through the bank."""
    financed = accounts.supplier_financed(supplier_id)
    moves: list[Transfer] = []
    for line in lines:
        cause, oid = f"early:{quote_id}:{line.order_id}", line.order_id
        moves.append(
            _move(
                f"{cause}:advance",
                accounts.FINANCING_FUND,
                accounts.FINANCING_ADVANCED,
                line.advance_minor,
                TransferCode.FINANCING_ADVANCE,
                order_id=oid,
            )
        )
        if line.discount_minor:
            moves.append(
                _move(
                    f"{cause}:discount",
                    financed,
                    accounts.FINANCING_INCOME,
                    line.discount_minor,
                    TransferCode.FINANCING_DISCOUNT,
                    order_id=oid,
                )
            )
    total = sum(line.advance_minor for line in lines)
    moves.append(
        _move(
            f"early:{quote_id}:pay",
            financed,
            accounts.BANK,
            total,
            TransferCode.EARLY_PAYMENT,
            kind=TransferKind.PENDING,
        )
    )
    return moves


def bank_answered(quote_id: str, supplier_id: str, lines: list[Line], *, settled: bool) -> list[Transfer]:
    """The advance's payment posted; or voided, and the fund's money and the discounts returned."""
    financed = accounts.supplier_financed(supplier_id)
    total = sum(line.advance_minor for line in lines)
    pay = f"early:{quote_id}:pay"
    if settled:
        return [
            _move(
                f"{pay}:settle",
                financed,
                accounts.BANK,
                total,
                TransferCode.EARLY_PAYMENT_SETTLED,
                kind=TransferKind.POST_PENDING,
                pending=pay,
            )
        ]
    moves = [
        _move(
            f"{pay}:fail",
            financed,
            accounts.BANK,
            total,
            TransferCode.EARLY_PAYMENT_FAILED,
            kind=TransferKind.VOID_PENDING,
            pending=pay,
        )
    ]
    for line in lines:
        cause, oid = f"early:{quote_id}:{line.order_id}", line.order_id
        moves.append(
            _move(
                f"{cause}:advance:undo",
                accounts.FINANCING_ADVANCED,
                accounts.FINANCING_FUND,
                line.advance_minor,
                TransferCode.FINANCING_ADVANCE_UNDONE,
                order_id=oid,
            )
        )
        moves += _discount_undone(quote_id, supplier_id, line)
    return moves


def _discount_undone(quote_id: str, supplier_id: str, line: Line) -> list[Transfer]:
    """The discount given back: a financing that did not run its course earns nothing (the same
    transfer whether the bank refused the advance or the order broke, so only one can happen)."""
    if not line.discount_minor:
        return []
    return [
        _move(
            f"early:{quote_id}:{line.order_id}:discount:undo",
            accounts.FINANCING_INCOME,
            accounts.supplier_financed(supplier_id),
            line.discount_minor,
            TransferCode.FINANCING_DISCOUNT_UNDONE,
            order_id=line.order_id,
        )
    ]


def repayment(quote_id: str, supplier_id: str, line: Line, released_minor: int) -> tuple[list[Transfer], int]:
    """What an order's release does to its early payment, given what the release credited the
    supplier (`released_minor`, at most what is still in its payable): the transfers, and what
    the supplier still owes the fund afterwards (0 when the release repaid it at face)."""
    financed = accounts.supplier_financed(supplier_id)
    payable = accounts.supplier_payable(supplier_id)
    cause, oid = f"early:{quote_id}:{line.order_id}", line.order_id
    if released_minor >= line.face_minor:
        return [
            _move(
                f"{cause}:repay",
                payable,
                financed,
                line.face_minor,
                TransferCode.FINANCING_REPAID,
                order_id=oid,
            ),
            _move(
                f"{cause}:replenish",
                accounts.FINANCING_ADVANCED,
                accounts.FINANCING_FUND,
                line.advance_minor,
                TransferCode.FINANCING_REPLENISHED,
                order_id=oid,
            ),
        ], 0
    # broken: refunded or cancelled before a full release
    moves: list[Transfer] = _discount_undone(quote_id, supplier_id, line)
    repaid = min(max(released_minor, 0), line.advance_minor)
    if repaid:
        moves += [
            _move(f"{cause}:repay", payable, financed, repaid, TransferCode.FINANCING_REPAID, order_id=oid),
            _move(
                f"{cause}:replenish",
                accounts.FINANCING_ADVANCED,
                accounts.FINANCING_FUND,
                repaid,
                TransferCode.FINANCING_REPLENISHED,
                order_id=oid,
            ),
        ]
    owed = line.advance_minor - repaid
    if owed:
        moves.append(
            _move(
                f"{cause}:receivable",
                accounts.supplier_financing_receivable(supplier_id),
                financed,
                owed,
                TransferCode.FINANCING_RECEIVABLE,
                order_id=oid,
            )
        )
    return moves, owed


def repayment_undone(quote_id: str, supplier_id: str, line: Line) -> list[Transfer]:
    """An order already released was repaid at acceptance; the bank refused the advance: the
    release goes back to the supplier's payable and the fund's replenishment is taken back."""
    cause, oid = f"early:{quote_id}:{line.order_id}", line.order_id
    return [
        _move(
            f"{cause}:repay:undo",
            accounts.supplier_financed(supplier_id),
            accounts.supplier_payable(supplier_id),
            line.face_minor,
            TransferCode.FINANCING_REPAID_UNDONE,
            order_id=oid,
        ),
        _move(
            f"{cause}:replenish:undo",
            accounts.FINANCING_FUND,
            accounts.FINANCING_ADVANCED,
            line.advance_minor,
            TransferCode.FINANCING_REPLENISHED_UNDONE,
            order_id=oid,
        ),
    ]


def recovery(cause: str, supplier_id: str, owed: int, available: int) -> tuple[list[Transfer], int]:
    """Take what a supplier owes the fund for broken early payments out of money it is due
    (`cause` names the release or payout); the transfers and what they recover."""
    recovered = min(owed, max(available, 0))
    if recovered <= 0:
        return [], 0
    return [
        _move(
            f"{cause}:financing:recover",
            accounts.supplier_payable(supplier_id),
            accounts.supplier_financing_receivable(supplier_id),
            recovered,
            TransferCode.FINANCING_RECOVERED,
        ),
        _move(
            f"{cause}:financing:replenish",
            accounts.FINANCING_ADVANCED,
            accounts.FINANCING_FUND,
            recovered,
            TransferCode.FINANCING_REPLENISHED,
        ),
    ], recovered


@dataclass(frozen=True)
class Band:
    """Terms for suppliers whose profile score is at least `min_score`: a share of the configured
    limit (in percent) and the annual rate."""

    min_score: float
    limit_percent: int
    apr_bp: int


def bands(text: str) -> tuple[Band, ...]:
    """`"90:100:900,75:60:1200,0:30:1800"`: score at least 90 → the whole limit at 9 %, …; best first."""
    found = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        score, percent, apr = part.split(":")
        found.append(Band(float(score), int(percent), int(apr)))
    if found and min(b.min_score for b in found) > 0:
        raise ValueError("the bands must cover every score: give one from 0")
    return tuple(sorted(found, key=lambda b: -b.min_score))


@dataclass(frozen=True)
class Offer:
    """The terms one supplier is offered now: its rate and limit, and the score they came from."""

    apr_bp: int
    limit_minor: int
    score: float | None
    band: Band | None


def offer(
    score: float | None, *, known: bool, apr_bp: int, limit_minor: int, by_score: tuple[Band, ...]
) -> Offer:
    """Without bands, the configured terms. With bands: the band of the score; a supplier with no
    score yet (no orders in the window) the configured terms; a score that cannot be read now
    (`known` False) the lowest band — never more than the score would give."""
    if not by_score or (known and score is None):
        return Offer(apr_bp, limit_minor, score, None)
    band = by_score[-1] if not known or score is None else next(b for b in by_score if score >= b.min_score)
    return Offer(band.apr_bp, limit_minor * band.limit_percent // 100, score, band)
