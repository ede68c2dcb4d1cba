"""The patient's facts: numbers (temperatures, durations, ages, pregnancy, readings) and what they say."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.safety.triage import denies_pregnancy  # one reading of "not pregnant" for triage and the ladder
from rag.safety.urgency.terms import (
    _FAST,
    _INTENSE,
    _tokens,
)

# --- numbers: temperatures, durations, ages, pregnancy ------------------------------------------

_ZH_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
              "半": 0.5, "几": 3, "数": 3}
_EN_NUM = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
           "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2, "couple of": 2, "a few": 3, "few": 3,
           "several": 4, "half a": 0.5}
_UNIT_DAYS = {"minute": 1 / 1440, "min": 1 / 1440, "hour": 1 / 24, "hr": 1 / 24, "night": 1, "day": 1, "week": 7,
              "wk": 7, "month": 30, "year": 365, "分钟": 1 / 1440, "小时": 1 / 24, "天": 1, "日": 1, "晚": 1, "周": 7,
              "星期": 7, "礼拜": 7, "个月": 30, "月": 30, "年": 365, "岁": 365}
_EN_NUMBER = r"(\d+(?:\.\d+)?|a couple of|couple of|a few|few|several|half a|an|a|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_EN_SPAN = re.compile(_EN_NUMBER + r"(\+|-plus)?\s*(minute|min|hour|hr|night|day|week|wk|month|year)s?\b(\s+(old|of age|pregnant|along|gestation))?",
                      re.IGNORECASE)
_ZH_NUMBER = r"([0-9]+(?:\.[0-9]+)?|[零一二两三四五六七八九十半几数]+)"
_ZH_SPAN = re.compile("(第)?" + _ZH_NUMBER + "(多)?(个多|个)?(分钟|小时|天|日|晚|周|星期|礼拜|个月|月|年|岁)(多)?(大)?")


def _num(s: str) -> float | None:
    s = s.strip().lower()
    if s in _EN_NUM:
        return float(_EN_NUM[s])
    try:
        return float(s)
    except ValueError:
        pass
    if all(ch in _ZH_DIGITS for ch in s):
        if s == "十":
            return 10.0
        if "十" in s:
            a, _, b = s.partition("十")
            # "十六七" is sixteen or seventeen, "二三十" twenty or thirty: a range reads as its lower end
            tens = min((_ZH_DIGITS[ch] for ch in a), default=1)
            ones = min((_ZH_DIGITS[ch] for ch in b), default=0)
            return float(tens * 10 + ones)
        if len(s) == 2 and s[0] != s[1] and "几" not in s and "零" not in s:
            return float(min(_ZH_DIGITS[s[0]], _ZH_DIGITS[s[1]]))  # "两三个月" is two or three months, not 23
        total = 0.0
        for ch in s:
            total = total * 10 + _ZH_DIGITS[ch]
        return total
    return None


@dataclass(frozen=True, slots=True)
class _Span:
    days: float
    kind: str  # "duration" | "age" | "pregnancy"
    start: int
    end: int


# the day of an illness it has reached: "it's now day 5 of my son's fever", "on day 3", "the fourth day of this cold"
_ORDINAL = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "fifth": 5, "5th": 5,
            "sixth": 6, "6th": 6, "seventh": 7, "7th": 7, "eighth": 8, "8th": 8, "ninth": 9, "9th": 9, "tenth": 10, "10th": 10}
_DAY_N = re.compile(r"\bday (\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)\b(?! (?:ago|before|after|post|of (?:my|her|his|the) "
                    r"(?:period|cycle|antibiotics?|tablets?|course|treatment|holiday|trip)))|"
                    r"\b(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d{1,2}(?:st|nd|rd|th)) day\b"
                    r"(?! (?:of (?:my|her|his|the) (?:period|cycle|antibiotics?|course|treatment|holiday|trip)|back|at))", re.IGNORECASE)


def _spans(text: str) -> list[_Span]:
    out: list[_Span] = []
    for m in _EN_SPAN.finditer(text):
        n = _num(m.group(1))
        if n is None:
            continue
        tail = (m.group(5) or "").lower()
        unit = m.group(3).lower()
        kind = "age" if tail in {"old", "of age"} else "pregnancy" if tail in {"pregnant", "along", "gestation"} else "duration"
        before = text[max(0, m.start() - 12):m.start()].lower()
        if kind == "duration" and re.search(r"(aged?|is|baby|child)\s*$", before) and unit in {"week", "month", "year"} \
                and re.match(r"\s*-?old", text[m.end():m.end() + 5]):
            kind = "age"
        if kind == "duration" and re.match(r"[\s-]*old\b", text[m.end():m.end() + 6], re.IGNORECASE):
            kind = "age"
        out.append(_Span(n * _UNIT_DAYS[unit], kind, m.start(), m.end()))
    for m in _DAY_N.finditer(text):
        n = _num(m.group(1) or "") if m.group(1) else _ORDINAL.get((m.group(2) or "").lower())
        if n:
            out.append(_Span(float(n), "duration", m.start(), m.end()))
    for m in _ZH_SPAN.finditer(text):
        n = _num(m.group(2))
        if n is None:
            continue
        unit = m.group(5)
        after = text[m.end():m.end() + 2]
        before = text[max(0, m.start() - 2):m.start()]
        kind = "duration"
        if unit == "岁" or m.group(7) or after.startswith("大"):
            kind = "age"
        elif unit in {"周", "个月"} and ("孕" in before or "怀孕" in text[max(0, m.start() - 4):m.start()]):
            kind = "pregnancy"
        extra = 0.5 if (m.group(3) or m.group(6) or (m.group(4) or "") == "个多") else 0.0
        out.append(_Span((n + extra) * _UNIT_DAYS[unit], kind, m.start(), m.end()))
    return out


_TEMP = re.compile(r"(\d{2,3}(?:\.\d)?)\s*(°\s*[cf]|℃|℉|度|degrees?\s*[cf]?|[cf]\b)?", re.IGNORECASE)
_TEMP_WORD = re.compile(r"temp|fever|thermometer|reads|says|体温|腋温|耳温|额温|肛温|口温|发烧|发热|烧到|度", re.IGNORECASE)


_NOT_A_TEMP = re.compile(r"bmi|a1c|weigh|\bkg\b|stone|\bph\b|sugar|glucose|mmol|血糖|体重|指数|[/:]\s*$", re.IGNORECASE)
_THERMOMETER_AFTER = re.compile(r"[^,.;!?，。；]{0,20}(?:thermometer|under (?:the|his|her|my) arm|armpit|腋下|耳温|额温)", re.I)


def _temperatures(text: str) -> list[float]:
    out: list[float] = []
    text = re.sub(r"(?<!\d)(3\d|4[0-2])度([0-9])(?![0-9])", r"\1.\2度", text)  # "38度5" is 38.5 °C
    for m in _TEMP.finditer(text):
        value = float(m.group(1))
        unit = (m.group(2) or "").lower().replace(" ", "")
        after = text[m.end():m.end() + 12].lower()
        if re.match(r"\s*(/|weeks?|days?|months?|years?|hours?|hrs?|minutes?|mins?|kg|mmhg|breaths|times|%|周|天|个月|岁|小时|分钟)",
                    after) or text[max(0, m.start() - 1):m.start()] == "/":
            continue
        near = text[max(0, m.start() - 30):m.end() + 5]
        if not unit and "." not in m.group(1) and re.search(r"\b(?:i'?m|i am|aged?)\s*$", text[:m.start()], re.I):
            continue  # "no fever, I'm 38.": an age
        if _THERMOMETER_AFTER.match(text, m.end()):
            near += " thermometer"  # "39.3 on the ear thermometer"
        if unit in {"°f", "℉", "f", "degreesf"} or (95 <= value <= 110 and (unit or _TEMP_WORD.search(near))):
            c = (value - 32) * 5 / 9
        elif 34 <= value <= 43 and (unit or _TEMP_WORD.search(near)):
            c = value
        elif 35 <= value < 43 and "." in m.group(1) and not _NOT_A_TEMP.search(near):
            c = value  # "I'm 38.5", "还是39.6": a reading with a tenth in body-temperature range is a temperature
        else:
            continue
        if 34 <= c <= 43:
            out.append(round(c, 1))
    return out


# "165/104." ends a sentence; "150-something over 95" is a reading of at least 150
_BP = re.compile(r"(?<![\d.])(\d{2,3})(?:\s*-?\s*(?:something|odd|ish))?\s*(?:/|over)\s*(\d{2,3})(?!\d|\.\d)", re.IGNORECASE)
_GLUCOSE_CONTEXT = re.compile(r"sugar|glucose|\bbms?\b|mmol|mg\s*/\s*dl|diabet|insulin|metformin|gliclazide|血糖|糖尿病|胰岛素|"
                              r"二甲双胍|格列|降糖", re.IGNORECASE)
_GLUCOSE_UNIT = re.compile(r"(\d+(?:\.\d+)?)\s*(mmol(?:\s*/\s*l)?|mg\s*/\s*dl)", re.IGNORECASE)
# (in a message about diabetes, "测了3.6", "再测5.8", "tested 3.4": the meter's reading)
_GLUCOSE_NEAR = re.compile(r"(?:blood sugars?|sugars?|glucose|\bbms?\b|readings?|meter|血糖|测了|再测|测的|测出|\btested\b|\bchecked\b|\bwent low at|\blow at|\bhypo at|dropped to|低到|降到)"
                           r"[^0-9。；;!?\n]{0,20}?"
                           r"(\d+(?:\.\d+)?|[一二两三四五六七八九十几]+(?=[多左上了的点，,。；\s]|$))(点几|点[0-9一二三四五六七八九])?(s\b)?",
                           re.IGNORECASE)
_GLUCOSE_HI = re.compile(r"\b(?:says|reads|reading|shows?|just)\s+[\"']?HI\b|\bHI\b[\"']?\s+on\s+(?:the|my|his|her)\s+meter")


# what a bare number with a tenth is when these come just before it: not a blood sugar
_NOT_A_SUGAR_BEFORE = re.compile(r"a1c|糖化|ketone|酮|inr|potassium|钾|bmi|weigh|体重|temp|体温|fever|发烧|thermometer", re.IGNORECASE)


def _later_sugar(text: str, number: str) -> bool:
    """A bare meter reading in a message whose sugars were read ("sugar was 3.6, … 15 min later its 5.8"): one more
    sugar, not a number left for a clinician to interpret (an HbA1c, a ketone or an INR still is)."""
    if "/" in number or not 1.0 <= float(number) <= 33.3:
        return False
    return not any(_NOT_A_SUGAR_BEFORE.search(text[max(0, at.start() - 14):at.start()])
                   for at in re.finditer(rf"(?<![\d.]){re.escape(number)}(?![\d])", text))


def blood_pressures(text: str) -> list[tuple[int, int]]:
    """Systolic/diastolic pairs ("185/110", "160 over 100"): a plausible pair, systolic above diastolic."""
    out: list[tuple[int, int]] = []
    for m in _BP.finditer(text):
        sys_, dia = int(m.group(1)), int(m.group(2))
        if 70 <= sys_ <= 300 and 30 <= dia <= 200 and sys_ > dia:
            out.append((sys_, dia))
    return out


_UNDER = re.compile(r"(?:under|below|less than|lower than|beneath|<|低于|不到|小于)\s*$", re.IGNORECASE)


def _below(text: str, start: int) -> float:
    """0.2 when the number is a bound from above ("dropping under 4": a reading below 4 mmol/L), else 0."""
    return 0.2 if _UNDER.search(text[max(0, start - 12):start]) else 0.0


def glucose_values(text: str) -> list[float]:
    """Blood sugar readings in mmol/L ("15.2 mmol", "250 mg/dL", "血糖一直二十几", "readings in the 20s", a meter's HI)."""
    out: list[float] = [33.3] if _GLUCOSE_HI.search(text) else []  # "HI" on a glucose meter: above its range
    if not _GLUCOSE_CONTEXT.search(text):
        return out
    text = _BP.sub(" ", text)
    for m in _GLUCOSE_UNIT.finditer(text):
        v = float(m.group(1))
        out.append((v / 18.0 if m.group(2).lower().startswith("mg") else v) - _below(text, m.start(1)))
    for m in _GLUCOSE_NEAR.finditer(text):
        if _GLUCOSE_UNIT.match(text, m.start(1)):
            continue  # counted above with its unit
        after = text[m.end():m.end() + 8].lower()
        if re.match(r"\s*(%|°|℃|度|years?|岁|yrs?|days?|天|weeks?|周|months?|个月|times?|次|hours?|小时|min|分钟|secs?|seconds?|秒|"
                    r"tablets?|tabs?|sweets|jelly|片|粒|颗)", after):
            continue
        parsed = _num(m.group(1))
        if parsed is None or parsed <= 0:
            continue
        v = parsed
        if m.group(2):
            v += 0.5 if m.group(2) == "点几" else (_num(m.group(2)[1:]) or 0) / 10
        v -= _below(text, m.start(1)) * (18 if v >= 40 else 1)
        out.append(v / 18.0 if v >= 40 else v)  # 40 and above is mg/dL; meters read up to ~33 mmol/L
        upper = re.match(r"\s*(?:-|–|to|到|至)\s*(\d+(?:\.\d+)?)(?!\s*(?:%|°|℃|度|years?|岁|days?|天|weeks?|周|months?|个月|hours?|小时))",
                         text[m.end():m.end() + 12])
        if upper:  # a range ("crept up to 12-14"): its top counts too
            w = float(upper.group(1))
            out.append(w / 18.0 if w >= 40 else w)
    if not out:
        # "On insulin. Was 3.6 before lunch, … 15 minutes later 6.2": in a message about sugars, a bare reading with a tenth
        # in a meter's range is a blood sugar (not an HbA1c, a ketone, an INR or a weight)
        for m in re.finditer(r"(?<![\d./])(\d{1,2}\.\d)(?![\d/])", text):
            after = text[m.end():m.end() + 8].lower()
            before = text[max(0, m.start() - 14):m.start()].lower()
            if re.match(r"\s*(%|°|℃|度|years?|岁|days?|天|weeks?|周|months?|个月|hours?|小时|min|分钟|kg|g\b|mg|ml|l\b|litres?|"
                        r"units?|iu|stone|st\b|公斤|斤|克|毫升|单位|mmhg|c\b|f\b)", after) or \
                    _NOT_A_SUGAR_BEFORE.search(before):
                continue
            v = float(m.group(1))
            if 1.0 <= v <= 33.3:
                out.append(v)
    return [round(v, 1) for v in out if 1.0 <= v <= 40.0]


# --- the patient's facts ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Facts:
    """What the ladder compares with the criteria; None where the patient did not say."""

    age_years: float | None
    sex: str | None
    pregnant: bool | None
    pregnancy_weeks: float | None
    temperature_c: float | None
    duration_days: float | None
    tokens: frozenset[str]
    readings: tuple[str, ...] = ()  # numbers the ladder does not interpret
    blood_pressure: tuple[int, int] | None = None  # highest systolic and highest diastolic reported, mmHg
    glucose_mmol: float | None = None  # highest blood sugar reported, mmol/L
    new_medicine: bool = False  # a symptom since starting a medicine (a possible side effect or allergy)
    percent: float | None = None  # the lowest percentage reported ("peak flow about 60% of my best")
    conditions: frozenset[str] = frozenset()  # conditions (not symptoms) the patient names: "heart failure", "epilepsy"
    asks_review: bool = False  # the patient asks for an appointment, a referral, a check or help stopping a medicine
    # more ways to ask for a booking ("would like to chat about switching pills", "想问问能不能查查原因", "啥时候去建档"):
    # they only turn self-care into a routine appointment, never a visit within days into one
    asks_booking: bool = False
    improving: bool = False  # getting better on its own ("slowly getting better", "在好转"; not "not getting better")
    usual_pattern: bool = False  # "my usual migraine, same as always", "跟以前一模一样": a pattern the patient knows
    past_reaction: bool = False  # an allergic-looking reaction to a medicine or food ("itchy welts after amoxicillin")
    settled: bool = False  # the patient says it has settled or they are well now ("gone in seconds", "playing fine", "好多了")

    def describe(self, language: str) -> str:
        """The facts that were understood, for the reason text."""
        bits: list[str] = []
        zh = language == "zh"
        if self.age_years is not None:
            bits.append(_age_text(self.age_years, zh))
        if self.pregnant:
            bits.append(("怀孕" + (f"{self.pregnancy_weeks / 7:g}周" if self.pregnancy_weeks else "")) if zh else
                        ("pregnant" + (f" ({self.pregnancy_weeks / 7:g} weeks)" if self.pregnancy_weeks else "")))
        if self.temperature_c is not None:
            bits.append(f"{'体温' if zh else 'temperature '}{self.temperature_c:g} °C")
        if self.duration_days is not None:
            bits.append(_days_text(self.duration_days, zh))
        if self.blood_pressure is not None:
            bits.append(f"{'血压' if zh else 'blood pressure '}{self.blood_pressure[0]}/{self.blood_pressure[1]} mmHg")
        if self.glucose_mmol is not None:
            bits.append(f"{'血糖' if zh else 'blood sugar '}{self.glucose_mmol:g} mmol/L")
        return ("、" if zh else ", ").join(bits)


def _age_text(years: float, zh: bool) -> str:
    if years < 1 / 12:
        v = f"{years * 52:.0f}"
        return f"{v}周大" if zh else f"{v} weeks old"
    if years < 2:
        v = f"{years * 12:.0f}"
        return f"{v}个月大" if zh else f"{v} months old"
    return f"{years:g}岁" if zh else f"aged {years:g}"


def _days_text(days: float, zh: bool) -> str:
    if days * 24 < 1:
        v = f"{max(1.0, days * 24 * 60):.0f}"
        return f"持续{v}分钟" if zh else f"for {v} minutes"
    if days < 1:
        v = f"{days * 24:.0f}"
        return f"持续{v}小时" if zh else f"for {v} hours"
    if days >= 365 and days % 365 == 0:  # "five years" was read as 1825 days: say it as the patient did
        return f"持续{days / 365:g}年" if zh else f"for {days / 365:g} year{'s' if days > 365 else ''}"
    if days >= 30 and days % 30 == 0:  # "since the spring", "in June, now October", "two months": months, not days
        n = int(days // 30)
        return f"持续约{n}个月" if zh else f"for about {'a month' if n == 1 else f'{n} months'}"
    return f"持续{days:g}天" if zh else f"for {days:g} days"


_NO_APOSTROPHE = re.compile(r"\b(can|don|won|isn|doesn|didn|couldn|wouldn|hasn|haven|wasn|aren|weren)(t)\b", re.I)


# a span after these words times a habit or a history, not the illness: "I've smoked 20 a day for 30 years",
# "been on metformin for 10 years", "烟龄30年"
# (and so do the years of a diagnosis: "确诊糖尿病两年了", "diabetic for 8 years", "had high blood pressure for years")
_HABIT = re.compile(r"\bsmok\w*|\bcigarett\w*|\bvap(?:e|ed|ing)\b|\bbeen on\b|\bdiagnosed\b|吸烟|抽烟|烟龄|抽了|吸了|"
                    r"\bdiabetic for\b|\b(?:had|have|with) (?:type [12] )?(?:diabetes|asthma|copd|epilepsy|high blood pressure|"
                    r"hypertension|migraines?|arthritis|heart failure)\b(?! (?:symptoms|attack|flare))|"
                    r"确诊|诊断|查出|得了?.{0,6}(?:病|症)|患(?:有|上)?.{0,6}(?:病|症)", re.IGNORECASE)


_CHRONIC = frozenset({"asthma", "chronic obstructive pulmonary disease", "lung cancer", "coronary artery disease", "heart failure",
                      "atrial fibrillation", "angina pectoris", "type 2 diabetes mellitus", "type 1 diabetes mellitus",
                      "chronic kidney disease", "HIV disease", "epilepsy", "rheumatoid arthritis", "brain tumor",
                      "acute myocardial infarction", "stroke", "hypothyroidism", "hyperthyroidism", "bipolar disorder"})
# what a patient asks a clinician for, not about a symptom: "want to find out why I keep getting them", "I'd like to come off
# zopiclone", "ask about the breathing classes", "眼底一年多没查了，想约个时间"
_ASKS_REVIEW = re.compile(
    r"\b(?:want|wanting|like|hoping|need|needs|planning)\s+to\s+(?:find out why|know why|work out why|come off|get off|stop taking|"
    r"cut down|taper|reduce|wean|be referred|get referred|get a referral|book|arrange|have (?:a|my|an) (?:review|check|test|scan|"
    r"referral|appointment)|get (?:a|my|an) (?:review|check|test|scan|referral|appointment)|ask about (?:[\w'-]+\s+){0,5}?"
    r"(?:classes|class|referral|rehab|programme|program|course|tests?|scans?|check|review|patches|nicotine\w*|quit\w*))|\bcan i (?:be referred|get referred|"
    r"book|get a referral|have a referral)|\b(?:due|overdue) (?:a|my|for (?:a|my)) (?:review|check|check-up)|"
    r"想(?:约|预约|挂号|复查|查一?查|做个?检查|停药|减药|换药|转诊)|约个时间|该不该(?:去)?(?:查|检查)|需不需要(?:去)?(?:查|检查|复查)|"
    # talking a plan through: "want to talk to someone about coming off it", "ask about getting them out", "how do I get
    # on them" (classes), "her yearly check is due", "想看看有没有预防的办法"
    r"\b(?:like|want|need|get|have|book)\s+(?:a|an|my)\s+(?:full |proper |thorough |general |sti |std |sexual health |health )?"
    r"(?:check|check-up|checkup|screen|screening)\b(?!\s+(?:on|if|whether))|"
    r"\b(?:like|want|need)\s+(?:someone|somebody|a nurse|a doctor|the nurse|the doctor|a gp|my gp)\s+to\s+(?:check|look at|review|go over|"
    r"give me)\b|"
    r"\b(?:talk|speak|chat) to (?:someone|somebody|a doctor|the doctor|my doctor|a gp|my gp|a nurse|the nurse) about|"
    r"\bask about (?:getting|having|starting|stopping|coming off)|\bhow (?:do|can) i get (?:on|onto|referred|a referral)\b|"
    r"\b(?:check|review|check-up|checkup) (?:is|was) (?:due|overdue)|\b(?:review|check|check-up) (?:hasn't|has not|hasnt) happened|"
    r"想看看有没有(?:预防|根治|治疗|别的)?的?(?:办法|方法)|想咨询一下|想问问(?:医生|大夫)|"
    # asking for a preventive or regular treatment ("想问有没有预防的药", "ask about something to prevent them")
    r"有没有(?:预防|长期吃)的?药|\bask about (?:\w+\s+){0,3}?(?:to prevent|preventive|preventative|prevention)\b|"
    # a check that is late: "haven't had an asthma check since before the pandemic", "just overdue", "眼底检查还没查"
    r"\b(?:haven'?t|have not|hasn'?t|has not|not) had (?:a|an|my|his|her|their) (?:[\w-]+ ){0,2}(?:check|check-up|checkup|review)\b|"
    r"(?:要不要|需不需要|用不用|该不该)(?:去)?[^，。；,;？?]{0,8}?(?:看|查|挂|复查|就诊|找医生)|\boverdue\b|(?:检查|复查|体检|化验|筛查)[^，。；,;]{0,8}(?:还没|没有?)(?:查|做|去)|还没(?:去)?(?:复查|体检|检查)|该(?:复查|体检)了|"
    # a check that is due, or signing up for a programme ("一年一次的复查也该做了", "肺康复训练怎么报名")
    r"(?:复查|体检|检查)(?:也|又)?该(?:做|查|去)了|(?:怎么|想|如何)报名",
    re.IGNORECASE)
_ASKS_BOOKING = re.compile(
    r"\bask about (?:going on|going onto|switching|changing|trying)\b|"
    r"\b(?:like|want|wanting|hoping)\s+to\s+(?:chat|talk)\s+about\s+(?:switching|changing|options|coming off|going on|starting|"
    r"stopping|trying)\b|\b(?:like|want|wanting|hoping)\s+to\s+discuss\s+(?:switching|changing|options|other)\b|"
    r"\b(?:like|want|wanting|hoping|need)\s+to\s+get\s+(?:checked|tested|screened|checked out)\b|"
    r"(?:能不能|想|要)(?:去)?(?:查查|查一?下|找找|检查一?下)(?:是什么)?原因|想去(?:查一?下|查查|检查一?下)|(?:想去?|顺便)做个?[^，。；,;？?]{0,4}(?:检查|筛查)|"
    r"建档|(?:哪个|什么)科[^，。；,;？?]{0,3}预约|预约[^，。；,;？?]{0,3}(?:哪个|什么)科",
    re.IGNORECASE)
# a count of episodes ("三回", "好几次", "3 hypos", "several times")
_EPISODES = re.compile(r"(?:\d+|[两三四五六七八九十几]|好几|很多)\s*(?:回|次)|\b(?:\d+|two|three|four|five|six|several|a few|few|many)\s+"
                       r"(?:hypos|lows|times|episodes)\b", re.IGNORECASE)
# getting better on its own (a denied one, "not getting better", is cnot_improving, which _improving checks)
_IMPROVING = re.compile(
    r"\b(?:getting better|getting less|improving|better each day|easing off|on the mend|settling down)\b|"
    r"正在好转|在好转|慢慢好转|逐渐好转|一天比一天好|慢慢减轻", re.IGNORECASE)
_NOT_BEFORE = re.compile(r"\b(?:not|no|never|isn't|isnt|hasn't|hardly|barely)\b[^,.;]{0,12}$|[没不未]\S{0,2}$", re.IGNORECASE)


def _says_improving(text: str) -> bool:
    """"slowly getting better", "在好转"; not "not really improving", "没在好转"."""
    return any(not _NOT_BEFORE.search(text[max(0, m.start() - 20):m.start()]) for m in _IMPROVING.finditer(text))


# it has settled, or the patient is well now: a nurse line reassures and gives the guideline's self-care. Not "feeling
# fine" on its own (people say it of a long-term condition while asking about a review or a new sign)
_SETTLED = re.compile(
    r"\b(?:(?:is|was|am|feel|feels|felt|seems?|all|now|otherwise|absolutely|totally|perfectly) fine(?: now| since| again)?|"
    r"fine (?:once|after|again|now|since|by)|gone in (?:a few )?(?:seconds|a second|a minute|minutes)|went away|(?:has|had) gone (?:away|now)|"
    r"settled|back to (?:normal|herself|himself|themselves|my usual)|(?:much|a lot|loads) better|better now|"
    r"(?:is|was|now|still|happily|been|back to) playing\b(?! (?:football|sport|rugby|tennis|netball|5-a-side|basketball|squash))|"
    r"playing (?:happily|normally|fine|as usual|and (?:drinking|eating))|running a?round|crawling about|same as always|"
    r"(?:totally|perfectly|completely|otherwise|absolutely) well|well (?:right )?now|"
    r"as (?:it )?always (?:is|does|has been))\b|"
    r"好了|好多了|好一点了|好些了|没事了|啥事没有|没什么事|就好|缓过来|恢复正常|又跑又跳|又蹦又跳|跑来跑去|满屋子跑|有说有笑|能吃能睡|能吃能喝|"
    r"玩得挺好|照常玩|跟平时一样", re.I)
# a pattern the patient recognises as their usual one
_USUAL_PATTERN = re.compile(r"\b(?:same as (?:always|usual|ever|before|last time|the others|my (?:usual|other|normal) ones?)|exactly like "
                            r"(?:before|the (?:others|last one))|(?:just )?like (?:my|the) usual|my usual (?:one|ones|attacks?|migraines?|"
                            r"headaches?|flare)|typical (?:one )?for me)\b|跟以前一(?:模一)?样|和以前一(?:模一)?样|跟平常一样|和平时一样|"
                            r"跟之前一(?:模一)?样|老样子", re.IGNORECASE)
# after a birth (not a concept of the terms table: the guidelines' own "after birth" wording must stay as it is)
_POSTNATAL = re.compile(r"\b(?:given birth|gave birth|had my baby|since (?:the birth|having (?:the|my) baby|i had (?:the|my) baby)|"
                        r"after the birth|post-?natal|post-?partum|c-? ?section|ca?esarean)\b|生完(?:孩子|宝宝)|生了孩子|产后|坐月子|月子里|出了月子|剖腹产|剖宫产",
                        re.I)
# a pregnancy that has just ended: a birth, a miscarriage, an ectopic pregnancy or a termination. Not pregnant now, and
# still who the pregnancy guidelines (early-pregnancy problems, warning signs during and after pregnancy) are written for
_PREGNANCY_ENDED = re.compile(r"\b(?:miscarr\w*|ectopic|termination|abortion|lost the baby|lost my baby|erpc)\b|流产|小产|宫外孕|"
                              r"人流|药流|清宫|胎停", re.I)


def recently_pregnant(symptoms: str) -> bool:
    """True when the message tells of a pregnancy that has just ended (a birth, a miscarriage, an ectopic pregnancy)."""
    return bool(_POSTNATAL.search(symptoms) or _PREGNANCY_ENDED.search(symptoms))


# a woman's own baby of weeks or months ("my baby is 5 weeks old", "宝宝两个月大"): she gave birth within the year
_OWN_BABY = re.compile(r"\b(?:my )?(?:baby|newborn|son|daughter|little one) (?:is|was born) (?:\d+|a few|two|three|four|five|six|seven|eight|nine|ten|eleven) "
                       r"(?:weeks?|months?)(?: old| ago)?\b|(?:宝宝|孩子|娃)(?:才|刚)?(?:\d+|[一二两三四五六七八九十]+)(?:个)?(?:周|星期|月)大?", re.I)
_SAYS_MALE = re.compile(r"\b(?:i'?m|i am) (?:a )?(?:\d+ ?(?:yo |year old |y/o )?)?(?:bloke|man|guy|male|lad|chap|gentleman)\b|我是男|男的，|男，", re.I)
_SAYS_FEMALE = re.compile(r"\b(?:i'?m|i am) (?:a )?(?:\d+ ?(?:yo |year old |y/o )?)?(?:woman|female|lady|girl)\b|我是女|女的，|女，", re.I)
_LOST_WEIGHT = re.compile(r"\b(?:lost|dropped|down) (?:about |almost |nearly |over |around )?(?:\d+(?:\.\d+)?|a|a few|several|some|a lot of|"
                          r"half a|two|three|four|five|six) ?(?:kg|kgs|kilos?|kilograms?|pounds?|lbs?|stone|st)\b|(?:瘦|掉|轻)了[\d一二两三四五六七八九十几]+(?:来|多)?(?:斤|公斤)",
                          re.I)
_ASKS_REVIEW_TEXT = {"zh": "您想请医生评估或安排检查", "en": "you ask for a review, a referral or help with a medicine"}
_STILL = re.compile(r"\bstill\b|\beven after\b|\bdespite\b|还是|仍然|仍|也没退|没退|不退", re.IGNORECASE)
_FEVER_MEDICINE = re.compile(r"calpol|paracetamol|acetaminophen|tylenol|panadol|nurofen|ibuprofen|motrin|advil|fever medicine|"
                             r"退烧药|退热药|美林|泰诺林|布洛芬|对乙酰氨基酚|扑热息痛", re.IGNORECASE)
_NEGATED_BEFORE = re.compile(r"\b(?:no|not|never|without|don't have|do not have)\b[^,.;]*$|(?:没有|没|无|不是)\s*$", re.I)
# a condition the patient fears or has read about ("terrified I've got bowel cancer", "I keep reading about brain tumours",
# "googled it", 担心是癌症) is health anxiety, not a condition they have (a guess, "could it be shingles?", stays: it names
# the guideline the question is about)
_FEARED_BEFORE = re.compile(
    r"\b(?:terrified|scared|afraid|frightened|worried|worrying|panick\w*|paranoid|convinced)\s+(?:that\s+)?"
    r"(?:it'?s|it is|it'?s got to be|i'?ve got|i have got|i might have|i may have|i'?ve|i have|of|about)\s+(?:a |an |the |got )?$|"
    r"\b(?:reading about|read about|read up on|googl\w*(?: about)?|looked up|searched(?: for)?)\s+(?:a |an |the )?$|"
    r"(?:担心|害怕|怕)(?:是|自己)?(?:得了)?$", re.I)
# chest or rib pain brought on by a press or a twist (_CHEST_PRESSED: tenderness, the chest wall whatever else is told), or
# also by a move, a cough or a deep breath (_CHEST_WALL, round 20: "ribs sore when I twist or cough", "一按就痛，深吸气也有点痛"),
# which counts only after a fall, a strain or a cold's coughing (_STRAINED); both are built from the same parts
_HURTS_WHEN = r"\b(?:{})\b[^.;!?]{{0,40}}?\b(?:when|if|as|on)\b (?:i |you |he |she |they )?"
_HURT_WORDS = r"hurts?|hurting|sore|pain\w*|tender|worse|sharp|twinge\w*|aches?|aching"
_PRESS = r"press\w*|push\w*|touch\w*|prod\w*|poke\w*|twist\w*|turn\w*"
_PRESS_ON = r"\b(?:press\w*|push\w*|prod\w*|poke\w*) (?:on|at) (?:it|the (?:spot|area|bone)|one spot|my (?:ribs?|breast ?bone|sternum|chest))"
_ZH_PRESS = "一按|按着|按压|按一下|一碰|碰一下|转身|扭身"
_ZH_HURTS = "[^，。；！？,.;!?]{0,6}(?:疼|痛)"
_CHEST_PRESSED = re.compile(f"{_HURTS_WHEN.format(_HURT_WORDS)}(?:{_PRESS})|{_PRESS_ON}|(?:{_ZH_PRESS}){_ZH_HURTS}", re.I)
_CHEST_WALL = re.compile(
    _HURTS_WHEN.format(_HURT_WORDS + r"|stabb\w*|catch\w*")
    + rf"(?:{_PRESS}|mov\w*|cough\w*|sneez\w*|laugh\w*|breathe in|breathing in|take a (?:deep |big )?breath|deep breath\w*|"
    rf"breathe deep\w*)|{_PRESS_ON}|(?:{_ZH_PRESS}|翻身|一咳|咳嗽(?:的)?时(?:候)?|咳的时候|咳得|深吸气|吸气(?:的)?时(?:候)?|深呼吸|"
    rf"一吸气){_ZH_HURTS}|咳嗽咳得[^，。；！？]{{0,6}}(?:疼|痛)", re.I)
# a strain or the coughing of a cold (咳嗽咳得肋骨疼)
_STRAINED = re.compile(r"\b(?:lift\w*|gym|weights|press-?ups|push-?ups|work-?out|moving (?:house|furniture)|coughing (?:so much|a lot|loads|fit))\b|"
                       r"咳嗽咳得|咳得(?:太|很|厉害)|搬|健身|俯卧撑|举重", re.I)
_CHEST_ALARM = frozenset({"csweat", "cbreathless", "cfaint", "ccough_blood", "cgrey", "cpale"})
# a vaccine against it ("my flu and Covid jabs", 流感疫苗) is not the illness
_JAB_AFTER = re.compile(r"(?:\s*(?:and|&|\+)\s*\w+)?\s*(?:jabs?|vaccin\w*|shots?|boosters?|immunis\w*|immuniz\w*)\b|疫苗", re.I)


# sugars going below 4 mmol/L, said as a bound ("dropping under 4", "低于4"), not an age ("under 4 years")
_DROPS_BELOW_4 = re.compile(r"(?:under|below|less than|lower than|低于|不到|<)\s*(?:4|3(?:\.\d)?)(?:\.0)?(?![\d.])(?!\s*(?:years?|yrs?|y/o|months?|"
                            r"weeks?|days?|岁|个月|周|天|kg|%))", re.IGNORECASE)
# "半年里第三回" / "一年内三次": a window in which something happened, not how long it has lasted
_WINDOW = re.compile(r"(?:里|内|中)\S{0,4}?(?:第|\d+\s*(?:次|回)|[两三四五六七八九十几]\s*(?:次|回))|"
                     r"\s*(?:\d+|[一两二三四五六七八九十几]{1,2})\s*(?:次|回)")  # "一个月两三次": how often, not how long
# three or more times a day ("needing it 4 or 5 times a day", "一天要喷四五回", "每天用好几次")
_SEVERAL_A_DAY = re.compile(r"\b(?:[3-9]|1\d|three|four|five|six|seven|eight|several|many)\b(?:\s*(?:or|-|to)\s*\w+)?\s*"
                            r"(?:times|goes|puffs|doses)\s*(?:a|per|each|every)\s*day\b|"
                            r"(?:一天|每天|一日)[^，。,；;]{0,4}?(?:[三四五六七八九十]|好几|\d+)\S{0,2}?(?:回|次|下)", re.IGNORECASE)
# "three times a month", "once a week": how often, not how long
_HOW_OFTEN = re.compile(r"\b(?:times?|once|twice|x)\s+(?:(?:a|per|every)\s*)?$", re.IGNORECASE)
_STARTED_AGO = re.compile(r"\b(?:started|began|begun|came on|kicked off)\s+(?:about |around |roughly |maybe |like )?$", re.IGNORECASE)


# an allergic-looking reaction after a medicine or a food: what came out, and what it came after
_REACTION = re.compile(r"\b(?:welts?|hives|rash|swell\w*|itch\w*|tingl\w*|anaphyla\w*|allergic)\b|过敏|风团|疙瘩|疹子|发麻|发痒|奇痒|"
                       r"休克|肿", re.IGNORECASE)
_AFTER_TRIGGER = re.compile(
    r"\b(?:(?:after|since)\s+(?:my |the |his |her )?(?:last|previous)|(?:whenever|every time) (?:i|he|she) (?:eat|eats|have|has|take|takes))"
    r"\s+(?:course of |dose of )?(?:[a-z]+(?:cillin|mycin|cycline|floxacin|sporin|sulfa\w*)|antibiotics?|penicillin|aspirin|ibuprofen|"
    r"codeine|prawns?|shrimps?|shellfish|peanuts?|nuts|eggs?)\b|"
    r"(?:上次|以前|去年|之前|每次)(?:吃|用|打|输)[^，。,；]{0,6}?(?:药|头孢|青霉素|阿莫西林|抗生素|虾|蟹|海鲜|花生|芒果|鸡蛋)",
    re.IGNORECASE)


def _past_reaction(text: str) -> bool:
    """An allergic-looking reaction to a medicine or food, told as past or recurring in the same sentence ("came out in
    itchy welts after my last course of amoxicillin", "每次吃虾嘴唇就发麻发痒"): an allergy a clinician should assess, not
    self-care (a mild reaction happening now, "hives an hour after eating prawns, breathing fine", is the guideline's)."""
    return any(_REACTION.search(s) and _AFTER_TRIGGER.search(s) for s in re.split(r"[.!?。！？]", text))


_JUST_NOW = re.compile(r"\b(?:last night|this morning|this afternoon|this evening|tonight|today|an hour ago|few hours)\b", re.I)
_INTERMITTENT = re.compile(r"\b(?:comes? and goes?|coming and going|on and off|off and on|now and then)\b", re.IGNORECASE)
# what the patient wonders about is not what they report: "could these be infected with something?", "might it be
# cancer?", "会不会是感染了？" (the signs they tell elsewhere still count; red flags are triage's, which reads every word)
_WONDERS = re.compile(r"\b(?:could|can|might|may|would)\s+(?:it|this|these|that|they|those)\s+be\s+[^?.!\n]{1,60}\?|"
                      r"\b(?:is|are)\s+(?:it|this|these|that|they|those)\s+(?:\w+\s+)?(?:infected|serious|cancer|contagious|"
                      r"dangerous)\b[^?.!\n]{0,30}\?|(?:会不会|是不是|难道)(?:是|得了|感染了)?[^？?。！\n]{1,20}[？?]", re.IGNORECASE)


def extract_facts(symptoms: str, *, age: float | None = None, sex: str | None = None, pregnant: bool | None = None,
                  duration: str | None = None) -> Facts:
    """Numbers and words of the patient's own text, with the request's structured fields taking precedence."""
    symptoms = _NO_APOSTROPHE.sub(r"\1'\2", symptoms)  # "cant put any weight on it" is "can't"
    if sex is None:  # "I'm a bloke and it burns when I pee": the patient's own word for their sex
        sex = "male" if _SAYS_MALE.search(symptoms) else "female" if _SAYS_FEMALE.search(symptoms) else None
    text = " ".join(t for t in (symptoms, duration or "") if t)
    spans = _spans(text)
    if pregnant or (pregnant is None and re.search(r"\bpregnant\b|怀孕|孕\d|孕期", text, re.IGNORECASE)):
        # "32 weeks, my palms are itchy" / "31 wks pregnant": in pregnancy a bare count of weeks is how far along she is,
        # unless it says how long something has lasted ("for 3 weeks", "since 2 weeks ago")
        spans = [_Span(s.days, "pregnancy", s.start, s.end)
                 if s.kind == "duration" and text[s.start:s.end].rstrip().lower().endswith(("week", "weeks", "wk", "wks", "周"))
                 and 28 <= s.days <= 42 * 7 and not re.search(r"(?:for|last|past|over|since|about|almost|nearly|持续|已经|了)\s*$",
                                                              text[max(0, s.start - 8):s.start], re.IGNORECASE)
                 and not re.match(r"\s*(?:ago|now|之前|前|了)", text[s.end:s.end + 6]) else s for s in spans]
    ages = [s.days / 365 for s in spans if s.kind == "age"]
    preg = [s.days for s in spans if s.kind == "pregnancy"]
    durations = [s.days for s in spans if s.kind == "duration" and not re.search(r"\bago\b|之前|前$", text[s.end:s.end + 5])
                 and not _HABIT.search(re.split(r"[,.;!?，。；！？]", text[max(0, s.start - 40):s.start])[-1])
                 and not _WINDOW.match(text, s.end) and not _HOW_OFTEN.search(text[max(0, s.start - 12):s.start])]
    # "cold started 12 days ago": what started then has lasted since (not "started amoxicillin 2 days ago": a medicine)
    durations += [s.days for s in spans if s.kind == "duration" and re.match(r"\s*ago\b", text[s.end:s.end + 5])
                  and _STARTED_AGO.search(text[max(0, s.start - 25):s.start]) and not _MEDICINE_WORD.search(text[max(0, s.start - 40):s.start])]
    # (not "a heart attack 12 years ago and a stent, all fine since": what has been fine since is history, not the complaint)
    if re.search(r"\bstill\b|\bkeeps?\b|\bsince\b|还是|仍然|一直|从那以后|到现在",
                 re.sub(r"\b(?:fine|well|ok|okay|good|no (?:problems?|trouble|issues))(?: ever)? since\b", " ", text, flags=re.IGNORECASE),
                 re.IGNORECASE):
        # "twisted my knee 6 weeks ago, it still clicks": what is still there has lasted since then (and so has
        # "back from Egypt 4 days ago, had the runs ever since")
        durations += [s.days for s in spans if s.kind == "duration" and re.search(r"\bago\b|之前|前$", text[s.end:s.end + 5])]
    # "孩子十个月了" with age 0.83 is the child's age, not how long the illness has lasted
    known_age = age if age is not None else (ages[0] if ages else None)
    if known_age is not None and known_age > 0:
        durations = [d for d in durations if d < 28 or abs(d - known_age * 365) > max(15.0, 0.05 * known_age * 365)]
    low = text.lower()
    if re.search(r"since yesterday|from yesterday|昨天", low):
        durations.append(1.0)
    if re.search(r"\bsince (?:last )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|the weekend)\b|上周[一二三四五六日天]|"
                 r"礼拜[一二三四五六天日]|星期[一二三四五六天日]", low):
        durations.append(3.0)  # a weekday ago: at least a couple of days, usually more (the middle of the range)
    if re.search(r"\bsince last week\b|上个?星期|上个?礼拜|上周", low):
        durations.append(7.0)
    if re.search(r"since this morning|since last night|今天|this morning", low):
        durations.append(0.5)
    # a length without a number ("months now", "for weeks", "好几个月", "since August"): the least it can mean
    if re.search(r"\b(?:for|over|past|last) (?:the )?(?:past |last )?(?:few |several |many )?weeks\b|\bweeks now\b|"
                 r"\b(?:a few|several|a couple of) weeks\b|好几周|几个星期|好几个星期|好几个礼拜", low):
        durations.append(14.0)
    if re.search(r"\bsince last month\b|\bsince (?:january|february|march|april|may|june|july|august|september|october|"
                 r"november|december)\b|\b(?:for|over|during|in) (?:the )?(?:past|last) month\b|\bfor (?:a|about a|over a) month\b|"
                 r"(?:从|打从|自从)上个?月|上个?月(?:开始|以来|到现在)|这一?个月(?:来|以来)", low):
        durations.append(30.0)
    if _SINCE_SEASON.search(low):
        durations.append(30.0)  # "since the spring", "since Christmas", "从过年到现在": a season or a holiday ago, a month at least
    if (months := _months_between(low)) is not None:
        durations.append(30.0 * months)  # "had covid in June, it's now October": four months
    if re.search(r"\b(?:for|over|past|last) (?:the )?(?:past |last )?(?:few |several |many )?months\b|\bmonths now\b|"
                 r"\b(?:a few|several|a couple of) months\b|好几个月|几个月了|这几个月", low):
        durations.append(60.0)
    if re.search(r"\b(?:for|over) (?:the )?(?:past |last )?(?:few |several |many )?years\b|\byears now\b|好几年|这几年", low):
        durations.append(365.0)
    temps = _temperatures(text)
    is_pregnant = pregnant
    said = any(not denies_pregnancy(low, m.start()) for m in re.finditer(r"\bpregnant\b|怀孕|孕\d|孕期", low))
    if is_pregnant is None and (preg or said):
        is_pregnant = True
    tokens = set(_tokens(_WONDERS.sub(" ", symptoms)))
    if "crecur" in tokens and _INTERMITTENT.search(symptoms) \
            and (max(durations) < 2 if durations else bool(_JUST_NOW.search(symptoms))) \
            and "crecur" not in _tokens(_INTERMITTENT.sub(" ", _WONDERS.sub(" ", symptoms))):
        # "crampy, comes and goes, since last night": a pain that comes in waves within one short illness is not one that
        # keeps coming back (over days, weeks: "hives coming and going for 8 weeks" still is)
        tokens.discard("crecur")
    if _INTENSE.search(symptoms):
        tokens.add("severe")  # "really bad", "unbearable", "痛得受不了": the patient says how bad it is
    if _FAST.search(symptoms):
        tokens.add("rapid")  # "spreading fast", "by the hour", "越来越快": the patient says how fast it goes
    if _breathless_on_exertion_only(symptoms) and _breathless_on_slightest_effort(symptoms):
        # "I get puffed walking to the car": breathless on the slightest effort, a same-day sign; not "struggling to
        # breathe" (the emergency criteria skip a breathlessness that comes with effort)
        tokens.update({"cbreathless", "breath_on_exertion"})
    elif _breathless_on_exertion_only(symptoms):
        tokens.add("breath_on_exertion")
    if _SEVERAL_A_DAY.search(symptoms):
        tokens.add("several_a_day")  # "4 or 5 times a day", "一天要喷四五回": how often it is needed each day
    if _HOURS_LONG.search(symptoms):
        tokens.add("clong_time")  # "racing heart went on for about 2 hours": an episode of an hour or more lasts a long time
    if "csmoker" in tokens and re.search(r"\bnon[- ]?smok|\bnever smoked\b", symptoms, re.IGNORECASE) \
            and not re.search(r"\b(?:ex-?smoker|used to smoke|i smoke|still smoking)\b", symptoms, re.IGNORECASE):
        tokens.discard("csmoker")  # "non-smoker" is not a smoker
        tokens.add("not_csmoker")
    if re.search(r"\bevery (?:\d+|few|couple of|five|ten|fifteen|twenty)\s*(?:-\s*\d+\s*)?(?:min|mins|minutes)\b|每隔?\s*\d+\s*分钟|"
                 r"隔\s*\d+\s*分钟", symptoms, re.IGNORECASE):
        tokens.add("every_minutes")  # "tightenings every 10 minutes": a rhythm (labour), not a discomfort now and then
    if _NO_SYMPTOMS.search(symptoms):
        tokens.add("no_symptoms")  # "no symptoms, just want a check-up", "目前没有任何症状": a check, not an illness
    if "cdischarged" in tokens and re.search(r"asthma|哮喘", symptoms, re.IGNORECASE):
        tokens.add("attack")  # "discharged yesterday after they kept me in 3 nights with my asthma": after an asthma attack
    if {"cdiarrhoea", "cpus"} <= tokens:
        tokens.add("cstool")  # "diarrhoea with pus or yellow slime in it" is the guideline's "pus in the stool"
    if "crefuse_drink" in tokens:
        tokens.add("cdrink_less")  # refusing to drink is drinking less too ("your child is not drinking well")
    if _AFTER_MEAL.search(symptoms):
        tokens.add("after_meal")  # a sugar "two hours after lunch" is not a fasting reading
    if _CLIMB.search(symptoms):
        tokens.add("cexertion")  # "爬四楼爬到一半", "three flights of stairs": the effort of climbing, whatever the floor
    if _SEX_PAIN.search(symptoms):
        tokens.add("csex_pain")  # "it hurts deep inside when I have sex", "sex is painful", "同房以后小肚子疼"
    if _SPOTTING_AFTER_SEX.search(symptoms):
        # "spotted after sex", "同房后有点血": bleeding after sex in words the bleeding concept does not hold alone (plain
        # "spotting" and 见红 are its forms since urgency terms 2026.12.19; "spotted" alone is noticing)
        tokens.add("cbleeding")
    if _LOST_WEIGHT.search(symptoms):
        tokens.add("cweight_loss")  # "I've lost 5 kilos", "瘦了十来斤"
    if is_pregnant:
        tokens.add("pregnant")  # the request's flag says it as well as the word would ("if you are pregnant:" lists)
    if "cweak_immune" in tokens or (age is not None and age >= 65) or pregnant:
        tokens.add("chigh_risk")  # "if you test positive and are at higher risk"
    t = max(temps) if temps else None
    if _FEVER_MEDICINE.search(text) and (t is not None and t >= 38.0 and _STILL.search(text) or "cnot_improving" in tokens):
        tokens.add("cnot_come_down")  # "gave calpol 2 hours ago and it's still 103.6F": the fever will not come down
    if t is not None and t >= 38.0:
        tokens.add("cfever")
        if t >= 39.0:
            tokens.add("high")
    # what is left of the numbers once ages, durations and temperatures are taken out
    pressures = blood_pressures(text)
    sugars = glucose_values(text)
    if (sugars and min(sugars) < 3.9) or (_GLUCOSE_CONTEXT.search(text) and _DROPS_BELOW_4.search(text)):
        # a reading below 3.9 mmol/L is a hypo, whatever the patient calls it; so is "my sugars keep dropping under 4"
        tokens.add("chypo")
    if "chypo" in tokens and _EPISODES.search(text):
        tokens.add("crecur")  # "这个月已经低血糖三回了", "3 hypos this week": lows that keep happening are frequent lows
    rest = _TEMP.sub(lambda m: " " if _temperatures(m.group(0) + " fever") else m.group(0), text)
    if pressures:
        rest = _BP.sub(" ", rest)
    if sugars:
        rest = _GLUCOSE_UNIT.sub(" ", rest)
        rest = _GLUCOSE_NEAR.sub(" ", rest)
        for v in sugars:  # a bare reading taken as a sugar ("was 3.6 before lunch") is interpreted, not left over
            rest = re.sub(rf"(?<![\d.]){re.escape(f'{v:g}')}(?![\d])", " ", rest)
    for sp in sorted(spans, key=lambda x: -x.start):
        rest = rest[:sp.start] + " " + rest[sp.end:]
    readings = tuple(m.group(0) for m in re.finditer(r"\d+(?:\.\d+)?(?:\s*/\s*\d+)?", rest)
                     if ("/" in m.group(0) or "." in m.group(0)) and not (sugars and _later_sugar(text, m.group(0))))
    from rag.terms import lexicon

    named = frozenset(m.name for m in lexicon.conditions_in(symptoms) if m.kind == "condition"
                      and not _NEGATED_BEFORE.search(symptoms[max(0, m.start - 12):m.start])
                      and not _FEARED_BEFORE.search(symptoms[max(0, m.start - 40):m.start])
                      and not _JAB_AFTER.match(symptoms[m.end:m.end + 30]))
    if _POSTNATAL.search(symptoms) or (sex == "female" and age is not None and age >= 16 and _OWN_BABY.search(symptoms)):
        tokens.add("cpostnatal")  # a mother telling us her baby is 5 weeks old: she gave birth within the year
    if "cchest_pain" in tokens and not tokens & _CHEST_ALARM and (
            _CHEST_PRESSED.search(symptoms) or (_CHEST_WALL.search(symptoms) and (
                tokens & {"cinjury", "ccommon_cold"} or _STRAINED.search(symptoms)))):
        # pain in the chest or ribs that a press or a twist brings on, or a cough or a deep breath after a fall, a strain or
        # a cold's coughing, with no sweat, breathlessness, faint or blood: the chest wall, not the guidelines' emergency
        # "chest pain" (matching reads it so). Pain on breathing in with nothing to explain it stays chest pain: a clot in
        # the lung or a collapsed lung start that way
        tokens.add("cchest_wall")
    if named & _CHRONIC:
        tokens.add("clong_term")  # "I have heart failure": a long-term condition, as the guidelines' criteria say
    if _more_often_than_usual(symptoms):
        tokens.add("cmore_often")  # "4 or 5 times a week when it's usually once a fortnight": more often than usual
    return Facts(conditions=named, age_years=age if age is not None else (min(ages) if ages else None), sex=sex, pregnant=is_pregnant,
                 new_medicine=_after_new_medicine(symptoms), percent=_lowest_percent(symptoms),
                 asks_review=bool(_ASKS_REVIEW.search(symptoms)), asks_booking=bool(_ASKS_BOOKING.search(symptoms)), settled=bool(_SETTLED.search(symptoms)),
                 usual_pattern=bool(_USUAL_PATTERN.search(symptoms)), past_reaction=_past_reaction(symptoms),
                 improving=_says_improving(symptoms),
                 pregnancy_weeks=max(preg) if preg else None, temperature_c=t,
                 duration_days=max(durations) if durations else None, tokens=frozenset(tokens), readings=readings,
                 blood_pressure=(pressures[-1] if len(pressures) > 1 and _REMEASURED.search(text) else
                                 (max(p[0] for p in pressures), max(p[1] for p in pressures))) if pressures else None,
                 glucose_mmol=max(sugars) if sugars else None)


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
           "december")
_SINCE_SEASON = re.compile(r"\bsince (?:the |last )?(?:spring|summer|autumn|fall|winter|christmas|xmas|easter|new year|"
                           r"(?:summer |easter |christmas )?holidays?|half[- ]term)\b|(?:从|打从|自从)(?:春天|夏天|秋天|冬天|过年|春节|国庆|暑假|寒假)|"
                           r"(?:春天|夏天|秋天|冬天|过年|春节|国庆|暑假|寒假)(?:以后|以来|开始|到现在)", re.IGNORECASE)
_MONTH_THEN_NOW = re.compile(r"\b(?:in|since|back in|from|early|late|mid)[- ](" + "|".join(_MONTHS) + r")\b.{0,120}?"
                             r"\b(?:now|it'?s|it is)\s+(?:already\s+|nearly\s+|almost\s+)?(" + "|".join(_MONTHS) + r")\b",
                             re.IGNORECASE | re.DOTALL)


def _months_between(low: str) -> int | None:
    """"in June ... it's now October": the months from the one named first to the one said to be now."""
    m = _MONTH_THEN_NOW.search(low)
    if not m:
        return None
    gap = (_MONTHS.index(m.group(2)) - _MONTHS.index(m.group(1))) % 12
    return gap or None


def illness_days(facts: Facts) -> float | None:
    """How long the complaint has lasted, or None: not a baby's age read as a duration ("she's five months")."""
    days, age = facts.duration_days, facts.age_years
    if days is not None and age is not None and days >= 0.9 * age * 365:
        return None
    return days


# how often, told as a count per period ("4 or 5 times a week", "once a fortnight", "twice a day", "一周四五次",
# "两周一次"), and whether the count is what is usual ("usually", "normally", "used to", "平时", "以前")
_TIMES = {"once": 1.0, "twice": 2.0}
_PERIOD_DAYS = {**_UNIT_DAYS, "fortnight": 14}
_COUNT = r"(\d+|once|twice|one|two|three|four|five|six|seven|eight|nine|ten|a couple of|a few|several)"
_FREQ_EN = re.compile(_COUNT + r"(?:\s*(?:or|to|-)\s*(?:\d+|two|three|four|five|six|seven|eight|nine|ten))?(?:\s*times?)?\s+"
                      r"(?:a|per|each|every)\s+(day|night|week|fortnight|month|year)\b", re.I)
_FREQ_ZH = re.compile(r"(?:每|一)?(?:(\d+|[一两二三四五六七八九十])个?)?(天|晚|日|周|星期|礼拜|月|年)(?:都|要|得|会|就)*(?:用|发作?|犯|喷|吃|来)?(?:了)?"
                      r"(\d+|[一两二三四五六七八九十几])[一两二三四五六七八九十]?次")
_USUAL_MARK = re.compile(r"\b(?:usually|normally|typically|used to(?: be)?|before|would be|instead of)\b|平时|平常|以前|原来|之前|往常", re.I)


def _rate(m: re.Match[str], zh: bool) -> float:
    """Times per day of one count per period (numbers read by `_num`, as for durations)."""
    if zh:
        per = _num(m.group(1) or "一") or 1
        return (_num(m.group(3)) or 1) / (per * _PERIOD_DAYS[m.group(2)])
    word = m.group(1).lower()
    return (_TIMES.get(word) or _num(word) or 1) / _PERIOD_DAYS[m.group(2).lower()]


# where a message turns from how things were to how they are now
_CHANGE = re.compile(r"\b(?:since|but now|lately|these days|this week|the last (?:few|couple of) (?:days|weeks))\b|最近|这几天|"
                     r"这两天|这周|这两周|这个礼拜|这礼拜", re.I)


def _more_often_than_usual(symptoms: str) -> bool:
    """A count per period said now is at least twice one said as usual: "her blue inhaler 4 or 5 times a week when it's
    usually once a fortnight", "平时两周用一次，这两周一周用四五次". A usual count is one a usual-word ("usually", "used
    to", "平时") comes just before, in the same clause."""
    counts = [(m.start(), _rate(m, zh)) for rx, zh in ((_FREQ_EN, False), (_FREQ_ZH, True)) for m in rx.finditer(symptoms)]
    usual: list[float] = []
    now: list[float] = []
    for at, rate in counts:
        (usual if _said_as_usual(symptoms, at) else now).append(rate)
    if usual:
        # "normally maybe once a fortnight ... using it most days": a daily word said as now is once a day
        now += [1.0 for m in _DAILY.finditer(symptoms) if not _said_as_usual(symptoms, m.start())]
    elif (change := _CHANGE.search(symptoms)) is not None:
        # no usual-word at the count, but a change told after it: "i use my blue inhaler maybe once a month. since a cold
        # 2 weeks ago im needing it every day" (the count before the change is the usual one, what follows is now)
        # (what is now is told in the change's own sentence: "hasn't happened since 2024. also ... every day" is not)
        cut = change.start()
        end = next((m.start() for m in re.finditer(r"[.!?。！？]", symptoms) if m.start() > cut), len(symptoms))
        usual = [r for at, r in counts if at < cut]
        now = [r for at, r in counts if cut < at < end] + [1.0 for m in _DAILY.finditer(symptoms) if cut < m.start() < end]
    return bool(now and usual and max(now) >= 2 * max(usual))


def _said_as_usual(symptoms: str, start: int) -> bool:
    """A usual-word ("usually", "平时") within 50 characters before `start`, in the same clause."""
    return bool(_USUAL_MARK.search(re.split(r"[,.;!?，。；！？]", symptoms[max(0, start - 50):start])[-1]))


_DAILY = re.compile(r"\b(?:most days|every day|everyday|daily|every night|nearly every day|almost every day|most nights)\b|"
                    r"天天|每天|每晚|几乎每天", re.I)


# a reading taken again after sitting quietly is the one that counts (NICE NG136: repeat a high first reading and
# record the lower): "172/104 after the stairs; sat five minutes, second reading 128/82"
_REMEASURED = re.compile(r"\b(?:second|2nd|third|another|repeat(?:ed)?|re-?(?:checked|took|measured|did)|again|after (?:sitting|"
                         r"resting|a rest)|sat (?:quietly|down|still|for)|rested)\b|再测|又测|复测|重新测|休息.{0,6}(?:后|再)|坐.{0,6}(?:分钟|会儿)(?:后|再)",
                         re.IGNORECASE)
_AFTER_MEAL = re.compile(r"\bafter (?:my |a |the |his |her )?(?:lunch|dinner|tea|breakfast|a meal|meals|eating|food)\b|"
                         r"\b(?:post[- ]?meal|postprandial)\b|(?:饭|餐|午饭|晚饭|早饭|早餐|午餐|晚餐)后|吃完(?:午|晚|早)?饭|吃过饭", re.IGNORECASE)
_CLIMB = re.compile(r"爬.{0,3}楼|上.{0,2}[二三四五六七八九\d]楼|\b(?:flights?|floors?) of stairs\b|\bup (?:\w+ )?flights?\b", re.IGNORECASE)
_BREATH = re.compile(r"breath\w*|puffed|winded|气短|气促|喘", re.IGNORECASE)
_EXERTION = re.compile(r"walk\w*|stairs|upstairs|uphill|hills?\b|exercis\w*|running|jogging|gym|climb\w*|走快|走路|走几步|上楼|爬楼|"
                       r"爬坡|运动|活动后|干活|hoover\w*|vacuum\w*|housework|chores|gardening|mowing|carrying|做家务|干家务|拖地", re.IGNORECASE)
# at rest or on the slightest effort (walking to the loo, getting dressed) is breathlessness at rest
_AT_REST = re.compile(r"at rest|sitting|lying|even when|talking|can'?t (?:speak|talk|finish)|to the (?:loo|toilet|bathroom)|"
                      r"getting dressed|across the room|静息|坐着|躺着|休息时|说话|上厕所|穿衣", re.IGNORECASE)
# the slightest effort: "puffed walking to the car", "走几步路就喘"
_MINIMAL = re.compile(r"to the (?:car|gate|door|kitchen|kettle|end of the (?:road|drive))|a few (?:steps|yards|metres)|"
                      r"走几步|几步路|走两步|动一动就|稍微一动", re.IGNORECASE)


def _breathless_on_slightest_effort(symptoms: str) -> bool:
    """A mention of breathlessness on the slightest effort ("puffed walking to the car", "走几步路就喘")."""
    return any(_BREATH.search(c) and _MINIMAL.search(c) and not _denied_breath(c)
               for c in re.split(r"[,.;!?，。；！？]|\bbut\b", symptoms))


def _denied_breath(clause: str) -> bool:
    return bool(re.search(r"\b(?:no|not|never|without)\b[^,.;]{0,20}breath|breath\w*\s+(?:\w+\s+)?(?:ok|okay|fine|normal|alright)\b|"
                          r"不喘|没有?喘|不气短|没有气短", clause, re.IGNORECASE))


def _breathless_on_exertion_only(symptoms: str) -> bool:
    """Every mention of breathlessness comes with exertion ("puffed going upstairs", "走快一点就气短") and none with rest."""
    parts = [c for c in re.split(r"[,.;!?，。；！？]|\bbut\b", symptoms) if _BREATH.search(c)]
    return bool(parts) and all(_EXERTION.search(c) and not _AT_REST.search(c) for c in parts)


# an episode told as lasting an hour or more ("went on for about 2 hours", "持续了两个多小时"), not "an hour before"
_HOURS_LONG = re.compile(r"\b(?:for|lasted|lasting|lasts)\s+(?:about |around |over |nearly |almost |a good |more than )?"
                         r"(?:an|one|two|three|four|five|six|several|a few|a couple of|\d+(?:\.\d+)?)\s*(?:hours?|hrs?)\b|"
                         r"持续了?(?:一|两|三|四|五|几|好几|\d+)个?多?小时", re.IGNORECASE)
# pain with sex, however it is told (the sex_pain concept's forms are the fixed phrases)
_SEX_PAIN = re.compile(r"\b(?:pain\w*|hurts?|hurting|sore|ache\w*|sting\w*)\b[^.;,!?]{0,30}\b(?:during|when|while|after|with)\b[^.;,!?]{0,12}"
                       r"\b(?:sex|intercourse)\b|\b(?:sex|intercourse)\b[^.;,!?]{0,20}\b(?:pain\w*|hurts?|hurting|sore)\b|"
                       r"(?:同房|性生活|性交|做爱)[^，。；,;！？]{0,8}(?:痛|疼)", re.IGNORECASE)
_SPOTTING_AFTER_SEX = re.compile(r"\bspott\w*\b[^.;,!?]{0,20}\bafter (?:sex|intercourse)\b|同房(?:后|以后|之后)[^，。；,;！？]{0,6}(?:见红|有点血|有血丝)",
                                 re.IGNORECASE)
_NO_SYMPTOMS = re.compile(r"\bno symptoms\b|\b(?:haven't|have not|hasn't|has not|don't|do not|doesn't|does not) (?:got |have )?"
                          r"any symptoms\b|\bnot got any symptoms\b|\bsymptom[- ]free\b|\basymptomatic\b|"
                          r"没有任何症状|没什么症状|没有症状|无症状|没有什么症状|什么症状都没有", re.IGNORECASE)
_STARTED = re.compile(r"\b(?:started|starting|began|begun|since (?:i )?(?:started|starting|going on|taking)|put me on|switched to|"
                      r"changed to|new (?:tablets?|medicines?|medication|pills?)|"
                      # a dose raised or a medicine added is a change too ("since the doctor upped my amlodipine",
                      # "since my blood pressure tablets were increased", "put my water tablet up", "added doxazosin")
                      r"upped|(?:was|were|been|got) (?:increased|doubled|raised)|increased (?:my|the|his|her) (?:dose|\w+)|"
                      r"doubled (?:my|the|his|her)|put (?:my|his|her|the) (?:\w+ ){1,2}up|(?:doctor|gp|nurse|consultant) added)\b|"
                      r"开始吃|开始服|开始用|换了.{0,4}药|新开的药|新换的药|加量|加了量|加大了?剂量|剂量加大|药量加|"
                      # round 21: a reaction told after the medicine in Chinese ("吃头孢第二天，身上起了疹子", "吃了氨氯地平以后脚踝肿")
                      r"(?:吃|服|用|打)(?:了)?[^，。；]{1,8}?(?:第[一二两三四五六七八九十\d]+天|以后|之后)[^。；]{0,12}?"
                      r"(?:疹|痒|肿|风团|过敏|干咳|晕|起泡|水泡)",
                      re.IGNORECASE)
_MEDICINE_WORD = re.compile(r"\b(?:tablets?|pills?|medicines?|medications?|antibiotics?|capsules?|inhalers?|injections?|"
                            r"the pill|statins?|jabs?|vaccines?)\b|药|针|头孢|青霉素|阿莫西林|抗生素", re.IGNORECASE)


_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%|百分之(\d+(?:\.\d+)?)")


# a peak-flow reading beside the patient's best ("peak flow 330 and my best is 450", "峰流速280，平时最好400"): the share
# of the best is the reading a "below 50% of your best" criterion is about
_PEAK_READING = re.compile(r"peak\s*flows?\b[^.;\d]{0,25}?(\d{2,3})\b(?!\s*%)|峰流速[^。；\d]{0,8}?(\d{2,3})(?!\s*%)", re.IGNORECASE)
_PEAK_BEST = re.compile(r"\b(?:best|normal|usual(?:ly)?)\b[^.;\d]{0,20}?(\d{2,3})\b(?!\s*%)|(\d{2,3})\s*(?:is|was)?\s*(?:my|her|his)\s+"
                        r"(?:best|normal|usual)\b|(?:最好|平时|正常)[^。；\d]{0,8}?(\d{2,3})(?!\s*%)", re.IGNORECASE)


def _lowest_percent(symptoms: str) -> float | None:
    values = [float(a or b) for a, b in _PERCENT.findall(symptoms)]
    reading, best = _PEAK_READING.search(symptoms), _PEAK_BEST.search(symptoms)
    if reading and best:
        now = float(reading.group(1) or reading.group(2))
        top = float(next(g for g in best.groups() if g))
        if 0 < now <= top and top >= 100:
            values.append(round(100 * now / top, 1))
    return min(values) if values else None


def _after_new_medicine(symptoms: str) -> bool:
    """A new symptom after starting or changing a medicine ("started amoxicillin 2 days ago, now a rash all over";
    "since the doctor upped my amlodipine I go woozy when I stand")."""
    from rag.terms import lexicon

    started = _STARTED.search(symptoms)
    if not started:
        return False
    return bool(lexicon.find_drugs(symptoms) or _MEDICINE_WORD.search(symptoms))
