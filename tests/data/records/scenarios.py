"""Hand-written synthetic scenarios (invented patients). The "test" split is the frozen test set."""

SCENARIOS: dict = {"test": {"zh": [], "en": []}, "dev": {"zh": [], "en": []}}

SCENARIOS["test"]["zh"] = [
    {
        "sex": "男", "dept": "呼吸与危重症医学科", "stay": 8,
        "cc": "[[咳嗽|S]]、[[咳痰|S]]伴[[发热|S]]5天",
        "hpi": "患者5天前受凉后出现[[咳嗽|S]]，咳黄色黏痰，量中等，伴[[发热|S]]，体温最高39.2℃，伴[[畏寒|S]]、[[乏力|S]]。"
               "自服[[布洛芬|M]]后体温可暂时下降。无[[胸痛|S!]]，否认[[咯血|S!]]，无[[呼吸困难|S!]]。"
               "门诊查[[血常规|T]]示白细胞升高，[[胸部X线|T]]示[[右下肺|B]]片状阴影，为进一步诊治收入我科。"
               "病程中精神、食欲欠佳，睡眠一般，大小便无异常，体重无明显变化。",
        "pmh": "[[高血压|D]]病史10年，长期口服[[氨氯地平|M]]5mg qd，血压控制可。否认[[糖尿病|D!]]、[[冠心病|D!]]病史。"
               "否认肝炎、结核等传染病史。否认手术外伤史。否认药物及食物过敏史。吸烟30年，每日20支。",
        "exam": "T 38.6℃，P 102次/分，R 22次/分，BP 142/88mmHg。神志清楚，急性病容。[[口唇|B]]无发绀。"
                "[[颈部|B]]软，浅表淋巴结未触及肿大。[[右下肺|B]]呼吸音减弱，可闻及湿性啰音，[[左肺|B]]呼吸音清。"
                "心率102次/分，律齐，各瓣膜听诊区未闻及杂音。[[腹部|B]]平软，无压痛及反跳痛。[[双下肢|B]]无水肿。",
        "labs": [("[[白细胞计数|T]]", "14.6", "×10^9/L", "3.5-9.5"), ("[[中性粒细胞百分比|T]]", "86.2", "%", "40-75"),
                 ("[[C反应蛋白|T]]", "96", "mg/L", "<10"), ("[[降钙素原|T]]", "0.82", "ng/ml", "<0.05")],
        "imaging": "[[胸部CT|T]]：[[右肺下叶|B]]大片实变影，内见支气管充气征，考虑炎症。[[心电图|T]]：窦性心动过速。",
        "dx": [("[[社区获得性肺炎|D]]", "J18.9"), ("[[高血压|D]]2级", "I10")],
        "course": "入院后予[[头孢曲松|M]]2g静脉滴注每日一次联合[[阿奇霉素|M]]0.5g静脉滴注抗感染，[[氨溴索|M]]化痰，"
                  "物理降温及补液等对症支持治疗。入院第3天体温降至正常，咳嗽咳痰明显减轻。复查[[血常规|T]]及[[C反应蛋白|T]]较前下降，"
                  "第7天改为口服[[阿莫西林克拉维酸钾|M]]序贯治疗。",
        "followup": "1. 继续口服[[阿莫西林克拉维酸钾|M]]0.914g 每日两次，共5天；继续[[氨氯地平|M]]降压。\n"
                    "2. 戒烟，注意休息，避免受凉。\n3. 出院2周后呼吸内科门诊复诊，复查[[胸部CT|T]]。\n"
                    "4. 如再次出现[[高热|S]]、[[气促|S]]，及时就诊。",
        "prog_sym": ["咳嗽", "咳痰", "乏力"], "prog_neg": ["发热", "胸闷", "气促"], "prog_med": ["头孢曲松", "阿奇霉素", "氨溴索"],
        "prog_test": ["血常规", "C反应蛋白", "肝肾功能"], "prog_body": ["双肺", "右下肺"],
        "prog_labs": [("白细胞计数", 6, 12, "×10^9/L", "3.5-9.5"), ("C反应蛋白", 5, 60, "mg/L", "<10")],
    },
    {
        "sex": "女", "dept": "神经内科", "stay": 12,
        "cc": "突发[[右侧肢体无力|S]]伴[[言语不清|S]]6小时",
        "hpi": "患者6小时前晨起时家属发现其[[右侧肢体无力|S]]，[[右手|B]]持物不稳，行走需搀扶，伴[[言语不清|S]]、"
               "[[口角歪斜|S]]。无[[头痛|S!]]，无[[恶心|S!]]、[[呕吐|S!]]，无[[意识障碍|S!]]，无[[抽搐|S!]]。急诊行[[头颅CT|T]]未见出血，"
               "NIHSS评分6分，因超出溶栓时间窗未行静脉溶栓，收住我科。",
        "pmh": "[[心房颤动|D]]病史5年，未规律抗凝。[[高血压|D]]病史15年，服用[[缬沙坦|M]]80mg每日一次。"
               "[[2型糖尿病|D]]病史8年，口服[[二甲双胍|M]]0.5g每日三次。否认[[脑出血|D!]]病史。",
        "exam": "BP 168/96mmHg，HR 108次/分，心律绝对不齐，第一心音强弱不等。神志清楚，运动性失语。"
                "[[双侧瞳孔|B]]等大等圆，对光反射灵敏。右侧鼻唇沟变浅，伸舌右偏。[[右上肢|B]]肌力3级，[[右下肢|B]]肌力4级，"
                "[[左侧肢体|B]]肌力5级。右侧巴氏征阳性。[[颈部|B]]无抵抗。",
        "labs": [("[[糖化血红蛋白|T]]", "8.1", "%", "4.0-6.0"), ("[[低密度脂蛋白胆固醇|T]]", "3.9", "mmol/L", "<2.6"),
                 ("[[D-二聚体|T]]", "0.6", "mg/L", "<0.5"), ("[[凝血功能|T]] INR", "1.02", "", "0.8-1.2")],
        "imaging": "[[头颅MRI|T]]：[[左侧基底节区|B]]急性梗死灶。[[颈动脉超声|T]]：双侧颈动脉内中膜增厚。"
                   "[[心脏超声|T]]：[[左心房|B]]增大，未见附壁血栓。",
        "dx": [("[[脑梗死|D]]（左侧基底节区，心源性栓塞）", "I63.9"), ("[[心房颤动|D]]", "I48.91"), ("[[高血压|D]]3级 很高危", "I10"),
               ("[[2型糖尿病|D]]", "E11.9")],
        "course": "入院后予[[阿司匹林|M]]100mg口服抗血小板，[[阿托伐他汀|M]]20mg调脂稳定斑块，控制血压、血糖，"
                  "早期康复训练。发病第7天复查[[头颅CT|T]]未见出血转化，停用[[阿司匹林|M]]，启动[[利伐沙班|M]]20mg每日一次抗凝。"
                  "患者[[右侧肢体无力|S]]逐渐好转，言语较前流利。",
        "followup": "1. [[利伐沙班|M]]20mg每日一次，[[阿托伐他汀|M]]20mg每晚一次，[[缬沙坦|M]]80mg每日一次，[[二甲双胍|M]]0.5g每日三次。\n"
                    "2. 坚持康复锻炼，低盐低脂糖尿病饮食。\n3. 1个月后神经内科门诊复诊，复查[[肝功能|T]]、[[血脂|T]]。\n"
                    "4. 出现[[黑便|S]]、[[牙龈出血|S]]等出血表现或新发[[肢体无力|S]]立即就诊。",
        "prog_sym": ["右侧肢体无力", "言语不清"], "prog_neg": ["头痛", "呕吐", "发热"], "prog_med": ["阿托伐他汀", "利伐沙班", "阿司匹林"],
        "prog_test": ["血常规", "凝血功能", "血糖"], "prog_body": ["右上肢", "右下肢"],
        "prog_labs": [("血糖", 5, 11, "mmol/L", "3.9-6.1"), ("凝血酶原时间", 11, 14, "s", "9-13")],
    },
    {
        "sex": "女", "dept": "内分泌科", "stay": 6,
        "cc": "[[口干|S]]、[[多饮|S]]、[[多尿|S]]1周，[[恶心|S]]、[[呕吐|S]]1天",
        "hpi": "患者1周前无明显诱因出现[[口干|S]]、[[多饮|S]]、[[多尿|S]]，每日饮水约4000ml，伴[[乏力|S]]。1天前出现[[恶心|S]]、[[呕吐|S]]，"
               "呕吐物为胃内容物，伴[[腹痛|S]]，无[[腹泻|S!]]，无[[发热|S!]]。急诊查[[随机血糖|T]]28.6mmol/L，[[尿酮体|T]]3+，"
               "[[血气分析|T]]示代谢性酸中毒，以“糖尿病酮症酸中毒”收入院。",
        "pmh": "[[2型糖尿病|D]]病史6年，平素口服[[二甲双胍|M]]，近1月自行停药。否认[[高血压|D!]]病史。否认药物过敏史。",
        "exam": "T 36.8℃，P 112次/分，R 26次/分，BP 104/66mmHg。神志清，精神差，呼吸深快，可闻及烂苹果味。"
                "[[皮肤|B]]弹性差，[[口唇|B]]干燥。[[双肺|B]]呼吸音清。[[腹部|B]]软，上腹轻压痛，无反跳痛。",
        "labs": [("[[血糖|T]]", "28.6", "mmol/L", "3.9-6.1"), ("[[血钾|T]]", "5.4", "mmol/L", "3.5-5.3"),
                 ("pH（[[血气分析|T]]）", "7.18", "", "7.35-7.45"), ("[[β-羟丁酸|T]]", "4.8", "mmol/L", "<0.3"),
                 ("[[糖化血红蛋白|T]]", "11.2", "%", "4.0-6.0")],
        "imaging": "[[腹部超声|T]]：[[肝脏|B]]、[[胆囊|B]]、[[胰腺|B]]未见明显异常。",
        "dx": [("[[糖尿病酮症酸中毒|D]]", "E11.10"), ("[[2型糖尿病|D]]", "E11.9")],
        "course": "予积极补液，小剂量[[胰岛素|M]]持续静脉泵入，监测血糖、[[电解质|T]]，适时补钾。入院第2天[[尿酮体|T]]转阴，"
                  "酸中毒纠正后改为[[门冬胰岛素|M]]三餐前皮下注射联合[[甘精胰岛素|M]]睡前皮下注射控制血糖，并行糖尿病教育。",
        "followup": "1. [[甘精胰岛素|M]]16U睡前皮下注射，[[门冬胰岛素|M]]6U三餐前皮下注射，根据血糖调整剂量。\n"
                    "2. 每日监测指尖血糖4次，糖尿病饮食，不可自行停药。\n3. 2周后内分泌科门诊复诊。\n"
                    "4. 出现[[心慌|S]]、[[出汗|S]]等低血糖症状时立即进食含糖食物。",
        "prog_sym": ["乏力", "口干"], "prog_neg": ["恶心", "呕吐", "腹痛"], "prog_med": ["胰岛素", "甘精胰岛素"],
        "prog_test": ["血糖", "电解质", "尿酮体"], "prog_body": ["腹部", "双肺"],
        "prog_labs": [("血糖", 6, 14, "mmol/L", "3.9-6.1"), ("血钾", 3.6, 4.8, "mmol/L", "3.5-5.3")],
    },
    {
        "sex": "男", "dept": "普外科", "stay": 5,
        "cc": "[[转移性右下腹痛|S]]1天",
        "hpi": "患者1天前无明显诱因出现[[上腹痛|S]]，呈持续性隐痛，约6小时后疼痛转移并固定于[[右下腹|B]]，伴[[恶心|S]]，"
               "呕吐1次。无[[腹泻|S!]]，无[[血便|S!]]，否认[[尿频|S!]]、[[尿痛|S!]]。急诊[[腹部CT|T]]示[[阑尾|B]]增粗，周围渗出。",
        "pmh": "既往体健。否认[[高血压|D!]]、[[糖尿病|D!]]病史。[[青霉素|M]]过敏（皮疹）。",
        "exam": "T 37.9℃，P 96次/分，BP 128/76mmHg。[[腹部|B]]平坦，[[右下腹|B]]麦氏点压痛、反跳痛阳性，轻度肌紧张。"
                "结肠充气试验阳性，腰大肌试验阳性。[[肠鸣音|T]]减弱。",
        "labs": [("[[白细胞计数|T]]", "15.8", "×10^9/L", "3.5-9.5"), ("[[中性粒细胞百分比|T]]", "89", "%", "40-75"),
                 ("[[C反应蛋白|T]]", "58", "mg/L", "<10"), ("[[尿常规|T]]", "未见异常", "", "")],
        "imaging": "[[腹部CT|T]]：[[阑尾|B]]直径约1.2cm，[[阑尾|B]]周围脂肪间隙模糊，未见明显穿孔征象。",
        "dx": [("[[急性阑尾炎|D]]", "K35.80")],
        "course": "入院后完善术前检查，急诊在全麻下行腹腔镜[[阑尾|B]]切除术，术中见[[阑尾|B]]充血水肿，化脓性改变。"
                  "术后予[[头孢呋辛|M]]联合[[甲硝唑|M]]抗感染，[[帕瑞昔布|M]]止痛。术后第1天下床活动，排气后进流食，切口愈合良好。",
        "followup": "1. 注意切口清洁干燥，术后第7天门诊拆线。\n2. 1个月内避免剧烈运动及重体力劳动。\n"
                    "3. 如有[[发热|S]]、[[腹痛|S]]加重或切口红肿渗液，及时就诊。\n4. 普外科门诊2周后复诊，取病理报告。",
        "prog_sym": ["切口疼痛", "腹胀"], "prog_neg": ["发热", "恶心", "呕吐"], "prog_med": ["头孢呋辛", "甲硝唑"],
        "prog_test": ["血常规", "C反应蛋白"], "prog_body": ["腹部", "右下腹"],
        "prog_labs": [("白细胞计数", 5, 11, "×10^9/L", "3.5-9.5"), ("C反应蛋白", 5, 40, "mg/L", "<10")],
    },
    {
        "sex": "男", "dept": "呼吸内科", "stay": 10,
        "cc": "反复[[咳嗽|S]]、[[咳痰|S]]20年，[[气促|S]]加重3天",
        "hpi": "患者20年来每逢冬春季节反复出现[[咳嗽|S]]、[[咳痰|S]]，近5年出现活动后[[气促|S]]。3天前受凉后[[气促|S]]明显加重，"
               "平地行走即感[[呼吸困难|S]]，痰量增多，为黄脓痰，伴[[喘息|S]]。无[[发热|S!]]，无[[胸痛|S!]]，无[[下肢水肿|S!]]。",
        "pmh": "[[慢性阻塞性肺疾病|D]]病史10年，规律吸入[[噻托溴铵|M]]。[[骨质疏松|D]]病史3年。吸烟40年，已戒烟2年。否认[[肺结核|D!]]病史。",
        "exam": "T 36.9℃，P 98次/分，R 26次/分，BP 136/80mmHg，SpO2 88%（未吸氧）。[[口唇|B]]轻度发绀，桶状胸，"
                "[[双肺|B]]叩诊过清音，呼吸音低，可闻及散在哮鸣音及少量湿啰音。[[双下肢|B]]无水肿。",
        "labs": [("[[血气分析|T]] PaO2", "56", "mmHg", "80-100"), ("PaCO2", "52", "mmHg", "35-45"),
                 ("[[白细胞计数|T]]", "10.8", "×10^9/L", "3.5-9.5"), ("[[B型钠尿肽|T]]", "86", "pg/ml", "<100")],
        "imaging": "[[胸部CT|T]]：[[双肺|B]]肺气肿，[[双肺|B]]下叶少许炎症。[[肺功能|T]]（既往）：FEV1/FVC 0.52，FEV1占预计值45%。",
        "dx": [("[[慢性阻塞性肺疾病|D]]急性加重期", "J44.9"), ("[[骨质疏松|D]]", "M81.0")],
        "course": "予低流量吸氧，[[布地奈德|M]]联合[[沙丁胺醇|M]]雾化吸入，[[甲泼尼龙|M]]40mg静脉滴注每日一次共5天，"
                  "[[左氧氟沙星|M]]抗感染，[[氨溴索|M]]化痰。治疗后[[喘息|S]]缓解，SpO2维持在92%以上。",
        "followup": "1. 继续[[噻托溴铵|M]]18μg每日一次吸入，[[布地奈德福莫特罗|M]]每次1吸每日两次。\n"
                    "2. 家庭氧疗每日15小时以上，坚持呼吸功能锻炼。\n3. 每年接种流感疫苗。\n4. 1个月后呼吸内科门诊复诊，复查[[肺功能|T]]。",
        "prog_sym": ["气促", "咳嗽", "喘息"], "prog_neg": ["发热", "胸痛"], "prog_med": ["甲泼尼龙", "左氧氟沙星", "布地奈德"],
        "prog_test": ["血气分析", "血常规"], "prog_body": ["双肺"],
        "prog_labs": [("PaO2", 58, 75, "mmHg", "80-100"), ("白细胞计数", 6, 10, "×10^9/L", "3.5-9.5")],
    },
]

