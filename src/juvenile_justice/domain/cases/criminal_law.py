"""Specific provisions (分则) of the PRC Criminal Law: articles, chapters and crime names (罪名).

Pure data and lookups; no I/O. Covers Articles 102–451 and the 之一…之六 articles inserted by
Amendments I–XII (written ``"133-1"``), each with its chapter (1–10), section (节, chapters 3 and 6
only) and the crime names fixed by the SPC/SPP determinations of crime names (最高人民法院、最高人民检察院
《关于执行〈中华人民共和国刑法〉确定罪名的规定》 and Supplementary Provisions 1–8, the last of 2024
renaming Art 169). The table holds the 482 current names of the Criminal Law (the 483rd current
name, 骗购外汇罪, is in the 1998 NPCSC decision on foreign exchange, not in the Criminal Law).

Shapes:

* article keys: ``"264"``, ``"133-1"`` (之一 → ``-1``); see :func:`normalize_article` for the
  accepted spellings (``第二百六十四条``, ``264条``, ``133之一``, ``刑法第237条第三款``…).
* ``crime_names``: the canonical names defined in the article, plus, for the articles that
  expressly direct conviction under another article (e.g. 269 → 抢劫罪, 292(2) → 故意伤害罪 /
  故意杀人罪, 183 → 职务侵占罪 / 贪污罪), the name so applied, because charging documents cite both
  articles. An empty tuple means the article defines no crime of its own (e.g. 106, 113, 200, 420);
  any non-empty name is then accepted.
* selective names (选择性罪名) such as 走私、贩卖、运输、制造毒品罪 may be charged in part
  (贩卖毒品罪, 贩卖、运输毒品罪); :func:`check_charge` accepts every order-preserving non-empty
  selection (``{走私|贩卖|运输|制造}毒品罪`` in the table below).
* ``former_names``: names used before a renaming (原罪名, e.g. 强制猥亵妇女罪 before 2015); accepted
  unless ``allow_former_names=False``. Repealed provisions are not: Art 199 (deleted by Amendment
  IX) and 嫖宿幼女罪 (Art 360(2), deleted by Amendment IX).

Name comparison ignores whitespace, folds full-width forms (NFKC), treats ``，``/``,`` as ``、``
and ``账`` as ``帐``, and adds a missing final ``罪``.
"""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata
from dataclasses import dataclass

CHAPTERS: dict[int, str] = {
    1: "危害国家安全罪",
    2: "危害公共安全罪",
    3: "破坏社会主义市场经济秩序罪",
    4: "侵犯公民人身权利、民主权利罪",
    5: "侵犯财产罪",
    6: "妨害社会管理秩序罪",
    7: "危害国防利益罪",
    8: "贪污贿赂罪",
    9: "渎职罪",
    10: "军人违反职责罪",
}
"""Chapter number → title of Part II (分则) of the Criminal Law."""

SECTIONS: dict[tuple[int, int], str] = {
    (3, 1): "生产、销售伪劣商品罪",
    (3, 2): "走私罪",
    (3, 3): "妨害对公司、企业的管理秩序罪",
    (3, 4): "破坏金融管理秩序罪",
    (3, 5): "金融诈骗罪",
    (3, 6): "危害税收征管罪",
    (3, 7): "侵犯知识产权罪",
    (3, 8): "扰乱市场秩序罪",
    (6, 1): "扰乱公共秩序罪",
    (6, 2): "妨害司法罪",
    (6, 3): "妨害国（边）境管理罪",
    (6, 4): "妨害文物管理罪",
    (6, 5): "危害公共卫生罪",
    (6, 6): "破坏环境资源保护罪",
    (6, 7): "走私、贩卖、运输、制造毒品罪",
    (6, 8): "组织、强迫、引诱、容留、介绍卖淫罪",
    (6, 9): "制作、贩卖、传播淫秽物品罪",
}
"""(chapter, section) → section title; only chapters 3 and 6 are divided into sections."""

FIRST_ARTICLE = 102
LAST_ARTICLE = 451

_CHAPTER_STARTS = (102, 114, 140, 232, 263, 277, 368, 382, 397, 420)
_SECTION_STARTS = {
    3: (140, 151, 158, 170, 192, 201, 213, 221),
    6: (277, 305, 318, 324, 330, 338, 347, 358, 363),
}

REPEALED: dict[str, str] = {"199": "刑法修正案（九）删去 / repealed by Amendment IX (2015)"}
"""Articles that no longer exist, with the repealing act."""

_CN_ORDINALS = "零一二三四五六七八九十"

