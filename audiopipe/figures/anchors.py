"""What a figure is about: the subject words around it, as concepts both languages share.

A figure's anchors are the concepts named in its clause (or, when the clause names none, in its
sentence): "Profit fell 27.1%" and "利润同比下降27.1%" both anchor to `profit`.  Two figures with a
concept in common are about the same thing; two whose anchors are both known and share none are about
different things; a figure with no anchor says nothing either way.  The table is a business
newsroom's vocabulary, one row a concept: English words (whole, plural or not; "stem*" starts a
word) and Chinese words.
"""

from __future__ import annotations

import re

CONCEPTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "revenue": (("revenue", "sales", "turnover", "takings"), ("营收", "营业收入", "收入", "销售", "营业额")),
    "profit": (("profit*", "earnings", "net income", "net margin", "net loss", "loss", "losses"),
               ("利润", "净利", "盈利", "纯利", "亏损", "赚")),
    "margin": (("margin",), ("利润率", "毛利率", "净利率")),
    "users": (("user", "subscriber", "member", "account", "daily active", "monthly active"),
              ("用户", "会员", "日活", "月活", "账户")),
    "exports": (("export*", "overseas sales"), ("出口",)),
    "imports": (("import*",), ("进口",)),
    "trade": (("trade", "surplus", "deficit"), ("贸易", "进出口", "顺差", "逆差")),
    "gdp": (("gdp", "gross domestic product", "economy", "economic growth"), ("gdp", "国内生产总值", "经济增长", "经济")),
    "inflation": (("inflation", "consumer price", "cpi", "deflation"), ("通胀", "cpi", "消费价格", "物价", "通缩")),
    "ppi": (("producer price", "factory-gate", "ppi"), ("ppi", "生产价格", "出厂价格")),
    "pmi": (("pmi", "purchasing managers"), ("pmi", "采购经理")),
    "retail": (("retail*", "consumer spending", "consumption", "shopping"), ("零售", "消费")),
    "industry": (("industrial output", "industrial production", "factory output", "value-added industrial",
                  "output", "production"), ("工业增加值", "工业生产", "产量", "产能", "制造业")),
    "investment": (("investment", "capex", "capital expenditure", "fixed-asset"), ("投资", "资本开支", "固定资产")),
    "fx": (("the yuan", "the renminbi", "exchange rate", "fixing", "parity", "midpoint", "against the dollar", "per dollar",
            "currency", "currencies"), ("汇率", "中间价", "兑美元", "人民币兑")),
    "index": (("index", "composite", "hang seng", "csi 300", "nasdaq", "dow", "s&p", "nikkei", "benchmark"),
              ("指数", "综指", "成指", "深成指", "恒指", "恒生", "沪深300", "创业板", "纳指", "道指", "日经")),
    "shares": (("share", "stock", "equit*", "bourse"), ("股价", "股票", "股市", "股份", "股")),
    "market value": (("market value", "market cap", "capitalisation", "capitalization", "valuation", "valued", "value", "values"),
                     ("市值", "估值")),
    "rates": (("interest rate", "loan prime rate", "lpr", "policy rate", "rate cut", "repo", "reserve requirement",
               "rrr"), ("利率", "lpr", "降息", "加息", "逆回购", "存款准备金", "准备金")),
    "yield": (("yield", "bond", "treasur*"), ("收益率", "国债", "债券", "国债")),
    "loans": (("loan", "credit", "lending", "financing", "borrow*"), ("贷款", "信贷", "融资", "借款")),
    "deposits": (("deposit", "savings"), ("存款", "储蓄")),
    "jobs": (("jobless", "unemploy*", "job", "employ*", "hiring", "payroll", "layoff", "worker", "staff", "people"),
             ("失业", "就业", "岗位", "员工", "雇员", "工人", "裁员", "人数")),
    "population": (("population", "resident", "birth", "people"), ("人口", "居民", "出生", "常住")),
    "income": (("income", "wage", "salary", "pay"), ("收入", "工资", "薪酬", "薪资")),
    "property": (("home", "house", "housing", "property", "real estate", "apartment", "land"),
                 ("房", "住宅", "地产", "楼市", "土地")),
    "cars": (("car", "vehicle", "ev", "automobile", "automaker", "carmaker", "auto", "deliver*"),
             ("汽车", "车", "辆", "交付", "电动车", "新能源车")),
    "phones": (("phone", "smartphone", "handset", "device"), ("手机", "智能手机", "终端", "设备")),
    "chips": (("chip*", "semiconductor", "wafer", "processor"), ("芯片", "半导体", "晶圆", "处理器")),
    "batteries": (("batter*",), ("电池",)),
    "energy": (("oil", "crude", "gas", "coal", "power", "electricity", "energy", "solar", "wind"),
               ("石油", "原油", "天然气", "煤", "电力", "用电", "发电", "能源", "光伏", "风电", "能耗")),
    "travel": (("trip", "passenger", "traveller", "traveler", "tourist", "visitor", "flight", "travel*"),
               ("人次", "旅客", "游客", "出行", "航班", "旅游", "客流")),
    "parcels": (("parcel", "package", "courier", "express"), ("快递", "快件", "包裹", "邮政")),
    "stores": (("store", "shop", "outlet", "branch", "restaurant"), ("门店", "店", "网点", "餐厅")),
    "orders": (("order", "backlog", "contract"), ("订单", "合同")),
    "funding": (("raise", "raised", "raising", "funding", "ipo", "listing", "offering", "round"),
                ("融资", "募资", "募集", "上市", "ipo", "首发", "轮")),
    "deal": (("deal", "acquisition", "acquire*", "merger", "takeover", "stake", "buyout"),
             ("交易", "收购", "并购", "合并", "股权", "入股")),
    "fine": (("fine", "fined", "penalt*", "settlement"), ("罚款", "罚", "和解")),
    "dividend": (("dividend", "buyback", "payout"), ("分红", "股息", "派息", "回购")),
    "tax": (("tax", "tariff", "levy", "duty", "duties"), ("税", "关税")),
    "subsidy": (("subsid*", "stimulus", "voucher"), ("补贴", "刺激", "消费券")),
    "budget": (("budget", "spending", "expenditure", "fiscal"), ("预算", "支出", "财政")),
    "reserves": (("reserve", "gold"), ("储备", "黄金")),
    "prices": (("price", "cost", "fare", "fee"), ("价格", "价", "成本", "票价", "费用")),
    "wealth": (("wealth", "fortune", "net worth", "billionaire", "richest"), ("财富", "身家", "富豪", "首富")),
    "research": (("r&d", "research", "patent"), ("研发", "研究", "专利")),
    "downloads": (("download*", "install*"), ("下载", "安装")),
    "grain": (("grain", "harvest", "crop", "pork", "food"), ("粮食", "谷物", "收成", "猪肉", "食品")),
    "packages": (("package",), ("件",)),
    "companies": (("company", "companies", "firm", "enterprise", "business*"), ("企业", "公司")),
    "banks": (("bank",), ("银行", "大行")),
    "rank": (("largest", "biggest", "top", "rank", "place", "spot", "position"), ("榜首", "排名", "位居", "名列", "首富")),
}

