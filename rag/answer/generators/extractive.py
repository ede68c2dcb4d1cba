"""The default generator: no language model. Advice is composed of whole sentences copied from the
guideline(s) that match the complaint, chosen by sentence role (rag.knowledge.roles) and by the
patient's context; every item cites the passage its sentence came from. Deterministic.

    passages -> documents scored against the complaint -> anchor document (+ any other that matches
    the complaint too) -> sentences (list lead-ins kept) -> role -> patient filter -> items
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace

from rag.answer.generators.base import GenerationRequest, GenerationResult
from rag.answer.schema import Confidence, DraftAdvice, DraftCondition, DraftSeekCare, DraftSelfCare, DraftTest, Urgency
from rag.knowledge.roles import sentence_role
from rag.safety.clauses import affirmed_text, denied_text
from rag.terms import find_drugs
from rag.text import CJK_RANGE, QUESTION_STOP, chinese_content_words, content_words, detect_language, guideline_words, words
from rag.types import Passage, age_group

__all__ = ["ExtractiveGenerator", "split_sentences", "suits_patient", "fitting_part", "matching_documents", "names_title", "about_terms",
           "weak_anchor", "anchor_uncovered", "DESCRIPTION", "Sentence", "NO_TESTS", "RED_FLAG_TESTS", "in_written_group", "without_prognosis",
           "drugs_named", "guideline_drugs"]

DESCRIPTION = "extractive: sentences quoted from the cited guideline passages, no language model"
# at most what a phone screen shows
MAX_SELF_CARE, MAX_SEEK, MAX_TESTS, MAX_CONDITIONS = 4, 2, 2, 3

_CJK = re.compile(f"[{CJK_RANGE}]")
_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(*])|(?<=[。！？])")
_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_DEPARTMENTS = [
    ("emergency department", "Emergency department"), ("urgent care", "Urgent care"), ("cardiolog", "Cardiology"),
    ("neurolog", "Neurology"), ("dermatolog", "Dermatology"), ("gastroenterolog", "Gastroenterology"),
    ("obstetric", "Obstetrics"), ("midwife", "Maternity services (midwife / obstetrics)"), ("paediatric", "Paediatrics"),
    ("pediatric", "Paediatrics"), ("child's doctor", "Paediatrics"), ("endocrinolog", "Endocrinology"), ("diabetes team", "Diabetes team"),
    ("pulmonolog", "Pulmonology"), ("respiratory medicine", "Respiratory medicine"), ("mental health", "Mental health services"),
    ("psychiatr", "Psychiatry"), ("sexual health", "Sexual health clinic"), ("urolog", "Urology"), ("orthop", "Orthopaedics"),
    ("physiotherap", "Physiotherapy"), ("ent (", "ENT (ear, nose and throat)"), ("pharmacist", "Pharmacist"),
    ("primary care", "Primary care"), ("family doctor", "Primary care"), ("general practi", "Primary care"),
    ("发热门诊", "发热门诊"), ("儿科", "儿科"), ("心内科", "心内科"), ("神经内科", "神经内科"), ("消化内科", "消化内科"),
    ("内分泌科", "内分泌科"), ("呼吸内科", "呼吸内科"), ("皮肤科", "皮肤科"), ("睡眠", "睡眠门诊"), ("全科", "全科"), ("急诊", "急诊科"),
]
# emergency first aid: the only self-care kept when the answer is "go to the emergency department now"
_FIRST_AID = re.compile(r"first aid|running water|cool the burn|auto-?injector|adrenaline|recovery position|while (?:you )?wait|"
                        r"fast-acting carbohydrate|glucose tablets|stop the burning|急救|冲洗|肾上腺素笔|葡萄糖", re.I)

# who a sentence is about (patient groups), for sentence-level patient context
_GROUPS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("infant", re.compile(r"\bbab(?:y|ies|y's)\b|\binfants?\b|\bnewborns?\b|\bunder (?:1 year|12 months|6 months|3 months)|"
                          # feeding a baby and nappies are about babies ("Offer regular drinks; keep breastfeeding or bottle
                          # feeding" is no advice for a 10-year-old); a mother who is breastfeeding is not
                          r"\bkeep breastfeeding|\bbreastfeeding or (?:bottle|formula)|\b(?:bottle|formula)[- ]feed|\bfeed on demand|"
                          r"\bnapp(?:y|ies)\b|\bdiapers?\b|"
                          r"婴儿|宝宝|新生儿|1岁以下|6个月以下|母乳|喂奶|配方奶|纸尿裤|尿布", re.I)),
    ("child", re.compile(r"\bchild(?:ren|'s)?\b|\bkids?\b|\bteen(?:ager)?s?\b|\bschool-age\b|\bunder-1[68]s\b|儿童|孩子|青少年|小儿|1岁以上儿童", re.I)),
    ("adult", re.compile(r"\badults?\b|成人|成年人", re.I)),
    ("older", re.compile(r"\bolder (?:adults|people)\b|\bover 65\b|\belderly\b|65岁以上|老人|老年", re.I)),
    ("pregnant", re.compile(r"(?<!non-)\bpregnan(?:t|cy)\b|\bantenatal\b|\bprenatal\b|\bmidwife\b|孕妇|怀孕|孕期|妊娠", re.I)),
    ("male", re.compile(r"\b(?:men|man|boys)\b|男性", re.I)),
    ("female", re.compile(r"\b(?:women|woman|girls)\b|女性", re.I)),
)
_NOT_FOR = re.compile(r"not (?:be )?(?:used |given )?(?:for|in|to|give[n]? to) (?:young children|children|babies|infants)|(?:young children|babies)[^.;]*(?:may choke|should not)|"
                      r"不要给?[^，。；]{0,6}(?:婴儿|宝宝)|(?:婴儿|宝宝)禁止|"
                      # a medicine for adults that children take only on a doctor's advice is no self-care for a child
                      r"\bor in (?:young )?children unless\b|(?:儿童|孩子|小儿|婴幼儿)(?:须|需|需要|应|应当|要|请)(?:遵医嘱|在医生指导下|咨询医生)",
                      re.I)
_EVERYONE = re.compile(r"\banyone\b|\beveryone\b|\ball ages\b|任何人|所有人", re.I)
_OLDER_CHILD = re.compile(r"older children|children (?:over|aged) \d|1岁以上", re.I)
_NSAID_USE = re.compile(r"ibuprofen|naproxen|nsaid|aspirin|布洛芬|阿司匹林", re.I)
_ANY_RED_FLAG = re.compile(r"\b(?:any|for a|the) red flags?\b|red flags need|任何危险信号|出现危险信号", re.I)
_ASPIRIN = re.compile(r"aspirin|阿司匹林", re.I)
_PROHIBITION = re.compile(r"\s*(?:do not|don't|never|avoid|不要|切勿|禁止|避免|不宜)", re.I)
_IBUPROFEN = re.compile(r"ibuprofen|布洛芬", re.I)
# a blood thinner the patient takes: NSAIDs raise its bleeding risk, so advice offering them is not for this patient
_ANTICOAGULANT = re.compile(r"\b(?:warfarin|coumadin|apixaban|eliquis|rivaroxaban|xarelto|edoxaban|dabigatran|pradaxa|clopidogrel|"
                            r"anticoagulants?|blood[- ]thinn(?:er|ers|ing))\b|华法林|利伐沙班|阿哌沙班|达比加群|艾多沙班|氯吡格雷|抗凝药?|稀释血液", re.I)
_PARACETAMOL = re.compile(r"paracetamol|acetaminophen|对乙酰氨基酚|扑热息痛", re.I)
_BABY_LIMIT = re.compile(r"\bunder (?:3|6) months|\b(?:3|6) months (?:or|and) (?:over|older)|doctor's advice|medical advice|"
                         r"(?:3|6|三|六)个月以[上下]|遵医嘱", re.I)
_DOSE_QUESTION = re.compile(r"\bhow (?:much|many)\b|\bdoses?\b|\bdosage\b|\bmaximum\b|\bsafe (?:amount|to take)\b|多少|剂量|用量|最多", re.I)
_NSAID_AVOID = re.compile(r"(?:\bavoid|\bnot|\bnever|\bdon't|不要|避免|禁止|不宜|忌)[^.;,，。；]{0,20}(?:ibuprofen|nsaid|aspirin|布洛芬|阿司匹林)", re.I)
_QUESTION_CHILD = re.compile(r"\b(?:child|son|daughter|kid|boy|girl|toddler|baby|infant|newborn)s?\b|year[- ]old|孩子|儿子|女儿|宝宝|婴儿|小孩|岁", re.I)
_EN_SYNONYMS = {"diarrhea": "diarrhoea", "diarreah": "diarrhoea", "diarrea": "diarrhoea", "diarhea": "diarrhoea",
                "diarhoea": "diarrhoea", "diarrohea": "diarrhoea", "diahrrea": "diarrhoea", "diahorrea": "diarrhoea", "stools": "diarrhoea", "the runs": "diarrhoea", "tummy": "abdominal", "belly": "abdominal",
                "stomach": "abdominal", "temperature": "fever", "feverish": "fever", "throat": "throat",
                "wee": "urinary", "pee": "urinary", "peeing": "urinary", "urine": "urinary", "sick": "vomiting", "vomited": "vomiting",
                "throwing": "vomiting", "threw up": "vomiting", "throw up": "vomiting", "thrown up": "vomiting", "puke": "vomiting",
                "puked": "vomiting", "puking": "vomiting", "retching": "vomiting", "spins": "dizziness", "spinning": "dizziness", "lightheaded": "dizziness", "dizzy": "dizziness",
                "woozy": "dizziness", "light-headed": "dizziness", "light headed": "dizziness", "giddy": "dizziness",
                "fluttering": "palpitations", "breastbone": "chest", "sternum": "chest", "sleep": "insomnia", "awake": "insomnia", "sting": "stings",
                "stung": "stings", "bee": "stings", "tick": "tick", "welts": "hives", "pregnant": "pregnancy",
                "baby": "newborn", "wheezy": "asthma", "inhaler": "asthma", "insulin": "blood sugar",
                "diabetic": "diabetes", "ankle": "sprains", "swollen": "swelling", "poo": "diarrhoea", "poos": "diarrhoea", "poop": "diarrhoea",
                "fed up": "depression", "low mood": "depression", "flat": "depression", "hopeless": "depression",
                "anxious": "anxiety", "panic": "anxiety", "nervous": "anxiety",
                # the two screening questions for depression in lay words (feeling down, low or hopeless; little interest or
                # pleasure in doing things), and suicidal intent, which the depression guideline's warning signs are about
                "feeling low": "depression", "feel low": "depression", "feeling down": "depression", "feel down": "depression",
                "no interest": "depression", "lost interest": "depression", "suicidal": "depression", "suicide": "depression",
                "kill myself": "depression", "end my life": "depression", "end it all": "depression", "goodbye": "depression",
                "harm myself": "depression", "hurt myself": "depression", "self-harm": "depression",
                "pulled": "strains", "twisted": "sprains", "rolled": "sprains", "blood pressure": "hypertension", "coughing": "cough",
                "flu": "influenza"}
_ZH_SYNONYMS = {"发烧": "发热", "烧到": "发热", "高烧": "发热", "低烧": "发热", "退烧": "发热", "拉肚子": "腹泻", "拉稀": "腹泻", "嗓子": "咽喉", "喉咙": "咽喉", "头疼": "头痛", "睡不着": "失眠",
                "风团": "皮疹", "起疹子": "皮疹", "红疹": "皮疹", "血压": "高血压", "心口": "胸痛", "胸口": "胸痛", "糖尿病": "糖尿病",
                # lay words for a rash, loose stools, chest tightness and blood sugar
                "红包": "皮疹", "疙瘩": "皮疹", "起包": "皮疹", "湿疹": "皮疹", "荨麻疹": "皮疹", "水泡": "皮疹", "水疱": "皮疹",
                "疱疹": "皮疹", "发痒": "皮疹", "瘙痒": "皮疹", "挠": "皮疹", "水样便": "腹泻", "稀便": "腹泻", "胸闷": "胸痛", "血糖": "糖尿病",
                "二甲双胍": "糖尿病", "胰岛素": "糖尿病", "发麻": "麻木",
                # heartburn and acid in lay words ("心口就烧得慌，酸水往上返", "火烧火燎的，还反酸水")
                "发烫": "发热", "酸水": "反酸", "酸水往": "反流", "反酸": "反流", "返酸": "反酸", "烧心": "烧心", "火烧火燎": "烧心", "心口烧": "烧心",
                # snoring and pauses in breathing in lay words ("打呼噜", "憋住不喘气")
                "打呼噜": "打鼾", "呼噜": "打鼾", "不喘气": "憋气"}
_ZH_TOPIC_WORDS = frozenset(_ZH_SYNONYMS.values())
# a topic said with a word between, each pattern with the topic term it names: a pain ("头好痛", "肚子特别疼": the body
# part's pain) and a fever told by its length (_ZH_TERSE_FEVER below)
# (头 that ends another word is no head: "骨头" a bone, "指头" a finger, "舌头" a tongue, "前头" ahead; a pain said not to be
# there is none: "按骨头不怎么疼")
# (and the head in regional words: south-western 脑壳, northern 脑瓜, 脑袋; answers round 28)
_ZH_HEAD = r"(?:(?<![骨指趾舌拳石枕乳奶码罐馒锄镜前后里外上下个心喉])头|脑壳|脑瓜|脑袋)"
# a fever told tersely by its length or its reading, without 发 ("烧了两天", "烧39度", "烧到半夜"): not a burn or heartburn
# ("被开水烧了", "火烧", "烧心"), which name no number or time after the word
_ZH_TERSE_FEVER = re.compile(r"(?<![火开心])烧(?:了|得|到|起来)?(?:[一二两三四五六七八九十几半好\d]+(?:天|日|个|度|多|晚|夜|点)|半夜|一晚上?|一整天|一天)")
_ZH_PAIN = ((re.compile(_ZH_HEAD + r"[^，。,.；;不没无]{0,3}[痛疼]"), "头痛"), (re.compile(r"胸[^，。,.；;不没无]{0,3}[痛疼闷]"), "胸痛"),
            (_ZH_TERSE_FEVER, "发热"))


# what is fine ("feeding well", "breathing fine", "otherwise ok", "精神还可以", "能吃能喝") reassures; it names no complaint
# ("not feeding well" does)
_REASSURED_EN = re.compile(
    r"(?<!not )(?<!n't )(?<!n’t )(?<!never )\b(?:feeding|eating|drinking|sleeping|playing|breathing|weeing|peeing|pooing|"
    r"walking|talking|moving)(?: (?:really|very|totally|perfectly|completely|absolutely))? (?:well|fine|normally|ok|okay|"
    r"alright|as usual|as normal)\b"
    r"|\b(?:otherwise|other than that)(?: (?:really|very|totally|perfectly|completely|absolutely))? (?:well|fine|happy|ok|okay|alright)\b"
    r"|(?<!not )(?<!n't )\b(?:seems?|is|he's|she's|hes|shes|they're|i'm|im|i am)(?: (?:really|very|totally|perfectly|completely|absolutely|"
    r"otherwise|still|quite))? (?:well|fine|happy|ok|okay|alright|settled|content)\b"
    # a child who has calmed down ("she's stopped crying and is playing")
    r"|\b(?:has |have |had |'s )?stopped (?:crying|screaming)\b|(?<!not )(?<!n't )\b(?:is|she's|he's|shes|hes|now|still|back) playing\b"
    # bodily functions said to be normal ("wee and poo normal", "bowels fine"): no bladder or bowel complaint
    r"|(?<!not )\b(?:wee|pee|poo|poos|urine|stools?|bowels?|bladder|waterworks)(?:\s+(?:and|&)\s+(?:wee|pee|poo|poos|urine|"
    r"stools?|bowels?|bladder|waterworks))?\s+(?:(?:is|are|all|both|seem|seems|still)\s+)?(?:normal|fine|ok|okay|as usual)\b"
    # a symptom said to be over ("the vomiting has stopped but he still has runny poo"): what is left is the complaint
    r"|\b(?:the|his|her|my|their)\s+[a-z]+(?:\s+[a-z]+)?\s+(?:has|have|had)\s+(?:now\s+|since\s+|already\s+)?"
    r"(?:stopped|settled|cleared(?: up)?|resolved|gone away|disappeared)\b", re.I)
_REASSURED_ZH = re.compile(r"精神[还都也挺很]*(?:可以|好|不错|正常|挺好|还行)|能吃能喝|(?:吃饭|喝水|吃奶|玩耍?|睡觉|大小便)[喝水吃饭、和]*[都也还]*"
                           r"(?:正常|可以|挺好|不错|还行|没问题)"
                           # a symptom said to be over ("已经不吐了", "烧退了"): what is left is the complaint
                           r"|(?:已经|现在)?不(?:吐|拉|烧|咳)了|(?:呕吐|吐|发烧|烧|拉肚子|腹泻)(?:已经|现在)?(?:停了|退了|止住了|没了)")


_SLEEP_LOST_ZH = re.compile(r"得(?:整晚|整夜|晚上|一晚上|夜里)?(?:都|也)?睡不(?:着|好)觉?")
_SLEEP_LOST_EN = re.compile(r"\b(?:keeps?|kept|keeping) (?:me|him|her|them|us) (?:up|awake)\b|"
                            r"\b(?:can'?t|cannot|couldn'?t|unable to) (?:get to )?sleep(?= (?:for|because of|with|due to) (?:the|my|his|her|this) )")
# a parent's own lost sleep in a question about their baby or child is not the child's complaint ("宝宝三周大，晚上一放下就哭，
# 我也好几天没睡好" asks about the baby, not about insomnia)
_CARER_ZH = re.compile(r"宝宝|婴儿|新生儿|孩子|小孩|儿子|女儿|闺女")
_CARER_SLEEP_ZH = re.compile(r"[^，,。；;！？]*我[^，,。；;！？]*(?:睡不着|睡不好|没睡好|没怎么睡|失眠)[^，,。；;！？]*(?:[，,][^，,。；;！？]*(?:睡|翻来覆去)[^，,。；;！？]*)*")
_CARER_EN = re.compile(r"\bmy (?:baby|newborn|son|daughter|child|toddler|little one|boy|girl)\b|\b(?:baby|newborn) is\b", re.I)
_CARER_SLEEP_EN = re.compile(r"\b(?:i|i'?m|i am|i'?ve|i have|we|we'?re|we'?ve)\b[^.;,!?]{0,25}?\b(?:not sleeping|haven'?t slept|have not slept|"
                             r"can'?t sleep|cannot sleep|no sleep|sleep[- ]deprived|exhausted|shattered)\b[^.;,!?]*", re.I)


def _without_carer_sleep(text: str, zh: bool) -> str:
    """The complaint without the parent's own lost sleep, where it is about a baby or child."""
    if zh:
        return _CARER_SLEEP_ZH.sub("，", text) if _CARER_ZH.search(text) else text
    return _CARER_SLEEP_EN.sub(", ", text) if _CARER_EN.search(text) else text