# One entry per article that defines or applies crime names: "<article> <name> | <name> ...";
# an indented line starting with "|" continues the previous article. "{a|b|c}" marks a selective
# part (选择性罪名): the canonical name joins the parts with "、".
_TABLE = """
102 背叛国家罪
103 分裂国家罪 | 煽动分裂国家罪
104 武装{叛乱|暴乱}罪
105 颠覆国家政权罪 | 煽动颠覆国家政权罪
107 资助危害国家安全犯罪活动罪
108 投敌叛变罪
109 叛逃罪
110 间谍罪
111 为境外{窃取|刺探|收买|非法提供}国家{秘密|情报}罪
112 资敌罪
114 放火罪 | 决水罪 | 爆炸罪 | 投放危险物质罪 | 以危险方法危害公共安全罪
115 放火罪 | 决水罪 | 爆炸罪 | 投放危险物质罪 | 以危险方法危害公共安全罪 | 失火罪 | 过失决水罪
    | 过失爆炸罪 | 过失投放危险物质罪 | 过失以危险方法危害公共安全罪
116 破坏交通工具罪
117 破坏交通设施罪
118 破坏电力设备罪 | 破坏易燃易爆设备罪
119 破坏交通工具罪 | 破坏交通设施罪 | 破坏电力设备罪 | 破坏易燃易爆设备罪 | 过失损坏交通工具罪
    | 过失损坏交通设施罪 | 过失损坏电力设备罪 | 过失损坏易燃易爆设备罪
120 {组织|领导|参加}恐怖组织罪
120-1 帮助恐怖活动罪
120-2 准备实施恐怖活动罪
120-3 宣扬恐怖主义、极端主义、煽动实施恐怖活动罪
120-4 利用极端主义破坏法律实施罪
120-5 强制穿戴宣扬恐怖主义、极端主义服饰、标志罪
120-6 非法持有宣扬恐怖主义、极端主义物品罪
121 劫持航空器罪
122 劫持{船只|汽车}罪
123 暴力危及飞行安全罪
124 破坏{广播电视设施|公用电信设施}罪 | 过失损坏{广播电视设施|公用电信设施}罪
125 非法{制造|买卖|运输|邮寄|储存}{枪支|弹药|爆炸物}罪 | 非法{制造|买卖|运输|储存}危险物质罪
126 违规{制造|销售}枪支罪
127 {盗窃|抢夺}{枪支|弹药|爆炸物|危险物质}罪 | 抢劫{枪支|弹药|爆炸物|危险物质}罪
128 {非法持有|私藏}{枪支|弹药}罪 | 非法{出租|出借}枪支罪
129 丢失枪支不报罪
130 非法携带枪支、弹药、管制刀具、危险物品危及公共安全罪
131 重大飞行事故罪
132 铁路运营安全事故罪
133 交通肇事罪
133-1 危险驾驶罪
133-2 妨害安全驾驶罪
134 重大责任事故罪 | {强令|组织}他人违章冒险作业罪
134-1 危险作业罪
135 重大劳动安全事故罪
135-1 大型群众性活动重大安全事故罪
136 危险物品肇事罪
137 工程重大安全事故罪
138 教育设施重大安全事故罪
139 消防责任事故罪
139-1 {不报|谎报}安全事故罪
140 {生产|销售}伪劣产品罪
141 {生产|销售|提供}假药罪
142 {生产|销售|提供}劣药罪
142-1 妨害药品管理罪
143 {生产|销售}不符合安全标准的食品罪
144 {生产|销售}{有毒|有害}食品罪
145 {生产|销售}不符合标准的医用器材罪
146 {生产|销售}不符合安全标准的产品罪
147 {生产|销售}伪劣{农药|兽药|化肥|种子}罪
148 {生产|销售}不符合卫生标准的化妆品罪
151 走私{武器|弹药}罪 | 走私核材料罪 | 走私假币罪 | 走私文物罪 | 走私贵重金属罪
    | 走私{珍贵动物|珍贵动物制品}罪 | 走私国家禁止进出口的{货物|物品}罪
152 走私淫秽物品罪 | 走私废物罪
153 走私普通{货物|物品}罪
158 虚报注册资本罪
159 {虚假出资|抽逃出资}罪
160 欺诈发行证券罪
161 {违规披露|不披露}重要信息罪
162 妨害清算罪
162-1 {隐匿|故意销毁}{会计凭证|会计帐簿|财务会计报告}罪
162-2 虚假破产罪
163 非国家工作人员受贿罪 | 受贿罪
164 对非国家工作人员行贿罪 | 对{外国公职人员|国际公共组织官员}行贿罪
165 非法经营同类营业罪
166 为亲友非法牟利罪
167 {签订|履行}合同失职被骗罪
168 国有{公司|企业|事业单位}人员失职罪 | 国有{公司|企业|事业单位}人员滥用职权罪
169 徇私舞弊{低价折股|出售}{公司|企业}资产罪
169-1 背信损害上市公司利益罪
170 伪造货币罪
171 {出售|购买|运输}假币罪 | 金融工作人员{购买假币|以假币换取货币}罪
172 {持有|使用}假币罪
173 变造货币罪
174 擅自设立金融机构罪 | {伪造|变造|转让}金融机构{经营许可证|批准文件}罪
175 高利转贷罪
175-1 骗取{贷款|票据承兑|金融票证}罪
176 非法吸收公众存款罪
177 {伪造|变造}金融票证罪
177-1 妨害信用卡管理罪 | {窃取|收买|非法提供}信用卡信息罪
178 {伪造|变造}国家有价证券罪 | 伪造、变造股票、公司、企业债券罪
179 擅自发行股票、公司、企业债券罪
180 {内幕交易|泄露内幕信息}罪 | 利用未公开信息交易罪
181 编造并传播{证券|期货}交易虚假信息罪 | 诱骗投资者买卖{证券|期货}合约罪
182 操纵{证券|期货}市场罪
183 职务侵占罪 | 贪污罪
184 非国家工作人员受贿罪 | 受贿罪
185 挪用资金罪 | 挪用公款罪
185-1 背信运用受托财产罪 | 违法运用资金罪
186 违法发放贷款罪
187 吸收客户资金不入帐罪
188 违规出具金融票证罪
189 对违法票据{承兑|付款|保证}罪
190 逃汇罪
191 洗钱罪
192 集资诈骗罪
193 贷款诈骗罪
194 票据诈骗罪 | 金融凭证诈骗罪
195 信用证诈骗罪
196 信用卡诈骗罪 | 盗窃罪
197 有价证券诈骗罪
198 保险诈骗罪
201 逃税罪
202 抗税罪
203 逃避追缴欠税罪
204 骗取出口退税罪 | 逃税罪
205 虚开增值税专用发票、用于骗取出口退税、抵扣税款发票罪
205-1 虚开发票罪
206 {伪造|出售伪造的}增值税专用发票罪
207 非法出售增值税专用发票罪
208 非法购买增值税专用发票、购买伪造的增值税专用发票罪
209 非法制造、出售非法制造的用于骗取出口退税、抵扣税款发票罪 | 非法制造、出售非法制造的发票罪
    | 非法出售用于骗取出口退税、抵扣税款发票罪 | 非法出售发票罪
210 盗窃罪 | 诈骗罪
210-1 持有伪造的发票罪
213 假冒注册商标罪
214 销售假冒注册商标的商品罪
215 {非法制造|销售非法制造的}注册商标标识罪
216 假冒专利罪
217 侵犯著作权罪
218 销售侵权复制品罪
219 侵犯商业秘密罪
219-1 为境外{窃取|刺探|收买|非法提供}商业秘密罪
221 损害{商业信誉|商品声誉}罪
222 虚假广告罪
223 串通投标罪
224 合同诈骗罪
224-1 {组织|领导}传销活动罪
225 非法经营罪
226 强迫交易罪
227 {伪造|倒卖伪造的}有价票证罪 | 倒卖{车票|船票}罪
228 非法{转让|倒卖}土地使用权罪
229 提供虚假证明文件罪 | 出具证明文件重大失实罪
230 逃避商检罪
232 故意杀人罪
233 过失致人死亡罪
234 故意伤害罪
234-1 组织出卖人体器官罪
235 过失致人重伤罪
236 强奸罪
236-1 负有照护职责人员性侵罪
237 强制{猥亵|侮辱}罪 | 猥亵儿童罪
238 非法拘禁罪 | 故意伤害罪 | 故意杀人罪
239 绑架罪
240 拐卖{妇女|儿童}罪
241 收买被拐卖的{妇女|儿童}罪 | 强奸罪 | 拐卖{妇女|儿童}罪
242 妨害公务罪 | 聚众阻碍解救被收买的{妇女|儿童}罪
243 诬告陷害罪
244 强迫劳动罪
244-1 雇用童工从事危重劳动罪
245 非法搜查罪 | 非法侵入住宅罪
246 侮辱罪 | 诽谤罪
247 刑讯逼供罪 | 暴力取证罪 | 故意伤害罪 | 故意杀人罪
248 虐待被监管人罪 | 故意伤害罪 | 故意杀人罪
249 煽动{民族仇恨|民族歧视}罪
250 出版{歧视|侮辱}少数民族作品罪
251 非法剥夺公民宗教信仰自由罪 | 侵犯少数民族风俗习惯罪
252 侵犯通信自由罪
253 {私自开拆|隐匿|毁弃}{邮件|电报}罪 | 盗窃罪
253-1 侵犯公民个人信息罪
254 报复陷害罪
255 打击报复{会计|统计}人员罪
256 破坏选举罪
257 暴力干涉婚姻自由罪
258 重婚罪
259 破坏军婚罪 | 强奸罪
260 虐待罪
260-1 虐待被{监护|看护}人罪
261 遗弃罪
262 拐骗儿童罪
262-1 组织{残疾人|儿童}乞讨罪
262-2 组织未成年人进行违反治安管理活动罪
263 抢劫罪
264 盗窃罪
265 盗窃罪
266 诈骗罪
267 抢夺罪 | 抢劫罪
268 聚众哄抢罪
269 抢劫罪
270 侵占罪
271 职务侵占罪 | 贪污罪
272 挪用资金罪 | 挪用公款罪
273 挪用特定款物罪
274 敲诈勒索罪
275 故意毁坏财物罪
276 破坏生产经营罪
276-1 拒不支付劳动报酬罪
277 妨害公务罪 | 袭警罪
278 煽动暴力抗拒法律实施罪
279 招摇撞骗罪
280 {伪造|变造|买卖}国家机关{公文|证件|印章}罪 | {盗窃|抢夺|毁灭}国家机关{公文|证件|印章}罪
    | 伪造{公司|企业|事业单位|人民团体}印章罪 | {伪造|变造|买卖}身份证件罪
280-1 {使用虚假身份证件|盗用身份证件}罪
280-2 冒名顶替罪
281 非法{生产|买卖}警用装备罪
282 非法获取国家秘密罪 | 非法持有国家{绝密|机密}{文件|资料|物品}罪
283 非法生产、销售专用间谍器材、窃听、窃照专用器材罪
284 非法使用{窃听|窃照}专用器材罪
284-1 组织考试作弊罪 | 非法{出售|提供}{试题|答案}罪 | 代替考试罪
285 非法侵入计算机信息系统罪 | {非法获取计算机信息系统数据|非法控制计算机信息系统}罪
    | 提供{侵入|非法控制}计算机信息系统{程序|工具}罪
286 破坏计算机信息系统罪
286-1 拒不履行信息网络安全管理义务罪
287-1 非法利用信息网络罪
287-2 帮助信息网络犯罪活动罪
288 扰乱无线电通讯管理秩序罪
289 故意伤害罪 | 故意杀人罪 | 抢劫罪
290 聚众扰乱社会秩序罪 | 聚众冲击国家机关罪 | 扰乱国家机关工作秩序罪 | {组织|资助}非法聚集罪
291 聚众扰乱{公共场所秩序|交通秩序}罪
291-1 投放虚假危险物质罪 | {编造|故意传播}虚假恐怖信息罪 | {编造|故意传播}虚假信息罪
291-2 高空抛物罪
292 聚众斗殴罪 | 故意伤害罪 | 故意杀人罪
293 寻衅滋事罪
293-1 催收非法债务罪
294 {组织|领导|参加}黑社会性质组织罪 | 入境发展黑社会组织罪 | {包庇|纵容}黑社会性质组织罪
295 传授犯罪方法罪
296 非法{集会|游行|示威}罪
297 非法携带{武器|管制刀具|爆炸物}参加{集会|游行|示威}罪
298 破坏{集会|游行|示威}罪
299 侮辱{国旗|国徽|国歌}罪
299-1 侵害英雄烈士{名誉|荣誉}罪
300 组织、利用会道门、邪教组织、利用迷信破坏法律实施罪
    | 组织、利用会道门、邪教组织、利用迷信致人重伤、死亡罪
301 聚众淫乱罪 | 引诱未成年人聚众淫乱罪
302 {盗窃|侮辱|故意毁坏}{尸体|尸骨|骨灰}罪
303 赌博罪 | 开设赌场罪 | 组织参与国（境）外赌博罪
304 故意延误投递邮件罪
305 伪证罪
306 辩护人、诉讼代理人毁灭证据、伪造证据、妨害作证罪
307 妨害作证罪 | 帮助{毁灭|伪造}证据罪
307-1 虚假诉讼罪
308 打击报复证人罪
308-1 泄露不应公开的案件信息罪 | {披露|报道}不应公开的案件信息罪
309 扰乱法庭秩序罪
310 {窝藏|包庇}罪
311 拒绝提供间谍犯罪、恐怖主义犯罪、极端主义犯罪证据罪
312 {掩饰|隐瞒}{犯罪所得|犯罪所得收益}罪
313 拒不执行{判决|裁定}罪
314 非法处置{查封|扣押|冻结}的财产罪
315 破坏监管秩序罪
316 脱逃罪 | 劫夺被押解人员罪
317 组织越狱罪 | 暴动越狱罪 | 聚众持械劫狱罪
318 组织他人偷越国（边）境罪
319 骗取出境证件罪
320 提供{伪造|变造}的出入境证件罪 | 出售出入境证件罪
321 运送他人偷越国（边）境罪
322 偷越国（边）境罪
323 破坏{界碑|界桩}罪 | 破坏永久性测量标志罪
324 故意损毁文物罪 | 故意损毁名胜古迹罪 | 过失损毁文物罪
325 非法向外国人{出售|赠送}珍贵文物罪
326 倒卖文物罪
327 非法{出售|私赠}文物藏品罪
328 盗掘{古文化遗址|古墓葬}罪 | 盗掘{古人类化石|古脊椎动物化石}罪
329 {抢夺|窃取}国有档案罪 | 擅自{出卖|转让}国有档案罪
330 妨害传染病防治罪
331 传染病{菌种|毒种}扩散罪
332 妨害国境卫生检疫罪
333 非法组织卖血罪 | 强迫卖血罪 | 故意伤害罪
334 非法采集、供应血液、制作、供应血液制品罪 | 采集、供应血液、制作、供应血液制品事故罪
334-1 {非法采集人类遗传资源|走私人类遗传资源材料}罪
335 医疗事故罪
336 非法行医罪 | 非法进行节育手术罪
336-1 非法植入{基因编辑|克隆}胚胎罪
337 妨害动植物{防疫|检疫}罪
338 污染环境罪
339 非法处置进口的固体废物罪 | 擅自进口固体废物罪
340 非法捕捞水产品罪
341 危害{珍贵|濒危}野生动物罪 | 非法狩猎罪 | 非法{猎捕|收购|运输|出售}陆生野生动物罪
342 非法占用农用地罪
342-1 破坏自然保护地罪
343 非法采矿罪 | 破坏性采矿罪
344 危害国家重点保护植物罪
344-1 非法{引进|释放|丢弃}外来入侵物种罪
345 盗伐林木罪 | 滥伐林木罪 | 非法{收购|运输}{盗伐|滥伐}的林木罪
347 {走私|贩卖|运输|制造}毒品罪
348 非法持有毒品罪
349 包庇毒品犯罪分子罪 | {窝藏|转移|隐瞒}{毒品|毒赃}罪
350 非法生产、买卖、运输制毒物品、走私制毒物品罪
351 非法种植毒品原植物罪
352 非法{买卖|运输|携带|持有}毒品原植物{种子|幼苗}罪
353 {引诱|教唆|欺骗}他人吸毒罪 | 强迫他人吸毒罪
354 容留他人吸毒罪
355 非法提供{麻醉药品|精神药品}罪
355-1 妨害兴奋剂管理罪
358 组织卖淫罪 | 强迫卖淫罪 | 协助组织卖淫罪
359 {引诱|容留|介绍}卖淫罪 | 引诱幼女卖淫罪
360 传播性病罪
362 {窝藏|包庇}罪
363 {制作|复制|出版|贩卖|传播}淫秽物品牟利罪 | 为他人提供书号出版淫秽书刊罪
364 传播淫秽物品罪 | 组织播放淫秽音像制品罪
365 组织淫秽表演罪
368 阻碍军人执行职务罪 | 阻碍军事行动罪
369 破坏{武器装备|军事设施|军事通信}罪 | 过失损坏{武器装备|军事设施|军事通信}罪
370 故意提供不合格{武器装备|军事设施}罪 | 过失提供不合格{武器装备|军事设施}罪
371 聚众冲击军事禁区罪 | 聚众扰乱军事管理区秩序罪
372 冒充军人招摇撞骗罪
373 煽动军人逃离部队罪 | 雇用逃离部队军人罪
374 接送不合格兵员罪
375 {伪造|变造|买卖}武装部队{公文|证件|印章}罪 | {盗窃|抢夺}武装部队{公文|证件|印章}罪
    | 非法{生产|买卖}武装部队制式服装罪 | {伪造|盗窃|买卖|非法提供|非法使用}武装部队专用标志罪
376 战时{拒绝|逃避}{征召|军事训练}罪 | 战时{拒绝|逃避}服役罪
377 战时故意提供虚假敌情罪
378 战时造谣扰乱军心罪
379 战时窝藏逃离部队军人罪
380 战时{拒绝|故意延误}军事订货罪
381 战时拒绝军事{征收|征用}罪
382 贪污罪
383 贪污罪
384 挪用公款罪
385 受贿罪
386 受贿罪
387 单位受贿罪
388 受贿罪
388-1 利用影响力受贿罪
389 行贿罪
390 行贿罪
390-1 对有影响力的人行贿罪
391 对单位行贿罪
392 介绍贿赂罪
393 单位行贿罪 | 行贿罪
394 贪污罪
395 巨额财产来源不明罪 | 隐瞒境外存款罪
396 私分国有资产罪 | 私分罚没财物罪
397 滥用职权罪 | 玩忽职守罪
398 故意泄露国家秘密罪 | 过失泄露国家秘密罪
399 徇私枉法罪 | {民事|行政}枉法裁判罪 | 执行{判决|裁定}失职罪 | 执行{判决|裁定}滥用职权罪
399-1 枉法仲裁罪
400 私放在押人员罪 | 失职致使在押人员脱逃罪
401 徇私舞弊{减刑|假释|暂予监外执行}罪
402 徇私舞弊不移交刑事案件罪
403 滥用管理{公司|证券}职权罪
404 徇私舞弊{不征|少征}税款罪
405 徇私舞弊{发售发票|抵扣税款|出口退税}罪 | 违法提供出口退税凭证罪
406 国家机关工作人员{签订|履行}合同失职被骗罪
407 违法发放林木采伐许可证罪
408 环境监管失职罪
408-1 {食品|药品}监管渎职罪
409 传染病防治失职罪
410 非法批准{征收|征用|占用}土地罪 | 非法低价出让国有土地使用权罪
411 放纵走私罪
412 商检徇私舞弊罪 | 商检失职罪
413 动植物检疫徇私舞弊罪 | 动植物检疫失职罪
414 放纵制售伪劣商品犯罪行为罪
415 办理偷越国（边）境人员出入境证件罪 | 放行偷越国（边）境人员罪
416 不解救被{拐卖|绑架}{妇女|儿童}罪 | 阻碍解救被{拐卖|绑架}{妇女|儿童}罪
417 帮助犯罪分子逃避处罚罪
418 招收{公务员|学生}徇私舞弊罪
419 失职造成珍贵文物{损毁|流失}罪
421 战时违抗命令罪
422 {隐瞒|谎报}军情罪 | {拒传|假传}军令罪
423 投降罪
424 战时临阵脱逃罪
425 {擅离|玩忽}军事职守罪
426 阻碍执行军事职务罪
427 指使部属违反职责罪
428 违令作战消极罪
429 拒不救援友邻部队罪
430 军人叛逃罪
431 非法获取军事秘密罪 | 为境外{窃取|刺探|收买|非法提供}军事秘密罪
432 故意泄露军事秘密罪 | 过失泄露军事秘密罪
433 战时造谣惑众罪
434 战时自伤罪
435 逃离部队罪
436 武器装备肇事罪
437 擅自改变武器装备编配用途罪
438 {盗窃|抢夺}{武器装备|军用物资}罪
439 非法{出卖|转让}武器装备罪
440 遗弃武器装备罪
441 遗失武器装备罪
442 擅自{出卖|转让}军队房地产罪
443 虐待部属罪
444 遗弃伤病军人罪
445 战时拒不救治伤病军人罪
446 战时{残害居民|掠夺居民财物}罪
447 私放俘虏罪
448 虐待俘虏罪
"""

