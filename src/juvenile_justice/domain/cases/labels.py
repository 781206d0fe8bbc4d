"""Chinese names of the cases area's codes, shared by the pages and the documents."""

from juvenile_justice.domain.cases.rules import SENTENCE_LABELS

CASE_TYPES = {"juvenile_suspect": "未成年人涉嫌犯罪", "juvenile_victim": "侵害未成年人犯罪"}
PERSON_ROLES = {
    "suspect": "犯罪嫌疑人",
    "victim": "被害人",
    "guardian": "监护人",
    "legal_representative": "法定代理人",
    "appropriate_adult": "合适成年人",
    "relative": "近亲属",
    "witness": "证人",
}
DECISION_KINDS = {
    "arrest_approved": "批准逮捕",
    "arrest_not_approved": "不批准逮捕",
    "prosecuted": "提起公诉",
    "non_prosecution_relative": "相对不起诉",
    "non_prosecution_absolute": "法定不起诉",
    "non_prosecution_after_probation": "考验期满不起诉",
    "conditional_non_prosecution": "附条件不起诉",
    "judgment": "判决",
    "acquittal": "无罪判决",
}
SENTENCE_KINDS = SENTENCE_LABELS
GENDERS = {"male": "男", "female": "女"}