# an episode the patient says is over ("She had a cold last week, runny nose, bit of a cough, all fine."; "上周感冒了，
# 已经好了"): the sentence is history, the complaint is what follows it. A sentence that goes on ("but", "still", "now",
# "again") is kept whole.
_PAST_WHEN = re.compile(r"\b(?:last (?:week|month|weekend|year)|(?:a|one|two|three|a few|a couple of|few|couple of) (?:days|weeks|"
                        r"months) ago|earlier this (?:week|month|year)|over the (?:holidays|weekend))\b", re.I)
_PAST_OVER = re.compile(r"\b(?:all fine(?: now)?|(?:that'?s|that is|it'?s|it is|which is|she'?s|he'?s|i'?m) (?:all )?(?:fine|better|ok|okay|"
                        r"gone|over) now|(?:cleared|cleared up|went away|got better|settled|resolved|recovered)"
                        r"(?: (?:on its own|by itself|after a (?:day|few days|week)))?)\s*$", re.I)
_PAST_GOES_ON = re.compile(r"\b(?:but|still|now|again|since then|ever since|keeps?|however)\b", re.I)
_PAST_WHEN_ZH = re.compile(r"上周|上个?星期|上个?礼拜|上个?月|前几天|前段时间|前阵子")
_PAST_OVER_ZH = re.compile(r"(?:现在|已经|早就|都)*(?:好了|没事了|痊愈了|好利索了)\s*$")
_PAST_GOES_ON_ZH = re.compile(r"但|可是|还|又|现在|这两天|今天")


# the patient's (or a carer's) own guess at what it is, asked or reported ("is it just my back?", "could it be anxiety?",
# "he says it's a pulled muscle", "是不是焦虑了？", "这是颈椎病吗？", "他说是闪了腰"): a hypothesis, no symptom, so it names
# no topic (the messages that end on one are often wrong: loin pain with a fever "is it my back again?"). A clinician's
# word stays ("the GP said it's viral"), and so does a question about a medicine or an action ("is it safe to take…").
_GUESS_EN = re.compile(
    r"\b(?:is|could|might|can|would) (?:it|this|that|these|they) (?:just |only |simply |all |really |still )*(?:be |been )?"
    r"(?:just |only |simply )?(?P<a>[a-z][a-z' -]{1,40}?)\s*\?"
    r"|(?<!\bgp )(?<!doctor )(?<!nurse )(?<!they )(?<!consultant )\b(?:says|said|thinks|thought|reckons|reckoned|swears) "
    r"(?:it'?s|it is|it was|it'?ll be|that'?s|she'?s|he'?s|i'?ve|i have|i'?m|i am) (?:just |only |probably |definitely |got )*"
    r"(?P<b>[a-z][a-z' -]{1,30}?)(?=\s*(?:[,.;!?]|$|\band\b|\bbut\b|\bso\b))", re.I)
_GUESS_EN_KEEP = re.compile(r"^(?:safe|ok|okay|alright|fine|normal|serious|dangerous|bad|worth|possible|likely|better|worse|"
                            r"too|something|anything|nothing|contagious|catching|infectious|ok to|fine to)\b|\b(?:to|if)\b", re.I)
_GUESS_ZH = re.compile(r"(?:是不是|会不会是|会不会|难道是|该不会是|这是|(?<![还就可但总要])是)(?P<a>[^，。？！?、；]{1,12}?)(?:了|引起的|造成的|犯了)?(?:吗|呢|吧)?[？?]"
                       r"|(?<!医生)(?<!大夫)(?<!社区)(?<!医院)(?:说|觉得|以为|认为)(?:是|就是|只是)(?P<b>[^，。？！?、；]{1,10})")
_GUESS_ZH_KEEP = re.compile(r"能|可以|行|要紧|严重|正常|需要|要不要|该|安全|危险|吃|用")


def _without_guesses(text: str, zh: bool) -> str:
    """The complaint without the patient's or a carer's own guess at the cause (_GUESS_EN, _GUESS_ZH)."""
    rx, keep = (_GUESS_ZH, _GUESS_ZH_KEEP) if zh else (_GUESS_EN, _GUESS_EN_KEEP)

    def cut(m: re.Match[str]) -> str:
        guess = m.group("a") or m.group("b") or ""
        if keep.search(guess):
            return m.group(0)
        start, end = m.span("a") if m.group("a") else m.span("b")
        whole = m.group(0)
        return whole[:start - m.start()] + " " + whole[end - m.start():]
    return rx.sub(cut, text)


def _without_past_episodes(text: str, zh: bool) -> str:
    """The complaint without the sentences of an episode the patient says is over (_PAST_WHEN, _PAST_OVER)."""
    kept = []
    for part in re.split(r"(?<=[.!?。！？])", text):
        body = part.strip().rstrip(".!?。！？ ")
        when, over, goes_on = (_PAST_WHEN_ZH, _PAST_OVER_ZH, _PAST_GOES_ON_ZH) if zh else (_PAST_WHEN, _PAST_OVER, _PAST_GOES_ON)
        end = over.search(body)
        past = bool(when.search(body) and end and not goes_on.search(body[:end.start()]))
        kept.append(" " if past else part)
    rest = "".join(kept)
    return rest if rest.strip() else text


_SLEEP_PLACE = re.compile(r"\bsleep(?:s|ing)? (?:on (?:his|her|their) (?:side|back|front|tummy|stomach)|in (?:our|their|his|her) "
                          r"(?:bed|cot|crib|room))\b")
_TESTICLE = re.compile(r"\b(?:my|his|your|left|right|one|both) (?:balls?|nuts?|bollocks?|testes)\b")
_DYSURIA = re.compile(r"\b(?:it )?(?:burns|burning|stings|stinging|hurts) when (?:i |he |she |they |you )?(?:pee|wee|urinat)\w*")
_DYSURIA_AFTER = re.compile(r"\b(?:pee|wee|urinat)\w*\b[^.;!?]{0,40}?\b(?:it |that )?(?:burns|burning|stings|stinging|hurts)\b"
                            r"(?! (?:my|the|his|her) (?:skin|hand|arm|leg|finger))")
_METER = re.compile(r"(?:\b(?:meter|glucometer|monitor|sensor|libre|cgm)\b|血糖仪)[^.;,，。；0-9]{0,25}?(\d{1,2}\.\d)(?!\d)", re.I)
_LOW_SUGAR = re.compile(r"hypoglyc|low blood sugar|rule of 15|\b15 ?g(?:rams)?\b|glucagon|fast-acting|低血糖|15 ?克|胰高血糖素", re.I)
# a low the patient describes ("having a hypo", "sugar dropped low", "shaky and sweaty", "血糖偏低", "手抖出汗")
_SAYS_LOW = re.compile(r"\bhypos?\b|\blow (?:blood )?(?:sugars?|glucose)\b|\b(?:sugars?|glucose|bm|reading)s? (?:is |was |were |went |"
                       r"dropped |drops |keeps? |goes |going )*(?:low|down)\b|\bshak(?:y|ing)\b|\bsweaty\b|\btrembl\w*|"
                       r"低血糖|血糖(?:有点|很|太|偏|比较)?低|手抖|发抖", re.I)
# a guideline sentence that makes its self-care conditional on a clinician's assessment, and a patient who says one happened
_ONLY_AFTER_ASSESSMENT = re.compile(r"\bonly (?:for|after|once|when)\b[^.;]{0,60}\b(?:assessed|diagnosed|examined|checked|ruled out)\b|"
                                    r"只适用于[^。；]{0,10}(?:评估|诊断|确诊|检查)过", re.I)
_SAYS_ASSESSED = re.compile(r"\b(?:diagnosed|assessed|examined|checked (?:me|him|her|them|it|out)|ruled out|been told|"
                            # what a clinician said, not the patient's own reading ("he says it's indigestion")
                            r"(?:doctors?|gp|dr|nurses?|pharmacists?|consultants?|specialists?|cardiologists?|paramedics?|"
                            r"hospital|a&e|er|clinic|they)(?:\s+[\w']+){0,3}?\s+"
                            r"(?:said|says|told (?:me|him|her|us)) (?:it'?s|it is|it was|that|my|his|her)|"
                            r"i have (?:angina|reflux)|(?:my|his|her) (?:angina|reflux))\b|确诊|诊断|医生说|看过医生|检查过|评估过|"
                            r"有心绞痛|有反流", re.I)
# what a sentence is about, before what it says to do ("Reflux" of "Reflux may improve with…", "反酸烧心" of "反酸烧心者少量多餐")
_SUBJECT_END = re.compile(r"\s(?:may|can|should|is|are|will|use|take)\s|,\s|者|可|应|请|，|：|:")


def _subject(sentence: str) -> str:
    """The words of a sentence before its verb (see _SUBJECT_END)."""
    return _SUBJECT_END.split(sentence, maxsplit=1)[0]


# a burning that rises after meals or on lying down, or acid: what the patient describes is reflux
_REFLUX_EN = re.compile(r"\bheartburn\b|\bacid\b|\bindigestion\b|\bburning\b[^.!?]{0,80}\b(?:after|when)\b[^.!?]{0,30}"
                        r"\b(?:eat|eating|ate|meals?|dinner|lunch|food|lie|lying)\b")
_FEELS_HOT = re.compile(r"\b(?:feels?|felt|feeling|is|was|so|very|burning) (?:really |very )?hot\b|\bhot to (?:the )?touch\b")
# the heart named for its beat ("my heart pounds"), not a heart attack, failure or disease in the history ("my brother had a
# heart attack", "I have heart failure"): only the first is a palpitations complaint
_HEART_BEAT = re.compile(r"\bheart\b(?!\s+(?:attacks?|failure|disease|conditions?|surgery|problems?|valves?|bypass|stents?)\b)")
# a panic attack in lay words: a fear of dying or of losing control with a body sign of the attack ("my heart pounds, my hands
# shake and I feel like I'm about to die"), or attacks of a pounding heart with shaking or sweating and breathlessness or
# fear ("attacks where my heart pounds, I shake and feel like I can't get enough air"): the depression and anxiety
# guideline's "sudden panic attacks with a pounding heart, sweating, shaking, shortness of breath, chest tightness and a
# fear of dying"; the pounding heart is then the attack's, not a palpitations complaint. Never with a chest pain said.
_PANIC_FEAR = re.compile(r"\b(?:going|about|gonna) to (?:die|pass out and die|lose control)\b|\b(?:i'?m|i am|i was) dying\b|"
                         r"\bfear of dying\b|\bsense of (?:impending )?doom\b|\blos(?:e|ing) control\b|\bgo(?:ing)? crazy\b")
_PANIC_ATTACKS = re.compile(r"\b(?:attacks?|episodes?|spells?)\b")
_PANIC_HEART = re.compile(r"\bheart (?:is )?(?:pound|rac|thump|hammer)\w*|\bpounding heart\b|\bracing heart\b")
_PANIC_BODY = re.compile(r"\bshak(?:e|es|ing|y)\b|\bshook\b|\btrembl\w*|\bsweat\w*|\bclammy\b")
_PANIC_AIR = re.compile(r"\b(?:can'?t|cannot|couldn'?t|can not) (?:get (?:enough )?|catch (?:my )?)(?:air|breath)\b|\bbreathless\b|"
                        r"\bshort of breath\b|\bchest (?:goes |gets |went |is )?tight\b")
_DISEASE_TYPE = re.compile(r"\btype\s*([12])\b|(?<![0-9])([12一二])型", re.I)


def _disease_types(text: str) -> set[str]:
    """The disease types a text names ("type 1 diabetic", "2型糖尿病"): {"1"}, {"2"}."""
    return {{"一": "1", "二": "2"}.get(t, t) for m in _DISEASE_TYPE.finditer(text) for t in m.groups() if t}


_CHEST_PAIN_SAID = re.compile(r"\bchest pains?\b|\bpain in (?:my|the|his|her) chest\b|\bcrush\w*|\bsqueez\w*|\bpressure (?:in|on) "
                              r"(?:my|the|his|her) chest\b|\bchest (?:feels |is |goes )?heavy\b|\bheav\w* (?:in|on) (?:my|the) chest\b|"
                              r"\b(?:arm|jaw)\b")


# shingles in lay words: a band, strip or line of blisters ("a strip of little blisters came up along it"), the rash
# guideline's "a painful band of blisters on one side of the body"
_SHINGLES = re.compile(r"\bshingles\b|\b(?:band|strip|stripe|line|belt|row|streak)\s+of\s+(?:(?:little|small|tiny|red|painful|"
                       r"itchy|fluid-filled|raised)\s+)*(?:blisters?|spots|bumps)\b")


# a cold in lay words: a stuffy or runny nose with sneezing (not hay fever: itchy eyes, pollen, an allergy)
_COLD_NOSE = re.compile(r"\b(?:stuffy|stuffed[- ]up|blocked|bunged[- ]up|runny|running|streaming|snotty|snuffly) nose\b|\bsnuffl\w*|\bsnott?y\b")
_SNEEZE = re.compile(r"\bsneez\w*")
_HAY_FEVER = re.compile(r"\bitchy eyes\b|\bwatery eyes\b|\bhay ?fever\b|\bpollen\b|\ballerg\w*|\bevery (?:spring|summer)\b")


# flu in lay words: a sudden onset with aches all over and a fever or shivers ("came on really suddenly: temperature of
# 39, shivers, aching all over"), the cold and flu guideline's "flu starts suddenly with fever, chills, muscle aches"
_SUDDEN = re.compile(r"\bsudden(?:ly)?\b|\bout of nowhere\b|\bhit (?:me )?(?:like|by) a (?:truck|bus|train)\b|\bcame on (?:fast|quickly)\b")
_ACHES_ALL_OVER = re.compile(r"\bach(?:e|es|ing|y) all over\b|\ball over ach\w*|\b(?:every|all (?:my|the)) muscles? (?:ache|aches|hurt\w*)\b|"
                             r"\b(?:body|muscle) aches\b|\baching (?:everywhere|from head to toe)\b")
_FEVERISH = re.compile(r"\bfever\w*|\btemperature\b|\btemp\b|\bshiver\w*|\bchills?\b|\brigors?\b|\b3[89](?:\.\d)?\b|\b40(?:\.\d)?\b")


def _flu(low: str) -> bool:
    """True when an (affirmed, lower-case) complaint describes flu in lay words (_SUDDEN, _ACHES_ALL_OVER, _FEVERISH)."""
    return bool(_SUDDEN.search(low) and _ACHES_ALL_OVER.search(low) and _FEVERISH.search(low))


@functools.lru_cache(maxsize=256)
def _syndromes(query: str, zh: bool) -> frozenset[str]:
    """The topic terms a reading of the whole presentation adds: a panic attack in lay words ("panic", "anxiety"),
    shingles ("shingles", a skin rash), skin reddened by the sun (a sunburn)."""
    if zh:
        return frozenset()
    low = affirmed_text(query).lower()
    out: set[str] = set()
    if _panic(low):
        out |= {"panic", "anxiety"}
    if _SHINGLES.search(low):
        out |= {"shingle", "skin", "rash"}
    if _cold(low):
        out.add("cold")
    if _flu(low):
        out.add("influenza")
    if _SUN.search(low) and _SUN_SKIN.search(low):
        # skin reddened by the sun is a sunburn wherever else the complaint goes ("fell asleep at the beach, shoulders
        # bright red and sore. Also a bit of a headache from the sun" is the burns guideline's before the headache one's)
        out |= {"sunburn", "burn"}
    return frozenset(out)


