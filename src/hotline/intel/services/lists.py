"""Hash lists and known-URL lists themselves: creating one, switching it on or off, and the "self-reported"
list Hotline keeps of the hashes own-images reports carry. Every change audited in its transaction."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.core import audit
from hotline.intel.errors import IntelError, ListNameTaken
from hotline.intel.models import (
    SELF_REPORTED_KEY,
    HashEntry,
    HashList,
    KnownUrlList,
    ListClassification,
    TrustLevel,
)

NAME_MAX = 120
SOURCE_MAX = 200


def _clean(name: str, source: str, trust_level: str, classification: str) -> tuple[str, str]:
    name, source = " ".join(name.split()), " ".join(source.split())
    if not name:
        raise IntelError(_("Give the list a name."))
    if len(name) > NAME_MAX or len(source) > SOURCE_MAX:
        raise IntelError(_("The name or the source is too long."))
    if trust_level not in TrustLevel.values:
        raise IntelError(_("Choose how far the list is trusted."))
    if classification not in ListClassification.values:
        raise IntelError(_("Choose what a match to the list says of the material."))
    return name, source


def create_hash_list(
    *, name: str, source: str = "", trust_level: str, classification: str, actor: object, enabled: bool = True
) -> HashList:
    name, source = _clean(name, source, trust_level, classification)
    try:
        with transaction.atomic():
            hash_list = HashList.objects.create(
                name=name, source=source, trust_level=trust_level, classification=classification, enabled=enabled
            )
            audit.record(
                actor=actor,  # type: ignore[arg-type]
                action="intel.hash_list.created",
                object_type="hash_list",
                object_id=hash_list.pk,
                details={"trust_level": trust_level, "classification": classification, "enabled": enabled},
            )
    except IntegrityError as error:
        raise ListNameTaken(_("A list with this name exists already.")) from error
    return hash_list


def create_url_list(
    *,
    name: str,
    source: str = "",
    trust_level: str,
    classification: str,
    match_registered_domain: bool,
    actor: object,
) -> KnownUrlList:
    name, source = _clean(name, source, trust_level, classification)
    try:
        with transaction.atomic():
            url_list = KnownUrlList.objects.create(
                name=name,
                source=source,
                trust_level=trust_level,
                classification=classification,
                match_registered_domain=match_registered_domain,
            )
            audit.record(
                actor=actor,  # type: ignore[arg-type]
                action="intel.url_list.created",
                object_type="url_list",
                object_id=url_list.pk,
                details={
                    "trust_level": trust_level,
                    "classification": classification,
                    "match_registered_domain": match_registered_domain,
                },
            )
    except IntegrityError as error:
        raise ListNameTaken(_("A list with this name exists already.")) from error
    return url_list


def set_hash_list_enabled(*, hash_list: HashList, enabled: bool, actor: object) -> HashList:
    """Switch a hash list on or off for matching; the PDQ index is rebuilt without (or with) its entries."""
    with transaction.atomic():
        locked = HashList.objects.select_for_update().get(pk=hash_list.pk)
        if locked.enabled == enabled:
            return locked
        locked.enabled = enabled
        locked.updated_at = timezone.now()
        locked.save(update_fields=["enabled", "updated_at"])
        audit.record(
            actor=actor,  # type: ignore[arg-type]
            action="intel.hash_list.enabled" if enabled else "intel.hash_list.disabled",
            object_type="hash_list",
            object_id=locked.pk,
        )
        from hotline.intel.services.index import queue_index_rebuild

        queue_index_rebuild()
    return locked


def set_url_list_enabled(*, url_list: KnownUrlList, enabled: bool, actor: object) -> KnownUrlList:
    with transaction.atomic():
        locked = KnownUrlList.objects.select_for_update().get(pk=url_list.pk)
        if locked.enabled == enabled:
            return locked
        locked.enabled = enabled
        locked.updated_at = timezone.now()
        locked.save(update_fields=["enabled", "updated_at"])
        audit.record(
            actor=actor,  # type: ignore[arg-type]
            action="intel.url_list.enabled" if enabled else "intel.url_list.disabled",
            object_type="url_list",
            object_id=locked.pk,
        )
    return locked


def self_reported_list(*, actor: object) -> HashList:
    """The list of hashes from own-images reports, created (audited) the first time it is needed. Its entries
    are not assessed: a match says a young person reported the image as their own, not what it shows."""
    found = HashList.objects.filter(system_key=SELF_REPORTED_KEY).first()
    if found is not None:
        return found
    with transaction.atomic():
        hash_list, created = HashList.objects.get_or_create(
            system_key=SELF_REPORTED_KEY,
            defaults={
                # The list name is stored (lists have one name); pages show it translated by system_key.
                "name": "self-reported",
                "source": "own-images reports (/report/own-images/)",
                "trust_level": TrustLevel.UNVERIFIED,
                "classification": ListClassification.UNCLASSIFIED,
            },
        )
        if created:
            audit.record(
                actor=actor,  # type: ignore[arg-type]
                action="intel.hash_list.created",
                object_type="hash_list",
                object_id=hash_list.pk,
                details={"system_key": SELF_REPORTED_KEY},
            )
    return hash_list


def add_self_reported_hashes(*, report_id: int, hashes: Sequence[tuple[str, str, int | None]], actor: object) -> int:
    """Put the hashes of an own-images report on the self-reported list (new ones added, known ones seen again),
    audited with the report's id and counts only. Part of the caller's transaction (triage). Returns how many
    were new."""
    if not hashes:
        return 0
    hash_list = self_reported_list(actor=actor)
    now = timezone.now()
    with transaction.atomic():
        known = set(
            HashEntry.objects.filter(
                hash_list=hash_list, hash_type__in={t for t, _, _ in hashes}, value__in={v for _, v, _ in hashes}
            ).values_list("hash_type", "value")
        )
        new = [
            HashEntry(hash_list=hash_list, hash_type=t, value=v, quality=q, first_seen=now, last_seen=now)
            for t, v, q in dict.fromkeys(hashes)
            if (t, v) not in known
        ]
        HashEntry.objects.bulk_create(new, ignore_conflicts=True)
        if known:
            HashEntry.objects.filter(
                hash_list=hash_list, hash_type__in={t for t, _ in known}, value__in={v for _, v in known}
            ).update(last_seen=now)
        HashList.objects.filter(pk=hash_list.pk).update(
            entry_count=HashEntry.objects.filter(hash_list=hash_list).count(), updated_at=now
        )
        audit.record(
            actor=actor,  # type: ignore[arg-type]
            action="intel.hash_list.self_reported",
            object_type="hash_list",
            object_id=hash_list.pk,
            details={"report": report_id, "added": len(new), "seen_again": len(known)},
        )
        if any(entry.hash_type == "pdq" for entry in new):
            from hotline.intel.services.index import queue_index_rebuild

            queue_index_rebuild()
    return len(new)
