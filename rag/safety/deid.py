"""Rule-based de-identification: replaces identifiers with typed placeholders like [NAME], [PHONE].

Conservative by design: clinical numbers (temperatures "38.5", doses "500 mg", blood pressure
"150/95", ages "45 years old") and durations ("3 days", "两周") are left alone. Names are only
removed after a cue ("my name is", "Dr.", "我叫", "患者"), so unannounced names can survive.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["DeidResult", "deidentify", "scrub", "safe_age", "PLACEHOLDERS", "SAFE_HARBOR"]

PLACEHOLDERS: tuple[str, ...] = (
    "[EMAIL]", "[URL]", "[IP]", "[ID]", "[MRN]", "[PLAN]", "[ACCOUNT]", "[LICENSE]", "[VEHICLE]", "[DEVICE]",
    "[BIOMETRIC]", "[PHOTO]", "[PHONE]", "[FAX]", "[DATE]", "[AGE]", "[ADDRESS]", "[NAME]",
)

# Safe Harbor's 18 kinds -> the placeholder that stands for them
SAFE_HARBOR: dict[str, str] = {
    "names": "[NAME]", "geographic subdivisions smaller than a state": "[ADDRESS]", "dates and ages over 89": "[DATE] [AGE]",
    "telephone numbers": "[PHONE]", "fax numbers": "[FAX]", "e-mail addresses": "[EMAIL]", "social security numbers": "[ID]",
    "medical record numbers": "[MRN]", "health plan beneficiary numbers": "[PLAN]", "account numbers": "[ACCOUNT]",
    "certificate/licence numbers": "[LICENSE]", "vehicle identifiers and serial numbers": "[VEHICLE]",
    "device identifiers and serial numbers": "[DEVICE]", "web URLs": "[URL]", "IP addresses": "[IP]",
    "biometric identifiers": "[BIOMETRIC]", "full-face photographs": "[PHOTO]", "any other unique identifying number": "[ID]",
}


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
_CN_NAME = rf"(?:{_SURNAMES})(?![{_NOT_GIVEN}])[^{_NAME_STOP}\d\[\]]{{1,2}}"
# words that start with a surname character but are clinical or everyday words; after a weak cue
# ("病人", "患者", "我是") such a word is what follows, not a name ("病人张口困难", "患者周身乏力")
_CN_NOT_NAME = frozenset(
    "张口 张嘴 张力 张开 周身 周围 马上 林林 高热 高烧 高龄 高度 高血 高危 高压 黄疸 黄染 黄色 白细 白天 白带 白色 全身 常常 常年 "
    "常规 明显 明天 明确 安静 关节 任何 方面 向来 于是 曾经 曾有 曾患 曾因 曾出 曾做 曾服 曾在 连续 连日 毛发 包块 石膏 金属 严重 "
    "成人 成年 苏醒 叶酸 余下 许多 施行 文字 易感 易怒 齐全 华法 古怪 牛皮 牛奶 米饭 宁可 应该 应用 单侧 单纯 单次 康复 甘油 龙胆 "
    "雷诺 戴着 车祸 毕业 司机 时间 时有 时常 时好 尚未 尚可 管状 尤其 阳性 阳光 简单 边缘 卫生 查体 查出 麻木 迟缓 迟发 冷汗 冷热 "
    "贾第 顾虑 万一 钱包 武汉 解释 左侧 左边 左手 左腿 左眼 左耳 左胸 左下 左上 和家 和蔼 师傅 季节 凌晨 路过 吉兰 华氏 水肿 孙子 "
    "欧阳 上官 东方 司马 申请 田间 江浙 方便 方才 于今 向上 向下 韦氏 商量 沙眼 荣幸 巫医 池塘 虞美 伍德 柏林 景象 景天 项目 车上 "
    "车里 费用 卜算 冷静 冷却 席卷 卫星 米粒 宗教 桂枝 全天 全部 全都 应当 边上 姬松 师生 仇恨 隋唐 商场 刁钻 沙发 荣誉 寇蒂 桑拿 "
    "郎中 甄别 丛集 仲夏 敖包 巩膜 明白 佘山 查询 麻疹 麻醉 苑囿 迟到 计划 邝".split()
)
_EN_NAME = r"[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?"
_EN_NAME_STOP = {
    "I", "The", "A", "An", "And", "But", "My", "Not", "So", "Very", "Just", "Feeling", "Having", "Still",
    "Pregnant", "Diabetic", "Sick", "Worried", "Here", "Going", "Also", "Really", "Now", "Currently",
    "Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Doctor", "Nurse", "Sister", "Professor", "Monday", "Tuesday",
    "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "Today", "Tomorrow", "Yesterday", "Please", "Thanks",
}
# clinical and everyday words that follow "This is", "I'm", "It's" in patients' writing; a capitalised
# one there is a symptom ("This is Chest Pain again"), not a name
_EN_CLINICAL = frozenset(
    """abdominal abdomen ache aches aching acid acne allergic allergy angina ankle anxiety anxious appendicitis arm arms
    arthritis asthma back bad bleeding blood bloated blurred body bone bowel brain breast breath breathing breathless
    broken bruise bruised burn burning calf cancer cardiac chest chills cold colic confused constipated constipation cough
    coughing covid cramp cramps dehydrated depressed depression diabetes diarrhea diarrhoea dizziness dizzy ear eczema eye
    eyes exhausted face faint fainting fatigue fatigued fever feverish flu foot fracture gastro gout groin hay head headache
    heart heartburn heat hip hives hungover hurt hurting ill infection infected injured injury insomnia itch itching itchy
    jaw joint kidney knee leg legs lightheaded liver lower lump lung lungs migraine mild nausea nauseous neck nerve numb
    numbness pain painful pains palpitations panic pelvic period pneumonia pregnant pressure rash red right left sciatica
    severe sharp short shortness shoulder sick sinus skin sleepy sore spine sprain sprained stiff stomach strain stroke
    sunburn swelling swollen tachycardia tender throat tight tightness tingling tired toe tooth toothache ulcer unwell upper
    urine urinary vertigo vision vomit vomiting weak weakness wheeze wheezing worse worried wrist again also back better
    fine good great here home new normal okay ok same still sure there this urgent well back awake alone afraid""".split()
)
_TITLE = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Doctor|Nurse|Sister|Professor)"
_RELATIVE = (
    r"(?:son|daughter|wife|husband|mum|mom|mother|dad|father|brother|sister|friend|baby|partner|"
    r"boyfriend|girlfriend|grandma|grandmother|grandpa|grandfather|grandson|granddaughter|kid|child|boy|girl|"
    r"neighbou?r|colleague|nephew|niece|aunt|uncle|cousin|fianc[ée]e?|carer|caregiver|GP|doctor|nurse|dentist)"
)
_CN_RELATIVE = r"(?:儿子|女儿|孩子|宝宝|老婆|妻子|爱人|丈夫|老公|爸爸|妈妈|父亲|母亲|爷爷|奶奶|外婆|外公|姥姥|姥爷|孙子|孙女|哥哥|姐姐|弟弟|妹妹|朋友|同事)"
# identifier-like value after a cue: must hold a digit ("HP-5562-0098", "SN78945611", "WSY 9267", "1GV71YMM773557473")
_ID_VALUE = r"(?-i:[A-Za-z]{0,4}[-\s]?\d[A-Za-z0-9/-]{2,}(?:[\s-]\d{2,}[A-Za-z0-9-]*){0,3})"
_ID_TAIL = r"(?:\s*(?:number|num|no\.?|#|id|code|serial(?:\s*(?:number|no\.?))?))?\s*(?:is|was|:|#|=)?\s*:?\s*"
_ZH_ID_VALUE = r"((?=[A-Za-z-]*\d)[A-Za-z0-9-]{4,30})"
_ZH_ID_TAIL = r"\s*(?:号码|编号|号|码)?\s*(?:是|为|：|:)?\s*"


@dataclass(frozen=True, slots=True)
class Rule:
    """One pattern; `group` is the part replaced (0 = whole match); `veto` keeps a match that is not an identifier."""

    kind: str
    pattern: re.Pattern[str]
    group: int = 0
    veto: Callable[[str], bool] | None = None


def _r(kind: str, pattern: str, group: int = 0, flags: int = re.IGNORECASE, veto: Callable[[str], bool] | None = None) -> Rule:
    return Rule(kind, re.compile(pattern, flags), group, veto)


def _cue(kind: str, en: str, zh: str) -> tuple[Rule, ...]:
    """A number announced by a cue word, in English ("health plan number HP-5562-0098") and Chinese (医保卡号…)."""
    return (
        _r(kind, rf"(?<![A-Za-z])(?:{en}){_ID_TAIL}({_ID_VALUE})", 1),
        _r(kind, rf"(?:{zh}){_ZH_ID_TAIL}{_ZH_ID_VALUE}", 1),
    )


def _clinical_en(value: str) -> bool:
    return any(w.lower() in _EN_CLINICAL for w in value.split())


def _clinical_zh(value: str) -> bool:
    return value[:2] in _CN_NOT_NAME or value[:3] in _CN_NOT_NAME


_RULES: tuple[Rule, ...] = (
    _r("EMAIL", r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"),
    _r("URL", "(?<![A-Za-z0-9])(?:https?://|www\\.)[^\\s<>\"'，。）)\u3400-\u9fff]+(?<![.,;:!?])"),
    _r("IP", r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.])"),
    _r("PHOTO", r"(?<![\w.])[\w-]+\.(?:jpe?g|png|heic|heif|gif|bmp|tiff?|webp)\b"),
    _r("PHOTO", r"(?<![A-Za-z0-9])(?:IMG|DSC|PXL|photo|pic)[_-]?\d{3,}\b"),
    # Chinese resident identity card: 18 chars (last may be X) and the old 15-digit form
    _r(
        "ID",
        r"(?<![\dA-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dA-Za-z])",
    ),
    _r("ID", r"(?<![\dA-Za-z])[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?![\dA-Za-z])"),
    _r("ID", r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])"),  # US SSN
    _r("ID", r"(?<![A-Za-z])(?:ssn|social\s+security|ss)\s*(?:number|no\.?|#)?\s*(?:is|:|#)?\s*:?\s*(\d{3}[\s.-]?\d{2}[\s.-]?\d{4})(?!\d)", 1),
    # fax before phone, so a fax number is named as one
    _r("FAX", r"(?<![A-Za-z])(?:fax|facsimile|传真)(?:\s*(?:number|no\.?|号码?))?\s*(?:is|:|：|at|to|on|至|是|为)?\s*:?\s*(\+?\(?\d[\d\s().-]{5,}\d)", 1),
    *_cue("PLAN", r"health\s*plan|health\s*insurance|insurance(?:\s*(?:card|policy|member))?|medicaid(?:\s*member)?|medicare"
          r"|beneficiary|policy(?:holder)?|subscriber|member(?:ship)?",
          r"医保卡号?|社保卡号?|医保号|医保账号|参保号|保险单号|保单号|医疗保险号?|新农合"),
    *_cue("ACCOUNT", r"(?:billing|bank|hospital|patient|checking|savings|payment)?\s*account|acct\.?|iban",
          r"账户|账号|银行卡号?|缴费卡号?"),
    *_cue("VEHICLE", r"(?:car|licen[cs]e|number|registration|reg\.?)\s*plate|vin|vehicle(?:\s*identification)?|registration|reg\.",
          r"车牌号?|车架号|车辆识别(?:代)?码|行驶证号?"),
    _r("VEHICLE", r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Z][A-Z0-9]{5,6}(?![A-Za-z0-9])", 0, 0),
    _r("VEHICLE", r"(?<![A-Za-z0-9])(?=[A-HJ-NPR-Z0-9]*[A-HJ-NPR-Z])(?=[A-HJ-NPR-Z0-9]*\d)[A-HJ-NPR-Z0-9]{17}(?![A-Za-z0-9])", 0, 0),
    *_cue("LICENSE", r"(?:driver'?s|driving|nursing|medical|professional|pilot'?s)?\s*licen[cs]e(?!\s*plate)|certificate|permit",
          r"驾驶证号?|驾照号?|执业证(?:书)?号?|资格证(?:书)?号?|证书编号|许可证号?"),
    *_cue("DEVICE", r"serial|s/n|imei|udi|device(?:\s*(?:id|serial))?",
          r"序列号|设备编号|设备号|机身号|串号|出厂编号"),
    *_cue("BIOMETRIC", r"(?:fingerprint|finger\s*print|voice\s*print|retina(?:l)?|iris|face\s*print|palm\s*print|biometric|dna)"
          r"(?:\s*(?:scan|sample|profile|template|ref(?:erence)?))?",
          r"指纹|虹膜|声纹|掌纹|人脸|面部识别|基因"),
    _r("ID", r"(?<![A-Za-z])(?:social security(?: number| no\.?)?|passport(?: number| no\.?)?|driver'?s licen[cs]e(?: number| no\.?)?"
       r"|(?:insurance|member|policy|national) (?:id|number|no\.?)|id (?:number|no\.?|card))\s*(?:is|:|#|=)?\s*"
       r"([A-Z]{0,3}[-\s]?\d[\d\s-]{3,}\d|[A-Z]{0,3}\d{4,}[A-Z]?)", 1),
    _r("ID", r"(?:身份证号?码?|护照号?码?|医保卡号|社保卡号|医保号)\s*(?:是|为|：|:)?\s*([A-Za-z0-9]{6,20})", 1),
    _r(
        "MRN",
        r"\b(?:mrn|medical record(?: number| no\.?| #)?|record (?:number|no\.?|#)|patient (?:id|number|no\.?|#)"
        r"|hospital (?:id|number|no\.?)|chart (?:number|no\.?|#)|nhs number|case (?:number|no\.?|#)|accession (?:number|no\.?))"
        r"\s*(?:is|:|#|=)?\s*([A-Z]{0,3}[-\s]?\d[\d\s-]{2,}\d|[A-Z]{0,3}-?\d{3,}[A-Z]?)",
        1,
    ),
    _r("MRN", r"(?:病历号|住院号|门诊号|病案号|就诊卡号|就诊号|登记号|患者编号|病人编号|ID号)\s*(?:是|为|：|:)?\s*([A-Za-z0-9-]{3,20})", 1),
    *_cue("ID", r"reference|ref\.?|case|employee|staff|student|customer|client|ticket|claim|order|booking|passport|national\s*id"
          r"|id(?:entification)?|badge|tracking",
          r"编号|工号|学号|工作证号?|护照号?码?|证件号码?|军官证号?|会员号|订单号|单号|卡号"),
    # phones: international (+), US, Chinese mobile, Chinese landline
    _r("PHONE", r"(?<![\w+])\+\d{1,3}[\s.-]?(?:\(?\d{1,4}\)?[\s.-]?){1,4}\d{2,4}(?![\w])"),
    _r("PHONE", r"(?<![\w.+])(?:1[\s.-])?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\w])"),
    _r("PHONE", r"(?<!\d)(?:86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)"),
    _r("PHONE", r"(?<![\d/])\(?0\d{2,3}\)?[\s-]?\d{7,8}(?![\d/])"),
    _r("PHONE", r"(?<![A-Za-z])(?:phone|tel|telephone|mobile|cell|call me(?: on| at)?|ring|reach me(?: on| at)?|电话|手机|联系方式|号码)\s*(?:number|no\.?|号码?)?\s*(?:is|:|：|是)?\s*(\+?\d[\d\s-]{6,}\d)", 1),
    # ages over 89 (Safe Harbor folds them into "90 or older")
    _r("AGE", r"(?<![\d.])(9\d|1[01]\d)(?=\s*-?\s*(?:years?|yrs?|y/?o|y\.o\.)\b)", 1),
    _r("AGE", r"\b(?:aged?|age\s*:)\s*(9\d|1[01]\d)\b(?![.,]\d)", 1),
    _r("AGE", r"\b(?:I am|I[’']m|Im|(?:s?he|grand(?:mother|father|ma|pa|mum|mom|dad)|mother|father|mum|mom|dad|wife|husband|aunt|uncle"
       r"|patient)(?:[’']s| is| was| turned)|turned)\s+(9\d|1[01]\d)\b(?![.,]\d|\s*(?:%|mg|kg|lb|bpm|degrees|°|mmhg|/|cm|mm|ml|f\b|c\b))", 1),
    _r("AGE", r"(?<!\d)(9\d|1[01]\d)\s*(?=周岁|岁)", 1),
    # dates
    _r("DATE", rf"(?<![\d.]){_YEAR}[-/.]{_MON_NUM}[-/.]{_DAY}(?![\d])"),
    _r("DATE", rf"(?<![\d/.]){_DAY}[/.-]{_DAY}[/.-](?:{_YEAR}|\d{{2}})(?![\d/]|\.\d)"),
    _r("DATE", rf"\b{_MONTH}\.?\s+{_DAY}(?:st|nd|rd|th)?,?\s+{_YEAR}\b"),
    _r("DATE", rf"\b{_DAY}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\.?,?\s+{_YEAR}\b"),
    _r("DATE", rf"\b{_MONTH_NO_MAY}\.?\s+{_DAY}(?:st|nd|rd|th)?\b(?!\s*(?:mg|ml|kg|days?|weeks?|years?|%))"),
    _r("DATE", rf"\b{_DAY}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_NO_MAY}\b"),
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
    _r("ADDRESS", r"\b(?:[A-Z][a-z]+(?:\s[A-Z][a-z]+)?,\s)?[A-Z]{2}\s+\d{5}(?:-\d{4})?\b", 0, 0),
    _r("ADDRESS", r"(?<![A-Za-z])(?:zip(?:\s*code)?|post\s*code|postal\s*code)\s*(?:is|:)?\s*:?\s*(\d{5}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2})", 1),
    _r("ADDRESS", r"(?:邮编|邮政编码)\s*(?:是|为|：|:)?\s*(\d{6})", 1),
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
    _r("NAME", rf"\b{_TITLE}\.?\s+({_EN_NAME}(?:\s+{_EN_NAME})?)", 1, 0),
    _r("NAME", rf"\b(?:I[’']m|I am|Im|[Tt]his is|[Ii]t[’']s|Its)\s+({_EN_NAME}(?:\s+{_EN_NAME})?)\b", 1, 0, veto=_clinical_en),
    _r("NAME", rf"\b(?:[Mm]y|[Oo]ur)\s+{_RELATIVE},?\s+({_EN_NAME}(?:\s+{_EN_NAME})?)\b", 1, 0, veto=_clinical_en),
    _r("NAME", rf"\b(?:called|named)\s+({_EN_NAME}(?:\s+{_EN_NAME})?)\b", 1, 0, veto=_clinical_en),
    _r("NAME", rf"(?:[Tt]hanks|[Tt]hank you|[Rr]egards|[Cc]heers|[Ss]incerely|[Bb]est wishes|[Bb]est|[Ll]ove)[,!.]?\s+"
       rf"({_EN_NAME}(?:\s+{_EN_NAME})?)\s*[.!]?\s*$", 1, re.MULTILINE, veto=_clinical_en),
    _r("NAME", rf"(?:我叫|我的名字(?:是|叫)|名字(?:是|叫)|姓名\s*[:：是为]?|孩子叫|宝宝叫|儿子叫|女儿叫)\s*({_CN_NAME})", 1),
    _r("NAME", rf"(?:患者|病人|病患|本人|家属|联系人|我是|{_CN_RELATIVE}叫?)\s*[:：]?\s*({_CN_NAME})", 1, veto=_clinical_zh),
    _r("NAME", rf"({_SURNAMES})(?=(?:医生|大夫|主任|护士长|护士|教授|院长|先生|女士|小姐|阿姨|老师))", 1),
)


def _sub(rule: Rule, text: str, counts: dict[str, int]) -> str:
    placeholder = f"[{rule.kind}]"
    group = rule.group

    def repl(m: re.Match[str]) -> str:
        value = m.group(group)
        if not value or value.startswith("[") or (rule.kind == "NAME" and value.split()[0] in _EN_NAME_STOP):
            return m.group(0)
        if rule.veto is not None and rule.veto(value):
            return m.group(0)
        counts[rule.kind] = counts.get(rule.kind, 0) + 1
        if group == 0:
            return placeholder
        start, end = m.start(group) - m.start(0), m.end(group) - m.start(0)
        whole = m.group(0)
        return whole[:start] + placeholder + whole[end:]

    return rule.pattern.sub(repl, text)


def deidentify(text: str) -> DeidResult:
    """Replace identifiers in text with typed placeholders; counts says how many of each kind."""
    counts: dict[str, int] = {}
    for rule in _RULES:
        text = _sub(rule, text, counts)
    return DeidResult(text=text, counts=counts)


def scrub(text: str) -> str:
    """The de-identified text only."""
    return deidentify(text).text


def safe_age(age: float) -> str:
    """An age as it may be stored: Safe Harbor folds every age over 89 into "90+"."""
    return "90+" if age >= 90 else f"{age:g}"