def _word(word: str) -> str:
    """A word of the table as a pattern: "stem*" starts a word; any other is a whole word, plural or not."""
    if word.endswith("*"):
        return re.escape(word[:-1])
    return re.escape(word) + r"(?:s|es)?\b"


_EN = {concept: re.compile(r"\b(?:" + "|".join(_word(w) for w in words) + r")", re.I)
       for concept, (words, _) in CONCEPTS.items()}
_ZH = {concept: tuple(w.upper() if w.isascii() else w for w in words) for concept, (_, words) in CONCEPTS.items()}
_CLAUSE = {"en": re.compile(r"[.;!?](?:\s|$)|,\s|\s(?:while|whereas|but|and|after|versus|compared with)\s|—|–"),
           "zh": re.compile(r"[，,。；;！？!?：:]|而|相比")}
_SENTENCE = {"en": re.compile(r"[.;!?](?:\s|$)"), "zh": re.compile(r"[。；;！？!?]")}


def concepts(text: str, lang: str) -> frozenset[str]:
    """The concepts *text* names."""
    if lang == "en":
        return frozenset(c for c, pattern in _EN.items() if pattern.search(text))
    upper = text.upper()
    return frozenset(c for c, words in _ZH.items() if any(w in upper for w in words))


def _around(text: str, start: int, end: int, boundary: re.Pattern[str]) -> tuple[int, int]:
    """Where the stretch of *text* around [start, end) between two boundaries begins and ends."""
    begin = 0
    for m in boundary.finditer(text, 0, start):
        begin = m.end()
    stop = boundary.search(text, end)
    return begin, stop.start() if stop else len(text)


def sentence_of(text: str, lang: str, start: int, end: int) -> tuple[int, int]:
    """Where the sentence of the figure at [start, end) begins and ends."""
    return _around(text, start, end, _SENTENCE[lang])


def clause_of(text: str, lang: str, start: int, end: int) -> tuple[int, int]:
    """Where the clause of the figure at [start, end) begins and ends."""
    return _around(text, start, end, _CLAUSE[lang])


def anchors(text: str, lang: str, start: int, end: int) -> tuple[frozenset[str], frozenset[str]]:
    """What the figure at [start, end) of *text* is about: its clause's concepts (its sentence's when the
    clause names none), and its sentence's."""
    begin, stop = _around(text, start, end, _SENTENCE[lang])
    topic = concepts(text[begin:stop], lang)
    begin, stop = clause_of(text, lang, start, end)
    return concepts(text[begin:stop], lang) or topic, topic


def context(text: str, start: int, end: int, lang: str) -> str:
    """A few words either side of the figure, to find it at a glance: "…fixed at 6.3903 against the…"."""
    if lang == "en":
        before = text[:start].split()[-4:]
        after = text[end:].split()[:3]
        head = (" ".join(before) + (" " if before and not text[:start].endswith(("(", "$")) else "")) if before else ""
        body = head + text[start:end] + ((" " if text[end:end + 1].isspace() else "") + " ".join(after) if after else "")
        body = body.strip()
        more_before = len(text[:start].split()) > 4
        more_after = len(text[end:].split()) > 3
    else:
        lo, hi = max(0, start - 10), min(len(text), end + 6)
        body = text[lo:hi].strip()
        more_before, more_after = lo > 0, hi < len(text)
    return ("…" if more_before else "") + " ".join(body.split()) + ("…" if more_after else "")
