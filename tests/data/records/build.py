"""Builds the synthetic record sets from hand-written scenarios (all text invented; no real patient).

Markup in the scenario text: [[surface|T]] marks a gold entity of type T (S symptom, D disease,
M drug, T test/examination, B body part); a trailing "!" marks it negated ([[胸痛|S!]]). The
builder strips the markup, keeps each entity's character span, and derives the gold fields from
the sections it wrote. Run: python tests/data/records/build.py  (writes test.jsonl and dev.jsonl).
"""

from __future__ import annotations

import json
import random
import re
import sys
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).parent
TYPES = {"S": "symptom", "D": "disease", "M": "drug", "T": "test", "B": "body"}
MARK = re.compile(r"\[\[([^|\]]+)\|([SDMTB])(!?)\]\]")


def strip(marked: str, offset: int) -> tuple[str, list[dict]]:
    out, ents, pos = [], [], 0
    n = 0
    for m in MARK.finditer(marked):
        out.append(marked[pos:m.start()])
        n += len(marked[pos:m.start()])
        s = offset + n
        out.append(m.group(1))
        n += len(m.group(1))
        ents.append({"start": s, "end": s + len(m.group(1)), "text": m.group(1), "type": TYPES[m.group(2)],
                     "negated": bool(m.group(3))})
        pos = m.end()
    out.append(marked[pos:])
    return "".join(out), ents


class Doc:
    def __init__(self) -> None:
        self.text = ""
        self.ents: list[dict] = []
        self.sections: dict[str, tuple[int, int]] = {}

    def add(self, marked: str, section: str | None = None) -> None:
        plain, ents = strip(marked, len(self.text))
        start = len(self.text)
        self.text += plain
        self.ents += ents
        if section:
            self.sections[section] = (start, len(self.text))


def zh_date(d: date, style: int) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if style == 0 else d.isoformat()


def en_date(d: date, style: int) -> str:
    months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December"]
    return [d.isoformat(), f"{d.day} {months[d.month - 1]} {d.year}", f"{months[d.month - 1]} {d.day}, {d.year}"][style % 3]


def table(rows: list[tuple[str, str, str, str]], zh: bool) -> str:
    head = "| 项目 | 结果 | 单位 | 参考范围 |\n|---|---|---|---|\n" if zh else "| Test | Result | Units | Reference |\n|---|---|---|---|\n"
    return head + "".join(f"| {a} | {b} | {c} | {d} |\n" for a, b, c, d in rows)


ZH_NAMES = {"男": ["张建国", "王志强", "陈德华", "赵永强", "周国平", "徐海涛"], "女": ["李秀英", "刘桂兰", "杨丽萍", "黄美玲", "吴淑芬", "孙玉梅"]}
EN_NAMES = {"M": ["John Miller", "Robert Garcia", "James Wilson", "Michael Brown", "David Clark", "William Scott"],
            "F": ["Mary Thompson", "Linda Walker", "Patricia Young", "Barbara Hill", "Susan Lewis", "Karen Adams"]}


def zh_progress(sc: dict, rng: random.Random, days: int, start: date) -> str:
    parts = []
    for k in range(1, 3 * days + 1):
        i = (k + 2) // 3
        d = start + timedelta(days=i)
        t = round(rng.uniform(36.4, 37.6), 1)
        hr = rng.randint(68, 96)
        sym = rng.choice(sc["prog_sym"])
        neg = rng.choice(sc["prog_neg"])
        med = rng.choice(sc["prog_med"])
        tst = rng.choice(sc["prog_test"])
        body = rng.choice(sc["prog_body"])
        rows = [(f"[[{n}|T]]", f"{rng.uniform(lo, hi):.1f}", u, r) for n, lo, hi, u, r in sc["prog_labs"]]
        parts.append(
            f"{zh_date(d, 1)} {['08:30', '14:00', '20:30'][k % 3]} 第{i}天{['主治医师查房记录', '病程记录', '夜班记录'][k % 3]}\n"
            f"患者神志清，精神可，诉[[{sym}|S]]较前减轻，无[[{neg}|S!]]。饮食、睡眠可，二便如常。"
            f"查体：T {t}℃，P {hr}次/分，BP {rng.randint(110, 150)}/{rng.randint(65, 92)}mmHg，[[{body}|B]]查体同前。"
            f"今日复查[[{tst}|T]]，结果见下表。\n" + table(rows, True) +
            f"上级医师查房意见：继续[[{med}|M]]治疗，密切观察病情变化，注意监测生命体征及出入量。"
            f"向患者及家属交代病情，表示理解。\n\n"
        )
    return "".join(parts)