# Former names (原罪名) replaced by a later determination; same syntax.
_FORMER = """
120-1 资助恐怖活动罪
134 强令违章冒险作业罪
141 {生产|销售}假药罪
142 {生产|销售}劣药罪
143 {生产|销售}不符合卫生标准的食品罪
151 走私{珍稀植物|珍稀植物制品}罪
152 走私固体废物罪
160 欺诈发行{股票|债券}罪
161 提供虚假财会报告罪
163 公司、企业人员受贿罪
164 对公司、企业人员行贿罪
168 国有{公司|企业}人员失职罪 | 国有{公司|企业}人员滥用职权罪
169 徇私舞弊{低价折股|出售}国有资产罪
186 违法向关系人发放贷款罪
187 用帐外客户资金非法拆借、发放贷款罪
188 非法出具金融票证罪
201 偷税罪
237 强制{猥亵|侮辱}妇女罪
244 强迫职工劳动罪
253-1 {出售|非法提供}公民个人信息罪 | 非法获取公民个人信息罪
280 {伪造|变造}居民身份证罪
299 侮辱{国旗|国徽}罪
300 组织、利用会道门、邪教组织、利用迷信致人死亡罪
302 {盗窃|侮辱}尸体罪
312 {窝藏|转移|收购|销售}赃物罪
338 重大环境污染事故罪
341 非法{猎捕|杀害}{珍贵|濒危}野生动物罪
    | 非法收购、运输、出售珍贵、濒危野生动物、珍贵、濒危野生动物制品罪
342 非法占用耕地罪
344 非法{采伐|毁坏}国家重点保护植物罪
    | 非法收购、运输、加工、出售国家重点保护植物、国家重点保护植物制品罪
345 非法收购盗伐、滥伐的林木罪
375 非法{生产|买卖}军用标志罪
381 战时拒绝军事征用罪
399 枉法裁判罪
406 国家机关工作人员签订、履行合同失职罪
408-1 食品监管渎职罪
410 非法批准{征用|占用}土地罪
"""


