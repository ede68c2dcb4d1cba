"""Rule-based de-identification: replaces identifiers with typed placeholders like [NAME], [PHONE].

Conservative by design: clinical numbers (temperatures "38.5", doses "500 mg", blood pressure
"150/95", ages "45 years old") and durations ("3 days", "两周") are left alone. Names are only
removed after a cue ("my name is", "Dr.", "我叫", "患者"), so unannounced names can survive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["DeidResult", "deidentify", "scrub", "PLACEHOLDERS"]

PLACEHOLDERS: tuple[str, ...] = (
    "[EMAIL]", "[URL]", "[IP]", "[ID]", "[MRN]", "[PHONE]", "[DATE]", "[ADDRESS]", "[NAME]",
)


@dataclass(slots=True)
class DeidResult:
    """Scrubbed text and how many replacements of each kind were made."""

    text: str
    counts: dict[str, int] = field(default_factory=dict)


# --- patterns ---------------------------------------------------------------------------------

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_MONTH_NO_MAY = _MONTH.replace("|may|", "|")
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MON_NUM = r"(?:0?[1-9]|1[0-2])"
_YEAR = r"(?:19|20)\d{2}"
_CN_NUM = r"[\d一二三四五六七八九十]"
# characters that rarely start a Chinese place name (function words, pronouns)
_P = r"(?:(?![在住是到去我你他她它的从于来和与及家址为地点位请问帮叫])[\u4e00-\u9fa5])"
_SURNAMES = (
    "欧阳|司马|诸葛|上官|东方|皇甫|尉迟|公孙|慕容|令狐|夏侯|"
    "王|李|张|刘|陈|杨|黄|赵|吴|周|徐|孙|马|朱|胡|郭|何|高|林|罗|郑|梁|谢|宋|唐|许|韩|冯|邓|曹|彭|曾|"
    "肖|田|董|袁|潘|于|蒋|蔡|余|杜|叶|程|苏|魏|吕|丁|任|沈|姚|卢|姜|崔|钟|谭|陆|汪|范|金|石|廖|贾|夏|"
    "韦|付|方|白|邹|孟|熊|秦|邱|江|尹|薛|闫|段|雷|侯|龙|史|陶|黎|贺|顾|毛|郝|龚|邵|万|钱|严|覃|武|戴|"
    "莫|孔|向|汤|常|温|康|施|文|牛|樊|葛|邢|安|齐|易|乔|伍|庞|颜|倪|庄|聂|章|鲁|岳|翟|殷|詹|申|欧|耿|"
    "关|兰|焦|俞|左|柳|甘|祝|包|宁|尚|符|舒|阮|柯|纪|梅|童|凌|毕|单|季|裴|霍|涂|成|苗|谷|盛|曲|翁|冉|"
    "骆|蓝|路|游|辛|靳|管|柴|蒙|鲍|华|喻|祁|蒲|房|滕|屈|饶|解|牟|艾|尤|阳|时|穆|农|司|卓|古|吉|缪|简|"
    "车|项|连|芦|麦|褚|娄|窦|戚|岑|景|党|宫|费|卜|冷|晏|席|卫|米|柏|宗|瞿|桂|全|佟|应|臧|闵|苟|邬|边|"
    "卞|姬|师|和|仇|栾|隋|商|刁|沙|荣|巫|寇|桑|郎|甄|丛|仲|虞|敖|巩|明|佘|池|查|麻|苑|迟|邝"
)
# characters that end a Chinese given name (a following word, not part of the name)
_NAME_STOP = r"今年岁男女是的在有和了患因来去说从最近已昨后前，,。.：:；;！!？?\s（(、"
# first characters that make "surname + X" a clinical word rather than a name (高血压, 黄疸, 白细胞)
_NOT_GIVEN = r"血烧热度岁周天月年次个细胞疸节炎肿压糖脂尿便痛疼"
_CN_NAME = rf"(?:{_SURNAMES})(?![{_NOT_GIVEN}])[^{_NAME_STOP}\d]{{1,2}}"
_EN_NAME = r"[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?"
_EN_NAME_STOP = {
    "I", "The", "A", "An", "And", "But", "My", "Not", "So", "Very", "Just", "Feeling", "Having", "Still",
    "Pregnant", "Diabetic", "Sick", "Worried", "Here", "Going", "Also", "Really", "Now", "Currently",
}
_TITLE = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Doctor|Nurse|Sister|Professor)"
_RELATIVE = (
    r"(?:son|daughter|wife|husband|mum|mom|mother|dad|father|brother|sister|friend|baby|partner|"
    r"boyfriend|girlfriend|grandma|grandmother|grandpa|grandfather|kid|child|boy|girl|neighbou?r|colleague)"
)

Rule = tuple[str, re.Pattern[str], int]  # kind, pattern, group to replace (0 = whole match)


def _r(kind: str, pattern: str, group: int = 0, flags: int = re.IGNORECASE) -> Rule:
    return (kind, re.compile(pattern, flags), group)


_RULES: tuple[Rule, ...] = (
    _r("EMAIL", r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b"),
    _r("URL", r"\b(?:https?://|www\.)[^\s<>\"'，。）)]+(?<![.,;:!?])"),
    _r("IP", r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.])"),
    # Chinese resident identity card: 18 chars (last may be X) and the old 15-digit form
    _r(
        "ID",
        r"(?<![\dA-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dA-Za-z])",
    ),
    _r("ID", r"(?<![\dA-Za-z])[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?![\dA-Za-z])"),
    _r("ID", r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])"),  # US SSN
    _r(
        "ID",
        r"\b(?:ssn|social security(?: number| no\.?)?|passport(?: number| no\.?)?|driver'?s licen[cs]e(?: number| no\.?)?"
        r"|(?:insurance|member|policy|national) (?:id|number|no\.?)|id (?:number|no\.?|card))\s*(?:is|:|#|=)?\s*"
        r"([A-Z]{0,3}[-\s]?\d[\d\s-]{3,}\d|[A-Z]{0,3}\d{4,}[A-Z]?)",
        1,
    ),
    _r("ID", r"(?:身份证号?码?|护照号?码?|医保卡号|社保卡号|医保号)\s*(?:是|为|：|:)?\s*([A-Za-z0-9]{6,20})", 1),
    _r(
        "MRN",
        r"\b(?:mrn|medical record(?: number| no\.?| #)?|record (?:number|no\.?|#)|patient (?:id|number|no\.?|#)"
        r"|hospital (?:id|number|no\.?)|chart (?:number|no\.?|#)|nhs number|case (?:number|no\.?|#)|accession (?:number|no\.?))"
        r"\s*(?:is|:|#|=)?\s*([A-Z]{0,3}[-\s]?\d[\d\s-]{2,}\d|[A-Z]{0,3}-?\d{3,}[A-Z]?)",
        1,
    ),
    _r("MRN", r"(?:病历号|住院号|门诊号|病案号|就诊卡号|就诊号|登记号|患者编号|病人编号|ID号)\s*(?:是|为|：|:)?\s*([A-Za-z0-9-]{3,20})", 1),
    # phones: international (+), US, Chinese mobile, Chinese landline
    _r("PHONE", r"(?<![\w+])\+\d{1,3}[\s.-]?(?:\(?\d{1,4}\)?[\s.-]?){1,4}\d{2,4}(?![\w])"),
    _r("PHONE", r"(?<![\w.+])(?:1[\s.-])?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\w])"),
    _r("PHONE", r"(?<!\d)(?:86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)"),
    _r("PHONE", r"(?<![\d/])\(?0\d{2,3}\)?[\s-]?\d{7,8}(?![\d/])"),
    _r("PHONE", r"\b(?:phone|tel|telephone|mobile|cell|call me(?: on| at)?|电话|手机|联系方式)\s*(?:number|no\.?|号码?)?\s*(?:is|:|：|是)?\s*(\+?\d[\d\s-]{6,}\d)", 1),
    # dates
    _r("DATE", rf"\b{_YEAR}[-/.]{_MON_NUM}[-/.]{_DAY}\b"),
    _r("DATE", rf"(?<![\d/.]){_DAY}[/.-]{_DAY}[/.-](?:{_YEAR}|\d{{2}})(?![\d/.])"),
    _r("DATE", rf"\b{_MONTH}\.?\s+{_DAY}(?:st|nd|rd|th)?,?\s+{_YEAR}\b"),
    _r("DATE", rf"\b{_DAY}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\.?,?\s+{_YEAR}\b"),
    _r("DATE", rf"\b{_MONTH_NO_MAY}\.?\s+{_DAY}(?:st|nd|rd|th)?\b(?!\s*(?:mg|ml|kg|days?|weeks?|years?|%))"),
    _r("DATE", rf"(?:{_YEAR}|[零〇一二三四五六七八九]{{4}})\s*年\s*{_CN_NUM}{{1,2}}\s*月(?:\s*{_CN_NUM}{{1,3}}\s*[日号])?"),
    _r("DATE", rf"(?<![\d个])(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])\s*月\s*{_CN_NUM}{{1,3}}\s*[日号]"),
    # addresses
    _r(
        "ADDRESS",
        r"\b\d{1,5}[A-Za-z]?\s+(?:[A-Z][a-z]+\.?\s+){1,3}"
        r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Close"
        r"|Crescent|Highway|Hwy|Parkway|Pkwy|Square|Sq)\b\.?(?:,?\s*(?:Apt|Apartment|Unit|Suite|Flat|#)\.?\s*\w+)?",
        0,
        0,
    ),
    _r("ADDRESS", r"\b(?:P\.?\s?O\.?\s+Box|PO Box)\s+\d+\b", 0, 0),
    _r("ADDRESS", r"(?<=,\s)[A-Z]{2}\s+\d{5}(?:-\d{4})?\b", 0, 0),
    _r(
        "ADDRESS",
        rf"(?:{_P}{{1,6}}?(?:省|自治区|市|区|县|镇|乡|街道))*{_P}{{1,8}}?(?:大街|大道|路|街|巷|弄|胡同)\s*"
        rf"{_CN_NUM}+\s*号(?:\s*(?:{_CN_NUM}+|[A-Za-z])\s*(?:号楼|号院|栋|幢|单元|室|楼|层))*(?:{_CN_NUM}+室?)?",
        0,
        0,
    ),
    _r(
        "ADDRESS",
        rf"(?:{_P}{{1,6}}?(?:省|自治区|市|区|县))*{_P}{{1,8}}?(?:小区|花园|公寓|大厦|家园|新村)\s*"
        rf"(?:{_CN_NUM}+\s*(?:号楼|栋|幢|单元|室|楼|层|号)\s*)+{_CN_NUM}*",
        0,
        0,
    ),
    _r("ADDRESS", rf"{_P}{{2,6}}?(?:省|自治区|市){_P}{{1,6}}?(?:区|县)", 0, 0),
    # names after cues
    _r("NAME", rf"\b(?:[Mm]y name is|[Mm]y name[’']s|[Nn]ame\s*:|[Cc]all me|I am called|I[’']m called|[Pp]atient(?: name)?\s*:?)\s+({_EN_NAME}(?:\s+{_EN_NAME}){{0,2}})", 1, 0),
    _r("NAME", r"\b(?:my name is|my name's|name\s*:)\s+([a-z]+(?:\s+(?!and\b|i\b|im\b|i'm\b|from\b|age\b|aged\b)[a-z]+)?)\b", 1),
    _r("NAME", rf"\b(?:I[’']m|I am|Im|This is|It[’']s|Its)\s+({_EN_NAME}(?:\s+{_EN_NAME})?)\b", 1, 0),
    _r("NAME", rf"\b{_TITLE}\.?\s+({_EN_NAME}(?:\s+{_EN_NAME})?)", 1, 0),
    _r("NAME", rf"\b[Mm]y\s+{_RELATIVE}\s+({_EN_NAME})\b", 1, 0),
    _r("NAME", rf"(?:我叫|我的名字(?:是|叫)|名字(?:是|叫)|姓名\s*[:：是为]?|患者|病人|病患|本人|家属|联系人|孩子叫|宝宝叫|儿子叫|女儿叫)\s*({_CN_NAME})", 1),
    _r("NAME", rf"({_SURNAMES})(?=(?:医生|大夫|主任|护士长|护士|教授|院长|先生|女士|小姐|阿姨|老师))", 1),
)


def _sub(rule: Rule, text: str, counts: dict[str, int]) -> str:
    kind, pattern, group = rule
    placeholder = f"[{kind}]"

    def repl(m: re.Match[str]) -> str:
        value = m.group(group)
        if not value or value.startswith("[") or (kind == "NAME" and value.split()[0] in _EN_NAME_STOP):
            return m.group(0)
        counts[kind] = counts.get(kind, 0) + 1
        if group == 0:
            return placeholder
        start, end = m.start(group) - m.start(0), m.end(group) - m.start(0)
        whole = m.group(0)
        return whole[:start] + placeholder + whole[end:]

    return pattern.sub(repl, text)


def deidentify(text: str) -> DeidResult:
    """Replace identifiers in text with typed placeholders; counts says how many of each kind."""
    counts: dict[str, int] = {}
    for rule in _RULES:
        text = _sub(rule, text, counts)
    return DeidResult(text=text, counts=counts)


def scrub(text: str) -> str:
    """The de-identified text only."""
    return deidentify(text).text