def _cold(low: str) -> bool:
    """True when an (affirmed, lower-case) complaint describes a common cold in lay words (_COLD_NOSE)."""
    return bool(_COLD_NOSE.search(low) and _SNEEZE.search(low) and not _HAY_FEVER.search(low))


def names_by_reading(query: str, title: str, language: str) -> bool:
    """True when a reading of the whole presentation (_syndromes) names all of one topic the guideline's title lists."""
    terms = _syndromes(query, language == "zh")
    return bool(terms) and _title_match(terms, title, language == "zh") >= 1.0


def _panic(low: str) -> bool:
    """True when an (affirmed, lower-case) complaint describes a panic attack in lay words (see _PANIC_FEAR)."""
    if _CHEST_PAIN_SAID.search(low):
        return False
    body = bool(_PANIC_HEART.search(low) or _PANIC_BODY.search(low) or _PANIC_AIR.search(low))
    if _PANIC_FEAR.search(low) and body:
        return True
    return bool(_PANIC_ATTACKS.search(low) and _PANIC_HEART.search(low) and _PANIC_BODY.search(low) and _PANIC_AIR.search(low))
# skin reddened by the sun ("fell asleep on the beach, shoulders bright red and sore"): what the guidelines call sunburn
_SUN = re.compile(r"\b(?:in|from|out in|under) the sun\b|\bsun(?:bath\w*|bed|beds|lamp|shine)\b|\bon the beach\b|\bat the beach\b")
_SUN_SKIN = re.compile(r"\b(?:red|sore|burning|peeling|blisters?|blistered|tender|stinging|raw)\b")
# water to soak in ("用热水泡泡脚", "热水泡一泡"), not a blister (水泡)
_ZH_SOAK = re.compile(r"(?<=[热温冷凉开盐])水泡|泡(?=泡?脚)")
# a temperature named by where it was taken ("腋温38.3"), and a child who feels hot ("摸着有点烫", "发烫"): a fever, not a scald
_ZH_SITE_TEMP = re.compile(r"(?:腋温|肛温|耳温|口温|额温|腋下)[^0-9，。；]{0,3}(3[5-9](?:\.\d)?|4[0-2](?:\.\d)?)")
_ZH_FEELS_HOT = re.compile(r"摸(?:着|起来|上去)?[^，。；]{0,3}烫|发烫|烫手")
# "每次都不一样" (the readings differ) denies nothing: read as a difference, so the clause stays the complaint's
_ZH_DIFFERS = re.compile(r"(?:都|也)?不(?:一样|一致|相同)")
# heat that comes in waves ("夜里老是一阵阵发热出汗"): a hot flush (潮热), not a fever
_ZH_FLUSH = re.compile(r"(?:一阵阵|一阵一阵地?|阵阵|一阵)(?:地)?(?:发热|发烫|燥热|烘热)")
_STINGING = re.compile(r"(?<!\ba )(?<!\bthe )(?<!\bbee )(?<!\bwasp )(?<!\binsect )(?<!\bhornet )(?<!\bjellyfish )\bstings?\b|\bstinging\b")
_BURNING = re.compile(r"\b(?:a |the )?burning(?: (?:pain|feeling|sensation))?\b(?! (?:clothes|building|house|car|oil|fat|candle))")
_COLD_THING = re.compile(r"\bcold(?= (?:water|sweats?|hands?|feet|foot|compress|pack|shower|bath|weather|air|drinks?|tap|"
                         r"ice|clammy|skin|room|food|and clammy)\b)|\b(?:feels?|felt|feeling|is|was|so|too|very) cold\b")
# (a hot water bottle is something that helps, not what burnt: "period cramps, a hot water bottle helps")
_SCALD = re.compile(r"\b(?:boiling|scalding|hot) (?:tea|coffee|water|soup|oil|fat|drink|milk|kettle|pan|oven|tray|iron|plate|steam)s?\b"
                    r"(?! ?bottle)"
                    # a hot drink pulled down on someone ("pulled a cup of tea off the table")
                    r"|\bpull\w* (?:a|an|the|my|his|her|their|your) (?:cup|mug|pot|bowl|pan|kettle|jug) of (?:\w+ )?(?:tea|coffee|soup|water|milk)\b"
                    # a hot drink spilt on someone ("grabbed my cup of tea and it splashed on her chest")
                    r"|\b(?:tea|coffee|soup|kettle)\b[^.;!?]{0,30}?\b(?:splash|spill|spilt|tipp|knock|pour)\w*"
                    r"|\b(?:splash|spill|spilt|tipp|knock|pour)\w*[^.;!?]{0,30}?\b(?:tea|coffee|soup|kettle)\b")
# a test sentence that says none are needed ("Many short fevers need no tests at all", "scans are not routinely needed",
# "Most acute coughs need only an examination"): reassurance for an answer the patient can manage at home
NO_TESTS = re.compile(r"\bno (?:tests?|scan|x-ray)\b|\bneed(?:s)? no tests?\b|\busually none\b|\bnot routinely (?:needed|required)\b|"
                      r"\bneed(?:s)? only an? (?:examination|check)\b|无需(?:任何)?检查|不需要(?:做)?(?:检查|CT)", re.I)
# a test sentence for when red flags are present ("When red flags are present: MRI of the spine", "有危险信号时可能安排头颅CT"):
# what a clinician orders for a red flag, not for an answer managed at home
RED_FLAG_TESTS = re.compile(r"^\s*(?:when|if|with)\s+(?:any\s+)?red\s+flags?(?:\s+(?:are|is))?\s+present|^\s*(?:有|出现)危险信号时", re.I)
_SITUATION = re.compile(r"^((?!First aid)(?:(?:For|If|In|With|When|After)\b[^:]{0,40}|[A-Z][a-z]+(?: [a-z]+)?)):|^([^：]{2,15}(?:引起的[^：]{0,8}|者|时|患者))：")
# words of red-flag labels that name no topic ("Possible stroke (BE FAST signs)": "stroke" does)
_LABEL_GENERIC = {"possible", "severe", "sign", "signs", "sudden", "suddenly", "feature", "features", "serious", "large", "amount",
                  "very", "high", "person", "child", "lasting", "minute", "minutes", "repeated", "infant", "month", "months",
                  "difficulty", "illness", "will", "stop", "疑似", "征象", "严重", "突然", "特征", "可能", "孩子"}
_ABOUT_ROLES = {"condition", "red_flag", "seek_care", "tests"}
# words that name a patient group (stemmed as _query_terms stems): a pregnancy guideline shares "pregnant" with every
# pregnant patient, whatever her complaint
_GROUP_WORDS = frozenset({"pregnant", "pregnancy", "newborn", "baby", "babie", "infant", "child", "children", "kid",
                          "怀孕", "孕妇", "孕期", "妊娠", "宝宝", "婴儿", "新生儿", "孩子", "儿童"})
# the words of a Chinese title that say who it is for ("成人发热", "儿童发热"), left out as "adults"/"children" are in English
_ZH_WHO = frozenset({"成人", "成年人", "儿童", "小儿", "婴儿", "婴幼儿", "新生儿", "孩子", "老年人", "老人", "孕妇"})
# who the patient is, in a parent's words: no topic of its own in a complaint ("宝宝" shared with "暖宝宝", a heat pack,
# drew the Chinese period guideline into a two-week-old's answer, answers_dev10, urgency round 25)
_ZH_WHO_COMPLAINT = _ZH_WHO | {"宝宝", "宝贝", "小孩", "小朋友", "娃娃", "小宝"}
# qualifiers the complaint's duration adds (rag.answer: _reading_terms): they choose between titles, they name no topic
_QUALIFIERS = frozenset({"acute", "chronic"})
_GENERIC = {"best", "day", "days", "week", "year", "time", "good", "make", "today", "one", "two", "old", "since", "feel", "get",
            "so", "some", "had", "up", "last", "month", "bit", "still", "again", "start", "said", "just", "all", "first",
            "before", "after", "about", "hav", "m", "s", "t", "l", "take", "got", "what", "can",
            # words of how people talk, not of what they have ("my ankles swell by the evening": stemmed "even")
            "even", "been", "keep", "kept", "down", "haven", "okay", "ok", "around", "mostly", "gone", "really", "little",
            "lot", "lots", "now", "like", "think", "know", "need", "want", "tried", "try", "could", "would", "should", "much",
            "thing", "every", "morn", "afternoon", "tonight", "yesterday", "hour", "minute", "sure", "few", "ive",
            "not", "no", "see", "says", "say", "home", "machine", "very", "she", "her", "he", "his", "him", "they", "them", "their", "it", "its", "than", "tak", "was", "were",
            "right", "left", "under", "over", "side", "bad", "worse", "better", "normal", "fine", "symptom",
            # "type 1" names no "Type 2 diabetes" (the title's number is no word)
            "type",
            # contractions written without the apostrophe ("theres a blister", "shes fine")
            "too", "also", "between", "there", "theres", "shes", "hes", "thats", "im", "youre", "theyre", "isnt", "doesnt", "dont", "didnt", "cant",
            "早上", "上午", "中午", "下午", "晚上", "白天", "夜里", "经常", "一直", "有点", "有些", "两三", "三个", "星期", "礼拜",
            "平时", "特别", "几次", "好几", "厉害", "小时", "分钟", "时候", "感觉", "觉得", "现在", "刚才", "昨天", "还是", "就是", "没有", "不是", "好像", "比较",
            "一样", "几天", "怎么", "最好", "好看", "推荐", "明天", "今天", "天气", "最近", "已经", "两天", "一个", "这两", "多月", "个多"}


@dataclass(frozen=True, slots=True)
class Sentence:
    """One whole sentence of a passage, with the list lead-in it belongs to already joined."""

    text: str
    n: int  # passage number (1-based), the citation
    position: int  # order within the passage
    role: str


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("**", "").replace("__", "")).strip()


def _join_lead_in(lead: str, item: str, zh: bool) -> str:
    item = item.rstrip(" ;；,，。.")
    if zh:
        return f"{lead.rstrip(':：')}：{item}。"
    conditional = re.search(r"\b(?:if|when|unless|who|whether|because)\s*:$", lead, re.I)
    if conditional:
        return f"{lead.rstrip(':').rstrip()} {item[:1].lower() + item[1:]}."
    return f"{lead.rstrip(':').rstrip()}: {item}."


def split_sentences(text: str) -> list[str]:
    """Whole sentences of a passage. A list's lead-in ("See a doctor if:") is joined to each item;
    fragments (an item whose lead-in is in another chunk, text starting mid-sentence), headings and
    questions are dropped."""
    zh = detect_language(text) == "zh"
    blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()]
    lines: list[tuple[bool, str]] = []  # (is_list_item, text)
    for block in blocks:
        buf: list[str] = []
        for line in block.splitlines():
            if _ITEM.match(line):
                if buf:
                    lines.append((False, " ".join(buf)))
                    buf = []
                lines.append((True, _ITEM.sub("", line)))
            elif lines and lines[-1][0] and not buf and line.startswith((" ", "\t")):
                lines[-1] = (True, lines[-1][1] + " " + line.strip())  # wrapped list item
            else:
                buf.append(line.strip())
        if buf:
            lines.append((False, " ".join(buf)))
    out: list[str] = []
    lead: str | None = None
    for is_item, raw in lines:
        line = _clean(raw)
        if not line or line.startswith("#"):
            continue
        if not is_item:
            lead = None
        parts = [p.strip() for p in _END.split(line) if p and p.strip()]
        for i, part in enumerate(parts):
            if part.endswith((":", "：")) and i == len(parts) - 1:
                lead = part  # introduces the list that follows; says nothing alone
                continue
            if is_item and lead and i == 0:
                part = _join_lead_in(lead, part, zh)
            elif is_item and i == 0 and not zh and part[:1].islower():
                continue  # an item whose lead-in was cut off into another chunk: half a sentence
            if not zh and part[:1].islower():
                continue  # text that starts mid-sentence (chunk boundary)
            if part.endswith(("?", "？")) or len(words(part)) < 3:
                continue
            if not zh and not part.endswith((".", "!", ")", '"', "”")):
                part = part.rstrip(" ;,") + "."
            out.append(part)
    return out


def _patient_groups(age: float | None, sex: str | None, pregnant: bool | None, query: str) -> set[str]:
    group = age_group(age)
    if group is None and _QUESTION_CHILD.search(query):
        group = "child"
    groups = {group} if group else {"adult"}
    if age is not None and age >= 65:
        groups.add("older")
    if age is not None and age < 1:
        groups.add("child")  # most "child" advice covers babies too; infant-excluding wording is checked apart
    if age is not None and age < 0.25:
        groups.add("young_infant")  # under 3 months: what a newborn guideline is written for
    if pregnant:
        groups.add("pregnant")
    if sex in {"female", "male"}:
        groups.add(sex)
    else:
        groups |= {"female", "male"}
    return groups


@functools.lru_cache(maxsize=4096)
def _groups_named(sentence: str) -> frozenset[str]:
    """The patient groups a guideline sentence is about, once per sentence and process (guideline text only)."""
    mentioned = {g for g, rx in _GROUPS if rx.search(sentence)}
    if _EVERYONE.search(sentence):
        mentioned = set()  # "the best choice for children, older adults and anyone at risk"
    if "older" in mentioned:
        mentioned.discard("adult")
    return frozenset(mentioned)


def suits_patient(sentence: str, age: float | None, sex: str | None, pregnant: bool | None, query: str = "") -> bool:
    """False when a sentence is about a patient group this patient is not in (adult-only advice for a
    child, pregnancy advice outside pregnancy, infant advice for anyone but an infant) or would harm them.
    `sentence` is guideline text: the groups it names are cached per process."""
    patient = _patient_groups(age, sex, pregnant, query)
    mentioned = set(_groups_named(sentence))
    sexes = mentioned & {"male", "female"}
    if sexes and not sexes & patient:
        return False
    mentioned -= {"male", "female"}
    young = patient & {"child", "infant"}
    if young and _NOT_FOR.search(sentence):
        return False
    if "infant" in patient and _OLDER_CHILD.search(sentence) and "infant" not in mentioned:
        return False
    if age is not None and age < 8 and re.search(r"older children", sentence, re.I) and not re.search(r"\bchildren\b(?! over)", sentence.replace("older children", ""), re.I):
        return False
    if (pregnant or _ANTICOAGULANT.search(query)) and any(
            not _NSAID_AVOID.search(sentence[max(0, m.start() - 30):m.end()]) for m in _NSAID_USE.finditer(sentence)):
        # ibuprofen and other NSAIDs are avoided in pregnancy unless a doctor advises them, and beside a blood thinner
        # (warfarin, apixaban…: bleeding)
        return False
    if age is not None and age < 16 and any(not _NSAID_AVOID.search(sentence[max(0, m.start() - 30):m.end()])
                                            for m in _ASPIRIN.finditer(sentence)):
        return False  # aspirin is not offered to under-16s (Reye's syndrome), even as one option of several
    # the guidelines' own limits for babies: ibuprofen not under 6 months, paracetamol under 3 months only on a doctor's
    # advice; a sentence offering them without saying so is not advice for such a baby
    if age is not None and age < 0.5 and _IBUPROFEN.search(sentence) and not _BABY_LIMIT.search(sentence) \
            and not _NSAID_AVOID.search(sentence):
        return False
    if age is not None and age < 0.25 and _PARACETAMOL.search(sentence) and not _BABY_LIMIT.search(sentence):
        return False
    if not mentioned:
        return True
    if "adult" in patient and mentioned <= {"child", "infant"} and not young:
        # children's doses and babies' feeding are not advice for an adult; a closing clause
        # ("...; ice lollies can help children") does not make the whole sentence theirs
        head = " ".join(re.split(r"\b(?:if|when)\b", sentence, maxsplit=1)[-1].split()[:6])
        zh_head = sentence[:8]
        return not any(rx.search(head) or rx.search(zh_head) for g, rx in _GROUPS if g in {"child", "infant"})
    return bool(mentioned & patient)


_LIMITING = re.compile(r"\b(?:not|no|never|avoid|only|under|over|unless|except|without)\b|不|禁|勿|以下|以上|除", re.I)


def fitting_part(sentence: str, age: float | None, sex: str | None, pregnant: bool | None, query: str = "") -> str | None:
    """The sentence when it suits the patient (suits_patient); else its first clause, when only later clauses are
    for another group and none of them limits the first ("Offer regular drinks; keep breastfeeding or bottle feeding"
    is "Offer regular drinks." for a 10-year-old; "Honey can soothe a cough; not for babies" is never cut); else None."""
    if suits_patient(sentence, age, sex, pregnant, query):
        return sentence
    head, *rest = re.split(r"[;；]\s*", sentence)
    if not rest or len(words(head)) < 3 or any(_LIMITING.search(r) for r in rest):
        return None
    if not suits_patient(head, age, sex, pregnant, query):
        return None
    zh = bool(_CJK.search(head))
    return head.rstrip(" ,，") + ("。" if zh else ".")


def _stem(w: str) -> str:
    """A light English stem so "burned", "burns" and "burn" meet ("moving" and "movements" too)."""
    if len(w) > 7 and w.endswith(("ement", "ements")):
        return w[:w.rindex("ement")]
    if len(w) > 7 and w.endswith("ness"):
        w = w[:-4]  # "breathlessness" is "breathless", "sickness" "sick"
    if len(w) > 5 and w.endswith("ing"):
        return w[:-3]
    if len(w) > 4 and w.endswith("ed"):
        return w[:-2]
    return w.rstrip("s") if len(w) > 4 else w