@dataclass(frozen=True, slots=True)
class ArticleInfo:
    """One article of the specific provisions.

    Attributes:
        article: normalised key, ``"264"`` or ``"133-1"``.
        chapter: 1–10.
        chapter_title: e.g. ``"侵犯财产罪"`` (see :attr:`chapter_label` for ``第五章 侵犯财产罪``).
        crime_names: canonical 罪名 (see the module docstring); empty = no crime of its own.
        section: 节 number within chapters 3 and 6, else ``None``.
        section_title: the section's title, else ``None``.
        former_names: names used before a renaming (原罪名).
        repealed: the article was deleted (Art 199).
    """

    article: str
    chapter: int
    chapter_title: str
    crime_names: tuple[str, ...]
    section: int | None = None
    section_title: str | None = None
    former_names: tuple[str, ...] = ()
    repealed: bool = False

    @property
    def label(self) -> str:
        """Chinese citation form: ``第264条``, ``第133条之一``."""
        base, _, sub = self.article.partition("-")
        return f"第{base}条" + (f"之{_CN_ORDINALS[int(sub)]}" if sub else "")

    @property
    def chapter_label(self) -> str:
        """``第五章 侵犯财产罪``."""
        return f"第{_cn_number(self.chapter)}章 {self.chapter_title}"


