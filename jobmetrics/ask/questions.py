"""What an offline answer must honour in a question besides its metric: the split asked for ("by channel", "per
country"), the period ("over the last 6 months") and whether it asks why. An answer that cannot honour them says
so instead of answering another question."""

from __future__ import annotations

import re
from dataclasses import dataclass

# splits the marts carry for every user (fct_mrr, channel_performance, segment_performance)
KNOWN_SPLITS = {"channel": "acquisition_channel", "segment": "segment"}
SPLIT_WORDS = {
    "channels": "channel",
    "acquisition": "channel",
    "source": "channel",
    "sources": "channel",
    "segments": "segment",
    "countries": "country",
    "plans": "plan",
    "regions": "region",
}
# "by month" and the like ask for a period, not a split; "by next month", "by the end" for none
NOT_SPLITS = {"month", "months", "monthly", "week", "weeks", "year", "years", "quarter", "quarters", "day", "days"}
NOT_SPLITS |= {"next", "the", "a", "an", "end", "now", "far", "much", "then", "this", "that", "last", "how", "what"}
NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
SPLIT = re.compile(r"\b(?:by|per|for each|across|split by|broken down by|for every)\s+(?:acquisition\s+)?([a-z]+)")
MONTHS = re.compile(r"\b(?:last|past|previous|recent)\s+(\d+|" + "|".join(NUMBERS) + r")\s+months?\b")
YEAR = re.compile(r"\b(?:last|past|previous)\s+(?:year|12 months|twelve months)\b")
QUARTER = re.compile(r"\b(?:last|past|previous)\s+quarter\b")
WHY = re.compile(r"\b(?:why|driving|drives|drivers?|causes?|caused|causing|reasons?)\b")


@dataclass(frozen=True)
class Question:
    text: str
    split: str | None = None  # "channel", "segment", or another word asked for ("country")
    months: int | None = None  # how many recent months the question asks about
    asks_why: bool = False

    @property
    def trend_months(self) -> int:
        return self.months or 3


def parse(question: str) -> Question:
    text = question.lower()
    split = None
    for found in SPLIT.finditer(text):
        word = found.group(1)
        if word not in NOT_SPLITS:
            split = SPLIT_WORDS.get(word, word)
            break
    months = None
    if counted := MONTHS.search(text):
        months = max(int(NUMBERS.get(counted.group(1), counted.group(1))), 1)  # "last 0 months" is the latest
    elif YEAR.search(text):
        months = 12
    elif QUARTER.search(text):
        months = 3
    return Question(text, split, months, bool(WHY.search(text)))