_VACCINE = re.compile(r"\b(?:flu|influenza|covid(?:-19)?|coronavirus|pneumonia|pneumococcal|shingles|whooping cough|rsv)\s+"
                      r"(?:jabs?|shots?|vaccines?|vaccinations?|boosters?|injections?)\b|(?:流感|新冠|肺炎|带状疱疹)(?:疫苗|加强针)",
                      re.I)


_MEDICINE_FOR = re.compile(r"\b(?:sleeping|sleep|blood pressure|bp|diabetes|diabetic|heart|water|thyroid|travel sickness|"
                           r"motion sickness|sea ?sickness|anxiety|cholesterol|statin)\s+(?:tablets?|pills?|meds|medicines?|"
                           r"medication|drugs?|capsules?)\b|安眠药|安定片|助眠药|催眠药", re.I)


_MEDICINE_CHANGED = re.compile(r"\b(?:new|started|starting|added|changed|increased|doubled|switched|stopped|upped|"
                               r"dose)\b|新|刚开始|换了|加了|加量|停了", re.I)


@functools.lru_cache(maxsize=256)
def _query_terms(query: str, zh: bool, lay: bool = True) -> frozenset[str]:
    """The complaint's topic terms (cached: one request asks for them from retrieval, the evidence completion and
    the generator). `lay`: with the medical terms of the English lay phrases the patient uses (not for the English terms
    a Chinese complaint or title is bridged to, which are medical terms already)."""
    # what the complaint is about: "不发烧" and "no blood" do not make it a fever or a bleeding question (a reading is
    # read in the whole text: "readings are good at about 135/85" is about blood pressure)
    readings = _reading_terms(query, zh)
    # a vaccine names no illness: "had his flu jab last week" is no flu complaint, "打了流感疫苗" no 流感
    query = _VACCINE.sub("疫苗" if zh else " vaccine ", query)
    # a medicine named by what it is for names no complaint: "saving up her sleeping tablets" is no insomnia,
    # "想让我给他买点安眠药" asks for a medicine for what the message goes on to describe
    # (a medicine just started or changed is the question: "added a new blood pressure tablet and since then I go woozy")
    query = _MEDICINE_FOR.sub(lambda m: m.group(0) if _MEDICINE_CHANGED.search(m.string[max(0, m.start() - 30):m.start()])
                              else ("药" if zh else " medicine "), query)
    query = _without_past_episodes(query, zh)
    query = _without_guesses(query, zh)
    if zh:
        query = _ZH_FEELS_HOT.sub("发热", _ZH_DIFFERS.sub("有差异", query))
    query = (_REASSURED_ZH if zh else _REASSURED_EN).sub("，" if zh else ", ", affirmed_text(query))
    # sleep lost to another complaint is that complaint's, not insomnia ("牙疼得睡不着", "the cough keeps him awake")
    query = (_SLEEP_LOST_ZH if zh else _SLEEP_LOST_EN).sub("，" if zh else ", ", query)
    query = _without_carer_sleep(query, zh)
    if zh:
        query = _ZH_SOAK.sub("水浸", query)
        query = _ZH_FLUSH.sub("潮热", query)
        terms = chinese_content_words(query) | _bigrams(query)
        terms |= {v for k, v in _ZH_SYNONYMS.items() if k in query} | {v for rx, v in _ZH_PAIN if rx.search(query)}
        return frozenset(terms - _GENERIC - _ZH_WHO_COMPLAINT | readings)
    # "it burns when I pee" is about urine, not about burns
    low = _DYSURIA.sub(" urinary pee ", query.lower())
    # the same said the other way round ("needing a wee every ten minutes and it burns like mad"): the lay table's
    # "burns when I wee" terms
    low = _DYSURIA_AFTER.sub(" urinary pee dysuria pain passing urine urinary tract infection ", low)
    # "feels hot" is a fever, a hot oven tray is not; "it stings" is a sensation, not an insect sting
    low = _FEELS_HOT.sub(" fever ", low)
    low = _STINGING.sub(" sore ", low)
    if _REFLUX_EN.search(low):
        low += " reflux "
    if _SUN.search(low) and _SUN_SKIN.search(low):
        low += " sunburn burn "  # (a sunburn is a burn: the burns guideline's title names it, as the lay table's rows do)
    low = _BURNING.sub(" pain ", low)  # "burning in my upper chest" is a sensation; "burned my hand" is a burn
    low = _COLD_THING.sub(" ", low)  # "cold water", "a cold sweat", "feels cold": not a cold
    low = _SCALD.sub(r"\g<0> burn ", low)  # "spilt hot tea on my tummy", "boiling water", "a hot oven tray": a burn
    low = re.sub(r"\bback of (?:my|the|his|her|their|your) ", " ", low)  # "the back of my thigh" is a thigh
    low = _SLEEP_PLACE.sub(" cot ", low)  # where a baby sleeps ("can he sleep in our bed?") is safe sleep, not insomnia
    low = _TESTICLE.sub(" testicle ", low)  # "pain in my left ball" is a testicle
    # "pulled a tick off", "pulled the splinter out": a thing removed, not a pulled muscle
    # (a thing of a few words: "pulled a cup of tea off the table"; not a muscle)
    low = re.sub(r"\bpull(?:ed|ing|s)?(?=\s+(?:a|an|the|it|them|this|that)\b(?!\s+(?:muscle|hamstring|groin|tendon|ligament|calf))"
                 r"(?:\s+[\w']+){0,4}?\s+(?:off|out|down)\b)", " removed", low)
    low = re.sub(r"\bticks?\b(?! ?bites?)", "tick bite", low)  # a tick found on the skin or pulled off has bitten
    low = re.sub(r"\bd\s*(?:&|and|n)\s*v\b", " diarrhoea and vomiting ", low)  # "D&V for 2 days"
    panic = _panic(low)
    if panic:
        low += " panic "
    if _SHINGLES.search(low):
        low += " shingles skin rash "
    if _cold(low):
        low += " cold "
    if _flu(low):
        low += " flu "
    ws = [_stem(w) for w in content_words(low, QUESTION_STOP) if not w.isdigit()]
    # the medical terms of the lay phrases the patient uses (rag/terms/en_lay.tsv: "positive lateral flow" is COVID-19,
    # "burnt in the sun" a sunburn), read in the affirmed text as the rest is
    # (a panic attack's pounding heart stays the attack's, as above: "my heart pounds" is no palpitations complaint then)
    ws += [w for w in (_lay_terms(query) if lay else ()) if not (panic and w == _stem("palpitations"))]
    return frozenset(set(ws) - _GENERIC | {_stem(v) for k, v in _EN_SYNONYMS.items() if re.search(rf"\b{re.escape(k)}\b", low)}
                     | ({_stem("palpitations")} if _HEART_BEAT.search(low) and not panic else set()) | readings)


def _lay_terms(text: str) -> tuple[str, ...]:
    """The stemmed words of the medical terms of an English text's lay phrases (rag.terms.english_medical)."""
    from rag.terms.lexicon import english_medical

    return tuple(dict.fromkeys(_stem(w) for term in english_medical(text) for w in content_words(term.lower(), QUESTION_STOP)
                               if not w.isdigit()))


def _reading_terms(query: str, zh: bool) -> set[str]:
    """What a reading says the complaint is about: a blood pressure reading is about blood pressure, a temperature
    from 38 °C about a fever, a duration about an acute or a chronic illness; a blood sugar below 4 mmol/L about a
    low, from 7 about diabetes."""
    from rag.safety.urgency import blood_pressures, extract_facts, glucose_values

    out: set[str] = set()
    if blood_pressures(query):
        out.add("高血压" if zh else "hypertension")
    facts = extract_facts(query)
    temperature = facts.temperature_c
    if temperature is None and zh:
        # where it was taken, said before the number ("量了腋温38.3", "肛温38.5"), is a temperature too
        temperature = next((float(m.group(1)) for m in _ZH_SITE_TEMP.finditer(query)), None)
    if temperature is not None and temperature >= (37.3 if zh else 38.0):
        # "temp was 39.2" is a fever; in Chinese from 37.3 ℃, the threshold the Chinese guidelines give (国内通常把腋下体温达到
        # 或超过37.3 ℃视为发热): "体温37.8" is a 低热
        out.add("发热" if zh else "fever")
    if facts.duration_days is not None and not zh:
        # how long it has lasted says which of an "acute" and a "chronic" guideline it is (a cough of 6 weeks is
        # past the acute guideline's 3 weeks)
        if facts.duration_days < 21:
            out.add("acute")
        elif facts.duration_days >= 28:
            out.add("chronic")
    # a meter reading with a decimal ("meter reads 2.1", "血糖仪测出来2.8") is a blood sugar in mmol/L
    metered = [float(m.group(1)) for m in _METER.finditer(query)]
    for v in [*glucose_values(query), *metered]:
        if v < 4.0:
            out.add("低血糖" if zh else "hypoglycaemia")
        elif v >= 7.0:
            out.add("糖尿病" if zh else "diabete")  # stemmed, as the title's "diabetes" is
    return out


# a long-term condition the patient has, said as who they are rather than what is wrong now ("I'm 80 and diabetic",
# "he has high blood pressure", "他有高血压和糖尿病"): background, not the complaint
_STANDING = ("diabetic|asthmatic|epileptic", "diabetes|asthma|copd|high blood pressure|hypertension|angina|epilepsy|"
             "heart failure|atrial fibrillation|af")
_BACKGROUND_EN = re.compile(
    rf"\b(?:i'?m|i am|he'?s|she'?s|he is|she is|they'?re|they are|who is|who'?s)\s+(?:\d+\s+and\s+)?(?:an?\s+)?"
    rf"(?:type\s*[12]\s+)?(?:{_STANDING[0]})\b"
    rf"|\b(?:i|he|she|they|we|who)\s+(?:also\s+)?(?:have|has)\s+(?:got\s+)?(?:type\s*[12]\s+)?(?:{_STANDING[1]})"
    rf"(?:\s+(?:and|or)\s+(?:type\s*[12]\s+)?(?:{_STANDING[1]}))?\b"
    # or the treatment the patient is on for it ("I'm 77 and on tablets for blood pressure", "takes pills for his
    # diabetes"); not a medicine that was just started or changed, which may be what is wrong now (see _NEW_MEDICINE)
    rf"|\b(?:on|takes?|taking)\s+(?:\w+\s+)?(?:tablets?|pills?|medication|medicines?|meds|treatment|injections?)\s+for\s+"
    rf"(?:(?:my|his|her|their|the)\s+)?(?:type\s*[12]\s+)?(?:{_STANDING[1]}|blood pressure)\b", re.I)
_ZH_STANDING_DRUG = "二甲双胍|胰岛素|降压药|降糖药"
# a medicine started or changed lately is a question about that medicine ("added a new blood pressure tablet and since
# then I go woozy"): its condition is no background then
_NEW_MEDICINE = re.compile(r"\b(?:new|started|starting|added|changed|switched|increased|raised|upped)\b[^.,;!?]{0,30}?\b(?:tablets?|"
                           r"pills?|medicines?|medications?|meds|dose|doses|inhalers?|injections?|metformin|insulin)\b"
                           rf"|(?:新|刚(?:开始)?|换了?|加了?)(?:加|换|开|吃|用|打)?了?[^，。；！？]{{0,6}}?(?:药|{_ZH_STANDING_DRUG})", re.I)
# or a list item of who the patient is, after their age or sex ("68, female, diabetic on tablets and overweight"; "62 yr
# old woman, type 2 diabetic."; "60岁，糖尿病，"): the condition, with the medicine it is treated with, as a whole segment
_BACKGROUND_LIST_EN = re.compile(
    rf"(?<=[,;.:])\s*(?:an?\s+)?(?:type\s*[12]\s+)?(?:{_STANDING[0]}|{_STANDING[1]})"
    rf"(?:\s+on\s+[a-z]+(?:\s+(?:and\s+)?[a-z]+){{0,2}})?(?=\s*(?:[,;.:]|$)|\s+and\s)", re.I)
_WHO_BEFORE = re.compile(r"\d|\b(?:female|male|woman|man|lady|guy|[mf])\b|岁|男|女", re.I)
_ZH_STANDING = "高血压|糖尿病|哮喘|冠心病|心脏病|房颤|癫痫|慢阻肺"
_BACKGROUND_ZH = re.compile(rf"(?:本身|平时|一直|患|本来)?有(?:[12一二]型)?(?:{_ZH_STANDING})(?:[和、及跟](?:{_ZH_STANDING}))*(?:病史)?"
                            rf"|(?:{_ZH_STANDING})(?:[和、及跟](?:{_ZH_STANDING}))*病史"
                            # the long-term medicine for it ("一直吃二甲双胍") and control said to be fine ("血糖控制得还行")
                            rf"|(?:一直|长期|平时|每天)(?:在)?(?:吃|服用?|用|打)(?:{_ZH_STANDING_DRUG})"
                            r"|(?:血糖|血压)(?:一直)?控制得?(?:都|也|还)?(?:行|还行|还好|挺好|不错|可以|稳定|平稳|正常)"
                            # the lay form, with the medicine that keeps it in range ("有点血压高，吃着药控制在150/90左右")
                            r"|(?:本身|平时|一直|本来)?有(?:点|些)?(?:血压|血糖)(?:有点|偏)?高"
                            r"|(?:吃着?药|用着?药|服药)(?:一直)?控制在[^，。；！？]{0,12}")
_BACKGROUND_LIST_ZH = re.compile(rf"(?<=[，,；;。：:])(?:{_ZH_STANDING})(?:[和、及跟](?:{_ZH_STANDING}))*(?=[，,；;。])")


# a long-term condition that is worse than usual is what is wrong now ("69, COPD. More puffed than usual and my phlegm
# has gone green"; "哮喘比平时发作得多")
# (not one said to be rare: "平时很少发作", "no attacks")
_FLARE = re.compile(r"\bthan (?:usual|normal)\b|\bflare[sd]?(?: up|-up)?\b|\bexacerbation|(?<!\bno )(?<!\bany )(?<!\brare )\battacks?\b|"
                    r"比平时|比平常|比往常|(?<![少没不未])发作|加重", re.I)


_ZH_OWN_SYMPTOM = {"哮喘": re.compile(r"(?<![不没])(?:气喘|喘)(?![不]?上气)")}


def _flare(query: str, zh: bool) -> bool:
    """True when the complaint says its long-term condition is worse than usual (_FLARE). In Chinese only in a sentence
    that names the condition: 发作 and 加重 are said of any episode ("有点血压高，吃着药控制在150/90左右。这半年…天旋地转，
    …发作前右边耳朵发闷" is a vertigo's attacks, not the blood pressure's)."""
    if not zh:
        return bool(_FLARE.search(query))
    return any(_FLARE.search(s) and (_BACKGROUND_ZH.search(s) or re.search(_ZH_STANDING, s))
               for s in re.split(r"(?<=[。！？!?；;\n])", query))


def _background_terms(query: str, zh: bool) -> frozenset[str]:
    """The complaint's terms that come only from a long-term condition named as background ("I'm 80 and diabetic. Spilt
    hot soup on my tummy": diabetes is who she is, the burn is what is wrong). A word said again elsewhere stays
    ("I have asthma and I'm wheezy": "wheezy" still names asthma)."""
    rx = _BACKGROUND_ZH if zh else _BACKGROUND_EN
    listed = [m for m in (_BACKGROUND_LIST_ZH if zh else _BACKGROUND_LIST_EN).finditer(query)
              if _WHO_BEFORE.search(query[max(0, m.start() - 25):m.start()])]
    if not (rx.search(query) or listed) or _flare(query, zh) or _NEW_MEDICINE.search(query):
        return frozenset()
    rest = rx.sub("，" if zh else ", ", query)
    for m in reversed(listed):
        rest = rest.replace(m.group(0), "，" if zh else ", ", 1)
    out = _query_terms(query, zh) - _query_terms(rest, zh)
    if zh:
        # a condition's own symptom said again is the complaint, as "wheezy" is in English: "有哮喘…一跑步就咳嗽喘"
        out -= {c for c, rx in _ZH_OWN_SYMPTOM.items() if rx.search(rest)} | {w for w in out if any(
            c in w for c, rx in _ZH_OWN_SYMPTOM.items() if rx.search(rest))}
    return frozenset(out)


def _background_english(query: str, background: AbstractSet[str]) -> frozenset[str]:
    """The English terms that come only from a Chinese complaint's long-term condition named as background."""
    if not background:
        return frozenset()
    return (_query_terms(english_bridge("，".join(sorted(background))), False, lay=False)
            - _query_terms(english_bridge(_BACKGROUND_ZH.sub("，", query)), False, lay=False))


def _own_flare(query: str) -> frozenset[str]:
    """The long-term conditions a Chinese complaint says the patient has ("有哮喘") whose own symptom the rest of it names
    ("一跑步踢球就咳嗽喘"): what is wrong now is that condition, not background."""
    out: set[str] = set()
    for m in _BACKGROUND_ZH.finditer(query):
        rest = query[:m.start()] + "，" + query[m.end():]
        out |= {c for c, rx in _ZH_OWN_SYMPTOM.items() if c in m.group(0) and rx.search(rest)}
    return frozenset(out)


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1) if _CJK.match(text[i]) and _CJK.match(text[i + 1])}