class UnknownCharge(ValueError):
    """A (crime name, article) pair that the table does not support; the message says which part."""


# --------------------------------------------------------------------------------------------
# Parsing helpers


_GROUP = re.compile(r"\{([^{}]+)\}")


def _expand(pattern: str) -> tuple[str, frozenset[str]]:
    """Canonical name and every accepted selection of a ``{a|b}`` pattern."""
    parts = _GROUP.split(pattern)
    canonical = "".join(p if i % 2 == 0 else "、".join(p.split("|")) for i, p in enumerate(parts))
    choices: list[list[str]] = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            choices.append([part])
        else:
            alts = part.split("|")
            choices.append(["、".join(c) for r in range(1, len(alts) + 1) for c in itertools.combinations(alts, r)])
    return canonical, frozenset("".join(combo) for combo in itertools.product(*choices))


def _norm_name(name: str) -> str:
    """Comparison form of a crime name (see the module docstring)."""
    text = "".join(unicodedata.normalize("NFKC", name).split())
    text = text.replace(",", "、").replace("账", "帐")
    if text and not text.endswith("罪"):
        text += "罪"
    return text


def _parse_block(block: str) -> dict[str, list[tuple[str, frozenset[str]]]]:
    """``{article: [(canonical, variants), ...]}`` from a table block."""
    out: dict[str, list[tuple[str, frozenset[str]]]] = {}
    article = ""
    for line in block.strip().splitlines():
        if line.startswith(" "):  # continuation: "    | more names" for the previous article
            names = line.strip().removeprefix("|")
        else:
            article, _, names = line.partition(" ")
            out[article] = []
        out[article].extend(_expand(item) for item in _split_names(names))
    return out