SCENARIOS["test"]["en"] = [
    {
        "sex": "M", "dept": "Cardiology", "stay": 6,
        "cc": "Worsening [[shortness of breath|S]] and [[leg swelling|S]] for one week.",
        "hpi": "72-year-old man with known [[heart failure|D]] (EF 30%) presenting with one week of progressive [[dyspnea|S]] on exertion, "
               "two-pillow [[orthopnea|S]] and [[paroxysmal nocturnal dyspnea|S]]. Reports 4 kg weight gain and bilateral "
               "[[ankle swelling|S]]. Admits dietary indiscretion over the holidays. No [[chest pain|S!]], no [[syncope|S!]], "
               "denies [[fever|S!]] or [[cough|S!]]. Ran out of [[furosemide|M]] 10 days ago.",
        "pmh": "[[Heart failure|D]] with reduced ejection fraction, [[atrial fibrillation|D]] on [[apixaban|M]], "
               "[[chronic kidney disease|D]] stage 3a, [[hypertension|D]]. No history of [[diabetes|D!]]. NKDA.",
        "exam": "BP 148/92, HR 96 irregularly irregular, RR 22, SpO2 91% on RA, afebrile. JVP elevated to the angle of the "
                "[[jaw|B]]. Bibasilar crackles in both [[lungs|B]]. [[Heart|B]]: irregular rhythm, S3 present. "
                "[[Abdomen|B]] soft, non-tender. 2+ pitting edema of both [[legs|B]] to the mid-shin.",
        "labs": [("[[BNP|T]]", "1840", "pg/mL", "<100"), ("[[Creatinine|T]]", "1.6", "mg/dL", "0.7-1.3"),
                 ("[[Potassium|T]]", "4.2", "mmol/L", "3.5-5.1"), ("[[Troponin I|T]]", "0.03", "ng/mL", "<0.04")],
        "imaging": "[[Chest X-ray|T]]: cardiomegaly, bilateral pleural effusions, pulmonary vascular congestion. "
                   "[[ECG|T]]: atrial fibrillation, rate 98, no acute ST changes. [[Echocardiogram|T]]: LVEF 30%, moderate MR.",
        "dx": [("[[Acute on chronic heart failure|D]] with reduced ejection fraction", "I50.9"),
               ("[[Atrial fibrillation|D]], rate controlled", "I48.91"), ("[[Chronic kidney disease|D]] stage 3a", "N18.9")],
        "course": "Diuresed with IV [[furosemide|M]] 40 mg twice daily with net negative 5.2 L. Resumed [[metoprolol succinate|M]] "
                  "and [[sacubitril-valsartan|M]] once euvolemic. Continued [[apixaban|M]] 5 mg twice daily. "
                  "Creatinine stable. Heart failure education provided.",
        "followup": "Take [[furosemide|M]] 40 mg by mouth daily. Weigh yourself every morning; call the clinic if you gain more than "
                    "2 kg in 3 days. Limit salt to 2 g per day and fluids to 1.5 L per day. Follow up with cardiology in 1 week "
                    "with repeat [[basic metabolic panel|T]]. Return to the ED for [[chest pain|S]] or worsening [[breathlessness|S]].",
        "prog_sym": ["dyspnea", "leg swelling", "orthopnea"], "prog_neg": ["chest pain", "palpitations", "dizziness"],
        "prog_med": ["furosemide", "metoprolol succinate", "apixaban"], "prog_test": ["basic metabolic panel", "BNP"],
        "prog_body": ["lungs", "legs"], "prog_labs": [("Creatinine", 1.3, 1.8, "mg/dL", "0.7-1.3"), ("Potassium", 3.6, 4.9, "mmol/L", "3.5-5.1")],
    },
    {
        "sex": "F", "dept": "Internal Medicine", "stay": 5,
        "cc": "Red, hot, painful left leg for 3 days.",
        "hpi": "58-year-old woman with [[type 2 diabetes|D]] presents with 3 days of spreading [[redness|S]], warmth and "
               "[[pain|S]] of the left lower [[leg|B]] after a minor scrape while gardening. Subjective [[fevers|S]] and [[chills|S]] "
               "last night. No [[calf pain|S!]] on walking, no [[shortness of breath|S!]]. No prior episodes.",
        "pmh": "[[Type 2 diabetes mellitus|D]] on [[metformin|M]] and [[glipizide|M]]; [[hyperlipidemia|D]] on [[atorvastatin|M]]; "
               "[[obesity|D]] (BMI 36). Allergy: [[sulfa|M]] drugs (rash).",
        "exam": "T 38.3 C, HR 104, BP 132/78. Left [[shin|B]] with a 12 x 9 cm area of erythema, warmth and tenderness with "
                "indistinct margins; no fluctuance, no crepitus. [[Toes|B]] with tinea between the web spaces. "
                "Distal pulses intact. No inguinal lymphadenopathy.",
        "labs": [("[[WBC|T]]", "15.2", "x10^9/L", "4.0-11.0"), ("[[HbA1c|T]]", "9.4", "%", "<5.7"),
                 ("[[CRP|T]]", "112", "mg/L", "<5"), ("[[Lactate|T]]", "1.4", "mmol/L", "<2.0")],
        "imaging": "[[Venous duplex ultrasound|T]] of the left leg: no [[deep vein thrombosis|D!]]. [[Blood cultures|T]] x2: no growth at 48 h.",
        "dx": [("[[Cellulitis|D]] of the left lower leg", "L03.90"), ("[[Type 2 diabetes mellitus|D]], poorly controlled", "E11.9"),
               ("[[Hyperlipidemia|D]]", "E78.5")],
        "course": "Treated with IV [[cefazolin|M]] 2 g every 8 hours, leg elevation and topical [[clotrimazole|M]] for interdigital tinea. "
                  "Erythema receded from the marked border by day 3; switched to oral [[cephalexin|M]]. "
                  "[[Metformin|M]] continued; [[insulin glargine|M]] 10 units nightly added for hyperglycemia.",
        "followup": "Complete [[cephalexin|M]] 500 mg four times daily for 5 more days. Keep the leg elevated. Check blood sugar "
                    "twice daily. See your primary care doctor in 1 week to review the [[HbA1c|T]] and insulin dose. "
                    "Return if the redness spreads past the marked line or for [[fever|S]].",
        "prog_sym": ["redness", "pain", "swelling"], "prog_neg": ["fever", "chills"], "prog_med": ["cefazolin", "metformin", "insulin glargine"],
        "prog_test": ["WBC", "CRP", "glucose"], "prog_body": ["leg", "shin"],
        "prog_labs": [("WBC", 7, 13, "x10^9/L", "4.0-11.0"), ("glucose", 6, 14, "mmol/L", "3.9-7.8")],
    },
    {
        "sex": "F", "dept": "Hospital Medicine", "stay": 4,
        "cc": "Fever, [[confusion|S]] and burning urination.",
        "hpi": "81-year-old woman from home brought in by her daughter for 2 days of [[dysuria|S]], [[urinary frequency|S]] and new "
               "[[confusion|S]]. Temperature 39.0 C at home. Also [[flank pain|S]] on the right. No [[vomiting|S!]], no [[diarrhea|S!]], "
               "no [[cough|S!]]. Baseline fully oriented and independent.",
        "pmh": "[[Hypertension|D]] on [[lisinopril|M]], [[osteoarthritis|D]] of both [[knees|B]], recurrent [[UTI|D]] (2 in the last year). "
               "No history of [[kidney stones|D!]].",
        "exam": "T 39.1 C, HR 118, BP 96/58, RR 22, SpO2 96% RA. Drowsy but rousable, oriented to person only. "
                "Dry mucous membranes. Right costovertebral angle tenderness. [[Lungs|B]] clear. [[Abdomen|B]] soft, suprapubic tenderness.",
        "labs": [("[[WBC|T]]", "17.9", "x10^9/L", "4.0-11.0"), ("[[Lactate|T]]", "3.1", "mmol/L", "<2.0"),
                 ("[[Creatinine|T]]", "1.5", "mg/dL", "0.6-1.1"), ("[[Urinalysis|T]]", "nitrite +, LE 3+", "", "negative")],
        "imaging": "[[Urine culture|T]]: E. coli > 100,000 CFU/mL, sensitive to ceftriaxone. [[Blood cultures|T]]: E. coli in 1 of 2 bottles. "
                   "[[Renal ultrasound|T]]: no hydronephrosis.",
        "dx": [("[[Sepsis|D]] due to E. coli", "A41.9"), ("[[Urinary tract infection|D]] (acute pyelonephritis, right)", "N39.0"),
               ("[[Hypertension|D]]", "I10")],
        "course": "Sepsis bundle: 30 mL/kg IV crystalloid, [[ceftriaxone|M]] 1 g IV daily. [[Lisinopril|M]] held for hypotension "
                  "and acute kidney injury. Lactate cleared within 12 hours and [[confusion|S]] resolved by day 2.",
        "followup": "Finish [[cefpodoxime|M]] 200 mg twice daily for 10 more days. Restart [[lisinopril|M]] 10 mg daily once blood "
                    "pressure is above 120 systolic. Drink plenty of fluids. Primary care visit in 5 days with [[renal function|T]] test. "
                    "Return for [[fever|S]], [[confusion|S]] or reduced urine output.",
        "prog_sym": ["dysuria", "flank pain"], "prog_neg": ["fever", "confusion", "vomiting"], "prog_med": ["ceftriaxone"],
        "prog_test": ["creatinine", "lactate", "CBC"], "prog_body": ["abdomen", "flank"],
        "prog_labs": [("Creatinine", 0.9, 1.4, "mg/dL", "0.6-1.1"), ("WBC", 7, 14, "x10^9/L", "4.0-11.0")],
    },
    {
        "sex": "M", "dept": "Gastroenterology", "stay": 4,
        "cc": "Black stools and [[lightheadedness|S]] x 2 days.",
        "hpi": "64-year-old man with 2 days of [[melena|S]] and [[lightheadedness|S]] on standing. Has been taking [[ibuprofen|M]] "
               "800 mg three times daily for [[back pain|S]] for a month. Mild [[epigastric pain|S]]. No [[hematemesis|S!]], "
               "no [[chest pain|S!]], no [[syncope|S!]]. Denies alcohol excess.",
        "pmh": "[[Osteoarthritis|D]], [[GERD|D]] on [[omeprazole|M]] as needed. No prior GI bleed. No [[liver disease|D!]].",
        "exam": "HR 108, BP 102/64 supine, 88/56 standing. Conjunctival pallor. [[Abdomen|B]]: mild epigastric tenderness, no guarding. "
                "Rectal exam: black tarry stool.",
        "labs": [("[[Hemoglobin|T]]", "7.8", "g/dL", "13.5-17.5"), ("[[MCV|T]]", "76", "fL", "80-100"),
                 ("[[Ferritin|T]]", "9", "ng/mL", "30-400"), ("[[BUN|T]]", "42", "mg/dL", "7-20"), ("[[INR|T]]", "1.1", "", "0.9-1.1")],
        "imaging": "[[Upper endoscopy|T]] (EGD): 1.5 cm clean-based ulcer in the [[duodenal bulb|B]], no active bleeding. "
                   "[[H. pylori|T]] biopsy urease test negative.",
        "dx": [("[[Peptic ulcer|D]] disease, duodenal ulcer with bleeding, NSAID-related", "K27.9"),
               ("[[Iron deficiency anemia|D]]", "D50.9")],
        "course": "Transfused 2 units packed red cells. IV [[pantoprazole|M]] 40 mg twice daily. [[Ibuprofen|M]] stopped. "
                  "IV [[iron sucrose|M]] 200 mg given. Hemoglobin stable at 9.2 for 48 hours after transfusion.",
        "followup": "[[Pantoprazole|M]] 40 mg twice daily for 8 weeks, then once daily. Avoid [[ibuprofen|M]], [[naproxen|M]] and other NSAIDs; "
                    "use [[acetaminophen|M]] for pain. [[Ferrous sulfate|M]] 325 mg daily. Repeat [[CBC|T]] in 2 weeks. "
                    "GI clinic in 6 weeks. Return immediately for black stools or [[vomiting blood|S]].",
        "prog_sym": ["epigastric pain", "lightheadedness"], "prog_neg": ["melena", "hematemesis"], "prog_med": ["pantoprazole"],
        "prog_test": ["hemoglobin", "CBC"], "prog_body": ["abdomen"],
        "prog_labs": [("Hemoglobin", 8.5, 9.6, "g/dL", "13.5-17.5"), ("BUN", 15, 30, "mg/dL", "7-20")],
    },
    {
        "sex": "F", "dept": "Pulmonology", "stay": 3,
        "cc": "[[Wheezing|S]] and [[chest tightness|S]] since yesterday.",
        "hpi": "29-year-old woman with [[asthma|D]] since childhood presents with 1 day of [[wheezing|S]], [[chest tightness|S]] and "
               "[[dry cough|S]] after a viral illness. Using her [[albuterol|M]] inhaler every 2 hours without relief. "
               "No [[fever|S!]]. No [[hemoptysis|S!]]. Not pregnant.",
        "pmh": "[[Asthma|D]] (one prior ICU admission, never intubated), [[allergic rhinitis|D]]. Medications: [[fluticasone|M]] inhaler "
               "(poor adherence), [[cetirizine|M]]. Allergy: [[aspirin|M]] (bronchospasm).",
        "exam": "RR 28, HR 112, SpO2 92% RA, speaking in short sentences. Diffuse expiratory wheeze over both [[lungs|B]], "
                "prolonged expiration. No accessory [[neck|B]] muscle use at rest.",
        "labs": [("[[Peak expiratory flow|T]]", "180", "L/min", "predicted 440"), ("[[Venous blood gas|T]] pCO2", "38", "mmHg", "38-50"),
                 ("[[Eosinophils|T]]", "0.6", "x10^9/L", "<0.5")],
        "imaging": "[[Chest X-ray|T]]: hyperinflation, no [[pneumothorax|D!]], no consolidation.",
        "dx": [("[[Asthma|D]], acute exacerbation, moderate to severe", "J45.909"), ("[[Allergic rhinitis|D]]", "J30.9")],
        "course": "Nebulized [[albuterol|M]] and [[ipratropium|M]] x 3, oral [[prednisone|M]] 40 mg daily, IV [[magnesium sulfate|M]] 2 g once. "
                  "Peak flow improved to 360 L/min by day 2. Inhaler technique reviewed.",
        "followup": "Complete [[prednisone|M]] 40 mg daily for 5 days total. Start [[budesonide-formoterol|M]] 2 puffs twice daily. "
                    "[[Albuterol|M]] as needed. Asthma action plan given. See your doctor within 1 week; repeat [[spirometry|T]] in 6 weeks. "
                    "Return if your peak flow drops below 220 or you cannot speak in full sentences.",
        "prog_sym": ["wheezing", "cough"], "prog_neg": ["fever", "chest pain"], "prog_med": ["prednisone", "albuterol"],
        "prog_test": ["peak expiratory flow", "spirometry"], "prog_body": ["lungs", "chest"],
        "prog_labs": [("Peak expiratory flow", 250, 380, "L/min", "predicted 440")],
    },
]

