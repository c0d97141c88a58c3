"""Hash lists and known-URL lists Hotline is given, their imports, the matches triage finds against them, and the
versions of Hotline's own list of live illegal URLs for internet providers. Written only by intel's services."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline.core.fields import EncryptedTextField

SELF_REPORTED_KEY = "self_reported"  # HashList.system_key of the list own-images reports fill


class TrustLevel(models.TextChoices):
    """How far a list's entries are believed without an analyst's look (shown with every match)."""

    VERIFIED = "verified", _("Verified (assessed by a hotline or the police)")
    PARTNER = "partner", _("From a trusted partner")
    UNVERIFIED = "unverified", _("Not verified")


class ListClassification(models.TextChoices):
    """What a match to the list says of the material: the analyst's verdicts (cases.Verdict) a list can carry."""

    CSAM_BASELINE = "csam_baseline", _("Illegal everywhere (INTERPOL baseline)")
    CSAM_NATIONAL = "csam_national", _("Illegal under national law")
    HARMFUL_NOT_ILLEGAL = "harmful_not_illegal", _("Harmful but not illegal")
    UNCLASSIFIED = "", _("Not classified (an analyst decides)")


class HashType(models.TextChoices):
    MD5 = "md5", "MD5"
    SHA1 = "sha1", "SHA-1"
    SHA256 = "sha256", "SHA-256"
    PDQ = "pdq", "PDQ"