def en_progress(sc: dict, rng: random.Random, days: int, start: date) -> str:
    parts = []
    for k in range(1, 2 * days + 1):
        i = (k + 1) // 2
        d = start + timedelta(days=i)
        sym = rng.choice(sc["prog_sym"])
        neg = rng.choice(sc["prog_neg"])
        med = rng.choice(sc["prog_med"])
        tst = rng.choice(sc["prog_test"])
        body = rng.choice(sc["prog_body"])
        rows = [(f"[[{n}|T]]", f"{rng.uniform(lo, hi):.1f}", u, r) for n, lo, hi, u, r in sc["prog_labs"]]
        parts.append(
            f"Hospital day {i} ({en_date(d, 0)}), {['morning round', 'evening note'][k % 2]}\n"
            f"S: Feels better overall; [[{sym}|S]] improving. Denies [[{neg}|S!]]. Tolerating diet, ambulating in the hallway.\n"
            f"O: T {rng.uniform(36.4, 37.6):.1f} C, HR {rng.randint(64, 98)}, BP {rng.randint(108, 148)}/{rng.randint(62, 90)}, "
            f"SpO2 {rng.randint(93, 99)}% on room air. [[{body}|B]] exam unchanged from yesterday. Repeat [[{tst}|T]] today:\n"
            + table(rows, False) +
            f"A/P: Continue [[{med}|M]]. Monitor intake/output, daily weights, electrolytes. Discussed plan with patient and family.\n\n"
        )
    return "".join(parts)


def build_zh(sc: dict, rid: str, rng: random.Random, long: bool, style: int) -> dict:
    adm = date(2026, rng.randint(1, 10), rng.randint(1, 20))
    stay = max(sc["stay"], 28) if long else sc["stay"]  # long records: a complicated stay, notes every shift
    dis = adm + timedelta(days=stay)
    name = rng.choice(ZH_NAMES[sc["sex"]])
    mrn = f"ZY{rng.randint(10_000_000, 99_999_999)}"
    age = rng.randint(35, 85)
    doc = Doc()
    h = (lambda s: f"【{s}】\n") if style else (lambda s: f"{s}：")
    doc.add(f"{'出院记录' if style else '住院病历（入出院记录）'}\n")
    doc.add(f"姓名：{name}    性别：{sc['sex']}    年龄：{age}岁    住院号：{mrn}\n")
    doc.add(f"科室：{sc['dept']}    床号：{rng.randint(1, 48)}\n")
    doc.add(f"入院日期：{zh_date(adm, style)}    出院日期：{zh_date(dis, style)}\n\n")
    doc.add(h("主诉"))
    doc.add(sc["cc"], "chief_complaint")
    doc.add("\n\n" + h("现病史"))
    doc.add(sc["hpi"], "hpi")
    doc.add("\n\n" + h("既往史"))
    doc.add(sc["pmh"], "pmh")
    doc.add("\n\n" + h("体格检查"))
    doc.add(sc["exam"], "exam")
    doc.add("\n\n" + h("辅助检查") + ("\n" if not style else ""))
    doc.add(table(sc["labs"], True) + sc["imaging"], "tests")
    if long:
        doc.add("\n\n" + h("病程记录") + "\n")
        doc.add(zh_progress(sc, rng, stay - 1, adm), "progress")
    doc.add("\n" + h("出院诊断" if style else "诊断") + ("\n" if style else ""))
    doc.add("\n".join(f"{i}. {d}" for i, (d, _) in enumerate(sc["dx"], 1)), "diagnoses")
    doc.add("\n\n" + h("治疗经过"))
    doc.add(sc["course"], "treatment_plan")
    doc.add("\n\n" + h("出院医嘱") + ("\n" if style else ""))
    doc.add(sc["followup"], "follow_up")
    doc.add(f"\n\n医师签名：{rng.choice(['周', '郑', '冯'])}医生\n")
    return finish(doc, rid, "zh", mrn, adm, dis, sc)