# --- dev split: tuned on; different patients, diseases and wording from the frozen test split ---

SCENARIOS["dev"]["zh"] = [
    {
        "sex": "男", "dept": "心血管内科", "stay": 9,
        "cc": "活动后[[胸闷|S]]、[[气短|S]]2年，加重伴[[双下肢水肿|S]]1周",
        "hpi": "患者2年前开始出现爬楼后[[胸闷|S]]、[[气短|S]]，休息可缓解。1周前感冒后症状加重，夜间不能平卧，"
               "出现[[双下肢水肿|S]]、[[尿少|S]]。无[[发热|S!]]，无[[咯血|S!]]，否认[[晕厥|S!]]。",
        "pmh": "[[冠心病|D]]病史6年，曾行冠脉支架植入术。[[高脂血症|D]]病史，服用[[瑞舒伐他汀|M]]。否认[[糖尿病|D!]]。",
        "exam": "BP 132/84mmHg，HR 92次/分。[[颈静脉|B]]怒张，[[双肺|B]]底可闻及湿啰音。[[心界|B]]向左下扩大，心尖部可闻及3/6级收缩期杂音。"
                "[[肝脏|B]]肋下2cm。[[双下肢|B]]凹陷性水肿。",
        "labs": [("[[NT-proBNP|T]]", "6820", "pg/ml", "<125"), ("[[肌钙蛋白I|T]]", "0.02", "ng/ml", "<0.04"),
                 ("[[肌酐|T]]", "118", "μmol/L", "57-111"), ("[[血钠|T]]", "134", "mmol/L", "137-147")],
        "imaging": "[[心脏彩超|T]]：[[左心室|B]]扩大，LVEF 35%。[[胸片|T]]：心影增大，双侧少量胸腔积液。",
        "dx": [("[[心力衰竭|D]]（心功能III级）", "I50.9"), ("[[冠心病|D]] 冠脉支架植入术后", "I25.10"), ("[[高脂血症|D]]", "E78.5")],
        "course": "予[[呋塞米|M]]静脉利尿，[[螺内酯|M]]20mg每日一次，[[美托洛尔|M]]缓释片23.75mg每日一次，"
                  "[[沙库巴曲缬沙坦|M]]50mg每日两次，继续[[阿司匹林|M]]、[[瑞舒伐他汀|M]]二级预防。体重下降4kg，水肿消退。",
        "followup": "1. 按时服药：[[托拉塞米|M]]10mg每日一次，[[螺内酯|M]]、[[美托洛尔|M]]、[[沙库巴曲缬沙坦|M]]同前。\n2. 低盐饮食，每日称体重。\n"
                    "3. 2周后心内科门诊复诊，复查[[肾功能|T]]及[[电解质|T]]。",
        "prog_sym": ["胸闷", "气短", "双下肢水肿"], "prog_neg": ["胸痛", "心悸"], "prog_med": ["呋塞米", "螺内酯"],
        "prog_test": ["电解质", "肾功能", "NT-proBNP"], "prog_body": ["双肺", "双下肢"],
        "prog_labs": [("肌酐", 90, 120, "μmol/L", "57-111"), ("血钾", 3.5, 4.8, "mmol/L", "3.5-5.3")],
    },
    {
        "sex": "女", "dept": "肝胆外科", "stay": 6,
        "cc": "[[右上腹痛|S]]2天，伴[[发热|S]]1天",
        "hpi": "患者2天前进食油腻食物后出现[[右上腹痛|S]]，呈持续性绞痛，向[[右肩背部|B]]放射，伴[[恶心|S]]、[[呕吐|S]]。1天前出现[[发热|S]]，"
               "体温38.5℃。无[[黄疸|S!]]，无[[陶土样便|S!]]。",
        "pmh": "发现[[胆结石|D]]3年，未治疗。否认[[高血压|D!]]、[[糖尿病|D!]]病史。",
        "exam": "T 38.4℃。[[皮肤|B]][[巩膜|B]]无黄染。[[右上腹|B]]压痛，Murphy征阳性，未触及包块。",
        "labs": [("[[白细胞计数|T]]", "13.1", "×10^9/L", "3.5-9.5"), ("[[总胆红素|T]]", "18", "μmol/L", "3.4-20.5"),
                 ("[[谷丙转氨酶|T]]", "46", "U/L", "7-40"), ("[[血淀粉酶|T]]", "62", "U/L", "35-135")],
        "imaging": "[[腹部B超|T]]：[[胆囊|B]]增大，壁厚毛糙，[[胆囊|B]]颈部结石嵌顿，[[胆总管|B]]未见扩张。",
        "dx": [("[[急性胆囊炎|D]]", "K81.0"), ("[[胆结石|D]]", "K80.20")],
        "course": "予禁食、补液，[[头孢哌酮舒巴坦|M]]抗感染，[[山莨菪碱|M]]解痉止痛，入院第3天行腹腔镜[[胆囊|B]]切除术，术后恢复顺利。",
        "followup": "1. 低脂饮食，逐步恢复正常饮食。\n2. 切口定期换药，术后7天拆线。\n3. 1个月后肝胆外科门诊复查[[肝功能|T]]。",
        "prog_sym": ["腹痛", "腹胀"], "prog_neg": ["发热", "黄疸"], "prog_med": ["头孢哌酮舒巴坦"], "prog_test": ["血常规", "肝功能"],
        "prog_body": ["腹部", "右上腹"], "prog_labs": [("白细胞计数", 5, 12, "×10^9/L", "3.5-9.5")],
    },
    {
        "sex": "男", "dept": "消化内科", "stay": 7,
        "cc": "[[黑便|S]]3天，[[头晕|S]]1天",
        "hpi": "患者3天前无诱因解[[黑便|S]]，每日2-3次，成形，1天前出现[[头晕|S]]、[[心慌|S]]、[[乏力|S]]。无[[呕血|S!]]，无[[腹痛|S!]]。"
               "近期因[[膝关节痛|S]]服用[[双氯芬酸|M]]。",
        "pmh": "[[骨关节炎|D]]病史5年。否认[[肝硬化|D!]]病史。否认饮酒史。",
        "exam": "P 108次/分，BP 98/60mmHg。[[睑结膜|B]]苍白。[[腹部|B]]软，剑突下轻压痛。",
        "labs": [("[[血红蛋白|T]]", "72", "g/L", "130-175"), ("[[大便潜血|T]]", "阳性", "", "阴性"),
                 ("[[尿素氮|T]]", "12.6", "mmol/L", "2.9-8.2"), ("[[血清铁蛋白|T]]", "11", "ng/ml", "30-400")],
        "imaging": "[[胃镜|T]]：[[胃窦|B]]大弯侧见一1.0cm溃疡，底覆白苔，未见活动性出血。[[幽门螺杆菌|T]]检测阳性。",
        "dx": [("[[消化性溃疡|D]]伴出血（胃窦溃疡）", "K27.9"), ("[[缺铁性贫血|D]]", "D50.9"), ("[[骨关节炎|D]]", "M19.90")],
        "course": "停用[[双氯芬酸|M]]，禁食，[[奥美拉唑|M]]静脉泵入，输注悬浮红细胞2单位。出血停止后予[[阿莫西林|M]]、[[克拉霉素|M]]、"
                  "[[艾司奥美拉唑|M]]及[[枸橼酸铋钾|M]]四联根除幽门螺杆菌治疗14天。",
        "followup": "1. 完成四联疗程，之后[[艾司奥美拉唑|M]]20mg每日一次至8周。\n2. 避免服用非甾体抗炎药。\n"
                    "3. 停药4周后复查[[碳13呼气试验|T]]，8周后复查[[胃镜|T]]。",
        "prog_sym": ["乏力", "头晕"], "prog_neg": ["黑便", "呕血"], "prog_med": ["奥美拉唑"], "prog_test": ["血常规", "大便潜血"],
        "prog_body": ["腹部"], "prog_labs": [("血红蛋白", 75, 95, "g/L", "130-175")],
    },
    {
        "sex": "女", "dept": "肾内科", "stay": 5,
        "cc": "[[尿频|S]]、[[尿急|S]]、[[尿痛|S]]3天，[[腰痛|S]]伴[[发热|S]]1天",
        "hpi": "患者3天前出现[[尿频|S]]、[[尿急|S]]、[[尿痛|S]]，1天前出现[[左侧腰痛|S]]，伴[[寒战|S]]、[[发热|S]]，体温39.0℃。"
               "无[[肉眼血尿|S!]]，无[[恶心|S!]]。",
        "pmh": "[[2型糖尿病|D]]病史4年，服用[[阿卡波糖|M]]。否认[[肾结石|D!]]病史。",
        "exam": "T 38.9℃。[[左肾区|B]]叩击痛阳性，[[输尿管|B]]走行区无压痛。",
        "labs": [("[[尿白细胞|T]]", "大量", "/HP", "0-5"), ("[[尿亚硝酸盐|T]]", "阳性", "", "阴性"),
                 ("[[白细胞计数|T]]", "14.2", "×10^9/L", "3.5-9.5"), ("[[空腹血糖|T]]", "9.8", "mmol/L", "3.9-6.1")],
        "imaging": "[[泌尿系超声|T]]：[[双肾|B]]大小正常，未见结石及积水。[[尿培养|T]]：大肠埃希菌。",
        "dx": [("[[尿路感染|D]]（急性肾盂肾炎）", "N39.0"), ("[[2型糖尿病|D]]", "E11.9")],
        "course": "予[[左氧氟沙星|M]]0.5g静脉滴注每日一次抗感染，多饮水，控制血糖。体温第2天恢复正常。",
        "followup": "1. 口服[[左氧氟沙星|M]]至满14天。\n2. 多饮水，勤排尿。\n3. 停药1周后复查[[尿常规|T]]，内分泌科随诊血糖。",
        "prog_sym": ["尿痛", "腰痛"], "prog_neg": ["发热", "寒战"], "prog_med": ["左氧氟沙星"], "prog_test": ["尿常规", "血常规"],
        "prog_body": ["左肾区"], "prog_labs": [("白细胞计数", 6, 12, "×10^9/L", "3.5-9.5")],
    },
    {
        "sex": "男", "dept": "风湿免疫科", "stay": 4,
        "cc": "[[右足第一跖趾关节红肿热痛|S]]2天",
        "hpi": "患者2天前饮酒后夜间突发[[右足|B]]第一跖趾关节剧烈疼痛，伴局部[[红肿|S]]，不能行走。无[[发热|S!]]。既往类似发作3次。",
        "pmh": "[[高血压|D]]病史5年，服用[[氢氯噻嗪|M]]。[[肥胖|D]]。否认[[类风湿关节炎|D!]]。",
        "exam": "[[右足|B]]第一跖趾关节红肿，皮温高，触痛明显，活动受限。[[耳廓|B]]未见痛风石。",
        "labs": [("[[血尿酸|T]]", "586", "μmol/L", "208-428"), ("[[红细胞沉降率|T]]", "42", "mm/h", "0-15"),
                 ("[[C反应蛋白|T]]", "36", "mg/L", "<10")],
        "imaging": "[[双能CT|T]]：[[右足|B]]第一跖趾关节周围尿酸盐沉积。",
        "dx": [("[[痛风|D]]急性发作", "M10.9"), ("[[高血压|D]]", "I10"), ("[[肥胖|D]]", "E66.9")],
        "course": "予[[秋水仙碱|M]]0.5mg每日两次，[[依托考昔|M]]120mg每日一次止痛，停用[[氢氯噻嗪|M]]，改[[氯沙坦|M]]降压。",
        "followup": "1. 急性期过后2周开始[[非布司他|M]]20mg每日一次降尿酸。\n2. 戒酒，低嘌呤饮食，多饮水。\n3. 1个月后复查[[血尿酸|T]]。",
        "prog_sym": ["关节痛"], "prog_neg": ["发热"], "prog_med": ["秋水仙碱"], "prog_test": ["血尿酸"], "prog_body": ["右足"],
        "prog_labs": [("血尿酸", 450, 560, "μmol/L", "208-428")],
    },
]

