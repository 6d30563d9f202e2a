"""Rules that tell a story line from page furniture, written for any outlet's layout.

Scraped pages mix the story with menus, prompts, captions and teasers. The rules look at the
shape of a line (is it a sentence? a menu item? a caption repeated with a credit?) rather than
at strings from one site, so a new outlet needs no new code.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*")
# A story paragraph ends like a sentence, possibly inside closing quotes or brackets.
_SENTENCE_END = re.compile(r"""(?:[.!?…]["'”’»)\]]*|["”’»])\s*$""")
_BULLET = re.compile(r"^\s*(?:\d{1,2}[.)]|[-•*·–—▪►▸◦●■])\s+")

# Headings after which the rest of a page is not the story.
_END_MARKER = re.compile(
    r"^(?:related(?: topics| articles| stories| news| coverage)?|comments?(?: \(\d+\))?"
    r"|(?:\d+ )?comments|sign in|log ?in|subscribe(?: now)?|top (?:news|stories)(?: today)?"
    r"|read more|more (?:from|on|in|stories)\b.*|most (?:read|popular|viewed|shared)"
    r"|trending(?: now| stories)?|latest (?:news|stories)|you (?:may|might) also like"
    r"|recommended(?: for you| stories)?|share (?:this|the) (?:article|story)"
    r"|topics|tags|keywords|copyright\b.*|©.*|all rights reserved.*|about (?:us|the author)"
    r"|leave a (?:comment|reply)|join the conversation)\W*$",
    re.IGNORECASE,
)
# A heading whose next line is a teaser for another story, mid-article.
_TEASER_HEADING = re.compile(
    r"^(?:also read|read also|see also|also see|read next|must read|suggested reading"
    r"|recommended reading|related story|related article|watch|listen|video)\W*$",
    re.IGNORECASE,
)
_INLINE_TEASER = re.compile(
    r"^(?:also read|read also|see also|read more|related|recommended|watch|read next)\s*[:|-]",
    re.IGNORECASE,
)
# Prompts from the site, not the newsroom: accounts, subscriptions, newsletters, cookies.
_PROMPT_START = re.compile(
    r"^\W*(?:please\s+)?(?:sign (?:in|up)|log ?in|login|register\b|subscribe|unlock|upgrade"
    r"|create (?:a|an|your) (?:free )?account|already (?:a )?(?:subscriber|member|registered)"
    r"|already have an account|(?:get|sign up for|join) (?:our|the|my) \w*\s*newsletter"
    r"|we use cookies|this (?:site|website) uses cookies|accept (?:all )?cookies|manage cookies"
    r"|to (?:enjoy|continue|keep) (?:reading|additional|enjoying)|support (?:our|independent)"
    r"|you have reached|you've reached|enjoy unlimited|start your free|try \w+ free"
    r"|click here|tap here|download (?:our|the) app|follow us|connect with us|share this"
    r"|skip to (?:main )?content|jump to|back to top|advertisement)",
    re.IGNORECASE,
)
_PROMPT_ANYWHERE = re.compile(
    r"member-only|members-only|subscriber-only|free stories|free articles|cookie policy"
    r"|privacy policy|terms of (?:use|service)|community guidelines|newsletter sign-?up"
    r"|this article is (?:for|reserved for) subscribers|free trial|paywall"
    r"|comments (?:have to|must|should) be|commenting platform"
    r"|(?:sign up|subscribe|register) (?:for|to) (?:our|the|my) [\w ]{0,30}newsletter"
    r"|newsletter\b.{0,60}\binbox|\binbox\b.{0,60}\bnewsletter",
    re.IGNORECASE,
)
# Endings that mark a photo caption or credit rather than story text.
_CAPTION_SUFFIX = re.compile(
    r"\s*\|\s*(?i:photo|image|picture|credit|file|illustration|video)[\w ]{0,20}:.*$"
    r"|\s+(?:Photo|PHOTO|Photograph|Image|IMAGE|Picture|Credit|Illustration)"
    r"(?: [Cc]redit)?s?\s*:.*$"
    r"|\s*\((?:AP|AFP|Reuters|Getty Images|EPA|PTI|ANI|Bloomberg|File)"
    r"(?: Photo)?(?:/[^)]*)?\)\s*$"
    r"|\s*(?:REUTERS|AFP|AP|GETTY IMAGES|EPA)/[^/]+$"
)


def words(line: str) -> list[str]:
    """The words of a line (letters and digits, keeping inner apostrophes and dots)."""
    return _WORD.findall(line)


def normalise_line(line: str) -> str:
    """Collapse whitespace (including no-break spaces) and trim."""
    return " ".join(line.replace("\u200b", "").split())


def is_sentence_like(line: str, *, min_words: int = 4) -> bool:
    """A story paragraph: several words ending in sentence punctuation or a closing quote."""
    return len(words(line)) >= min_words and bool(_SENTENCE_END.search(line))


def is_bulleted(line: str) -> bool:
    """A numbered or bulleted item ("1. Data", "• Save stories")."""
    return bool(_BULLET.match(line))


def is_end_marker(line: str) -> bool:
    """A heading after which the page stops being the story (Related Topics, Comments, ©...)."""
    return bool(_END_MARKER.match(line)) or line.lower().startswith(("©", "copyright "))


def is_teaser_heading(line: str) -> bool:
    """A heading such as "ALSO READ" whose next line links to another story."""
    return bool(_TEASER_HEADING.match(line))


def is_inline_teaser(line: str) -> bool:
    """A one-line link to another story ("Read more: Floods hit ...")."""
    return bool(_INLINE_TEASER.match(line))


def is_prompt(line: str) -> bool:
    """A sign-in, subscription, newsletter, cookie or sharing prompt from the site."""
    if _PROMPT_START.match(line):
        return len(words(line)) <= 40
    return bool(_PROMPT_ANYWHERE.search(line))


def strip_caption_suffix(line: str) -> str | None:
    """The caption text when the line ends with a credit ("... | Photo Credit: Reuters")."""
    match = _CAPTION_SUFFIX.search(line)
    if not match or match.start() == 0:
        return None
    return line[: match.start()].rstrip(" |-–—,")


def is_heading_like(line: str) -> bool:
    """A headline or standfirst: several words, mixed case, not a menu item or prompt."""
    n = len(words(line))
    if not 3 <= n <= 60 or len(line) > 400:
        return False
    letters = [c for c in line if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) / len(letters) > 0.8:
        return False  # ALL-CAPS lines on news pages are section labels and buttons
    return not (
        is_bulleted(line) or is_prompt(line) or is_end_marker(line) or is_teaser_heading(line)
    )


def caption_lines(lines: list[str]) -> set[str]:
    """Lines that are photo captions: ones carrying a credit, and their bare repeats."""
    captions: set[str] = set()
    bare = set()
    for line in lines:
        stripped = strip_caption_suffix(line)
        if stripped is not None and len(words(stripped)) >= 2:
            captions.add(line)
            bare.add(stripped)
    captions.update(line for line in lines if line in bare)
    return captions
