"""Extension points the referrals app offers the apps above it (the network app). Referrals never imports
them: it sends a signal inside its own transaction and whoever is installed answers. A receiver connects in
its AppConfig.ready() with a dispatch_uid; it writes in the caller's transaction, so what it writes commits
or rolls back with the referral (an outbox row is never lost nor sent for a referral that did not commit).

* `network_referral_planned(referral: Referral)`: a referral to a partner hotline with channel `network` was
  planned (confirm_referral_plan). network: the report.forward outbox row and its send task. A receiver
  that raises aborts the plan: a planned network referral without its message would wait for ever.
* `referral_progressed(referral: Referral, action: str, at: datetime)`: a referral was first sent
  (`sent`), or its case's content was recorded removed (`content_removed`) or not removed
  (`not_removed`). network: the status update owed to a partner whose forward became this case.
"""

from __future__ import annotations

from django.dispatch import Signal

network_referral_planned = Signal()
referral_progressed = Signal()