def _text_terms(text: str, zh: bool) -> set[str]:
    if zh:
        return chinese_content_words(text) | _bigrams(text)
    return {_stem(w) for w in content_words(text, QUESTION_STOP)}


# characters that make a Chinese character pair a piece of grammar, not a topic ("像被", "压着", "样痛")
_ZH_FUNCTION = frozenset("的了着过是在有和就不也都很吗呢吧啊像被把一样些个这那我你他她它们得地么什怎还又再才")


@functools.lru_cache(maxsize=4096)
def _guideline_terms(text: str, zh: bool) -> frozenset[str]:
    """_text_terms of guideline text (titles, sentences, passages: the same few thousand strings on every
    request), computed once per process. Never called with patient text, which is not kept across requests."""
    return frozenset(_text_terms(text, zh))


@functools.lru_cache(maxsize=4096)
def _guideline_words(text: str) -> frozenset[str]:
    """The jieba words of a Chinese guideline text, once per process (guideline text only)."""
    return frozenset(chinese_content_words(text))


@functools.lru_cache(maxsize=2048)
def guideline_sentences(text: str) -> tuple[str, ...]:
    """split_sentences of a guideline passage, computed once per process (never for patient text)."""
    return tuple(split_sentences(text))


def _shared(q: AbstractSet[str], text: str, zh: bool) -> set[str]:
    """Topic words of q in `text`, which is guideline text (its terms are cached)."""
    shared = set(q & _guideline_terms(text, zh)) - _GENERIC
    if not zh:
        return shared
    # a word on at least one side: a character pair of the patient's text ("比平", "时干" of "尿布比平时干") must be a word
    # of the guideline's; a longer term is a word of the patient's (their pairs are two characters long)
    words_of_text = _guideline_words(text)
    shared = {w for w in shared if len(w) >= 2 and not (set(w) & _ZH_FUNCTION)
              and (w in words_of_text or len(w) > 2 or w in _ZH_TOPIC_WORDS)}
    # one word once: "深呼吸" is not also "深呼" and "呼吸" (a jieba word and the character pairs inside it)
    return {w for w in shared if not any(w != v and w in v for v in shared)}


@functools.lru_cache(maxsize=4096)
def _title_words(title: str, zh: bool) -> frozenset[str]:
    """A guideline title's topic words, once per process (guideline text only)."""
    if zh:  # words, not character pairs: "皮疹与过敏反应" is two topics, not six pairs; "成人"/"儿童" say who, as in English
        return frozenset(w for w in chinese_content_words(title) if len(w) >= 2 and w not in _ZH_WHO)
    return frozenset({w for w in _text_terms(title, zh) if not w.isdigit()} - _GENERIC - {
        "care", "sign", "warning", "symptom", "adult", "children", "child", "infant", "including", "includ", "safety", "testing", "long",
        "lasting", "common", "trouble", "during", "type"})


def _title_terms(q: AbstractSet[str], title: str, zh: bool) -> set[str]:
    """The complaint's terms the document's title names."""
    t = _title_words(title, zh)
    if zh:
        return {w for w in q if any(g in w for g in t)}
    return set(t & q)


@functools.lru_cache(maxsize=4096)
def _title_topics(title: str) -> tuple[str, ...]:
    """The topics a title lists, each of which it is wholly about: "Skin rash, hives and allergic reactions
    (including anaphylaxis)" is about a skin rash, hives, allergic reactions and anaphylaxis; "Low blood sugar
    (hypoglycaemia)" is about low blood sugar, which is hypoglycaemia; "Chronic (long-lasting) cough" is about
    a chronic cough."""
    alt = re.search(r"\(([^()]*)\)\s*$", title)
    main = re.sub(r"\([^()]*\)", " ", title[:alt.start()] if alt else title)
    parts = re.split(r"\band\b|[,:;，：；与和及]", main)
    return tuple(p for p in [*parts, alt.group(1) if alt else ""] if p.strip())


def _title_match(q: AbstractSet[str], title: str, zh: bool) -> float:
    """How much of the document's title the complaint names (0..1): the best-named of the topics it lists."""
    best = 0.0
    for part in _title_topics(title):
        t = _title_words(part, zh)
        if not t:
            continue
        named = len({g for g in t if any(g in w for w in q)}) if zh else len(t & q)
        best = max(best, named / len(t))
    return best


def _covered(q: AbstractSet[str], topic: set[str], zh: bool) -> set[str]:
    """The complaint's terms a guideline covers: those its sentences share, with their lay synonyms
    ("pee" covers "urinary" and the other way round)."""
    pairs = [(_stem(k), _stem(v)) for k, v in _EN_SYNONYMS.items()] if not zh else list(_ZH_SYNONYMS.items())
    out = set(topic)
    for a, b in pairs:
        if a in topic or b in topic:
            out |= {a, b} & q
    return out


def _department(texts: list[str], language: str) -> str:
    joined = " ".join(texts).lower()
    # the department named first in the referral sentences, not the first in our list
    found = sorted((joined.find(key), i) for i, (key, name) in enumerate(_DEPARTMENTS)
                   if key in joined and (language == "zh") == bool(_CJK.search(name)))
    if found:
        return _DEPARTMENTS[found[0][1]][1]
    return "全科/普通内科" if language == "zh" else "Primary care"


@functools.lru_cache(maxsize=8192)
def _sentence_language(sentence: str) -> bool:
    """True for a Chinese guideline sentence (detect_language, once per process: guideline text only)."""
    return detect_language(sentence) == "zh"


@functools.lru_cache(maxsize=65536)  # ~300 pairs a consultation, of the same guideline sentences
def _near(a: str, b: str) -> bool:
    """Two guideline sentences that say nearly the same (their word sets and the answer are cached)."""
    wa, wb = guideline_words(a), guideline_words(b)
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) >= 0.7


@functools.lru_cache(maxsize=4096)
def _about_sentences(text: str, section: str) -> tuple[str, ...]:
    """The sentences of a guideline passage that say what it is about: the condition, its warning signs, when to
    see someone and the tests; not its self-care lists ("chocolate" raises blood sugar). Guideline text only."""
    return tuple(t for t in guideline_sentences(text) if sentence_role(t, section) in _ABOUT_ROLES)


@functools.lru_cache(maxsize=256)
def english_bridge(query: str) -> str:
    """The English terms of a Chinese complaint's medical words (rag/terms: zh_en.tsv, the condition and drug tables),
    read from its affirmed text only ("没别的不舒服" names nothing): what an English guideline is matched on for a
    Chinese question ("被蚊子咬了，很痒" -> "mosquito, insect bite, itchy"). Empty for English text."""
    from rag.terms import english_terms

    if not _CJK.search(query):
        return ""
    # (what the patient says is fine names nothing either, as in the Chinese terms: "大小便正常" is no urine complaint; nor
    # sleep lost to another complaint: "痒得睡不着" is no insomnia; nor the patient's own guess at the cause or an episode
    # said to be over: "是不是焦虑了？" after palpitations names no anxiety)
    text = _without_guesses(_without_past_episodes(query, True), True)
    text = _REASSURED_ZH.sub("，", affirmed_text(_ZH_DIFFERS.sub("有差异", _ZH_FEELS_HOT.sub("发热", text))))
    return ", ".join(english_terms(_without_carer_sleep(_SLEEP_LOST_ZH.sub("，", text), True)))


@functools.lru_cache(maxsize=256)
def _bridge_concepts(query: str) -> tuple[frozenset[str], ...]:
    """The English terms of each Chinese term of the complaint (affirmed text), as English topic terms: one set per
    Chinese term (rag.terms.english_term_groups)."""
    from rag.terms import english_term_groups

    out = (frozenset(_query_terms(", ".join(g), False, lay=False) - _GROUP_WORDS - _QUALIFIERS)
           for g in english_term_groups(affirmed_text(_without_guesses(_without_past_episodes(query, True), True))))
    return tuple(c for c in out if c)


def _doc_terms(query: str, zh: bool, doc_language: str) -> tuple[frozenset[str], bool]:
    """The complaint's terms a guideline is matched on, and whether they are Chinese: a Chinese complaint meets an
    English guideline through its English terms (english_bridge)."""
    if zh and doc_language == "en":
        return _query_terms(english_bridge(query), False, lay=False), False
    return _query_terms(query, zh), zh


def names_title(query: str, title: str, language: str) -> bool:
    """True when the complaint names all of one topic the guideline's title lists ("chest pain" or "胸口疼" for
    "Chest pain"/"胸痛"; "hypoglycaemia" for "Low blood sugar (hypoglycaemia)"; a cough of 6 weeks for "Chronic
    cough"); the words for who the patient is do not count."""
    zh = language == "zh"
    # a long-term condition named as who the patient is ("我有糖尿病" after a rash) names no title either
    return _title_match(_query_terms(query, zh) - _GROUP_WORDS - _background_terms(query, zh), title, zh) >= 1.0


def names_subject(query: str, title: str, language: str, doc_language: str) -> bool:
    """True when the complaint names any topic word of a guideline's title ("cough" for "Acute cough", 发热 for 《成人发热》),
    read in the guideline's language (a Chinese complaint meets an English title through its English terms); the words for
    who the patient is and a long-term condition named as background name nothing ("pregnant" names no "Nausea and
    vomiting", "有哮喘" no asthma guideline)."""
    zh = language == "zh"
    q, q_zh = _doc_terms(query, zh, doc_language)
    background = _background_terms(query, zh) if q_zh == zh else frozenset()
    return bool(_title_terms(q - _GROUP_WORDS - _QUALIFIERS - background, title, q_zh) - _GENERIC)


def about_terms(query: str, passage: Passage, language: str) -> set[str]:
    """The complaint's topic words that a passage's description, warning-sign, referral and test sentences share."""
    q, zh = _doc_terms(query, language == "zh", passage.language)
    return _shared(q - _GROUP_WORDS - _QUALIFIERS, " ".join(_about_sentences(passage.text, passage.section)), zh)


CHIEF_BONUS = 0.1
# a complaint the patient calls minor, and a condition named as what a medicine is for ("a new blood pressure
# tablet"), blanked (same length) where "said first" is read
_MINOR_EN = re.compile(r"\b(?:mild|slight|minor|touch of an?|bit of an?)\s+[a-z]+|\b(?:high\s+)?(?:blood pressure|bp|diabetes|"
                       r"sugar|cholesterol|heart|asthma|thyroid|water|sleeping)\s+(?:tablets?|pills?|medicines?|medications?|"
                       r"meds|inhalers?)\b", re.I)
# how far above the best guideline in the question's own language another language's guideline must score to anchor
CROSS_MARGIN = 0.1
# how far below the best-retrieved candidate a guideline that shares one topic word and no title word may not anchor
THIN_MARGIN = 0.05
# how far behind the best-scored candidate a pressing one about more of the complaint may be and still lead
PRESSING_MARGIN = 0.05
_UNSAID = 10**6


def drugs_named(text: str) -> frozenset[str]:
    """The medicines a text names, by their canonical generic names ("泰诺" and "对乙酰氨基酚" are both "paracetamol")."""
    return frozenset(m.name for m in find_drugs(text))


@functools.lru_cache(maxsize=8192)
def guideline_drugs(sentence: str) -> frozenset[str]:
    """drugs_named for guideline text, once per sentence or passage and process (the same text request after request)."""
    return drugs_named(sentence)


@functools.lru_cache(maxsize=4096)
def _is_drug(term: str, language: str) -> bool:
    """True when a complaint term is a medicine's name (rag.terms drug table: "ibuprofen", "calpol", "布洛芬")."""
    return bool(find_drugs(term, language))


def _first_named(query: str, terms: AbstractSet[str], zh: bool) -> int:
    """Where in the complaint the first of `terms` (the complaint's own terms, stemmed, or a lay word for one) is
    said; a large number when none is said in words (a reading: "temp 38.3" names a fever)."""
    low = query if zh else query.lower()
    at: list[int] = []
    for t in terms:
        if zh:
            keys = [t, *(k for k, v in _ZH_SYNONYMS.items() if v == t)]
            at += [i for i in (low.find(k) for k in keys) if i >= 0]
            at += [m.start() for rx, v in _ZH_PAIN if v == t for m in [rx.search(low)] if m]
        else:
            keys = [t, *(k for k, v in _EN_SYNONYMS.items() if _stem(v) == t)]
            at += [m.start() for k in keys for m in [re.search(rf"\b{re.escape(k)}", low)] if m]
    return min(at, default=_UNSAID)


def _denied_terms(query: str, zh: bool) -> set[str]:
    """The complaint's terms that appear only in denied clauses ("no fever", "不发烧")."""
    denied = denied_text(query)
    if not denied:
        return set()
    terms = set(_query_terms(denied, zh)) - set(_query_terms(query, zh)) - _GENERIC
    return {w for w in terms if len(w) >= (2 if zh else 3) and w not in QUESTION_STOP and w not in {"no", "not", "没有", "没", "不"}}


# a clause that is a denial from its first words ("no fever", "not sick", "without a rash", "没有发烧", "也不怕光"), not one
# that merely holds a negation ("I didn't realise I needed to pee until I'd wet myself")
_OUTRIGHT_EN = re.compile(r"^\W*(?:(?:and|but|also|or|i have|i've had|i've|i have had|there's|there is|there was|i had|has|have|had"
                          r"|with)\s+)?(?:no|not|never|nor|without|denies|denied|neither|no sign of|no signs of)\b", re.I)
_OUTRIGHT_ZH = re.compile(r"^\W*(?:[他她我孩子宝宝]{0,2}(?:也|还|都|并|倒是)?)(?:没有|没|不|无|未)")


def _denied_outright(query: str, zh: bool) -> set[str]:
    """The terms of the complaint's clauses that deny something outright (_OUTRIGHT_EN/_ZH), that the rest of it does
    not say: what the patient says is not there."""
    parts = [c for c in re.split(r"[,，;；.。!！?？、]|\bbut\b|\band\b", denied_text(query)) if c.strip()]
    outright = [c for c in parts if (_OUTRIGHT_ZH if zh else _OUTRIGHT_EN).match(c.strip())]
    if not outright:
        return set()
    terms = set(_query_terms(("，" if zh else ", ").join(outright), zh, lay=False)) - set(_query_terms(query, zh)) - _GENERIC
    return {w for w in terms if len(w) >= (2 if zh else 3) and w not in QUESTION_STOP and w not in {"no", "not", "没有", "没", "不"}}


# a criterion's own note of the serious cause it is there to find ("(possible giant cell arteritis)", "（需要排查肺结核等疾病）")
_RULE_OUT = re.compile(r"[(（]\s*(?:possible|probable|suspected|may be|could be|signs? of|to rule out|可能是|可能为|疑似|怀疑|需要?排查)"
                       r"[^)）]{2,90}[)）]", re.I)


def _to_rule_out(passages: Sequence[Passage], anchor: str, criteria: Sequence[Sentence], query: str, zh: bool) -> bool:
    """True when the patient matches one of the anchor's referral criteria whose note names a serious cause to rule out
    (_RULE_OUT: "（可能是巨细胞动脉炎）", "（需要排查肺结核等疾病）"): two of the patient's words, other than the guideline's
    title words, in the signs it lists (not in its referral: "几天内尽快到呼吸内科就诊" is no sign)."""
    from rag.terms import find_conditions

    mine = [p for p in passages if p.doc_id == anchor]
    title = _guideline_terms(mine[0].title, zh) if mine else frozenset()
    for s in criteria:
        note = _RULE_OUT.search(s.text)
        if passages[s.n - 1].doc_id != anchor or not note or not find_conditions(note.group(0)):
            continue
        if len(_signs_said(query, _RULE_OUT.sub(" ", s.text), title, zh)) >= 2:
            return True
    return False


_ZH_SWEAT = re.compile(r"(?:出了?)?一?身?(?:冷汗|大汗)")


def _signs_said(query: str, criterion: str, title: AbstractSet[str], zh: bool) -> set[str]:
    """The patient's words (their synonyms too) among the signs a criterion lists, read without its referral part
    ("几天内尽快到呼吸内科就诊", "See a GP the same day if", "Call emergency services if"), and without who the patient
    is, a number, a function word ("行吗": "流行") or the guideline's own subject (`title`)."""
    from rag.answer.conditions import said_in

    if zh:  # a cold sweat is the sweating a warning-sign list names ("出了一身冷汗" for "大汗淋漓")
        query = _ZH_SWEAT.sub("大汗淋漓", query)
    signs = []
    for part in re.split(r"[:：]", criterion):
        if not _REFERRAL.search(part):
            signs.append(part)
        elif (m := re.search(r"\bif\b", part, re.I)) is not None:
            signs.append(part[m.end():])
    found = set(said_in(query, " ".join(signs)))
    if not zh:  # a word said in another form ("chews" for "chewing")
        stems = {_stem(w) for w in content_words(" ".join(signs), QUESTION_STOP)}
        found |= {w for w in content_words(affirmed_text(query), QUESTION_STOP) if _stem(w) in stems}
    kept = {w for w in found if not (
        _query_terms(w, zh, lay=False) & title or _stem(w.lower()) in title or _stem(w.lower()) in _GROUP_WORDS
        or w in _GROUP_WORDS or re.fullmatch(r"[\d.]+", w) or w.lower() in QUESTION_STOP or set(w) <= _ZH_FUNCTION)}
    # one word said in two forms is one sign ("sting", "stings")
    return set({(w if zh else _stem(w.lower())): w for w in kept}.values())


