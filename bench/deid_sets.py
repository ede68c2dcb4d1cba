"""Writes the de-identification evaluation sets (deterministic; run once, then frozen).

tests/data/deid_identifiers.jsonl: seeded identifiers of the 18 Safe Harbor kinds, en + zh, each
line {"id", "split": "dev"|"test", "kind", "language", "text", "secrets": [strings that must not survive]}.
The test split uses its own templates (different wordings) and its own value draws.
tests/data/deid_clinical.jsonl: identifier-free symptom texts, en + zh, {"id", "split", "language", "text"}.

    .venv/bin/python bench/deid_sets.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "tests" / "data"

EN_FIRST = ["Wilhelmina", "Tom", "Aisha", "Oliver", "Grace", "Mateo", "Priya", "Henrik", "Chloe", "Dmitri", "Fatima",
            "Lucas", "Niamh", "Kwame", "Ingrid", "Rafael", "Yusuf", "Margot", "Elliot", "Soren", "Beatrix", "Tobias"]
EN_LAST = ["Ostrowski", "Hartley", "Okonkwo", "Fairbanks", "Lindqvist", "Castellano", "Brennan", "Nakamura", "Whitlock",
           "Abernathy", "Delacroix", "Fitzgerald", "Kowalczyk", "Pemberton", "Rasmussen", "Thornbury", "Vasquez", "Ashworth"]
ZH_SUR = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗", "欧阳"]
ZH_GIVEN = ["建国", "秀英", "志强", "丽娟", "子轩", "雨桐", "海峰", "晓燕", "明辉", "静怡", "浩然", "佳琪", "伟", "芳", "磊", "敏", "俊杰", "思远"]
STREETS = ["Maple", "Hawthorn", "Kingsley", "Riverside", "Elmwood", "Fairview", "Chestnut", "Wexford", "Juniper", "Oakridge"]
SUFFIX = ["Street", "Avenue", "Road", "Lane", "Drive", "Court", "Boulevard", "Terrace"]
CITIES = ["Springfield", "Riverton", "Ashford", "Brookhaven", "Millbrook", "Fairhaven", "Lakewood", "Greenville"]
ZH_PROV = ["浙江省", "广东省", "江苏省", "四川省", "湖北省", "山东省"]
ZH_CITY = ["杭州市", "广州市", "南京市", "成都市", "武汉市", "青岛市", "北京市", "上海市"]
ZH_DIST = ["西湖区", "天河区", "鼓楼区", "武侯区", "洪山区", "市南区", "海淀区", "浦东新区"]
ZH_ROAD = ["文三路", "中山大道", "解放路", "人民南路", "珞喻路", "香港中路", "学院路", "世纪大道"]
ZH_ESTATE = ["阳光花园", "翠苑小区", "金色家园", "和平新村", "锦绣公寓"]
MONTHS = ["January", "February", "March", "April", "June", "July", "August", "September", "October", "November", "December"]
SYMPTOMS_EN = ["I have had a dry cough for 3 days", "my chest feels tight when I climb stairs", "there is a rash on my forearm",
               "I get headaches every morning", "my ankle is swollen after a fall", "I feel dizzy when I stand up",
               "I have a sore throat and a temperature of 38.2", "my stomach hurts after meals"]
SYMPTOMS_ZH = ["咳嗽三天了", "胸口发闷，爬楼梯更明显", "手臂上起了红疹", "每天早上头痛", "摔倒后脚踝肿了", "站起来时头晕",
               "嗓子疼，体温38.2度", "饭后胃痛"]


def d(r: random.Random, n: int) -> str:
    return "".join(r.choice("0123456789") for _ in range(n))


def L(r: random.Random, n: int) -> str:
    return "".join(r.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(n))


def en_name(r: random.Random) -> tuple[str, list[str]]:
    f, last = r.choice(EN_FIRST), r.choice(EN_LAST)
    return f"{f} {last}", [f, last]


def zh_name(r: random.Random) -> tuple[str, list[str]]:
    n = r.choice(ZH_SUR) + r.choice(ZH_GIVEN)
    return n, [n]


# kind -> language -> split -> templates; each template is (text with {v} and optional {s}, value maker)
# a value maker returns (value, secrets)
def _v(make):  # type: ignore[no-untyped-def]
    return make


def name_full(r): return en_name(r)  # noqa: E704
def name_first(r): f = r.choice(EN_FIRST); return f, [f]  # noqa: E702,E704
def name_last(r): s = r.choice(EN_LAST); return s, [s]  # noqa: E702,E704
def zname(r): return zh_name(r)  # noqa: E704
def zsur(r): s = r.choice(ZH_SUR); return s, [s + "医生", s + "主任", s + "大夫"]  # noqa: E702,E704


def date_iso(r): v = f"20{d(r, 1)}{r.randint(0, 9)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"; return v, [v]  # noqa: E702,E704
def date_us(r): v = f"{r.randint(1, 12)}/{r.randint(1, 28)}/19{r.randint(40, 99)}"; return v, [v]  # noqa: E702,E704
def date_words(r):  # noqa: E302
    m, day = r.choice(MONTHS), r.randint(1, 28)
    v = f"{m} {day}, 20{r.randint(10, 25)}"
    return v, [f"{m} {day}"]
def date_dm(r): m, day = r.choice(MONTHS), r.randint(2, 28); v = f"{day} {m}"; return v, [v]  # noqa: E302,E702,E704
def zdate(r): v = f"20{r.randint(10, 25)}年{r.randint(1, 12)}月{r.randint(1, 28)}日"; return v, [v]  # noqa: E702,E704
def zdate_md(r): v = f"{r.randint(1, 12)}月{r.randint(1, 28)}号"; return v, [v]  # noqa: E702,E704
def zdate_iso(r): v = f"{r.randint(1950, 2020)}.{r.randint(1, 12):02d}.{r.randint(1, 28):02d}"; return v, [v]  # noqa: E702,E704
def age_old(r): v = str(r.randint(90, 104)); return v, [v]  # noqa: E702,E704


def phone_us(r): v = f"({d(r, 1).replace('0', '4')}{d(r, 2)}) 555-{d(r, 4)}"; return v, [v[-8:]]  # noqa: E702,E704
def phone_dash(r): v = f"{r.randint(201, 989)}-{r.randint(200, 999)}-{d(r, 4)}"; return v, [v]  # noqa: E702,E704
def phone_uk(r): v = f"+44 7{d(r, 3)} {d(r, 6)}"; return v, [v[4:]]  # noqa: E702,E704
def phone_dots(r): v = f"{r.randint(201, 989)}.{r.randint(200, 999)}.{d(r, 4)}"; return v, [v]  # noqa: E702,E704
def zmobile(r): v = f"1{r.choice('3589')}{d(r, 9)}"; return v, [v]  # noqa: E702,E704
def zland(r): v = f"0{r.choice(['10', '21', '571', '20'])}-{d(r, 8)}"; return v, [v[-8:]]  # noqa: E702,E704


def email(r):  # noqa: E302
    f, last = r.choice(EN_FIRST).lower(), r.choice(EN_LAST).lower()
    v = f"{f}.{last}{d(r, 2)}@{r.choice(['gmail.com', 'outlook.com', 'qq.com', '163.com', 'clinic-mail.org'])}"
    return v, [v.split("@")[0]]
def ssn(r): v = f"{r.randint(100, 665)}-{r.randint(10, 99)}-{r.randint(1000, 9999)}"; return v, [v]  # noqa: E302,E702,E704
def ssn_sp(r): v = f"{r.randint(100, 665)} {r.randint(10, 99)} {r.randint(1000, 9999)}"; return v, [v]  # noqa: E702,E704
def zid(r):  # noqa: E302
    v = f"{r.choice(['110', '310', '330', '440'])}{d(r, 3)}{r.randint(1940, 2010)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}{d(r, 3)}{r.choice('0123456789X')}"
    return v, [v]
def mrn(r): v = f"{d(r, 7)}"; return v, [v]  # noqa: E702,E704
def mrn_alpha(r): v = f"{L(r, 2)}{d(r, 6)}"; return v, [v]  # noqa: E702,E704
def plan(r): v = f"HP-{d(r, 4)}-{d(r, 4)}"; return v, [v]  # noqa: E702,E704
def plan2(r): v = f"{L(r, 3)}{d(r, 9)}"; return v, [v]  # noqa: E702,E704
def zplan(r): v = f"{d(r, 10)}"; return v, [v]  # noqa: E702,E704
def account(r): v = f"{d(r, 10)}"; return v, [v]  # noqa: E702,E704
def account2(r): v = f"ACC-{d(r, 6)}"; return v, [v]  # noqa: E702,E704
def licence(r): v = f"{L(r, 1)}{d(r, 7)}"; return v, [v]  # noqa: E702,E704
def licence2(r): v = f"{L(r, 2)}-{d(r, 5)}"; return v, [v]  # noqa: E702,E704
def plate(r): v = f"{L(r, 3)} {d(r, 4)}"; return v, [v]  # noqa: E702,E704
def vin(r): v = f"1{L(r, 2)}{d(r, 2)}{L(r, 3)}{d(r, 9)}"; return v, [v]  # noqa: E702,E704
def zplate(r): v = f"{r.choice('京沪浙粤苏川')}{L(r, 1)}{d(r, 5)}"; return v, [v]  # noqa: E702,E704
def serial(r): v = f"SN{d(r, 8)}"; return v, [v]  # noqa: E702,E704
def serial2(r): v = f"{L(r, 3)}-{d(r, 4)}-{L(r, 2)}{d(r, 2)}"; return v, [v]  # noqa: E702,E704
def url(r): v = f"https://{r.choice(['mychart', 'portal', 'photos'])}.example.{r.choice(['com', 'org', 'cn'])}/u/{d(r, 6)}"; return v, [v.split('//')[1].split('/')[0], d(r, 0) or v]  # noqa: E702,E704,E501
def url_www(r): v = f"www.{r.choice(EN_LAST).lower()}-family.net"; return v, [v]  # noqa: E702,E704
def ip(r): v = f"{r.randint(11, 223)}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"; return v, [v]  # noqa: E702,E704
def bio(r): v = f"{L(r, 2)}{d(r, 6)}"; return v, [v]  # noqa: E702,E704
def photo(r): v = f"IMG_{d(r, 4)}.{r.choice(['jpg', 'jpeg', 'png', 'heic'])}"; return v, [v]  # noqa: E702,E704
def other(r): v = f"{L(r, 2)}{d(r, 7)}"; return v, [v]  # noqa: E702,E704


def street(r):  # noqa: E302
    v = f"{r.randint(3, 9800)} {r.choice(STREETS)} {r.choice(SUFFIX)}"
    return v, [v.split(" ", 1)[1].rsplit(" ", 1)[0] + " " + v.rsplit(" ", 1)[1], v.split(" ")[0] + " " + v.split(" ")[1]]
def city_zip(r):  # noqa: E302
    c, z = r.choice(CITIES), d(r, 5).replace("0", "3", 1)
    return f"{c}, {r.choice(['OH', 'IL', 'MA', 'TX'])} {z}", [c, z]
def zip_only(r): z = f"{r.randint(10000, 99999)}"; return z, [z]  # noqa: E702,E704
def zaddr(r):  # noqa: E302
    road, num = r.choice(ZH_ROAD), r.randint(1, 999)
    return f"{r.choice(ZH_CITY)}{r.choice(ZH_DIST)}{road}{num}号", [f"{road}{num}号", road]
def zaddr2(r):  # noqa: E302
    e = r.choice(ZH_ESTATE)
    return f"{r.choice(ZH_PROV)}{r.choice(ZH_CITY)}{e}{r.randint(1, 30)}栋{r.randint(1, 6)}单元{r.randint(101, 2802)}室", [e]
def zpost(r): z = f"{r.randint(100000, 850000)}"; return z, [z]  # noqa: E702,E704


T = {
    "NAME": {
        "en": {"dev": [("My name is {v} and {s}.", name_full), ("Hi, this is {v}, {s}.", name_full),
                       ("my son {v} is 6 and {s}", name_first), ("I'm Dr. {v}'s patient and {s}.", name_full)],
               "test": [("I'm Dr. {v}'s patient; {s}.", name_full), ("Patient: {v}. {s}.", name_full),
                        ("Writing for my wife {v} because {s}.", name_first), ("{s}. Thanks, {v}", name_full),
                        ("my GP Dr {v} said {s} is nothing", name_last)]},
        "zh": {"dev": [("我叫{v}，{s}", zname), ("患者{v}，{s}", zname), ("{v}医生让我复查，{s}", zsur)],
               "test": [("本人{v}，{s}", zname), ("我是{v}，最近{s}", zname), ("我儿子{v}，{s}", zname),
                        ("姓名：{v}。{s}", zname)]},
    },
    "DATE": {
        "en": {"dev": [("Born {v}. {s}.", date_us), ("{s} since {v}.", date_iso), ("Seen on {v}; {s}.", date_words)],
               "test": [("DOB {v}, {s}.", date_us), ("It started on {v} and {s}.", date_dm),
                        ("{s}; my surgery was {v}.", date_words), ("admitted {v}. {s}", date_iso)]},
        "zh": {"dev": [("{v}开始，{s}", zdate), ("{s}，{v}去过医院", zdate_md)],
               "test": [("出生日期{v}，{s}", zdate_iso), ("{s}，{v}做过手术", zdate), ("从{v}起{s}", zdate_md)]},
    },
    "AGE": {
        "en": {"dev": [("I am {v} years old and {s}.", age_old), ("My grandmother is {v}; {s}.", age_old)],
               "test": [("{v}-year-old man, {s}.", age_old), ("aged {v}, {s}", age_old)]},
        "zh": {"dev": [("我今年{v}岁，{s}", age_old)], "test": [("老人{v}岁了，{s}", age_old), ("患者，男，{v}岁，{s}", age_old)]},
    },
    "PHONE": {
        "en": {"dev": [("Call me at {v}, {s}.", phone_us), ("{s}. My number: {v}", phone_dash)],
               "test": [("You can reach me on {v} — {s}.", phone_uk), ("{s}, ring {v} after six", phone_dots),
                        ("mobile {v}. {s}", phone_dash)]},
        "zh": {"dev": [("手机{v}，{s}", zmobile), ("{s}，电话{v}", zland)],
               "test": [("{s}，有事打我{v}", zmobile), ("联系电话：{v}。{s}", zland), ("我的号码是{v}，{s}", zmobile)]},
    },
    "FAX": {
        "en": {"dev": [("fax the results to {v}; {s}.", phone_dash)], "test": [("Fax: {v}. {s}.", phone_dots), ("{s}; clinic fax {v}", phone_us)]},
        "zh": {"dev": [("传真{v}，{s}", zland)], "test": [("{s}，结果请传真至{v}", zland)]},
    },
    "EMAIL": {
        "en": {"dev": [("email me at {v}, {s}.", email)], "test": [("{s}. Reply to {v}", email), ("contact: {v} — {s}", email)]},
        "zh": {"dev": [("邮箱{v}，{s}", email)], "test": [("{s}，请发到{v}", email)]},
    },
    "SSN": {
        "en": {"dev": [("SSN {v}. {s}.", ssn), ("my social security number is {v}; {s}", ssn)],
               "test": [("{s}. Social Security #: {v}", ssn_sp), ("ss no. {v}, {s}", ssn)]},
        "zh": {"dev": [("身份证号{v}，{s}", zid)], "test": [("{s}，我的身份证是{v}", zid), ("证件号码：{v}，{s}", zid)]},
    },
    "MRN": {
        "en": {"dev": [("MRN {v}, {s}.", mrn), ("medical record number {v}; {s}", mrn_alpha)],
               "test": [("{s}. Hospital number {v}.", mrn), ("chart # {v} — {s}", mrn_alpha), ("my record no is {v}, {s}", mrn)]},
        "zh": {"dev": [("住院号{v}，{s}", mrn_alpha), ("病历号：{v}，{s}", mrn)],
               "test": [("{s}，门诊号{v}", mrn), ("我的病案号是{v}，{s}", mrn_alpha)]},
    },
    "HEALTH_PLAN": {
        "en": {"dev": [("health plan number {v}; {s}.", plan), ("insurance ID {v}, {s}", plan2)],
               "test": [("{s}. My health plan number is {v}.", plan), ("Medicaid member {v} — {s}", plan2),
                        ("beneficiary no. {v}, {s}", plan2)]},
        "zh": {"dev": [("医保卡号{v}，{s}", zplan)], "test": [("{s}，社保卡号：{v}", zplan), ("我的医保号是{v}，{s}", zplan)]},
    },
    "ACCOUNT": {
        "en": {"dev": [("billing account {v}; {s}.", account)], "test": [("{s}. Account number: {v}", account2), ("acct {v}, {s}", account)]},
        "zh": {"dev": [("账户{v}，{s}", account)], "test": [("{s}，银行账号{v}", account)]},
    },
    "LICENSE": {
        "en": {"dev": [("driver's license {v}; {s}.", licence)], "test": [("{s}. Licence no. {v}", licence2), ("my nursing licence is {v}, {s}", licence)]},
        "zh": {"dev": [("驾驶证号{v}，{s}", licence)], "test": [("{s}，执业证号{v}", licence2)]},
    },
    "VEHICLE": {
        "en": {"dev": [("my car plate is {v}; {s}.", plate), ("VIN {v}, {s}", vin)],
               "test": [("{s}. Licence plate {v}.", plate), ("vehicle id {v} — {s}", vin)]},
        "zh": {"dev": [("车牌号{v}，{s}", zplate)], "test": [("{s}，我的车牌是{v}", zplate)]},
    },
    "DEVICE": {
        "en": {"dev": [("my pacemaker serial number is {v}; {s}.", serial), ("insulin pump S/N {v}, {s}", serial2)],
               "test": [("{s}. Device serial: {v}", serial2), ("glucose meter serial no {v}, {s}", serial)]},
        "zh": {"dev": [("起搏器序列号{v}，{s}", serial)], "test": [("{s}，设备编号{v}", serial2)]},
    },
    "URL": {
        "en": {"dev": [("my results are at {v}, {s}.", url)], "test": [("{s}. See {v}", url_www), ("photos: {v} — {s}", url)]},
        "zh": {"dev": [("报告在{v}，{s}", url)], "test": [("{s}，网址{v}", url_www)]},
    },
    "IP": {
        "en": {"dev": [("sent from {v}; {s}.", ip)], "test": [("{s}. (client ip {v})", ip)]},
        "zh": {"dev": [("IP地址{v}，{s}", ip)], "test": [("{s}，我的IP是{v}", ip)]},
    },
    "BIOMETRIC": {
        "en": {"dev": [("fingerprint ID {v} on file; {s}.", bio)], "test": [("{s}. Voiceprint ref {v}.", bio), ("retina scan id {v}, {s}", bio)]},
        "zh": {"dev": [("指纹编号{v}，{s}", bio)], "test": [("{s}，虹膜编号{v}", bio)]},
    },
    "PHOTO": {
        "en": {"dev": [("I attached a photo of my face, {v}; {s}.", photo)], "test": [("{s}. Picture: {v}", photo)]},
        "zh": {"dev": [("照片{v}，{s}", photo)], "test": [("{s}，我的照片是{v}", photo)]},
    },
    "ADDRESS": {
        "en": {"dev": [("I live at {v}; {s}.", street), ("{s}. Home is {v}.", city_zip), ("ZIP code {v}, {s}", zip_only)],
               "test": [("{s}; address {v}", street), ("we moved to {v} and {s}", city_zip), ("{s}. zip {v}", zip_only)]},
        "zh": {"dev": [("我住在{v}，{s}", zaddr), ("家在{v}，{s}", zaddr2), ("邮编{v}，{s}", zpost)],
               "test": [("{s}，地址：{v}", zaddr), ("{s}，住{v}", zaddr2), ("{s}，邮政编码{v}", zpost)]},
    },
    "OTHER_ID": {
        "en": {"dev": [("reference number {v}; {s}.", other)], "test": [("{s}. Case ID {v}.", other), ("my employee number is {v}, {s}", other)]},
        "zh": {"dev": [("编号{v}，{s}", other)], "test": [("{s}，工号{v}", other)]},
    },
}

CLINICAL_EN = [
    "This is Chest Pain again, worse when I breathe in", "I have a fever of 38.5 and a cough for 3 days",
    "Sharp pain in my lower right abdomen since yesterday", "Burning when I pass urine, twice a day for 4 days",
    "Headache behind my eyes with nausea, took 500 mg paracetamol", "My blood pressure was 150/95 this morning",
    "Itchy red rash on both arms after starting amoxicillin", "Shortness of breath walking up one flight of stairs",
    "Swollen left calf, warm to touch, after a long flight", "Dizzy spells when standing, HR 110 bpm",
    "Sore throat, swollen glands, no cough, temperature 38", "Lower back pain radiating to my left leg",
    "Wheezing at night, using my inhaler 2 puffs 4 times a day", "Vomiting for 2 days, can't keep fluids down",
    "Numbness in my fingers, worse in the morning", "Chest Pain and Palpitations since Monday",
    "Blurred vision and thirst, glucose 14 mmol/L", "Ear pain and discharge in my 4 year old",
    "Diarrhoea 6 times today after eating chicken", "Painful swollen big toe joint overnight",
    "Cough with green sputum, SpO2 94%", "Heartburn after meals, worse lying down", "Migraine With Aura twice this week",
    "Joint stiffness lasting an hour each morning", "Pain behind the knee after running 10 km",
    "Heavy periods with clots, feeling tired", "Constipation for a week, bloating", "Tingling in both feet, diabetic",
    "Mild chest wall pain from a strain", "Hives on my neck after a bee sting",
]
CLINICAL_ZH = [
    "病人张口困难，吞咽疼痛", "发烧38.5度，咳嗽三天", "右下腹疼痛一天", "小便时有烧灼感，持续四天", "头痛伴恶心，吃了布洛芬",
    "早上测血压150/95", "服用阿莫西林后双臂起红疹", "爬一层楼就气短", "长途飞行后左小腿肿胀发热", "站起来时头晕，心率110",
    "嗓子疼，淋巴结肿大，体温38度", "腰痛向左腿放射", "夜间喘息，每天用吸入剂四次", "呕吐两天，喝水也吐", "手指麻木，早上加重",
    "胸痛伴心悸", "视物模糊，口渴，血糖14", "四岁孩子耳朵疼流脓", "吃鸡肉后今天腹泻六次", "大脚趾关节一夜之间红肿疼痛",
    "咳黄绿色痰，血氧94%", "饭后烧心，躺下更重", "患者高血压十年，最近头晕", "病人黄疸三天", "患者张力性头痛",
    "病人周身乏力", "患者白细胞升高", "病人马上要手术，很紧张", "患者高热不退", "病人林林总总吃了很多药",
]
SUFFIX_EN = ["", " for two weeks", ", worse at night", " and I feel very tired", " since Tuesday", " after exercise"]
SUFFIX_ZH = ["", "，已经两周了", "，晚上更重", "，很累", "，从周二开始", "，运动后明显"]


def build() -> None:
    ident = []
    for kind, langs in T.items():
        for lang, splits in langs.items():
            for split, templates in splits.items():
                r = random.Random(f"{kind}-{lang}-{split}")
                per = 3 if split == "test" else 3
                for ti, (tpl, make) in enumerate(templates):
                    for j in range(per):
                        value, secrets = make(r)
                        sym = r.choice(SYMPTOMS_EN if lang == "en" else SYMPTOMS_ZH)
                        text = tpl.format(v=value, s=sym)
                        secrets = [s for s in secrets if s]
                        ident.append({"id": f"{kind.lower()}-{lang}-{split}-{ti}-{j}", "split": split, "kind": kind,
                                      "language": lang, "text": text, "secrets": sorted(set(secrets))})
    clinical = []
    r = random.Random("clinical")
    for lang, base, suf in (("en", CLINICAL_EN, SUFFIX_EN), ("zh", CLINICAL_ZH, SUFFIX_ZH)):
        for i, text in enumerate(base):
            for j, s in enumerate(r.sample(suf, 4)):
                clinical.append({"id": f"clin-{lang}-{i}-{j}", "split": "test" if i % 2 else "dev", "language": lang, "text": text + s})
    (ROOT / "deid_identifiers.jsonl").write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in ident), encoding="utf-8")
    (ROOT / "deid_clinical.jsonl").write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in clinical), encoding="utf-8")
    print(f"{len(ident)} identifiers ({sum(x['split'] == 'test' for x in ident)} test), {len(clinical)} clinical texts")


if __name__ == "__main__":
    build()
