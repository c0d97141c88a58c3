"""Reads of the campaigns app: public petition pages, confirmation links, the staff overview,
burst detection, per-municipality counts, exports and newsletter figures (and whether an issue stalled)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case, Count, Max, Q, QuerySet, Value, When
from django.db.models.functions import TruncDay, TruncHour, TruncMinute
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.campaigns import places, rules, tokens
from hotline.campaigns.errors import LinkExpired, LinkInvalid, LinkUsed, PetitionNotOpen
from hotline.campaigns.models import (
    DeliveryState,
    ExportState,
    IssueDelivery,
    IssueState,
    NewsletterIssue,
    Petition,
    PetitionExport,
    PetitionState,
    Signature,
    SignatureInvalidation,
    SignatureState,
    Subscriber,
)


# --- public ----------------------------------------------------------------------------------
def public_petitions() -> QuerySet[Petition]:
    """Open petitions first (newest first), then closed ones; drafts are never public."""
    open_first = Case(When(state=PetitionState.OPEN, then=Value(0)), default=Value(1))
    return Petition.objects.exclude(state=PetitionState.DRAFT).order_by(open_first, "-opened_at", "-pk")


def public_petition(slug: str) -> Petition | None:
    return Petition.objects.exclude(state=PetitionState.DRAFT).filter(slug=slug).first()


def live_count(petition: Petition) -> int:
    """The confirmed count, read fresh from the counter (one indexed row, cheap)."""
    return Petition.objects.filter(pk=petition.pk).values_list("signature_count", flat=True).first() or 0


@dataclass(frozen=True)
class PendingSignature:
    """What confirming a signature needs: read in one narrow query (this runs once per confirmation)."""

    pk: int
    petition_id: int
    petition_slug: str
    keep_informed: bool
    language: str

    @property
    def petition_url(self) -> str:
        return f"/petitions/{self.petition_slug}/"


CONFIRM_FIELDS = (
    "token_salt",
    "state",
    "created_at",
    "keep_informed",
    "language",
    "petition_id",
    "petition__slug",
    "petition__state",
    "petition__closed_at",
)


def signature_for_token(token: str) -> PendingSignature:
    """The pending signature a confirmation link names, or LinkInvalid / LinkExpired / LinkUsed / PetitionNotOpen."""
    invalid = _("This confirmation link is not valid. Copy the whole link from the mail.")
    try:
        claims = tokens.read(token, purpose=tokens.SIGNATURE_SALT)
    except tokens.TokenExpired:
        raise LinkExpired(_("This confirmation link has expired. Sign the petition again to get a new link.")) from None
    except tokens.TokenInvalid:
        raise LinkInvalid(invalid) from None
    try:
        salt, state, created_at, keep_informed, language, petition_id, slug, petition_state, closed_at = (
            Signature.objects.values_list(*CONFIRM_FIELDS).get(pk=claims.row_id)
        )
    except Signature.DoesNotExist:
        raise LinkInvalid(invalid) from None
    if not salt or salt != claims.salt:
        raise LinkInvalid(invalid)
    if state == SignatureState.CONFIRMED:
        raise LinkUsed(_("This link has already been used: your signature is confirmed and counted."))
    if state == SignatureState.INVALIDATED:
        raise LinkUsed(_("This signature can no longer be confirmed."))
    if petition_state == PetitionState.DRAFT or (closed_at and created_at > closed_at):
        raise PetitionNotOpen(_("This petition is closed and no longer takes signatures."))
    return PendingSignature(
        pk=claims.row_id, petition_id=petition_id, petition_slug=slug, keep_informed=keep_informed, language=language
    )


def petition_by_id(petition_id: int) -> Petition:
    return Petition.objects.get(pk=petition_id)


def subscriber_for_token(token: str) -> Subscriber:
    try:
        claims = tokens.read(token, purpose=tokens.SUBSCRIBER_SALT)
    except tokens.TokenExpired:
        raise LinkExpired(_("This confirmation link has expired. Subscribe again to get a new link.")) from None
    except tokens.TokenInvalid:
        raise LinkInvalid(_("This confirmation link is not valid. Copy the whole link from the mail.")) from None
    subscriber = Subscriber.objects.filter(pk=claims.row_id, token=claims.salt).first()
    if subscriber is None or subscriber.unsubscribed_at is not None:
        raise LinkInvalid(_("This confirmation link is not valid. Copy the whole link from the mail."))
    if subscriber.confirmed_at is not None:
        raise LinkUsed(_("This link has already been used: your subscription is confirmed."))
    return subscriber


def subscriber_by_personal_token(token: str) -> Subscriber:
    subscriber = Subscriber.objects.filter(token=token).first() if token else None
    if subscriber is None:
        raise LinkInvalid(_("This link is not valid (or the address has been deleted)."))
    return subscriber


# --- staff: petitions --------------------------------------------------------------------------
@dataclass(frozen=True)
class PetitionFigures:
    pending: int
    confirmed: int
    invalidated: int
    counter: int


def petitions_for_staff() -> QuerySet[Petition]:
    return Petition.objects.order_by("-created_at")


def petition_figures(petition: Petition) -> PetitionFigures:
    rows = Signature.objects.filter(petition=petition).values("state").annotate(n=Count("pk"))
    by_state = {row["state"]: row["n"] for row in rows}
    return PetitionFigures(
        pending=by_state.get(SignatureState.PENDING, 0),
        confirmed=by_state.get(SignatureState.CONFIRMED, 0),
        invalidated=by_state.get(SignatureState.INVALIDATED, 0),
        counter=live_count(petition),
    )


@dataclass(frozen=True)
class PlaceCount:
    label: str
    county: str
    count: int


def counts_by_place(petition: Petition, *, language: str | None = None) -> list[PlaceCount]:
    """Confirmed signatures per municipality (and per country abroad); survives the retention erasure."""
    rows = (
        Signature.objects.filter(petition=petition, state=SignatureState.CONFIRMED)
        .values("municipality", "country")
        .annotate(n=Count("pk"))
        .order_by("-n", "municipality", "country")
    )
    result = []
    for row in rows:
        found = places.municipalities().get(row["municipality"])
        county = found.county if found else _("Abroad")
        result.append(
            PlaceCount(
                label=places.place_label(municipality=row["municipality"], country=row["country"], language=language),
                county=county,
                count=row["n"],
            )
        )
    return result


def counts_by_county(petition: Petition) -> list[tuple[str, int]]:
    totals: dict[str, int] = {}
    for place in counts_by_place(petition):
        totals[place.county] = totals.get(place.county, 0) + place.count
    return sorted(totals.items(), key=lambda kv: (-kv[1], places.swedish_sort_key(kv[0])))


# --- staff: bursts -----------------------------------------------------------------------------
WINDOWS = {
    "minute": (TruncMinute, timedelta(minutes=1)),
    "hour": (TruncHour, timedelta(hours=1)),
    "day": (TruncDay, timedelta(days=1)),
}


@dataclass(frozen=True)
class DomainRow:
    domain: str
    total: int
    confirmed: int
    pending: int
    suspicious: bool


def signatures_by_domain(
    petition: Petition, *, since: datetime | None = None, limit: int = 50
) -> tuple[list[DomainRow], int]:
    """The busiest email domains among countable (pending or confirmed) signatures, and the total."""
    base = Signature.objects.filter(
        petition=petition, state__in=[SignatureState.PENDING, SignatureState.CONFIRMED]
    ).exclude(email_domain="")
    if since is not None:
        base = base.filter(created_at__gte=since)
    total = base.count()
    rows = (
        base.values("email_domain")
        .annotate(
            n=Count("pk"),
            confirmed=Count("pk", filter=Q(state=SignatureState.CONFIRMED)),
            pending=Count("pk", filter=Q(state=SignatureState.PENDING)),
        )
        .order_by("-n", "email_domain")[:limit]
    )
    return [
        DomainRow(
            domain=row["email_domain"],
            total=row["n"],
            confirmed=row["confirmed"],
            pending=row["pending"],
            suspicious=rules.domain_share_is_suspicious(row["n"], total, domain=row["email_domain"]),
        )
        for row in rows
    ], total


@dataclass(frozen=True)
class WindowRow:
    start: datetime
    end: datetime
    count: int
    burst: bool


def signatures_per_window(
    petition: Petition, *, window: str = "hour", since: datetime | None = None, domain: str = ""
) -> list[WindowRow]:
    """Countable signatures per time window (newest first), with bursts flagged (rules.mark_bursts)."""
    trunc, length = WINDOWS.get(window, WINDOWS["hour"])
    base = Signature.objects.filter(petition=petition, state__in=[SignatureState.PENDING, SignatureState.CONFIRMED])
    if since is not None:
        base = base.filter(created_at__gte=since)
    if domain:
        base = base.filter(email_domain=domain)
    rows = (
        base.annotate(bucket=trunc("created_at", tzinfo=timezone.get_current_timezone()))
        .values("bucket")
        .annotate(n=Count("pk"))
        .order_by("bucket")
    )
    buckets = rules.mark_bursts([(row["bucket"], row["n"]) for row in rows])
    return [WindowRow(start=b.start, end=b.start + length, count=b.count, burst=b.burst) for b in reversed(buckets)]


def signatures_to_invalidate(
    petition: Petition, *, domain: str = "", window_start: datetime | None = None, window_end: datetime | None = None
) -> QuerySet[Signature]:
    """Countable (pending or confirmed) signatures of `petition` at `domain` and/or made in
    [window_start, window_end): what an invalidation takes, so its preview counts exactly those."""
    query = Q(petition=petition, state__in=[SignatureState.PENDING, SignatureState.CONFIRMED])
    domain = domain.strip().lower()
    if domain:
        query &= Q(email_domain=domain)
    if window_start and window_end:
        query &= Q(created_at__gte=window_start, created_at__lt=window_end)
    return Signature.objects.filter(query)


def invalidations(petition: Petition) -> QuerySet[SignatureInvalidation]:
    return SignatureInvalidation.objects.filter(petition=petition).select_related("actor")


# --- staff: exports ----------------------------------------------------------------------------
def exports_of(petition: Petition) -> QuerySet[PetitionExport]:
    return PetitionExport.objects.filter(petition=petition).exclude(state=ExportState.DELETED)


def confirmed_signers(petition: Petition, *, chunk: int = 2000) -> Iterator[tuple[int, str, str, str, datetime | None]]:
    """(id, name, municipality, country, confirmed_at) of confirmed signatures in signing order, in
    keyset-paginated chunks so 100,000 rows never sit in one query result."""
    last = 0
    while True:
        rows = list(
            Signature.objects.filter(petition=petition, state=SignatureState.CONFIRMED, pk__gt=last)
            .order_by("pk")
            .values_list("pk", "name", "municipality", "country", "confirmed_at")[:chunk]
        )
        if not rows:
            return
        yield from rows
        last = rows[-1][0]


# --- newsletter --------------------------------------------------------------------------------
@dataclass(frozen=True)
class NewsletterFigures:
    confirmed: int
    pending: int
    unsubscribed: int


def newsletter_figures() -> NewsletterFigures:
    return NewsletterFigures(
        confirmed=Subscriber.objects.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True).count(),
        pending=Subscriber.objects.filter(confirmed_at__isnull=True, unsubscribed_at__isnull=True).count(),
        unsubscribed=Subscriber.objects.filter(unsubscribed_at__isnull=False).count(),
    )


def confirmed_subscribers() -> QuerySet[Subscriber]:
    return Subscriber.objects.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True).order_by("pk")


def issues() -> QuerySet[NewsletterIssue]:
    return NewsletterIssue.objects.all()


def delivery_counts(issue_id: int) -> dict[str, int]:
    """Deliveries of one issue per state, every state present (0 when none)."""
    rows = IssueDelivery.objects.filter(issue_id=issue_id).values("state").annotate(n=Count("pk"))
    counts = dict.fromkeys(DeliveryState.values, 0)
    counts.update({row["state"]: row["n"] for row in rows})
    return counts


# A batch claims its deliveries for this long; a sending issue with no batch sent, claimed or due for as
# long has stalled (its task was lost, or the worker is not running): the issue page offers to resume.
SENDING_LEASE = timedelta(minutes=15)


def issue_last_activity(issue: NewsletterIssue) -> datetime | None:
    """The latest of: the next batch due, a delivery claimed, a delivery sent, the send started."""
    latest = IssueDelivery.objects.filter(issue_id=issue.pk).aggregate(claimed=Max("claimed_at"), sent=Max("sent_at"))
    moments = [m for m in (issue.next_batch_at, issue.send_started_at, latest["claimed"], latest["sent"]) if m]
    return max(moments) if moments else None


def issue_stalled(issue: NewsletterIssue, *, now: datetime | None = None) -> bool:
    """A sending issue on which nothing has happened for SENDING_LEASE past when its next batch was due."""
    if issue.state != IssueState.SENDING:
        return False
    last = issue_last_activity(issue)
    return last is None or last + SENDING_LEASE < (now or timezone.now())


def issue_editable(issue: NewsletterIssue) -> bool:
    """A draft, or a stopped issue nobody has received yet (so what stopped it can be corrected)."""
    if issue.state == IssueState.DRAFT:
        return True
    return (
        issue.state == IssueState.STOPPED
        and not IssueDelivery.objects.filter(issue_id=issue.pk, state=DeliveryState.SENT).exists()
    )


def issue_progress(issue: NewsletterIssue) -> tuple[dict[str, int], int]:
    """(deliveries per state, percent done)."""
    counts = delivery_counts(issue.pk)
    done = sum(counts[s] for s in (DeliveryState.SENT, DeliveryState.SKIPPED, DeliveryState.FAILED))
    return counts, rules.percent(done, issue.recipients)