def _says_warning_signs(passages: Sequence[Passage], anchor: str, query: str, zh: bool) -> bool:
    """True when the patient says two signs of one of the anchor's own red-flag (emergency) lines ("伴呼吸困难、大汗淋漓、
    恶心呕吐…" for "出了一身冷汗，还想吐"; "it comes with breathlessness, sweating, nausea…" for "sweating and feel sick")."""
    mine = [p for p in passages if p.doc_id == anchor]
    if not mine:
        return False
    title = _guideline_terms(mine[0].title, zh)
    return any(len(_signs_said(query, text, title, zh)) >= 2
               for p in mine for text in guideline_sentences(p.text) if sentence_role(text, p.section) == "red_flag")


# the words of a referral ("see your doctor", "请当天就医", "到呼吸内科就诊")
_REFERRAL = re.compile(r"就医|就诊|看医生|拨打|急诊|\b(?:see|call|go to|get|contact|appointment|seek)\b", re.I)


# the signs a red flag's label lists in brackets; a bracket that names the emergency ("possible torsion", "疑似主动脉夹层") stays
_LABEL_SIGNS = re.compile(r"\((?!\s*(?:possible|probable|suspected|likely)\b)[^)]*\)|（(?!\s*(?:可能|疑似))[^）]*）", re.I)


_LABEL_SUSPECTED = re.compile(r"[(（]\s*(?:possible|probable|suspected|likely|可能是?|疑似)\s*([^)）,，;；]{2,40})[)）]|"
                              r"^\s*(?:possible|probable|suspected)\s+([a-z][a-z -]{2,40})$", re.I)


def _label_conditions(labels: Sequence[str]) -> set[str]:
    """The conditions red-flag labels say are suspected ("（疑似主动脉夹层）": 主动脉夹层; "Possible anaphylaxis": anaphylaxis)."""
    out = set()
    for label in labels:
        for m in _LABEL_SUSPECTED.finditer(label.strip()):
            out.add((m.group(1) or m.group(2)).strip().lower())
    return {c for c in out if len(c) >= 2}


def label_names_title(labels: Sequence[str], title: str, zh: bool) -> bool:
    """True when red-flag labels name a title in their own language by what they say the emergency is, not by the signs
    they list in brackets; a Chinese label's word may hold a title's word ("严重过敏反应" names 《皮疹与过敏反应》)."""
    heads = _label_terms([_LABEL_SIGNS.sub(" ", label) for label in labels], zh)
    return bool(_shared(heads, title, zh)) or (zh and any(
        w in f for w in _title_words(title, True) - _GROUP_WORDS if len(w) >= 2 for f in heads))


def label_names_english_title(labels: Sequence[str], title: str) -> bool:
    """True when what Chinese red-flag labels say the emergency is names, through its English terms, one topic of an
    English title in full ("大面积或深度烧烫伤（比伤者手掌大…）" names "Burns and scalds"); the signs a label lists in
    brackets name nothing, as in the question's own language."""
    return _title_match(_label_english_terms(tuple(labels)), title, False) >= 1.0


@functools.lru_cache(maxsize=256)
def _label_english_terms(labels: tuple[str, ...]) -> frozenset[str]:
    heads = "，".join(_LABEL_SIGNS.sub("，", label) for label in labels)
    return frozenset(_query_terms(english_bridge(heads), False, lay=False) - _GROUP_WORDS - _QUALIFIERS)


def _label_terms(labels: Sequence[str], zh: bool) -> set[str]:
    """What the red flags that fired are about ("Possible anaphylaxis": anaphylaxis), without the words every label has."""
    text = " ".join(labels)
    found = {w for w in chinese_content_words(text) if len(w) >= 2} if zh else _text_terms(text, zh)
    return found - _LABEL_GENERIC


def matching_documents(passages: list[Passage], query: str, language: str, patient: set[str] | None = None, *,
                       context: Sequence[Passage] = (), red_flags: Sequence[str] = (),
                       pressing: AbstractSet[str] = frozenset(),
                       explain: dict[str, dict[str, object]] | None = None) -> list[str]:
    """Documents that match the complaint, best first: the anchor, then any other that covers a part of the
    complaint the anchor does not, or that is written for this patient's group alone.

    `passages` are the numbered passages (their documents are the candidates); `context` may hold every passage
    of those documents, so that what a document is about is read from all of it rather than from the chunks
    retrieval happened to rank; `red_flags` are the labels of the red flags that fired (an emergency answer is
    anchored on the guideline about that emergency); `pressing` are the candidates whose own criteria, met by this
    patient's facts, send them to a clinician the same day or sooner (the urgency ladder's, read by the caller)."""
    best: dict[str, float] = {}
    titles: dict[str, str] = {}
    groups: dict[str, tuple[str, ...]] = {}
    langs: dict[str, str] = {}
    for p in passages:
        groups[p.doc_id] = p.patient_groups
        langs.setdefault(p.doc_id, p.language)
        best[p.doc_id] = max(best.get(p.doc_id, 0.0), p.score)
        titles[p.doc_id] = p.title
    if not best:
        return []
    whole = {p.doc_id for p in context} & set(best)
    texts: dict[str, list[str]] = {d: [] for d in best}
    flag_texts: dict[str, list[str]] = {d: [] for d in best}
    for p in [*(c for c in context if c.doc_id in whole), *(p for p in passages if p.doc_id not in whole)]:
        about = _about_sentences(p.text, p.section)
        texts[p.doc_id] += about
        flag_texts[p.doc_id] += [t for t in about if sentence_role(t, p.section) == "red_flag"]
    zh = language == "zh"
    # the complaint's topic terms; the words that name who the patient is ("baby", "pregnant") say nothing of what
    # the complaint is about
    q_all = _query_terms(query, zh)
    q = q_all - _GROUP_WORDS - _QUALIFIERS
    # a long-term condition named as background chooses no guideline when the rest of the complaint names a topic
    # ("I'm 80 and diabetic. Spilt hot soup…" is a burn; "他有高血压和糖尿病" beside a crushing chest pain)
    background = _background_terms(query, zh)
    # (unless the guideline about that condition is about the rest too: "我有糖尿病十几年了，最近两只脚老是发麻" asks about
    # diabetic feet, and the diabetes guideline lists numb feet)
    # (as much as any other guideline is: a positive covid test or an aching jaw beside "diabetic on tablets" is not)
    # (an English guideline is read through the English terms of the rest: "有点血压高，吃着药…这半年时不时天旋地转" shares
    # vertigo with "Dizziness and vertigo", and nothing of the rest with 《高血压》)
    # (the background's English terms, read once: this test, the title test below it and the cross-language choice use them)
    bg_en = _background_english(query, background)
    rest_en = (_doc_terms(query, zh, "en")[0] - bg_en) if background and zh else frozenset()
    # (counted in Chinese terms, one per term however many English words it has, as the document score counts them)
    rest_concepts = _bridge_concepts(query) if rest_en else ()
    rest_shared = {d: sum(1 for c in rest_concepts if c & _shared(rest_en, " ".join(texts[d]) + " " + titles[d], False))
                   if zh and langs[d] == "en" else len(_shared(q - background, " ".join(texts[d]) + " " + titles[d], zh))
                   for d in best} if background else {}
    bg_title_en = bg_en if rest_en else frozenset()
    if any(rest_shared.values()) and not any(n >= max(rest_shared.values()) and (
            _title_terms(background, titles[d], zh) if langs[d] == language else _title_terms(bg_title_en, titles[d], False))
            for d, n in rest_shared.items()):
        q = q - background
        q_all = q_all - background
    # an English guideline meets a Chinese complaint through the complaint's English terms (english_bridge): it
    # competes on the same score, read in its own language; the cross-language passages were retrieved at a discount
    # (CLINRAG_CROSS_LANGUAGE_WEIGHT), so a Chinese guideline that answers as well still leads
    cross = {d: zh and langs.get(d) == "en" for d in best}
    q_en = (_doc_terms(query, zh, "en")[0] - _GROUP_WORDS - _QUALIFIERS) if any(cross.values()) else frozenset()

    def qz(d: str, terms: AbstractSet[str]) -> tuple[AbstractSet[str], bool]:
        return (q_en, False) if cross[d] else (terms, zh)

    patient = patient or set()
    # a guideline written for this patient's own group alone (pregnancy, young babies; a children's guideline that
    # also covers babies is a general one): the words that name the group do not make it about the complaint
    special = {d: bool(("pregnant" in g and "pregnant" in patient) or ("infant" in g and "young_infant" in patient))
               and set(g) <= {"pregnant", "infant", "female"} for d, g in groups.items()}
    about_text = {d: " ".join(texts[d]) + " " + titles[d] for d in best}
    topic = {d: _shared(qz(d, q)[0], about_text[d], qz(d, q)[1]) for d in best}
    # such a guideline may also join for its advice alone ("paracetamol is the usual choice" in pregnancy)
    advice_topic = {d: _shared(qz(d, q)[0], " ".join(t for p in [*context, *passages] if p.doc_id == d
                                                          for t in guideline_sentences(p.text)), qz(d, q)[1]) if special[d] else set()
                    for d in best}
    # a guideline whose topic the patient denies ("no fever") is not what the complaint is about, unless its own
    # description shares three of the complaint's other words: "no actual chest pain as such" beside an ache in the jaw,
    # breathlessness and nausea is the chest-pain guideline's "less typical symptoms"
    denied = _denied_terms(query, zh)
    for d in best:
        title_named = _title_words(titles[d], zh) - _GROUP_WORDS
        if not cross[d] and denied and title_named and not _title_terms(q, titles[d], zh) and all(
                any(n in w or w in n for w in denied) if zh else n in denied for n in title_named) and len(
                _shared(q, " ".join(t for t in texts[d] if t not in set(flag_texts[d])), zh)) < 3:
            topic[d] = set()
    # an emergency answer is about the emergency: the guideline whose title, or else whose warning signs, name
    # what the red flags that fired are about ("Possible anaphylaxis" -> the allergic-reactions guideline)
    # (a Chinese label's word may hold a title's word: "严重过敏反应" names 《皮疹与过敏反应》's "过敏反应")
    # (a title is named by what the label says the emergency is, not by the signs it lists in brackets: "Breathed in
    # smoke in a fire (hoarse voice, soot, coughing)" is no acute-cough emergency; "(possible torsion)" still names one)
    flags = _label_terms(red_flags, zh)
    # (a Chinese label names an English guideline's title through its English terms: "大面积或深度烧烫伤" is "Burns and
    # scalds"'s emergency, where no candidate in the question's language is named by it: "疑似严重过敏反应" stays
    # 《皮疹与过敏反应》's)
    own_named = any(label_names_title(red_flags, titles[d], zh) for d in best if not cross[d]) if flags else False

    def names_in_label(d: str) -> bool:
        if cross[d]:
            return zh and not own_named and label_names_english_title(red_flags, titles[d])
        return label_names_title(red_flags, titles[d], zh)

    # (so is a guideline whose warning sign names the emergency the label names: "突发撕裂样胸背痛（疑似主动脉夹层）" is
    # 《胸痛》's "突发撕裂样胸背痛（可能是主动脉夹层）", though "胸背痛" holds no "胸痛"; not 《高血压》's, said first as background)
    suspected = _label_conditions(red_flags)

    def names_labels_condition(d: str) -> bool:
        signs = " ".join(flag_texts[d]).lower()
        return any(c in signs for c in suspected)

    emergency = {d: 0.3 if names_in_label(d) else 0.05 if _shared(
        flags, " ".join(flag_texts[d]), zh) else 0.0 for d in best} if flags else dict.fromkeys(best, 0.0)
    # an emergency of the patient's own group ("可能先兆子痫（孕期或产后…）" at 33 weeks) is the emergency of the guideline
    # written for that group, not of one that shares a symptom word of the label (a headache guideline's "头痛")
    in_group = {"pregnant": "pregnant" in patient, "infant": "young_infant" in patient}
    if any(special.values()) and any(in_group.get(g) for label in red_flags for g in _groups_named(label)):
        emergency = {d: 0.3 if special[d] else 0.0 for d in best}
    # a document-level score: its best passage, how much of its title the complaint names, and how many of the
    # complaint's topic words its description/warning-sign/referral sentences share, each weighted by how few of
    # the candidates share it ("pain" and "back" are in every guideline retrieved for a kidney infection,
    # "cystitis" only in one; a headache guideline's "像被箍住一样" shares grammar with "胸口像被压着一样痛", not a topic)
    # (an English guideline read through the complaint's English terms counts each Chinese term once, whatever number
    # of English words it has: "气短" is "shortness of breath, breathless", one concept, not three words)
    concepts = _bridge_concepts(query) if any(cross.values()) else ()

    def units(d: str, words: AbstractSet[str]) -> set[str]:
        return {f"#{i}" for i, c in enumerate(concepts) if c & words} if cross[d] else set(words)

    holders: dict[str, int] = {}
    for d in best:
        for w in units(d, topic[d]):
            holders[w] = holders.get(w, 0) + 1
    # a word a guideline shares only through its warning signs counts half: those lists name other conditions' signs
    # (a rash guideline's "sore mouth or eyes" is not a sunburn's sore shoulders)
    described = {d: _shared(qz(d, q)[0], " ".join(t for t in texts[d] if t not in set(flag_texts[d])) + " " + titles[d], qz(d, q)[1])
                 for d in best}
    weight = {d: sum((1.0 if w in units(d, described[d]) else 0.5) / holders[w] for w in units(d, topic[d])) for d in best}
    # (the suspected emergency's guideline leads only where no other candidate is more about the complaint: "vomiting for
    # 3 days… on metformin" with a possible DKA stays the vomiting guideline's, whose words the complaint says more of)
    if flags:
        for d in best:
            if emergency[d] < 0.3 and names_labels_condition(d) and weight[d] >= max(weight.values()):
                emergency[d] = 0.3
    # a guideline written for this patient's own group that is about the complaint too reads it as that group's
    # problem: a headache with swelling at 34 weeks is the pregnancy guideline's warning sign before the headache
    # guideline's
    group = {d: 0.1 if special[d] and topic[d] else 0.0 for d in best}
    # (a guideline written for the patient's group is named by the words that name the group: "Warning signs during
    # and after pregnancy" for a pregnant woman)
    # ("acute" and "chronic", from how long it has lasted, tell an acute from a chronic guideline's title apart)
    title = {d: _title_match(q_en, titles[d], False) if cross[d] else
             _title_match(q | (q_all & (_GROUP_WORDS | _QUALIFIERS if special[d] else _QUALIFIERS)), titles[d], zh)
             for d in best}
    # where an "acute" and a "chronic" guideline on the same topic compete, the title whose qualifier the complaint's
    # duration contradicts is not named at all (a cough of 6 weeks is past "Acute cough"'s 3 weeks: its "cough" alone
    # does not name it); a disease's name that holds one ("Chronic obstructive pulmonary disease") has no such rival
    qualified = {d: (_title_words(titles[d], zh) & _QUALIFIERS, _title_words(titles[d], zh) - _QUALIFIERS)
                 for d in best if not cross[d] and not zh}
    for d, (quals, rest) in qualified.items():
        contrary = _QUALIFIERS - quals
        if len(quals) == 1 and contrary <= q_all and any(
                q2 == contrary and rest & r2 for d2, (q2, r2) in qualified.items() if d2 != d):
            title[d] = 0.0
    # a title for one type of a disease is not named by a patient who says they have the other type ("Type 1 diabetic …
    # my meter says 3.1" is the low-blood-sugar guideline's, not "Type 2 diabetes"'s; "1型糖尿病" is no 《2型糖尿病与低血糖》
    # title word)
    said_type = _disease_types(query)
    for d in best:
        title_type = _disease_types(titles[d])
        if said_type and title_type and not said_type & title_type:
            title[d] = 0.0
    # the complaint said first is the chief one: where it names two guidelines' titles in full ("throwing up for 24
    # hours ... dizzy when I stand"; "panic attacks ..., heart pounding"), the one named first leads
    # (only titles named in words: a reading names its topic wherever it stands, "meter reads 2.1" a low; the words
    # for who the patient is name no complaint)
    # (a medicine the patient has is no complaint: "have some ibuprofen I could take" names the medication-safety title,
    # not what is wrong)
    # (a complaint the patient calls minor is not the chief one: "a mild cold, and also a red ring getting bigger"; nor
    # is the condition a medicine is for: "added a new blood pressure tablet and since then I go woozy")
    said = _MINOR_EN.sub(lambda m: " " * len(m.group(0)), query) if not zh else query
    named_at = {d: _first_named(said, named, zh) for d in best if title[d] >= 1.0 and not cross[d]
                for named in [{w for w in _title_terms(q, titles[d], zh) if not _is_drug(w, language)}] if named}
    at = sorted(named_at.values())
    first = min(named_at, key=lambda d: named_at[d]) if len(at) >= 2 and at[0] < at[1] and at[-1] < _UNSAID else None
    if first is None:
        # a reading of the whole presentation (a panic attack told in lay words) is the chief complaint: the one guideline
        # whose title it names in full leads ("my heart pounds, my hands shake and I feel like I'm about to die" is the
        # anxiety guideline's panic attack before the chest-pain guideline's list of causes that mentions panic)
        whole_named = [d for d in best if not cross[d] and title[d] >= 1.0 and _title_terms(_syndromes(query, zh), titles[d], zh)]
        first = whole_named[0] if len(whole_named) == 1 else None
    chief = {d: CHIEF_BONUS if d == first else 0.0 for d in best}
    score = {d: best[d] + 0.15 * title[d] + 0.04 * min(4.0, weight[d]) + emergency[d] + group[d] + chief[d] for d in best}
    # the chief complaint whose own guideline sends the patient to a clinician the same day or sooner leads, where the
    # best-scored candidate's does not, however far retrieval ranked it behind: "嗓子有点痒，偶尔咳两声。另外…小便又疼又急，
    # …烧到39度" is 《成人发热》's kidney infection, not 《咳嗽》's, though the question ends on cough medicine
    leader = max(best, key=lambda d: (score[d], d))
    if first is not None and first in pressing and leader not in pressing and first != leader and not emergency[leader]:
        score[first] = score[leader] + 0.01
    elif first is None and leader not in pressing and not emergency[leader]:
        # with no complaint said first, a close candidate about more of the complaint whose own criterion sends this
        # patient the same day or sooner leads a guideline that does not (a burning wee, loin pain and a fever of 39 is
        # the UTI guideline's kidney infection before the adult fever guideline's list of causes)
        close = [d for d in pressing if d in best and d != leader and topic[d] and weight[d] > weight[leader]
                 and score[d] >= score[leader] - PRESSING_MARGIN]
        if close:
            score[max(close, key=lambda d: (score[d], d))] = score[leader] + 0.01
    # the anchor must share a topic word with the complaint: an off-topic question ("best recipe for
    # chocolate cake") reaches some passage, but not one that is about what was asked
    ordered = sorted(best, key=lambda d: (-score[d], d))
    if explain is not None:  # what each candidate scored, for measuring the anchor choice and for tests (no patient text kept)
        for d in ordered:
            explain[d] = {"score": round(score[d], 4), "passage": round(best[d], 4), "title": round(title[d], 3),
                          "topic": sorted(topic[d]), "weight": round(weight[d], 3), "emergency": emergency[d],
                          "group": group[d], "chief": chief[d], "pressing": d in pressing}
    # thin evidence is no anchor: a guideline whose title the complaint does not name and that shares one topic word
    # with it, while retrieval ranked another candidate higher ("come off it" is no sprain; "之后" no blood pressure
    # when the right guideline is in the other language): an answer from it would be another condition's advice
    top = max(best.values())
    # (a guideline whose warning signs merely share a word of the red flag's label is no emergency's guideline either:
    # "肚子胀，三天没大便" with a possible bowel obstruction shares 大便 with the diarrhoea guideline, whose stool tests are
    # not this emergency's; a guideline whose title the label names still anchors)
    thin = {d for d in ordered if title[d] == 0 and len(units(d, topic[d])) == 1 and emergency[d] < 0.3 and not group[d]
            and best[d] < top - THIN_MARGIN}
    if explain is not None:
        for d in thin:
            explain[d]["thin"] = True
    # the question's own language first: where a guideline in it is named by the complaint (its title), no guideline
    # in another language anchors or joins ("发烧两天" is the Chinese fever guideline's, even though the English one's
    # terms, "fever, high temperature", are more words)
    # and another language's guideline whose title the complaint does not name in full anchors only when it is clearly
    # more about the complaint than every guideline in the question's language that shares a topic word with it
    # (CROSS_MARGIN)
    if any(cross.values()):
        own = [score[d] for d in best if not cross[d] and topic[d] and d not in thin]
        # (a title is named in either language: "有点咳" names no "咳嗽" in Chinese words, but its "cough" is the title's)
        named_own = [d for d in best if not cross[d] and (topic[d] and title[d] >= 1.0
                                                          or any(c & q_en for c in _bridge_concepts(titles[d])))]
        # (the English terms of a long-term condition named as background name no title: "我妈有糖尿病，今天量血压195/125"
        # is the blood-pressure guideline's, not "Type 2 diabetes"; and the topic said first leads: "发烧…嗓子疼" is the
        # fever guideline's)
        own_at = min((_first_named(query, _title_terms(q, titles[d], zh), zh) for d in named_own), default=_UNSAID)

        own_terms: dict[str, frozenset[str]] = {}

        def _own_terms(d: str) -> frozenset[str]:
            # the English terms of what a guideline in the question's language is about (its descriptive sentences)
            if d not in own_terms:
                own_terms[d] = frozenset(_query_terms(english_bridge("，".join(texts[d])), False, lay=False))
            return own_terms[d]

        def said_first(d: str) -> bool:
            from rag.terms import english_term_spans

            named = _title_terms(q_en, titles[d], False) - bg_en
            spots = [i for i, terms in english_term_spans(query) if _query_terms(", ".join(terms), False, lay=False) & named]
            return bool(named) and min(spots, default=_UNSAID) < own_at
        if named_own:
            # (except one whose title names, in full, a topic of the complaint that no such guideline's title names, said
            # before it: "有哮喘，一跑步就咳嗽喘" names Asthma and then 咳嗽, and no Chinese guideline is about asthma; it competes on
            # its score)
            own_topics = {w for d in named_own for c in _bridge_concepts(titles[d]) for w in c}
            # (a medicine is no topic of the complaint: "美林和泰诺林" beside a child's fever names the medication-safety
            # title, but the children's fever guideline answers how to give them)
            first_cross = {d for d in best if cross[d] and title[d] >= 1.0 and topic[d] and any(
                not _is_drug(w, "en") for w in _title_terms(q_en, titles[d], False) - own_topics - bg_en) and said_first(d)}
            # (nor one written for the patient's group whose emergency fired, see above)
            # (but a guideline in the question's language whose title the complaint names and whose text is about the
            # topic the other language's title names too is about the complaint: "嗓子疼…发烧38.5" is 成人发热's, whose causes
            # list 咽痛; the answer stays in the question's language. "虫子咬了…低烧" is not: 成人发热 says nothing of bites)
            # (every word of it: 胸痛's "pain" is no "low back pain")
            # (nor is it where the patient says they have that condition and what is wrong now is its own symptom: "孩子有
            # 哮喘，一跑步踢球就咳嗽喘" is a known asthmatic's exercise cough, the asthma guideline's, though 《咳嗽》 lists
            # 咳嗽变异性哮喘 among its causes; it then leads as the chief complaint, said first)
            flare_en = _query_terms(english_bridge("，".join(sorted(_own_flare(query)))), False, lay=False) if zh else frozenset()
            own_flare = {d for d in first_cross if _title_terms(q_en, titles[d], False) & flare_en}
            first_cross = {d for d in first_cross if d in own_flare or not any(
                _title_terms(q_en, titles[d], False) - bg_en <= _own_terms(o) for o in named_own)}
            for d in own_flare:
                score[d] += CHIEF_BONUS
                if explain is not None:
                    explain[d]["chief"] = CHIEF_BONUS
            ordered = sorted(best, key=lambda d: (-score[d], d))
            thin |= {d for d in best if cross[d] and d not in first_cross and not (special[d] and emergency[d] and topic[d])}
        elif own:
            # (one whose title the complaint names in full, "有哮喘" for "Asthma", competes on its score alone)
            thin |= {d for d in best if cross[d] and title[d] < 1.0 and score[d] < max(own) + CROSS_MARGIN}
    ranked = [d for d in ordered if topic[d] and d not in thin]
    if not ranked:
        # where no guideline is about the complaint, one written for this patient's group alone whose advice is ("怀孕22周，
        # 牙疼…布洛芬能吃吗": the pregnancy guideline's "avoid ibuprofen from 20 weeks") answers it
        ranked = [d for d in ordered if special[d] and advice_topic[d]]
    if not ranked:
        return []
    anchor = ranked[0]
    keep = [anchor]
    covered = _covered(qz(anchor, q)[0], topic[anchor], qz(anchor, q)[1])
    for d in [*ranked[1:], *(d for d in ordered if not topic[d] and advice_topic[d])]:
        if d in keep or cross[d] != cross[anchor]:
            continue  # one answer quotes guidelines in one language: the anchor's
        # the part of the complaint only this guideline's title names: "burning when I pee" is covered by
        # an STI guideline that describes it, so a UTI guideline adds nothing; a rash beside a fever does
        named = _title_terms(qz(d, q)[0], titles[d], qz(d, q)[1]) - covered
        # a near-tie in retrieval score is not a topic match: another guideline joins only when the
        # complaint names a topic the anchor does not cover, or when it is written for this patient's
        # group alone (pregnancy, babies) and shares a topic word besides the group's name
        if (named and title[d] >= 1.0 and score[d] >= score[anchor] - 0.2 and topic[d]) or special[d]:
            keep.append(d)
            covered |= _covered(qz(d, q)[0], topic[d], qz(d, q)[1])
    return keep[:3]


