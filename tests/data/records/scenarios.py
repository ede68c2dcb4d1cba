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
