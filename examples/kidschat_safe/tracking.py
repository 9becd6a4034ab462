"""Product analytics and the sidebar ad slot.

Rules agreed with the DPO:
  * nothing is sent unless the account has analytics consent (and, for a
    child under the consent age, a parent has agreed);
  * the only identifier is User.analytics_id, a random value that means
    nothing outside KidsChat;
  * event properties go through an allow-list, so a new call site can't
    leak a name or a school by accident;
  * ads are contextual only and flagged as child-directed.
"""
import logging
import uuid

import analytics
import requests
from mixpanel import Mixpanel
from posthog import Posthog as PH

from .config import settings

logger = logging.getLogger(__name__)

analytics.write_key = settings.SEGMENT_WRITE_KEY
mp = Mixpanel(settings.MIXPANEL_TOKEN)
ph = PH(settings.POSTHOG_API_KEY, host=settings.POSTHOG_HOST)

ALLOWED_PROPERTIES = frozenset({"method", "subject", "source", "length", "photo_id", "conversation_id"})


def analytics_allowed(user):
    return bool(user.analytics_consent) and user.may_share_personal_data


def _clean(props):
    return {key: value for key, value in props.items() if key in ALLOWED_PROPERTIES}


def identify_user(user):
    """Register the opaque id; we keep no traits about students in analytics."""
    if not analytics_allowed(user):
        return
    analytics.identify(user.analytics_id, {"account_type": "student"})
    mp.people_set(user.analytics_id, {"account_type": "student"})


def track_event(user, event, **props):
    """Send one product event to every analytics tool, if the user agreed."""
    if not analytics_allowed(user):
        return
    properties = _clean(props)
    analytics.track(user.analytics_id, event, properties)
    mp.track(user.analytics_id, event, properties)
    ph.capture(
        distinct_id=user.analytics_id,
        event=event,
        properties={**properties, "$process_person_profile": False},
    )


def fetch_sidebar_ad(placement="homework-sidebar"):
    """Contextual, non-personalised banner; no user object is sent."""
    if not settings.ADS_ENABLED:
        return None
    bid_request = {
        "id": uuid.uuid4().hex,
        "imp": [{"id": "1", "tagid": placement, "banner": {"w": 300, "h": 250}}],
        "site": {"domain": "kidschat.example", "cat": ["IAB5"]},
        "regs": {"coppa": 1},
        "ext": {"personalized": False},
    }
    try:
        resp = requests.post(settings.AD_EXCHANGE_URL, json=bid_request, timeout=0.4)
        resp.raise_for_status()
    except requests.RequestException:
        logger.warning("ad exchange unavailable", exc_info=True)
        return None
    seatbids = resp.json().get("seatbid") or []
    bids = [bid for seat in seatbids for bid in seat.get("bid", [])]
    return max(bids, key=lambda bid: bid.get("price", 0), default=None)