def build_en(sc: dict, rid: str, rng: random.Random, long: bool, style: int) -> dict:
    adm = date(2026, rng.randint(1, 10), rng.randint(1, 20))
    stay = max(sc["stay"], 28) if long else sc["stay"]  # long records: a complicated stay, notes every shift
    dis = adm + timedelta(days=stay)
    name = rng.choice(EN_NAMES[sc["sex"]])
    mrn = f"{rng.randint(1_000_000, 9_999_999)}"
    age = rng.randint(35, 88)
    doc = Doc()
    labels = ({"cc": "Chief Complaint", "hpi": "History of Present Illness", "pmh": "Past Medical History", "exam": "Physical Examination",
               "inv": "Investigations", "prog": "Hospital Course", "dx": "Assessment", "plan": "Plan",
               "fu": "Discharge Instructions"} if style else
              {"cc": "CC", "hpi": "HPI", "pmh": "PMH", "exam": "Exam", "inv": "Labs/Imaging", "prog": "Progress Notes",
               "dx": "Assessment", "plan": "Plan", "fu": "Discharge instructions"})
    h = (lambda k: f"{labels[k].upper()}:\n") if style == 2 else (lambda k: f"{labels[k]}: ")
    doc.add("DISCHARGE SUMMARY\n" if style else "Admission/Discharge Note\n")
    doc.add(f"Patient: {name}    Sex: {sc['sex']}    Age: {age}    MRN: {mrn}\n")
    doc.add(f"Service: {sc['dept']}\n")
    doc.add(f"Admission date: {en_date(adm, style)}    Discharge date: {en_date(dis, style)}\n\n")
    doc.add(h("cc"))
    doc.add(sc["cc"], "chief_complaint")
    doc.add("\n\n" + h("hpi"))
    doc.add(sc["hpi"], "hpi")
    doc.add("\n\n" + h("pmh"))
    doc.add(sc["pmh"], "pmh")
    doc.add("\n\n" + h("exam"))
    doc.add(sc["exam"], "exam")
    doc.add("\n\n" + h("inv") + ("\n" if style != 2 else ""))
    doc.add(table(sc["labs"], False) + sc["imaging"], "tests")
    if long:
        doc.add("\n\n" + h("prog") + "\n")
        doc.add(en_progress(sc, rng, stay - 1, adm), "progress")
    doc.add("\n" + h("dx") + ("\n" if style != 2 else ""))
    doc.add("\n".join(f"{i}. {d}" for i, (d, _) in enumerate(sc["dx"], 1)), "diagnoses")
    doc.add("\n\n" + h("plan"))
    doc.add(sc["course"], "treatment_plan")
    doc.add("\n\n" + h("fu"))
    doc.add(sc["followup"], "follow_up")
    doc.add(f"\n\nElectronically signed by Dr. {rng.choice(['Patel', 'Nguyen', 'Okafor'])}\n")
    return finish(doc, rid, "en", mrn, adm, dis, sc)


def _uniq(xs: list[str]) -> list[str]:
    seen: list[str] = []
    for x in xs:
        if x not in seen:
            seen.append(x)
    return seen


def finish(doc: Doc, rid: str, lang: str, mrn: str, adm: date, dis: date, sc: dict) -> dict:
    sec = doc.sections
    text = doc.text
    dx_ents = [e for e in doc.ents if e["type"] == "disease" and not e["negated"]
               and sec["diagnoses"][0] <= e["start"] < sec["diagnoses"][1]]
    codes = {MARK.match(d).group(1) if MARK.match(d) else d: c for d, c in sc["dx"]}  # type: ignore[union-attr]
    gold = {
        "patient_id": mrn,
        "admission_date": adm.isoformat(),
        "discharge_date": dis.isoformat(),
        "chief_complaint": text[slice(*sec["chief_complaint"])],
        "diagnoses": [{"name": e["text"], "icd10": codes.get(e["text"])} for e in dx_ents],
        "medications": _uniq([e["text"] for e in doc.ents if e["type"] == "drug" and not e["negated"]]),
        "tests": _uniq([e["text"] for e in doc.ents if e["type"] == "test" and not e["negated"]]),
        "treatment_plan": text[slice(*sec["treatment_plan"])],
        "follow_up": text[slice(*sec["follow_up"])],
    }
    for e in doc.ents:
        assert text[e["start"]:e["end"]] == e["text"], e
    return {"id": rid, "language": lang, "text": text, "gold": gold, "entities": doc.ents}


def make(split: str) -> list[dict]:
    from scenarios import SCENARIOS  # type: ignore[import-not-found]

    rng = random.Random(f"records-{split}")
    rows = []
    for lang in ("zh", "en"):
        for k, sc in enumerate(SCENARIOS[split][lang]):
            for v in range(2):
                long = v == 1 and k % 2 == 0  # some over 20k characters
                style = (k + v) % (2 if lang == "zh" else 3)
                build = build_zh if lang == "zh" else build_en
                rows.append(build(sc, f"{split}-{lang}-{k:02d}{'ab'[v]}", rng, long, style))
    return rows


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    for split in sys.argv[1:] or ["test", "dev"]:
        rows = make(split)
        with (HERE / f"{split}.jsonl").open("w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(split, len(rows), "records,", sum(len(r["text"]) > 20_000 for r in rows), "over 20k chars")
