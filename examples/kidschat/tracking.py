"""Product analytics and the sidebar ad slot.

Growth wants the same events in Segment, Mixpanel and PostHog while we
decide which one to keep, so everything goes through track_event().
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


def identify_user(user):
    """Create or refresh the user's profile in each analytics tool."""
    analytics.identify(user.id, {
        "email": user.email,
        "name": f"{user.first_name} {user.last_name or ''}".strip(),
        "birthday": user.birth_date.isoformat(),
        "school": user.school,
        "createdAt": user.created_at.isoformat(),
    })
    mp.people_set(str(user.id), {
        "$email": user.email,
        "$first_name": user.first_name,
        "$city": user.city,
        "school": user.school,
        "grade": user.grade,
    })


def track_event(user, event, **props):
    """Send one product event to every analytics tool."""
    distinct_id = str(user.id)
    props.setdefault("school", user.school)
    props.setdefault("grade", user.grade)
    analytics.track(user.id, event, props)
    mp.track(distinct_id, event, props)
    ph.capture(
        distinct_id=distinct_id,
        event=event,
        properties={**props, "$set": {"email": user.email, "name": user.display_name}},
    )


def fetch_sidebar_ad(user):
    """Ask the ad exchange for the 300x250 banner next to the homework feed."""
    interests = sorted({question.subject for question in user.questions.limit(20)})
    bid_request = {
        "id": uuid.uuid4().hex,
        "imp": [{"id": "1", "tagid": "homework-sidebar", "banner": {"w": 300, "h": 250}}],
        "site": {"domain": "kidschat.example", "cat": ["IAB5"]},
        "user": {
            "id": str(user.id),
            "yob": user.birth_date.year,
            "gender": "O",
            "keywords": ",".join(interests),
            "geo": {"lat": user.latitude, "lon": user.longitude, "city": user.city},
        },
        "regs": {"coppa": 0},
        "ext": {"personalized": True},
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
