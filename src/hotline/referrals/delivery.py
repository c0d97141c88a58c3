"""Old home of the worker's send path, now `referrals.services.delivery` (and `follow_up.send_escalation`).

Kept only while referrals/demo.py (owned by the tests-infra branch) imports it: remove this module once demo.py
calls `services.deliver` and `services.send_escalation`."""

from hotline.referrals.services import deliver, send_escalation

__all__ = ["deliver", "send_escalation"]