def weak_anchor(passages: Sequence[Passage], anchor: str, query: str, language: str) -> bool:
    """True when a guideline is about the complaint only through its warning signs: the complaint names nothing of
    its title, and none of its description, referral or test sentences shares a topic word with the complaint (an
    adult-fever guideline whose sepsis sign "心跳非常快" matches a racing heart after coffee; a headache guideline
    whose "突然发生的剧烈头痛" matches "突然" in a pregnant woman's leaking waters). Such a guideline is about another
    condition: its self-care, tests and conditions are not advice for this complaint unless a sentence is about it."""
    mine = [p for p in passages if p.doc_id == anchor]
    if not mine:
        return False
    q, zh = _doc_terms(query, language == "zh", mine[0].language)
    terms = q - _GROUP_WORDS - _QUALIFIERS
    if _title_match(terms, mine[0].title, zh) > 0:
        return False
    about = " ".join(t for p in mine for t in _about_sentences(p.text, p.section) if sentence_role(t, p.section) != "red_flag")
    return not _shared(terms, about, zh)


# a clause that says how a condition usually goes ("most sprains improve within about 2 weeks", "some mild bladder
# infections clear up within a few days", "大多几天内自愈")
_PROGNOSIS = re.compile(r"^\s*(?:(?:but|and|though|although)\s+)?(?:most|many|some|the majority of)\b[^;.]*?\b(?:improve[sd]?|get(?:s)? better|"
                        r"clear(?:s)? up|settle[sd]?|go(?:es)? away|resolve[sd]?|heal(?:s)?)\b"
                        r"|^[^；。]{0,12}(?:大多|多数|大多数|一般)[^；。]{0,12}(?:自愈|好转|自行消退|自行缓解)", re.I)


def without_prognosis(sentence: str) -> str | None:
    """A self-care sentence without its clauses about how the condition usually goes; None when nothing else is left.
    Guideline text only."""
    zh = bool(_CJK.search(sentence))
    clauses = re.split(r"(?<=[;；])\s*", sentence)
    kept = [c for c in clauses if not _PROGNOSIS.search(c)]
    if len(kept) == len(clauses):
        return sentence
    if not kept:
        return None
    head = "".join(kept) if zh else " ".join(kept)
    return head.rstrip(" ;；,，.。") + ("。" if zh else ".")


_GROUP_GUIDELINE = frozenset({"pregnant", "infant", "female"})


# a clause of self-care addressed to people with a named condition ("湿疹患者坚持大量涂抹无香料保湿霜", "People with
# eczema should…", "If you have asthma, …"): advice for that condition, not for a complaint that does not name it
_FOR_CONDITION_ZH = re.compile(r"^(?:对于|对)?([^，。；、：:（(让使请]{2,8}?)(?:患者|病人)")
_FOR_CONDITION_EN = re.compile(r"^(?:(?:people|those|anyone|patients|adults|children) (?:with|who have)|if you have|for people with) "
                               r"([a-z][a-z' -]{2,30}?)(?=,| (?:should|can|may|need|must|are|who|use|keep|take)\b)", re.I)


def for_named_condition(sentence: str, query_terms: AbstractSet[str], zh: bool, conditions: Sequence[str] = ()) -> str | None:
    """The sentence without its clauses addressed to people with a condition that neither the complaint names nor the
    answer offers as a possible condition (`conditions`: their names): a shingles rash is given "冷敷、穿宽松棉质衣服",
    not the eczema patients' moisturiser, which a baby's dry, red, scratched skin read as eczema keeps. None when
    nothing is left. Clauses are split at semicolons, as `fitting_part` splits them."""
    clauses = re.split(r"(?<=[;；])\s*", sentence)
    kept = []
    for clause in clauses:
        m = (_FOR_CONDITION_ZH if zh else _FOR_CONDITION_EN).match(clause.strip())
        # (the condition's own words, not the broad topic a lay synonym gives it: 湿疹 and 疱疹 are both "皮疹")
        offered = m is not None and any(n and (m.group(1).lower() in n.lower() or n.lower() in m.group(1).lower())
                                        for n in conditions)
        if m and not offered and not _shared(query_terms, m.group(1), zh):
            continue
        kept.append(clause)
    if not kept:
        return None
    if len(kept) == len(clauses):
        return sentence
    out = " ".join(kept).strip().rstrip(";；,， ")
    return out + ("。" if zh else ".") if out and out[-1] not in "。.!！" else out or None


def in_written_group(groups: Sequence[str], patient: AbstractSet[str]) -> bool:
    """False when a guideline is written for one patient group alone (pregnancy; babies under 3 months, the newborn
    guideline's "infant"), by its declared groups, and the patient is not in it; True otherwise (a children's guideline
    that also covers babies is a general one)."""
    if not (set(groups) & {"pregnant", "infant"}) or not set(groups) <= _GROUP_GUIDELINE:
        return True
    return ("pregnant" in groups and "pregnant" in patient) or ("infant" in groups and "young_infant" in patient)


def anchor_uncovered(passages: Sequence[Passage], anchor: str, terms: AbstractSet[str], zh: bool) -> frozenset[str]:
    """The complaint's terms (`terms`) that the anchor guideline's passages do not cover: what its description, warning
    sign, referral and test sentences and its title share with them, with their lay synonyms (_covered). What another
    guideline joined the anchor for is among these (matching_documents joins one for a part the anchor does not cover)."""
    mine = [p for p in passages if p.doc_id == anchor]
    if not mine:
        return frozenset(terms)
    about = " ".join([mine[0].title, *(t for p in mine for t in _about_sentences(p.text, p.section))])
    return frozenset(set(terms) - _covered(terms, _shared(terms, about, zh), zh))


def _written_for(passages: Sequence[Passage], doc: str, patient: AbstractSet[str]) -> bool:
    """True when a guideline is written for one patient group alone (pregnancy, young babies) and the patient is in it."""
    groups = next((p.patient_groups for p in passages if p.doc_id == doc), ())
    return bool(set(groups) & {"pregnant", "infant"}) and set(groups) <= _GROUP_GUIDELINE and in_written_group(groups, patient)


