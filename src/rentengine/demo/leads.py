"""The words of a leasing pipeline: people, lead sources, and what prospects and agents say."""

import random
from dataclasses import dataclass

FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Carlos", "Karen",
    "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Sandra", "Mark", "Ashley", "Jose", "Emily",
    "Andrew", "Michelle", "Joshua", "Amanda", "Kevin", "Melissa", "Brian", "Stephanie", "Luis", "Maria",
    "Tyler", "Rachel", "Jamal", "Aaliyah", "Wei", "Priya", "Diego", "Sofia", "Malik", "Hannah",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Nguyen", "Hill", "Flores", "Green",
    "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Patel", "Kim",
)  # fmt: skip
EMAIL_DOMAINS = (
    ("gmail.com", 55),
    ("yahoo.com", 15),
    ("outlook.com", 12),
    ("icloud.com", 12),
    ("aol.com", 6),
)
# Area codes of the demo markets (data.CITIES).
AREA_CODES = (
    "512",
    "737",
    "214",
    "469",
    "713",
    "832",
    "210",
    "404",
    "678",
    "704",
    "919",
    "602",
    "813",
    "407",
)
LEAD_SOURCES = (
    ("Zillow", 28),
    ("Apartments.com", 14),
    ("Website Widget", 13),
    ("Phone Call", 9),
    ("Facebook", 8),
    ("Craigslist", 6),
    ("Zumper", 6),
    ("HotPads", 5),
    ("Realtor.com", 4),
    ("Trulia", 3),
    ("Referral", 2),
    ("Yard Sign", 2),
)
CREDIT_BANDS = (
    ("750+", 18),
    ("700-749", 27),
    ("650-699", 25),
    ("600-649", 16),
    ("550-599", 9),
    ("Below 550", 5),
)
INCOME_FLOORS = (2500, 3000, 3500, 4000, 4500, 5000, 6000, 7000, 8000, 10000)
PROSPECT_NOTES = (
    None, None, None, None, None, None,
    "Relocating for work, needs to move within 30 days",
    "Has one small dog",
    "Two cats, both indoor",
    "Looking for a 12-month lease",
    "Asked about the school district",
    "Works from home, wants a quiet street",
    "Current lease ends at the end of next month",
    "Needs two parking spots",
)  # fmt: skip

SHOWING_FEEDBACK = (
    "Loved the kitchen and the backyard; wants to apply this week.",
    "Liked the layout but the second bedroom felt small.",
    "Great location for their commute. Asked about the pet deposit.",
    "Thought the rent was a bit high for the area.",
    "Very interested; asked how soon they could move in.",
    "Liked the home, comparing it with one other place.",
    "Noticed the carpet in the hallway needs cleaning.",
    "Kids loved the yard. Asked about the HOA rules.",
    "Wanted more closet space; still considering.",
    "Smooth self tour, lockbox code worked on the first try.",
)
CANCELLATION_REASONS = (
    "Prospect asked to reschedule",
    "Found another place",
    "Schedule conflict at work",
    "Car trouble",
    "Unit no longer available for showing",
    "Weather",
    "Prospect is not feeling well",
)
UNKNOWN_TEXTS = (
    "Is the house still available?",
    "Hi, saw your sign. What's the rent?",
    "Do you allow pets?",
    "Hello? Who is this?",
    "Can I see the place this weekend?",
    "STOP",
)


@dataclass(frozen=True, slots=True)
class Person:
    """Someone looking for a home; one person may be a prospect of several units."""

    first_name: str
    last_name: str
    email: str
    phone: str


def phone_number(rng: random.Random) -> str:
    """Ten digits in the demo markets' area codes (exchanges never start with 0 or 1)."""
    return f"{rng.choice(AREA_CODES)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"


def person(rng: random.Random) -> Person:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    domain = rng.choices([d for d, _ in EMAIL_DOMAINS], weights=[w for _, w in EMAIL_DOMAINS])[0]
    handle = rng.choice((f"{first}.{last}", f"{first[0]}{last}", f"{first}{last}", f"{first}_{last}"))
    email = f"{handle}{rng.randint(1, 999)}@{domain}".lower()
    return Person(first, last, email, phone_number(rng))


def income_range(rng: random.Random) -> str:
    """A monthly income range in the `$N-$M/month` form that showings' prescreening reads."""
    floor = rng.choice(INCOME_FLOORS)
    return f"${floor}-${floor + 1000}/month" if floor < 10000 else f"${floor}+/month"


# What each side says at each step; `{first}` is the prospect's first name, `{street}` the unit's street
# address, `{when}` the showing's time.
MESSAGES: dict[str, tuple[str, ...]] = {
    "inquiry": (
        "Hi, I saw {street} online. Is it still available?",
        "Hello! Is {street} available for a move-in next month?",
        "Interested in {street}. Do you allow pets?",
        "Hi, what's the earliest I could tour {street}?",
    ),
    "first_contact": (
        "Hi {first}, thanks for your interest in {street}! Would you like to schedule a tour?",
        "Hi {first}! {street} is still available. When would you like to see it?",
        "Thanks for reaching out about {street}, {first}. Are you free for a showing this week?",
    ),
    "reply": (
        "Yes please! What times do you have?",
        "Sounds good. Is the yard fenced?",
        "Great, thank you! Tomorrow afternoon works for me.",
        "Can I bring my partner to the tour?",
    ),
    "confirmation": (
        "You're confirmed to tour {street} on {when}. Reply C to confirm or R to reschedule.",
        "Your showing at {street} is booked for {when}. The lockbox code arrives 15 minutes before.",
    ),
    "reminder": (
        "Reminder: your tour of {street} is today at {when}.",
        "See you soon! Your showing at {street} starts at {when}.",
    ),
    "canceled": (
        "Something came up, I need to cancel my tour of {street}.",
        "Sorry, I can't make it to the showing anymore.",
    ),
    "missed": (
        "Hi {first}, we missed you at {street} today. Would you like to reschedule?",
        "Hi {first}, looks like the tour didn't happen. Want to pick another time?",
    ),
    "feedback": (
        "Thanks for touring {street}, {first}! What did you think?",
        "Hi {first}, how was the showing at {street}? Any questions?",
    ),
    "application": (
        "Hi {first}, here is your application link for {street}. Every adult 18+ applies separately.",
        "Thanks for your interest in {street}! You can apply online; it takes about 15 minutes.",
    ),
    "approved": (
        "Congratulations {first}! Your application for {street} has been approved.",
        "Good news: you're approved for {street}. Next step is signing the lease.",
    ),
    "follow_up": (
        "Hi {first}, just checking in: are you still looking for a home?",
        "Hi {first}, {street} is still available if you're interested.",
    ),
    "not_interested": (
        "Thanks, but we decided to go with another place.",
        "We're going to stay where we are for now, thank you!",
        "Not interested anymore, thanks.",
    ),
}


def message_text(rng: random.Random, kind: str, **fields: str) -> str:
    return rng.choice(MESSAGES[kind]).format(**fields)