class HashList(models.Model):
    """A named list of hashes of known material (a partner's, a police database's, or Hotline's own)."""

    name = models.CharField(max_length=120, unique=True)
    source = models.CharField(max_length=200, blank=True)  # who gave it, e.g. "IWF hash list"
    trust_level = models.CharField(max_length=12, choices=TrustLevel.choices, default=TrustLevel.UNVERIFIED)
    classification = models.CharField(max_length=24, choices=ListClassification.choices, blank=True)
    enabled = models.BooleanField(default=True)
    # A list Hotline keeps itself ("self_reported": hashes of own-images reports); null for imported lists.
    system_key = models.CharField(max_length=32, null=True, blank=True, unique=True)
    entry_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class HashEntry(models.Model):
    """One hash of a list, in normal form (lowercase hex; core.hashes)."""

    # No foreign-key constraint in the database: PostgreSQL checks one row by row at commit, a third of a
    # million-row import's time, for a guarantee the code already gives (entries are written only by the import
    # and the list services, in the transaction that holds the list's row lock; lists are disabled, never
    # deleted; a deletion through the ORM still removes the entries). On PostgreSQL, migration 0003 gives
    # hash_type and value the "C" collation (byte order, like SQLite's): normalised hex needs no language
    # rules, and the unique index fills three times faster. A later AlterField of either must keep it.
    hash_list = models.ForeignKey(
        HashList, on_delete=models.CASCADE, related_name="entries", db_index=False, db_constraint=False
    )
    hash_type = models.CharField(max_length=8, choices=HashType.choices)
    value = models.CharField(max_length=64)
    quality = models.PositiveSmallIntegerField(null=True, blank=True)  # PDQ only, 0-100
    label = models.CharField(max_length=200, blank=True)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["hash_list_id", "pk"]
        # One index does both jobs: unique per (list, type, value), and, led by (type, value), the lookup of every
        # list's entries of one value at triage. A second index on (type, value) doubled the index work of a
        # million-row import for no lookup it would serve better (bench/intel.py --import-only).
        constraints = [
            models.UniqueConstraint(fields=["hash_type", "value", "hash_list"], name="intel_hash_entry_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.hash_type}:{self.value}"


class ImportState(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Imported")
    REFUSED = "refused", _("Refused: the file has bad rows, nothing was imported")
    FAILED = "failed", _("Failed: nothing was imported")


class ListImport(models.Model):
    """One file imported into a hash list or a known-URL list: its progress, outcome and bad rows by line."""

    hash_list = models.ForeignKey(HashList, null=True, blank=True, on_delete=models.CASCADE, related_name="imports")
    url_list = models.ForeignKey(
        "intel.KnownUrlList", null=True, blank=True, on_delete=models.CASCADE, related_name="imports"
    )
    file_name = models.CharField(max_length=200, blank=True)
    file_format = models.CharField(max_length=8)  # csv, json
    default_type = models.CharField(max_length=8, blank=True)  # the hash type of a file without a type column
    stored_file = models.CharField(max_length=300, blank=True)  # the upload waiting for the worker; deleted after
    state = models.CharField(max_length=12, choices=ImportState.choices, default=ImportState.QUEUED)
    rows_read = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(null=True, blank=True)  # lines in the file, when known
    added = models.PositiveIntegerField(default=0)
    seen_again = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # [{"line", "code", "message"}], the first ERRORS_KEPT
    created_by = models.ForeignKey(
        "staff.StaffUser", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hash_list__isnull=False, url_list__isnull=True)
                | models.Q(hash_list__isnull=True, url_list__isnull=False),
                name="intel_import_one_list",
            )
        ]

    @property
    def is_finished(self) -> bool:
        return self.state in (ImportState.DONE, ImportState.REFUSED, ImportState.FAILED)

    @property
    def percent(self) -> int | None:
        if not self.rows_total:
            return 100 if self.is_finished else None
        return min(100, round(100 * self.rows_read / self.rows_total))


class KnownUrlList(models.Model):
    """A list of URLs of known material (the shape IWF gives its members: URL, category, date)."""

    name = models.CharField(max_length=120, unique=True)
    source = models.CharField(max_length=200, blank=True)
    trust_level = models.CharField(max_length=12, choices=TrustLevel.choices, default=TrustLevel.UNVERIFIED)
    classification = models.CharField(max_length=24, choices=ListClassification.choices, blank=True)
    # The list names whole sites: a case on any URL of an entry's registered domain matches it.
    match_registered_domain = models.BooleanField(default=False)
    enabled = models.BooleanField(default=True)
    entry_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class KnownUrlEntry(models.Model):
    """One URL of a list, canonical (cases.canonical) and encrypted; matched by its blind index, the one cases
    keeps of a case's canonical URL (IndexPurpose.CASE_URL), and by registered domain."""

    url_list = models.ForeignKey(KnownUrlList, on_delete=models.CASCADE, related_name="entries", db_index=False)
    url = EncryptedTextField()
    url_index = models.CharField(max_length=64)
    registered_domain = models.CharField(max_length=253, blank=True)
    category = models.CharField(max_length=64, blank=True)
    listed_on = models.DateField(null=True, blank=True)  # the date the list gives
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["url_list_id", "pk"]
        constraints = [models.UniqueConstraint(fields=["url_list", "url_index"], name="intel_known_url_unique")]
        indexes = [
            models.Index(fields=["url_index"], name="intel_known_url_index_idx"),
            models.Index(fields=["registered_domain"], name="intel_known_url_domain_idx"),
        ]


class MatchKind(models.TextChoices):
    HASH = "hash", _("Same hash")
    PDQ = "pdq", _("Near-identical image (PDQ)")
    URL = "url", _("Same URL")
    DOMAIN = "domain", _("Same site (registered domain)")


class ListMatch(models.Model):
    """A case's report matched a list at triage. `confirmed_at` is set when an analyst accepted the list's
    classification from the case page, without opening the material."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=MatchKind.choices)
    hash_list = models.ForeignKey(HashList, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    hash_entry = models.ForeignKey(HashEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    url_list = models.ForeignKey(KnownUrlList, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    url_entry = models.ForeignKey(KnownUrlEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    list_name = models.CharField(max_length=120)  # kept when the list is deleted
    classification = models.CharField(max_length=24, blank=True)  # the list's, when it matched
    trust_level = models.CharField(max_length=12, blank=True)
    hash_type = models.CharField(max_length=8, blank=True)
    distance = models.PositiveSmallIntegerField(null=True, blank=True)  # PDQ: bits differing; 0 for exact
    report_id = models.BigIntegerField(null=True, blank=True)
    matched_at = models.DateTimeField(default=timezone.now)
    confirmed_by = models.ForeignKey(
        "staff.StaffUser", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["case_id", "distance", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "hash_entry"], condition=models.Q(hash_entry__isnull=False), name="intel_match_hash"
            ),
            models.UniqueConstraint(
                fields=["case", "url_entry"], condition=models.Q(url_entry__isnull=False), name="intel_match_url"
            ),
        ]
        indexes = [models.Index(fields=["matched_at"], name="intel_match_at_idx")]


class UrlListVersion(models.Model):
    """One version of Hotline's own list of confirmed, still-live illegal URLs for internet providers. A new
    version is made only when the set changes; removed content is absent from the next one."""

    number = models.PositiveIntegerField(unique=True)
    built_at = models.DateTimeField(default=timezone.now)
    url_count = models.PositiveIntegerField(default=0)
    urls = EncryptedTextField(blank=True)  # JSON array of the canonical URLs, encrypted like every full URL
    digest = models.CharField(max_length=64)  # SHA-256 of the sorted URLs: an unchanged set makes no new version

    class Meta:
        ordering = ["-number"]