class ExtractiveGenerator:
    """Grounded by construction: it can only repeat what the passages say."""

    backend = "extractive"
    model = "none"

    def generate(self, request: GenerationRequest) -> GenerationResult:
        draft = self.compose(request)
        return GenerationResult(draft=draft, raw_output=draft.model_dump_json(), backend=self.backend, model=self.model,
                                params={}, description=DESCRIPTION)

    def compose(self, request: GenerationRequest) -> DraftAdvice:
        """The advice: items from the matching guideline(s) only, fit for this patient."""
        zh = request.language == "zh"
        q = _query_terms(request.query, zh)
        patient = _patient_groups(request.age, request.sex, request.pregnant, request.query)
        docs = list(request.documents) if request.documents is not None else matching_documents(
            request.passages, request.query, request.language, patient, red_flags=request.red_flags)
        docs = [d for d in docs if any(p.doc_id == d for p in request.passages)]
        emergency = request.triage_urgency == "emergency"
        empty = DraftAdvice(seek_care=DraftSeekCare(needed=True, urgency="emergency" if emergency else "routine",
                                                    department=("急诊科" if zh else "Emergency department") if emergency else "",
                                                    reason="", citations=[]))
        if not docs:
            return empty  # nothing in the passages is about this complaint: say so rather than fill
        lang = {p.doc_id: p.language for p in request.passages}
        if zh and lang.get(docs[0]) == "en" and english_bridge(request.query):
            # a Chinese complaint whose guideline is English (no Chinese guideline matched it): the answer quotes the
            # English guideline, read with the complaint's English terms; one language per answer, the anchor's
            return self.compose(replace(request, query=english_bridge(request.query), language="en",
                                        documents=tuple(d for d in docs if lang.get(d) == "en"),
                                        warning_signs_only=tuple(d for d in request.warning_signs_only if lang.get(d) == "en")))
        rank = {d: i for i, d in enumerate(docs)}
        # the complaint's own words, not the patient's group: "pregnancy" is in every line of a pregnancy guideline
        qc = q - _GROUP_WORDS
        # guidelines that give only their sentences about the complaint: every one that joined the anchor, and the anchor
        # itself when it is about the complaint only through another condition's warning sign (see weak_anchor)
        weak = docs[0] in request.warning_signs_only if request.documents is not None else weak_anchor(
            request.passages, docs[0], request.query, request.language)
        # a guideline written for a patient group (pregnancy, young babies) covers everything of that group, from folic
        # acid to room-sharing: for a patient outside that group it is about the complaint only where a sentence is
        # ("Room-sharing without bed-sharing" and "Feed on demand" are no advice for a 10-month-old's diarrhoea)
        weak = weak or not in_written_group(next(p.patient_groups for p in request.passages if p.doc_id == docs[0]),
                                             patient)
        strict = set(docs[1:]) | ({docs[0]} if weak else set())
        # another guideline joined the anchor for a part of the complaint the anchor does not cover: its items must be
        # about that part (anchor_uncovered), not about what the anchor already answers ("Flu and COVID-19 look alike"
        # from the cold and flu guideline beside the COVID-19 guideline); a guideline written for the patient's group
        # keeps its care for the group ("avoid ibuprofen in pregnancy") but names conditions only for that part too
        uncovered = anchor_uncovered(request.passages, docs[0], qc, zh)
        group_docs = {d for d in docs[1:] if _written_for(request.passages, d, patient)}
        # a medicine the patient asks about, by any of its names ("泰诺" is the "对乙酰氨基酚" of "孕妇…通常首选对乙酰氨基酚"): a
        # line of the group's guideline that names it answers the question, whatever other words it shares
        asked = drugs_named(request.query)

        def answers_drug(text: str) -> bool:
            return bool(asked & guideline_drugs(text)) if asked else False

        seen: list[str] = []
        by_role: dict[str, list[tuple[tuple[float, ...], Sentence]]] = {}
        # a self-care passage that says its advice is only for what a clinician has already assessed ("Self-care is only
        # for pain that a clinician has already assessed", "居家处理只适用于已经医生评估过的胸痛") gives that sentence alone
        # unless the patient says it was assessed: its steps are for the benign causes a clinician has found
        # (a step for a cause the patient describes stays: "Reflux may improve with smaller meals…" for a burning that
        # rises after dinner; "Mild chest wall pain from a strain…" is not for a tight chest on walking uphill)
        assessed = bool(_SAYS_ASSESSED.search(request.query))
        gated: set[int] = set()
        title_words = _guideline_terms(next(p.title for p in request.passages if p.doc_id == docs[0]), zh)
        # nor when the patient also says two signs of the same guideline's red flags: the cause their words suggest
        # ("心口烧" as heartburn) is then what a clinician has to tell from the serious one ("出了一身冷汗，还想吐" at 70)
        warned = not assessed and _says_warning_signs(request.passages, docs[0], request.query, zh)
        held_tests: list[tuple[tuple[float, ...], Sentence]] = []
        for n, p in enumerate(request.passages, start=1):
            if p.doc_id not in rank:
                continue
            for pos, text in enumerate(guideline_sentences(p.text)):
                if _sentence_language(text) != zh:
                    continue  # never mix languages in one answer
                fitting = fitting_part(text, request.age, request.sex, request.pregnant, request.query)
                if fitting is None:
                    continue
                text = fitting
                if any(_near(text, s) for s in seen):
                    continue
                seen.append(text)
                s = Sentence(text=text, n=n, position=pos, role=sentence_role(text, p.section))
                if s.role == "self_care" and n in gated and (warned or not _shared(q - title_words, _subject(text), zh)):
                    continue
                if s.role == "self_care" and not assessed and _ONLY_AFTER_ASSESSMENT.search(text):
                    gated.add(n)
                if s.role == "self_care":
                    # what usually happens is no step to take: a self-care item keeps its action, not the guideline's
                    # prognosis for its own condition ("most sprains improve within about 2 weeks" beside a wrist that
                    # may be broken; "some mild bladder infections clear up without antibiotics" for an STI)
                    action = without_prognosis(text)
                    if action is None:
                        continue
                    s = replace(s, text=action)
                # advice for a situation the patient did not describe ("For motion sickness: ...",
                # "胃食管反流引起的咳嗽：...") goes after general advice
                lead = _SITUATION.match(text)
                # (the guideline's own topic words do not describe the situation: "胃食管反流引起的咳嗽" in the cough guideline is
                # about reflux)
                off_situation = bool(lead and not _shared(q - _guideline_terms(p.title, zh), lead.group(1) or lead.group(2), zh))
                if lead and not off_situation and not zh:
                    # a situation named in two words is not described by one of them: "For motion sickness:" is not about
                    # a pregnant woman who has "been sick" (the words for who the patient is are not required)
                    named = _text_terms(lead.group(1) or "", zh) - _guideline_terms(p.title, zh) - _GROUP_WORDS - _GENERIC
                    named -= {_stem(w) for w in ("for", "if", "in", "with", "when", "after", "you", "your", "have", "are")}
                    off_situation = len(named) >= 2 and not named <= q
                # the anchor guideline first, then the passage's own order (guidelines put the main advice first)
                if off_situation and s.role == "self_care":
                    # a step for a situation the patient did not describe is no advice for them, even to fill the list
                    # ("胃食管反流引起的咳嗽：晚餐少吃…" for a cough with blood and night sweats)
                    continue
                key = (float(rank[p.doc_id]), float(off_situation), float(n), float(pos))
                joined_terms = qc if p.doc_id == docs[0] or p.doc_id in group_docs else uncovered
                if p.doc_id in strict and (off_situation or not (_shared(joined_terms, text, zh)
                                                                 or (p.doc_id in group_docs and answers_drug(text)))):
                    # another guideline joined for a part of the complaint: only its sentences about that complaint
                    # ("Feed on demand" from a newborn guideline is not about a 4-month-old's fever); a weak anchor's other
                    # tests are kept aside for an emergency it turns out to be about
                    if p.doc_id == docs[0] and s.role == "tests":
                        held_tests.append((key, s))
                    continue
                by_role.setdefault(s.role, []).append((key, s))
        for items in by_role.values():
            items.sort(key=lambda t: t[0])

        def take(role: str, k: int) -> list[Sentence]:
            return [s for _, s in by_role.get(role, [])][:k]

        top = max(p.score for p in request.passages if p.doc_id == docs[0])
        conf: Confidence = "high" if top >= 0.6 else "medium" if top >= 0.4 else "low"
        pool = [(key, s) for key, s in by_role.get("self_care", [])]
        if _DOSE_QUESTION.search(request.query):
            # a question about how much to take is answered by the guideline's dosing sentences
            doses = [(key, s) for key, s in by_role.get("treatment", []) if re.search(r"\d", s.text) and _shared(q, s.text, zh)]
            pool = doses[:2] + pool
        # the anchor guideline's main advice, then the best-matching line of another matched guideline
        # (a pregnancy guideline's medicine advice for a pregnant woman with a cold), then the rest
        first = [s for key, s in pool if key[0] == 0][:MAX_SELF_CARE - 1]
        # (a line about a medicine the patient asks about first: "能不能吃布洛芬" at 20 weeks is answered by the pregnancy
        # guideline's "孕妇…应避免使用布洛芬", not by the fever guideline's rest)
        extra = sorted((s for key, s in pool if key[0] > 0 and (_shared(qc, s.text, zh) or answers_drug(s.text)) and not key[1]),
                       key=lambda s: (not answers_drug(s.text), -len(_shared(qc, s.text, zh))))[:1]
        self_care = first + extra + [s for _, s in pool if s not in first and s not in extra]
        anchor_title = next(p.title for p in request.passages if p.doc_id == docs[0])
        if not (q & {"hypoglycaemia", "低血糖"} or _SAYS_LOW.search(request.query)
                or (_LOW_SUGAR.search(anchor_title) and not re.search(r"diabet|糖尿病", anchor_title, re.I))):
            # treating a low is advice for a low: no "rule of 15" or glucagon for a high reading, for prediabetes or for
            # numb feet, unless the patient describes a low or the answer rests on the low-blood-sugar guideline itself
            self_care = [s for s in self_care if not _LOW_SUGAR.search(s.text)]
        if emergency:
            # judged on the action itself, not on a "First aid:" lead-in shared by a whole list
            self_care = [s for s in self_care if _FIRST_AID.search(re.sub(r"^first aid:\s*", "", s.text, flags=re.I))]
        # the referral criteria that match what the patient said, anchor guideline first
        pool = [(key, s) for key, s in by_role.get("seek_care", [])]
        # a guideline written for this patient's group (pregnancy, babies) says where they go first
        special = {s.n for _, s in pool if set(request.passages[s.n - 1].patient_groups) & patient & {"pregnant", "infant"}}
        # words of the guideline's own title do not tell its referral criteria apart; "for any red
        # flag" criteria say nothing the triage does not already say
        title_terms = _guideline_terms(request.passages[pool[0][1].n - 1].title, zh) if pool else frozenset()
        pool.sort(key=lambda t: (t[1].n not in special, t[0][0], bool(_ANY_RED_FLAG.search(t[1].text)),
                                 -len((q - title_terms) & _guideline_terms(t[1].text, zh)), t[0][2], t[0][3]))
        seek = [s for _, s in pool[:MAX_SEEK]]
        # the tests that match what the patient said first ("malaria tests after travel" for a fever after Kenya);
        # "many short fevers need no tests" only when no test sentence matches the complaint
        pool = by_role.get("tests", [])
        matched = {id(s) for _, s in pool if _shared(qc - _guideline_terms(anchor_title, zh), s.text, zh)}
        specific = {key[0] for key, s in pool if id(s) in matched}  # guidelines with a test for this complaint
        pool = sorted(pool, key=lambda t: (t[0][0], id(t[1]) not in matched, t[0][2], t[0][3]))
        tests = [s for key, s in pool if not (key[0] in specific and NO_TESTS.search(s.text))][:MAX_TESTS]
        conditions = self._conditions(request, docs, by_role, conf, strict)
        if emergency:
            # the warning sign that matches what the patient said, or none: triage already says why
            flags = [s for s in take("red_flag", 20) if _shared(q, s.text, zh)]
            reasons = sorted(flags, key=lambda s: -len(q & _guideline_terms(s.text, zh)))[:1]
            # conditions and tests only from the guideline about this emergency: the anchor, when one of its
            # warning signs matches what the patient said or its title or warning signs name what the red flags
            # name (a sprains guideline retrieved for "can't lift his arm" is not about a stroke); else none,
            # which would only distract from "call now"
            # (a warning sign matches when it shares two of the complaint's topic words: "one side of her mouth" is not
            # a tonsil abscess's "swelling pushing one tonsil to one side")
            anchor = docs[0]
            label_terms = _label_terms(request.red_flags, zh) - _GROUP_WORDS
            anchor_flags = [s for s in flags if request.passages[s.n - 1].doc_id == anchor]
            # (a weak anchor's warning signs are only those the patient's words match: the adult-fever guideline's
            # "呼吸困难、胸痛、心跳非常快" says nothing of an asthma attack; the group words of a label never count: "孕期" in a
            # headache guideline's "孕期或产后出现剧烈头痛" is not leaking waters)
            about_emergency = " ".join([request.passages[n].title for n, p in enumerate(request.passages) if p.doc_id == anchor][:1]
                                       + [s.text for s in take("red_flag", 50) if request.passages[s.n - 1].doc_id == anchor])
            if any(len(_shared(qc, s.text, zh)) >= 2 for s in anchor_flags) or _shared(label_terms, about_emergency, zh):
                if anchor in strict:
                    # a guideline about the complaint only through its warning signs, one of which is this emergency
                    # ("吃东西或玩小物件时突然剧烈呛咳" for a child choking on a bead): its tests and conditions are about it
                    pool = sorted([*by_role.get("tests", []), *held_tests], key=lambda t: t[0])
                    tests = [s for _, s in pool if not NO_TESTS.search(s.text)][:MAX_TESTS]
                    conditions = self._conditions(request, docs, by_role, conf, strict - {anchor})
                tests = [s for s in tests if request.passages[s.n - 1].doc_id == anchor]
                conditions = [c for c in conditions if c.citations and request.passages[c.citations[0] - 1].doc_id == anchor]
            else:
                tests, conditions = [], []
        else:
            reasons = seek
        if not emergency and _to_rule_out(request.passages, docs[0], take("seek_care", 50), request.query, zh):
            # the patient matches the anchor's own criterion that names a serious cause to rule out ("头痛并且头皮一碰就痛
            # （可能是巨细胞动脉炎）", "痰中带血、夜间盗汗（需要排查肺结核等疾病）"): the guideline's self-care is for its common,
            # benign causes (a dark quiet room, honey for a cough), no care for what the clinician is to rule out
            self_care = []
        # self-care addressed to people with another condition than the complaint's and the answer's (see
        # for_named_condition)
        names = tuple(c.name for c in conditions)
        self_care = [replace(s, text=t) for s in self_care for t in [for_named_condition(s.text, q, zh, names)] if t is not None]
        urgency: Urgency = "emergency" if emergency else ("soon" if seek else "routine")
        department = ("急诊科" if zh else "Emergency department") if emergency else _department([s.text for s in seek], request.language)
        return DraftAdvice(
            possible_conditions=conditions,
            self_care=[DraftSelfCare(advice=s.text[:1000], confidence=conf, citations=[s.n]) for s in self_care[:MAX_SELF_CARE]],
            seek_care=DraftSeekCare(needed=True, urgency=urgency, department=department,
                                    reason=" ".join(s.text for s in reasons)[:1000], citations=sorted({s.n for s in reasons})),
            suggested_tests=[DraftTest(test=re.split(r"[;；,，(]", s.text)[0][:200], reason=s.text[:1000], citations=[s.n])
                             for s in tests],
        )

    @staticmethod
    def _conditions(request: GenerationRequest, docs: list[str], by_role: dict[str, list[tuple[tuple[float, ...], Sentence]]],
                    conf: Confidence, strict: AbstractSet[str] = frozenset()) -> list[DraftCondition]:
        """Conditions the matched guidelines' passages name (rag.answer.conditions), never a title."""
        from rag.answer.conditions import ConditionCandidate, conditions_from_evidence

        zh = request.language == "zh"
        qc = _query_terms(request.query, zh) - _GROUP_WORDS
        keep = set(docs)
        uncovered = anchor_uncovered(request.passages, docs[0], qc, zh)
        denied = _denied_outright(request.query, zh)
        flagged = _label_terms(request.red_flags, zh)
        assessed = bool(_SAYS_ASSESSED.search(request.query))
        # only the matched guidelines' passages may name a condition; numbering stays the prompt's
        shown = [p if p.doc_id in keep else replace(p, text="") for p in request.passages]
        # (an episode the patient says is over names no condition: "上周感冒了，已经好了" is no cold now)
        found = conditions_from_evidence(_without_past_episodes(request.query, zh), shown, request.language,
                                         limit=3 * MAX_CONDITIONS, age=request.age, sex=request.sex)

        def fits(c: ConditionCandidate) -> bool:
            p = request.passages[c.passage - 1]
            if not suits_patient(c.quote, request.age, request.sex, request.pregnant, request.query):
                return False
            # a vaccine or a test named in a sentence is no diagnosis ("vaccines in pregnancy, such as flu";
            # "a rapid flu/COVID-19 test")
            role = sentence_role(c.quote, p.section)
            if role in {"prevention", "tests", "treatment"}:
                return False
            # a warning sign names its emergency for the patient who says that sign, or in an emergency for the one the
            # red flag that fired is about, not for one who matches only elsewhere in the warning-sign list ("new
            # weakness of face, arm or leg… (possible stroke)" for a heartbeat after coffee; "a tender scalp (possible
            # giant cell arteritis)" for a thunderclap headache; "Signs of a serious allergic reaction" for an overdose)
            if role == "red_flag" and not _shared(qc, c.quote, zh) and not (
                    request.triage_urgency == "emergency" and _shared(flagged, c.quote, zh)):
                return False
            # nor does a step the guideline keeps for what a clinician has assessed name what the patient may have
            # ("轻度胸壁肌肉拉伤可休息…" names no sprain for a crushing chest pain never assessed)
            if role == "self_care" and not assessed and _ONLY_AFTER_ASSESSMENT.search(p.text):
                return False
            # nor a risk a prohibition warns of ("Do not give honey to babies under 12 months (risk of infant botulism)"),
            # nor a treatment ("prescribed triptans work best"): they name what to avoid or how it is treated, not what
            # the patient may have
            if _PROHIBITION.match(c.quote):
                return False
            # matched on who the patient is ("You mention baby") rather than on what they have
            if c.matched and all(_stem(w.lower()) in _GROUP_WORDS or w in _GROUP_WORDS for w in c.matched):
                return False
            # denied outright: the sentence that names it is more about what the patient says is not there than about
            # what they have ("sudden throat pain, fever, swollen glands and no cough" for a sore throat with no fever
            # and no swollen glands)
            if denied and len(_shared(denied, affirmed_text(c.quote), zh)) > len(_shared(qc, c.quote, zh)):
                return False
            # another matched guideline names conditions only for the part of the complaint it joined for (and a weak
            # anchor only where its sentence is about the complaint)
            if p.doc_id == docs[0]:
                return p.doc_id not in strict or bool(_shared(qc, c.quote, zh))
            # (a joined guideline's condition for what the anchor does not answer: a pregnancy guideline's "heartburn,
            # swollen ankles…" names no reflux for a pregnant woman's rolled ankle, which the sprains guideline answers)
            return bool(_shared(uncovered, c.quote, zh))

        fit = [c for c in found if fits(c)][:MAX_CONDITIONS]
        # a weak match ("Lyme disease" for a wasp sting) is left out when a better one exists
        return [c.draft() for c in fit if c.confidence != "low" or c is fit[0]]