def _split_names(names: str) -> list[str]:
    """Split ``a | b{x|y}c`` on the top-level ``" | "`` separators only."""
    return [item.strip() for item in names.split(" | ") if item.strip()]


def _cn_number(value: int) -> str:
    """Chinese numerals for 1..999 in legal style (一百零二, 二百六十四)."""
    hundreds, rest = divmod(value, 100)
    tens, ones = divmod(rest, 10)
    text = ""
    if hundreds:
        text += _CN_ORDINALS[hundreds] + "百"
        if rest and tens == 0:
            text += "零"
    if tens:
        text += ("" if not hundreds and tens == 1 else _CN_ORDINALS[tens]) + "十"
    if ones:
        text += _CN_ORDINALS[ones]
    return text


_CN_DIGITS: dict[str, int] = dict(zip("零〇一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))


def _parse_cn_number(text: str) -> int | None:
    """Parse Chinese numerals below 1000 (一百零二, 二百六十四, 十五); ``None`` when malformed."""
    total = 0
    digit: int | None = None
    seen_unit = {"百": False, "十": False}
    for ch in text:
        if ch in _CN_DIGITS:
            if digit is not None and digit != 0:
                return None
            digit = _CN_DIGITS[ch]
        elif ch == "百":
            if not digit or seen_unit["百"] or seen_unit["十"]:
                return None
            total += digit * 100
            seen_unit["百"] = True
            digit = None
        elif ch == "十":
            if seen_unit["十"]:
                return None
            total += (1 if digit is None else digit) * 10
            seen_unit["十"] = True
            digit = None
        else:
            return None
    return total + (digit or 0) if text else None


_ARTICLE = re.compile(
    r"第?(?P<num>\d{1,3}|[零〇一二两三四五六七八九十百]+)条?"
    r"(?:(?:之|-|—|–|‐)(?P<sub>[1-9]|[一二三四五六七八九]))?条?"
    r"(?:第(?:\d+|[一二三四五六七八九十]+)款)?(?:第(?:\d+|[一二三四五六七八九十]+)项)?"
)
_LAW_PREFIX = re.compile(r"^(?:《?(?:中华人民共和国)?刑法》?)")


def normalize_article(article: str) -> str | None:
    """Normalised article key (``"264"``, ``"133-1"``) or ``None`` when the text is not one.

    Accepts ``264``, ``264条``, ``第264条``, ``第二百六十四条``, ``133-1``, ``133之一``,
    ``第一百三十三条之一``, full-width digits, an optional leading ``刑法`` / ``《中华人民共和国刑法》``
    and a trailing paragraph or item (``第三款``, ``第2项``), which is dropped. Does not check that
    the article exists; use :func:`lookup_article`.
    """
    if not isinstance(article, str):
        return None
    text = "".join(unicodedata.normalize("NFKC", article).split())
    text = _LAW_PREFIX.sub("", text)
    match = _ARTICLE.fullmatch(text)
    if not match:
        return None
    raw = match.group("num")
    number = int(raw) if raw.isdigit() else _parse_cn_number(raw)
    if number is None:
        return None
    sub = match.group("sub")
    if sub is None:
        return str(number)
    return f"{number}-{sub if sub.isdigit() else _CN_DIGITS[sub]}"


# --------------------------------------------------------------------------------------------
# The table


def _chapter_of(base: int) -> int:
    return bisect.bisect_right(_CHAPTER_STARTS, base)


def _section_of(chapter: int, base: int) -> int | None:
    starts = _SECTION_STARTS.get(chapter)
    return bisect.bisect_right(starts, base) if starts else None


def _build() -> tuple[dict[str, ArticleInfo], dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    current = _parse_block(_TABLE)
    former = _parse_block(_FORMER)
    keys = [str(n) for n in range(FIRST_ARTICLE, LAST_ARTICLE + 1)] + [k for k in current if "-" in k]
    articles: dict[str, ArticleInfo] = {}
    accept: dict[str, frozenset[str]] = {}
    accept_former: dict[str, frozenset[str]] = {}
    for key in sorted(keys, key=lambda k: tuple(int(p) for p in k.split("-"))):
        base = int(key.split("-")[0])
        chapter = _chapter_of(base)
        section = _section_of(chapter, base)
        names = current.get(key, [])
        olds = former.get(key, [])
        articles[key] = ArticleInfo(
            article=key,
            chapter=chapter,
            chapter_title=CHAPTERS[chapter],
            crime_names=tuple(canonical for canonical, _ in names),
            section=section,
            section_title=SECTIONS[(chapter, section)] if section else None,
            former_names=tuple(canonical for canonical, _ in olds),
            repealed=key in REPEALED,
        )
        accept[key] = frozenset(_norm_name(v) for _, variants in names for v in variants)
        accept_former[key] = frozenset(_norm_name(v) for _, variants in olds for v in variants)
    return articles, accept, accept_former


_ARTICLES, _ACCEPT, _ACCEPT_FORMER = _build()


def all_articles() -> tuple[ArticleInfo, ...]:
    """Every article of the table in legal order (102, …, 120, 120-1, …, 451)."""
    return tuple(_ARTICLES.values())


def lookup_article(article: str) -> ArticleInfo | None:
    """The article's chapter, section and crime names, or ``None`` if it is not in 102–451.

    ``article`` may be written in any form accepted by :func:`normalize_article`. A repealed
    article (199) is returned with ``repealed=True``.
    """
    key = normalize_article(article)
    return _ARTICLES.get(key) if key else None


def articles_for_crime(name: str, *, include_former: bool = False) -> tuple[str, ...]:
    """Article keys whose crime names (or selections of them) include ``name``, in legal order."""
    wanted = _norm_name(name)
    return tuple(
        key for key in _ARTICLES if wanted in _ACCEPT[key] or (include_former and wanted in _ACCEPT_FORMER[key])
    )


def check_charge(name: str, article: str, *, allow_former_names: bool = True) -> ArticleInfo:
    """Check that crime ``name`` is defined in (or applied by) ``article``; return the article.

    Articles with no listed crime names accept any non-empty name. Selective names may be charged
    in part; former names are accepted unless ``allow_former_names`` is false.

    Raises:
        UnknownCharge: the article is not in the 102–451 table or was repealed, the name is empty,
            or the name is not a crime of that article. The message (Chinese + English) says which.
    """
    info = lookup_article(article)
    if info is None:
        shown = str(article).strip()[:30]
        raise UnknownCharge(
            f"刑法分则（第102–451条）中没有该条文：{shown} / "
            f"not an article of the Criminal Law's specific provisions (Arts 102–451): {shown!r}"
        )
    if info.repealed:
        raise UnknownCharge(
            f"刑法{info.label}已被删除（{REPEALED[info.article]}）/ Art {info.article} has been repealed"
        )
    wanted = _norm_name(name) if isinstance(name, str) else ""
    if not wanted:
        raise UnknownCharge("罪名不能为空 / the crime name must not be empty")
    if not info.crime_names:
        return info
    if wanted in _ACCEPT[info.article] or (allow_former_names and wanted in _ACCEPT_FORMER[info.article]):
        return info
    elsewhere = articles_for_crime(wanted, include_former=allow_former_names)
    hint_cn = f"；“{wanted}”见{'、'.join(_ARTICLES[k].label for k in elsewhere)}" if elsewhere else ""
    hint_en = f"; {wanted} is in Art {', '.join(elsewhere)}" if elsewhere else ""
    raise UnknownCharge(
        f"刑法{info.label}未规定“{wanted}”，该条罪名为：{'；'.join(info.crime_names)}{hint_cn} / "
        f"crime name {wanted!r} is not defined in Art {info.article}{hint_en}"
    )
