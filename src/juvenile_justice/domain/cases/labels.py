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

INPUT_LABELS = {
    "ages_at_offense": "行为时年龄",
    "main_offense_age": "主要犯罪行为时年龄",
    "sentence_kind": "刑罚",
    "sentence_months": "刑期（月）",
    "kind": "决定",
    "combined_sentence_months": "合并刑期（月）",
    "comparator": "比较",
    "age_at_new_offense": "新罪行为时年龄",
}
"""The facts a sealing rule read (the trace's ``inputs``), as pages name them."""
SOURCE_LABELS = {
    "CPL": "刑事诉讼法",
    "CL": "刑法",
    "SPC-Interp": "最高法刑诉解释",
    "SPP-Rules": "最高检刑诉规则",
    "PJDL": "预防未成年人犯罪法",
    "Seal-Measures": "犯罪记录封存实施办法",
}
"""The abbreviations of legal sources in a trace (rules.md §0.2), as pages name them."""