SCENARIOS["dev"]["en"] = [
    {
        "sex": "M", "dept": "Cardiology", "stay": 4,
        "cc": "Crushing [[chest pain|S]] for 2 hours.",
        "hpi": "61-year-old male smoker with 2 hours of central [[chest pain|S]] radiating to the left [[arm|B]], with [[diaphoresis|S]] and "
               "[[nausea|S]]. No [[syncope|S!]]. No [[abdominal pain|S!]]. Pain not reproducible on palpation.",
        "pmh": "[[Hypertension|D]], [[hyperlipidemia|D]], 40 pack-year smoker. Home meds: [[amlodipine|M]], [[simvastatin|M]].",
        "exam": "HR 88, BP 156/94, SpO2 97%. Diaphoretic. [[Heart|B]] regular, no murmurs. [[Lungs|B]] clear bilaterally. No leg edema.",
        "labs": [("[[Troponin T|T]] (hs)", "412", "ng/L", "<14"), ("[[LDL cholesterol|T]]", "162", "mg/dL", "<100"),
                 ("[[Hemoglobin|T]]", "14.8", "g/dL", "13.5-17.5")],
        "imaging": "[[ECG|T]]: ST elevation in leads II, III and aVF. [[Coronary angiography|T]]: 95% stenosis of the right coronary "
                   "[[artery|B]], stented. [[Echocardiogram|T]]: inferior hypokinesis, EF 50%.",
        "dx": [("[[Myocardial infarction|D]] (inferior STEMI) s/p PCI", "I21.9"), ("[[Hypertension|D]]", "I10"), ("[[Hyperlipidemia|D]]", "E78.5")],
        "course": "Loaded with [[aspirin|M]] 325 mg and [[ticagrelor|M]] 180 mg, IV [[heparin|M]] during PCI. Started [[atorvastatin|M]] 80 mg, "
                  "[[metoprolol tartrate|M]] 25 mg twice daily and [[lisinopril|M]] 5 mg. [[Simvastatin|M]] stopped.",
        "followup": "[[Aspirin|M]] 81 mg daily for life and [[ticagrelor|M]] 90 mg twice daily for 12 months; do not stop without talking to "
                    "your cardiologist. Cardiac rehab referral. Cardiology clinic in 2 weeks with [[lipid panel|T]] in 6 weeks. Stop smoking.",
        "prog_sym": ["chest discomfort", "fatigue"], "prog_neg": ["chest pain", "shortness of breath"], "prog_med": ["ticagrelor", "atorvastatin"],
        "prog_test": ["troponin", "ECG"], "prog_body": ["chest", "groin"], "prog_labs": [("Troponin T", 100, 400, "ng/L", "<14")],
    },
    {
        "sex": "F", "dept": "Neurology", "stay": 3,
        "cc": "Sudden [[left facial droop|S]] and [[slurred speech|S]].",
        "hpi": "77-year-old woman with sudden [[left arm weakness|S]], [[slurred speech|S]] and [[facial droop|S]] noticed at breakfast, "
               "last known well 07:30. No [[headache|S!]]. No [[seizure|S!]].",
        "pmh": "[[Atrial fibrillation|D]] not anticoagulated, [[hypertension|D]], [[hypothyroidism|D]] on [[levothyroxine|M]].",
        "exam": "NIHSS 7. Left facial droop, left [[arm|B]] drift, dysarthria. [[Pupils|B]] equal and reactive.",
        "labs": [("[[Glucose|T]]", "6.2", "mmol/L", "3.9-7.8"), ("[[TSH|T]]", "2.1", "mIU/L", "0.4-4.0"), ("[[INR|T]]", "1.0", "", "0.9-1.1")],
        "imaging": "[[CT head|T]]: no hemorrhage. [[CT angiography|T]]: right M2 occlusion. [[MRI brain|T]]: acute infarct in the right "
                   "frontal [[lobe|B]].",
        "dx": [("[[Ischemic stroke|D]], right MCA territory", "I63.9"), ("[[Atrial fibrillation|D]]", "I48.91"), ("[[Hypothyroidism|D]]", "E03.9")],
        "course": "IV [[alteplase|M]] given at 09:10, followed by thrombectomy with TICI 2b reperfusion. Started [[apixaban|M]] on day 3. "
                  "[[Atorvastatin|M]] 40 mg.",
        "followup": "[[Apixaban|M]] 5 mg twice daily, [[atorvastatin|M]] 40 mg nightly, continue [[levothyroxine|M]]. Outpatient physical and "
                    "speech therapy. Stroke clinic in 4 weeks. Call 911 for new weakness or trouble speaking.",
        "prog_sym": ["arm weakness", "slurred speech"], "prog_neg": ["headache", "vomiting"], "prog_med": ["apixaban", "atorvastatin"],
        "prog_test": ["CBC", "glucose"], "prog_body": ["arm", "face"], "prog_labs": [("Glucose", 5, 8, "mmol/L", "3.9-7.8")],
    },
    {
        "sex": "M", "dept": "Internal Medicine", "stay": 5,
        "cc": "[[Cough|S]], [[fever|S]] and [[pleuritic chest pain|S]] x 4 days.",
        "hpi": "55-year-old man with 4 days of productive [[cough|S]], [[fever|S]] to 39.4 C and right [[pleuritic chest pain|S]]. "
               "No [[hemoptysis|S!]]. No recent travel. No [[leg swelling|S!]].",
        "pmh": "[[COPD|D]] on [[tiotropium|M]]; [[gout|D]] on [[allopurinol|M]]. No [[tuberculosis|D!]].",
        "exam": "T 38.9 C, RR 24, SpO2 90% RA. Bronchial breathing and crackles at the right [[lung|B]] base.",
        "labs": [("[[WBC|T]]", "18.4", "x10^9/L", "4.0-11.0"), ("[[Procalcitonin|T]]", "2.4", "ng/mL", "<0.1"),
                 ("[[Sodium|T]]", "131", "mmol/L", "135-145")],
        "imaging": "[[Chest X-ray|T]]: right lower lobe consolidation. [[Sputum culture|T]]: Streptococcus pneumoniae.",
        "dx": [("[[Community-acquired pneumonia|D]], right lower lobe", "J18.9"), ("[[COPD|D]]", "J44.9"), ("[[Gout|D]]", "M10.9")],
        "course": "IV [[ceftriaxone|M]] plus [[azithromycin|M]], oxygen by nasal cannula, [[ipratropium|M]] nebulizers. Afebrile by day 3, "
                  "switched to oral [[amoxicillin|M]].",
        "followup": "[[Amoxicillin|M]] 1 g three times daily for 2 more days. Repeat [[chest X-ray|T]] in 6 weeks. GP review in 1 week.",
        "prog_sym": ["cough", "pleuritic chest pain"], "prog_neg": ["fever", "hemoptysis"], "prog_med": ["ceftriaxone", "azithromycin"],
        "prog_test": ["WBC", "CRP"], "prog_body": ["lung", "chest"], "prog_labs": [("WBC", 8, 16, "x10^9/L", "4.0-11.0")],
    },
    {
        "sex": "F", "dept": "Surgery", "stay": 3,
        "cc": "[[Right lower quadrant pain|S]] since last night.",
        "hpi": "24-year-old woman with [[periumbilical pain|S]] migrating to the right lower quadrant, [[anorexia|S]] and one episode of "
               "[[vomiting|S]]. No [[vaginal bleeding|S!]], no [[dysuria|S!]]. LMP 2 weeks ago.",
        "pmh": "No significant past medical history. No [[diabetes|D!]].",
        "exam": "T 37.8 C. Tender at McBurney's point with rebound. Rovsing sign positive. [[Pelvis|B]] exam unremarkable.",
        "labs": [("[[WBC|T]]", "14.1", "x10^9/L", "4.0-11.0"), ("[[Urine hCG|T]]", "negative", "", "negative"), ("[[CRP|T]]", "44", "mg/L", "<5")],
        "imaging": "[[CT abdomen and pelvis|T]]: dilated [[appendix|B]] 11 mm with periappendiceal fat stranding.",
        "dx": [("[[Acute appendicitis|D]]", "K35.80")],
        "course": "Laparoscopic appendectomy on the day of admission. Perioperative [[cefoxitin|M]]. Pain controlled with [[acetaminophen|M]] "
                  "and [[oxycodone|M]].",
        "followup": "[[Acetaminophen|M]] 1 g every 6 hours as needed. No heavy lifting for 2 weeks. Surgical clinic in 10 days.",
        "prog_sym": ["incisional pain"], "prog_neg": ["fever", "vomiting"], "prog_med": ["acetaminophen"], "prog_test": ["CBC"],
        "prog_body": ["abdomen"], "prog_labs": [("WBC", 6, 12, "x10^9/L", "4.0-11.0")],
    },
    {
        "sex": "M", "dept": "Endocrinology", "stay": 3,
        "cc": "[[Polyuria|S]], [[polydipsia|S]] and [[abdominal pain|S]].",
        "hpi": "19-year-old man with [[type 1 diabetes|D]] with 2 days of [[polyuria|S]], [[polydipsia|S]], [[abdominal pain|S]] and "
               "[[vomiting|S]] after missing insulin doses. No [[fever|S!]]. No [[chest pain|S!]].",
        "pmh": "[[Type 1 diabetes mellitus|D]] since age 11 on [[insulin lispro|M]] and [[insulin glargine|M]]. [[Depression|D]] on [[sertraline|M]].",
        "exam": "HR 122, RR 30 with Kussmaul breathing. Dry [[mucous membranes|B]]. Diffuse [[abdominal|B]] tenderness, no peritonism.",
        "labs": [("[[Glucose|T]]", "32.1", "mmol/L", "3.9-7.8"), ("[[Beta-hydroxybutyrate|T]]", "6.2", "mmol/L", "<0.6"),
                 ("[[Arterial blood gas|T]] pH", "7.08", "", "7.35-7.45"), ("[[Potassium|T]]", "5.8", "mmol/L", "3.5-5.1")],
        "imaging": "[[ECG|T]]: sinus tachycardia, peaked T waves.",
        "dx": [("[[Diabetic ketoacidosis|D]]", "E11.10"), ("[[Type 1 diabetes mellitus|D]]", "E10.9"), ("[[Depression|D]]", "F32.A")],
        "course": "Fixed-rate IV [[insulin|M]] infusion, IV fluids, potassium replacement. DKA resolved in 18 hours; back on basal-bolus.",
        "followup": "[[Insulin glargine|M]] 22 units nightly and [[insulin lispro|M]] with meals. Sick-day rules reviewed. Diabetes clinic in "
                    "1 week, [[HbA1c|T]] in 3 months.",
        "prog_sym": ["abdominal pain", "thirst"], "prog_neg": ["vomiting", "fever"], "prog_med": ["insulin", "insulin glargine"],
        "prog_test": ["glucose", "potassium"], "prog_body": ["abdomen"], "prog_labs": [("Glucose", 6, 15, "mmol/L", "3.9-7.8")],
    },
]
