"""Does a piece of article text address the answering model? `is_instruction_like` decides.

Article bodies are untrusted data. Detection is tuned for precision on real news: quotes such as
"the coach told players to ignore the noise" or a report that "prompts like 'ignore previous
instructions' hijack chatbots" are not instructions to us. It reads text through
`lookalikes.fold_lookalikes`, so homoglyph, zero-width and fullwidth spellings match too. It is a
list of patterns, so it misses phrasings nobody wrote a pattern for: treat it as one layer of the
defence, not the whole of it. `sanitize` uses it to find injected spans and defang passages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.answering.lookalikes import fold_lookalikes

_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})


# --- the patterns (matched on folded, lower-cased text with straight quotes) -----------------

_AI = (
    r"(?:ai|a\.i\.|artificial intelligence|(?:ai |virtual |digital |automated |news )?assistant"
    r"|llm|(?:large )?language model|ai model|(?:ai )?chat ?bot|bot|gpt|chatgpt"
    r"|(?:answering|answer|generating|summari[sz]ing) (?:engine|system|model|tool)|qa system|summari[sz]er"
    r"|(?:ai|automated) (?:system|reader|tool|agent))s?"
)
# After a name for the model: it is being spoken to, not written about ("AI companies", "ChatGPT users").
_ADDRESSED = (
    r"(?=\s*(?:[:,.;!?)\]—–-]|$|\b(?:reading|processing|summari|answering|responding|parsing|that|which|who"
    r"|here|please|tools?|agents?)\b))"
)
# A markdown heading that opens a prompt section ("### Instruction:"; a recipe's "## Instructions" is not one).
PROMPT_HEADING = (
    rf"#{{1,6}}[ \t]*(?:(?:instruction|system(?: prompt| message)?|input)[ \t]*:?[ \t]*$"
    rf"|[^\n]*\b(?:instructions?|notes?|messages?|rules|guidance) (?:for|to) (?:the |all |any )?(?:\w+ )?{_AI}\b[^\n]*$)"
)
# Where a verb reads as an order: the start of a sentence, line or clause, or after "please".
_IMP = r"(?:^|[.!?:;\"'(\[>*#\n—–-]\s*|,\s*(?:then |so |but )?|\b(?:please|kindly|now|instead|simply|just|also|then)\s+)"
_QUAL = r"(?:previous|prior|above|earlier|preceding|foregoing|former|original|initial|existing|default|system|your|all)"
_TEMPORAL = r"(?:previous|prior|above|earlier|preceding|foregoing|system)"
_FILLER = r"(?:all|any|of|the|your|my|these|those|other|previous|prior|above|earlier|preceding|system|safety|original)"
_OVERRIDE = re.compile(
    # An order, not a description: "many people ignore all guidelines" is not one.
    rf"(?:{_IMP}|\b(?:and|to|must|should|shall)\s+)"
    rf"(?P<verb>ignore|ignoring|disregard|disregarding|forget|forgetting|override|overriding|bypass|discard"
    rf"|set aside|abandon|neglect|drop|pay no attention to|(?:do not|don't|stop) (?:follow|obey)(?:ing)?)(?:\s+{_FILLER})*?"
    rf"(?:\s+{_QUAL}(?:\s+{_FILLER})*\s+(?:instructions?|prompts?|guidelines|directives?|programming|guardrails"
    rf"|system (?:prompt|message)s?)|\s+{_TEMPORAL}(?:\s+{_FILLER})*\s+(?:rules|commands|context|directions|passages"
    rf"|sources|documents)"
    rf"|\s+(?:(?:all|everything|anything) )?(?:of )?(?:the |what(?:'s| is| was) (?:written |said )?)?(?:above|before this)"
    rf"|\s+the rest of (?:the |this )?(?:context|prompt|instructions|passages?|conversation))\b"
    rf"|\b(?:previous|prior|above|earlier|all|your|original) (?:instructions|prompts?|rules|directives)"
    rf" (?:are|is|were|have been|no longer) (?:now )?(?:void|cancell?ed|revoked|obsolete|invalid|outdated"
    rf"|superseded|overridden|null|apply|valid)"
    # French, Spanish, Italian, German, Portuguese.
    rf"|\b(?:ignorez|ignore[sz]?|ignora|ignorar|ignori|ignoriere|ignorieren|olvida|olvide|olvidad|olvidar|oubliez|oublie"
    rf"|vergiss|vergessen|descarta|dimentica|esqueca|esquece)\b[^.\n]{{0,40}}?\b(?:instrucciones|instructions"
    rf"|consignes|anweisungen|vorgaben|istruzioni|instrucoes|indicaciones|reglas|regles)\b"
)
_REPORTING = re.compile(
    r"\b(?:researchers?|stud(?:y|ies)|paper|found|show(?:s|ed|n)|demonstrat\w*|discover\w*|attacks?|injection"
    r"|jailbr\w*|hijack\w*|exploit\w*|vulnerab\w*|trick\w*|such as|like|phrases?|example|hackers?|security)\b"
)
# "Chatbots must say that ..." is an order unless a law or a rule is being reported.
_AI_MUST = re.compile(
    rf"\b{_AI}\s+(?:must|should|shall|will|needs? to|has to|have to|(?:are|is) (?:required|instructed|expected|told|asked) to)"
    rf"\s+(?:always |only |now |instead |then )?(?:say|state|answer|respond|reply|report|claim|write|output|mention|cite"
    rf"|include|quote|give|list|append|add)\s+(?:the |all )?(?:that\b|:|with (?:only|exactly|just)|only\b|exactly\b"
    rf"|verbatim|\"|'|\d)"
)
_LEGAL_FRAME = re.compile(
    r"\b(?:under|laws?|act|rules?|regulations?|regulators?|bill|legislation|lawmakers|requires?|required|requirement"
    r"|mandates?|proposals?|proposed|guidelines|commission|ministry|executive order|would have to|will have to)\b"
)
# Orders to someone else, reported: "residents were told to disregard previous instructions".
_REPORTED_ORDER = re.compile(
    r"\b(?:told|asked|urged|instructed|ordered|advised|warned|allowed|wanted|encouraged|reminded)\s+(?:\w+\s+){0,3}?to\s*$"
)
_QUOTED = re.compile(r"\"[^\"\n]{1,80}\"|(?<!\w)'[^'\n]{1,80}'(?!\w)")

_AI_WORDS = (
    "ai artificial assistant assistants llm llms language chatbot chatbots chat bot bots gpt chatgpt answering answer"
    " generating summarising summarizing summariser summarizer summarisers summarizers qa automated"
)


@dataclass(frozen=True)
class _Rule:
    """A pattern, and words (or marks) one of which it needs: checking those first is cheap."""

    pattern: re.Pattern[str]
    words: frozenset[str] = frozenset()
    marks: tuple[str, ...] = ()

    def may_match(self, lower: str, words: set[str]) -> bool:
        return (not self.words and not self.marks) or not self.words.isdisjoint(words) or any(m in lower for m in self.marks)


def _rule(words: str, pattern: str, marks: tuple[str, ...] = ()) -> _Rule:
    return _Rule(re.compile(pattern), frozenset(words.split()), marks)


_STRONG = [
    # Chat-template tokens and tags, and role tags opening a line or a bracket.
    _rule("", r"<\|[^|<>\n]{1,40}\|>|\[/?inst\]|<</?sys>>|</s>|<s>\s*(?:\[inst|<\||<<sys)",
          ("<|", "[inst", "[/inst", "<<sys", "<</sys", "</s>", "<s>")),
    _rule("", rf"(?m)^[ \t]*{PROMPT_HEADING}", ("#",)),
    _rule("", r"</?(?:system|assistant|instructions?|sys|im_start|im_end)>", ("<",)),
    _rule("system assistant user human", r"(?:^|\n)\s*(?:[>*`\-]+\s*)?(?:system|assistant|user|human)\s*:"),
    _rule("system assistant developer admin",
          r"[\[(<{]\s*(?:system|assistant|developer|admin)\b\s*(?:message|prompt|note|override)?\s*[:\]>|]"),
    _rule("", r"\"role\"\s*:\s*\"(?:system|assistant|user|developer|tool)\"|\"(?:system_prompt|instruction)\"\s*:",
          ('"role"', '"system_prompt"', '"instruction"')),
    # Addressing the model.
    _rule("note message reminder notice memo hint p ps",
          rf"\b(?:note|message|reminder|notice|memo|hint|p\.?s\.?)\s+(?:to|for)\s+(?:the |any |all |every |you, )?(?:\w+ )?"
          rf"{_AI}{_ADDRESSED}"),
    _rule("instruction instructions directive directives request requests warning",
          rf"\b(?:instructions?|directives?|requests?|warning)\s+(?:to|for)\s+(?:the |any |all |every )?(?:\w+ )?{_AI}"
          rf"(?=\s*(?:[:—–-]|\b(?:reading|processing|summari|answering|responding|parsing|that|which|who|here|please)\b))"),
    _rule("hey hi hello dear attention attn",
          rf"(?:^|[.!?:;\"(\[>\n]\s*)(?:hey |hi |hello |dear |attention,? |attn:? )(?:all |any |every |the )?{_AI}\b"),
    _rule(_AI_WORDS,
          rf"(?:^|[.!?;\"(\[>\n]\s*|<!--\s*)(?:please,? )?(?:all |any |every |the )?{_AI}\s*(?:[,:!]\s*(?:please\b|ignore"
          rf"|disregard|forget|answer\b|respond\b|reply\b|remember\b|output\b|cite\b|make sure|be sure|from now|do not|don't"
          rf"|you (?:must|should|shall|need to|have to|are (?:required|instructed)|will (?:now )?(?:answer|respond|say)))"
          rf"|:\s*(?:the following|here (?:is|are))\b)", ("a.i.",)),
    _rule(_AI_WORDS,
          rf"\b{_AI}\s+(?:(?:that|which|who)\s+)?(?:is |are )?(?:reads?|reading|process(?:es|ing)?|summari[sz](?:es|ing)"
          rf"|pars(?:es|ing)|ingest(?:s|ing)|answer(?:s|ing)(?: questions)?(?: about| on| from)?|scrap(?:es|ing)|crawl(?:s|ing))"
          rf"\s+(?:this|these)\s+(?:article|text|page|story|document|passage|report|content|message|note|words|lines"
          rf"|instructions|site|website)s?\b", ("a.i.",)),
    _rule(_AI_WORDS,
          rf"\b(?:if|when|since|because) you(?:'re| are) (?:an? |the )?{_AI}"
          rf"(?=\s*(?:[,.;:!)]|$|reading|processing|summari|answering|responding|parsing|tasked|asked|being|that\b"
          rf"|who\b|which\b|or\b|like\b|trained|built|and\b|model|system|tool|agent|program))", ("a.i.",)),
    _rule(_AI_WORDS, rf"\byou,? the {_AI}\b|\b(?:for|to) (?:any|all|every) {_AI}(?: (?:reading|processing|summari[sz]ing"
          rf"|parsing)(?: this)?)?\s*:", ("a.i.",)),
    _rule("user", r"\bthe user (?:wants|asks|expects|needs|would like) you to\b"),
    _rule("model ai llm assistant bot chatbot gpt developer system admin operator",
          r"(?:^|[.!?\n]\s*)(?:model|ai|llm|assistant|bot|chatbot|gpt) (?:instructions?|directives?|note|override)\s*[:—–-]"
          r"|(?:^|[.!?\n]\s*)(?:developer|system|admin|operator) (?:message|note|instruction|prompt)s?\s*:"),
    _rule("changed been", r"\byour (?:instructions|rules|guidelines|prompt|directives|programming) (?:have|has) (?:changed"
          r"|been (?:updated|changed|replaced|revoked|overridden))"),
    _rule(_AI_WORDS, rf"\bas (?:an? |the ){_AI}\b[^.\n]{{0,30}}?\byou (?:must|should|shall|will|need to|have to"
          rf"|are (?:required|obligated|instructed|expected))", ("a.i.",)),
    _rule("now longer", rf"\byou(?:'re| are) now (?:an? |the )?(?:[\w-]+\s+){{0,2}}?(?:{_AI}\b|dan\b|jailbr\w*)"
          rf"|\byou(?:'re| are) no longer (?:an? {_AI}\b|(?:bound|restricted|limited) by (?:your |any |the )?(?:\w+ )?"
          rf"(?:rules|guidelines|instructions|policies|programming|restrictions))"),
    _rule("", rf"\bfrom now on,? you (?:will |must |shall |should |are to )?(?:only |always )?(?:answer|respond|reply|say|act"
          rf"|ignore|pretend|are (?:an? |the )?(?:[\w-]+ ){{0,2}}?(?:{_AI}\b|dan\b|[\w-]*(?:bot|gpt)\b))", ("from now on",)),
    _rule("act behave roleplay role pretend",
          rf"{_IMP}(?:act|behave|roleplay|role-play|pretend to be|pretend you are|pretend you're)\s+(?:as\s+)?(?:an? |my |the )?"
          rf"(?:\w+\s+)?(?:{_AI}\b|dan\b|jailbroken|unrestricted|unfiltered|developer mode)"),
    # Prompt vocabulary.
    _rule("system", r"\bsystem prompt\s*[:=—–-]|\byour (?:new |real |true |actual |updated )?system (?:prompt|message"
          r"|instruction)s?\b|\b(?:new|updated|override) system (?:prompt|message|instruction)s?\s*[:=—–-]"
          r"|\bsystem (?:override|instruction|message|notice)\s*[:!—–-]"),
    _rule("reveal print output repeat show leak disclose",
          rf"{_IMP}(?:reveal|print|output|repeat|show|leak|disclose) (?:your|the) (?:system prompt|initial prompt"
          rf"|hidden instructions|instructions above)"),
    _rule("new", r"\byour new (?:instructions?|directives?|prompt|persona)\b|\bnew (?:system )?(?:instructions?|task"
          r"|objective|persona)\s*[:—–]"),
    _rule("override", r"(?:^|[.!?\]]\s)(?:system |admin |developer )?override\s*[:!]"),
    _rule("task role goal objective job", r"\byour (?:new )?(?:task|role|goal|objective|job) (?:now )?is (?:now )?to (?:answer"
          r"|respond|reply|say|state|tell|write|output|claim|report|ignore|pretend|act)\b"),
    _rule("important urgent critical priority mandatory",
          r"\b(?:important|urgent|critical|priority|mandatory)\s*(?:(?:system|ai|model|assistant)\s*(?:instruction|directive"
          r"|override|message|note)s?|override)\s*[:!]"),
    # Spoken to in another language: "Nota para el asistente de IA:", "Hinweis für die KI".
    _rule("nota note hinweis notiz mensaje message aviso avviso",
          r"\b(?:nota|note|hinweis|notiz|mensaje|message|aviso|avviso)\s+(?:para|pour|fur|an|a|al|per)\s+(?:el |la |l'|le "
          r"|die |den |der |il |lo )?(?:asistente|assistant|assistente|modelo|modele|modell|modello|chatbot|ia|ki)\b"),
    # Steering the answer.
    _rule("tell inform assure remind notify convince warn",
          rf"{_IMP}(?:tell|inform|assure|remind|notify|convince|warn) (?:the |all |any |every |your )?(?:users?|readers?"
          rf"|askers?|questioners?|person asking|people asking)\b"),
    _rule("answer answers response responses reply replies output outputs summary summaries",
          r"\b(?:your|the (?:ai|assistant|model|chatbot|bot)'s) (?:final )?(?:answer|response|reply|output|summary)s?"
          r" (?:must|should|shall|has to|needs to|is to) (?:be |say |state |include |contain |mention |begin with |start with "
          r"|read )?(?:exactly |only |simply )?(?:that\b|:|\"|'|\d|the (?:number|word|figure)\b|yes\b|no\b)"),
    _rule("append add include insert attach put begin start end prefix conclude",
          rf"{_IMP}(?:append|add|include|insert|attach|put|begin|start|end|prefix|conclude)\b[^.\n]{{0,60}}?\b(?:to|in|at the "
          rf"(?:start|end) of|with) (?:every|each|all|any) (?:answers?|responses?|repl(?:y|ies)|outputs?|summar(?:y|ies))"),
    _rule("when if whenever",
          r"\b(?:when|if|whenever) (?:you(?:'re| are) )?(?:asked|questioned|queried|prompted|answering|responding|replying"
          r"|summari[sz]ing|you (?:summari[sz]e|answer|respond|reply))\b[^.\n]{0,150}?(?:,|then|:)\s*(?:you (?:must|should"
          r"|will|shall) )?(?:please |always |only |simply |just |instead )?(?:answer|respond|reply|say|state|tell|write"
          r"|output|claim|report|give|insist|cite|mention)\b"),
    _rule("cite attribute", rf"{_IMP}(?:cite|attribute)\b[^.\n]{{0,60}}?\[\d+\]"),
    _rule("asks", r"\b(?:if|when|whenever) (?:a |the |any )?(?:user|reader|person|someone|anyone) asks\b[^.\n]{0,150}?,\s*"
          r"(?:please |always |just |simply )?(?:answer|respond|reply|say|state|tell|write|output|claim|report|give|insist"
          r"|cite|mention)\b"),
    _rule("anyone anything whoever whatever",
          r"\b(?:anyone|anything|whoever|whatever)\b[^.\n]{0,40}?\b(?:summari[sz]ing|reading|processing|generating|answering)"
          r"\b[^.\n]{0,40}?\b(?:must|should|shall|needs? to|has to|is to) (?:always |only )?(?:state|say|answer|write|report"
          r"|respond|reply|mention|cite|claim)\b"),
    _rule("treat", r"\btreat (?:this|these|the following) (?:\w+ )?as (?:an? |your |the )?(?:[\w-]+ )?(?:instructions?"
          r"|commands?|system prompt|directives?)\b"),
    _rule("supersedes overrides precedence", r"\b(?:supersedes|overrides|takes precedence over) (?:all|any|every) (?:other)?"
          r"(?:s\b| passages| sources| articles| documents| instructions)"),
    _rule("", rf"{_IMP}(?:answer|respond|reply|speak|write)\b[^.\n]{{0,40}}\bfrom now on\b", ("from now on",)),
    _rule("passages documents context",
          rf"{_IMP}(?:do not|don't|never) (?:trust|believe|use|rely on|cite|read) (?:the |any )?(?:other |remaining "
          rf"|previous )?(?:passages|documents|context)\b"),
    _rule("begin start end open preface prefix conclude",
          rf"{_IMP}(?:begin|start|end|open|preface|prefix|conclude) (?:your|the|every|each) (?:answer|response|reply|summary"
          rf"|output)s? with\s*[\"':]"),
    _rule("not don never avoid refrain",
          rf"(?:{_IMP}|\band )(?:do not|don't|never|avoid|refrain from)\s+(?:mention|cite|cit|reference|name|reveal|disclose"
          rf"|acknowledge|repeat|quote|use|report|include|show|tell)\w*\s+(?:(?:the|any|this|these|that|other|original"
          rf"|previous|real|actual) )*(?:sources?|passages?|citations?|instructions?|note|comment|message|prompt|figure"
          rf"|number|reuters|context|\[)"),
    _rule("only exactly solely strictly",
          rf"{_IMP}(?:answer|respond|reply|output)\s+(?:only|exactly|solely|strictly)\s+(?:with|using)\s+(?:only |exactly "
          rf"|just |the (?:single )?)?(?:number|figure|word|phrase|sentence|following|text|string|\"|'|\d|yes\b|no\b)"),
]
# Weak signals: a sentence with two of them, or one next to a flagged sentence, is flagged.
_WEAK = [
    _rule("answer respond reply say state output write print report claim insist mention cite",
          rf"(?:{_IMP}|\band )(?:always |only |never |simply )?(?:answer|respond|reply|say|state|output|write|print|report"
          rf"|claim|insist|mention|cite)\s+(?:that (?!question|query|call|criticism|charge|point|one|again)|:|only\b"
          rf"|exactly\b|\"|'|\d|the following\b)"),
    _rule("answer respond reply",
          rf"{_IMP}(?:answer|respond|reply)(?: to)? (?:every|any|all|each|the user's|the) (?:questions?|quer(?:y|ies)"
          rf"|prompts?)(?: about [^.\n]{{0,40}}?)? with\b"),
    _rule("user users", r"\bthe user'?s? (?:question|query|request|prompt)s?\b"),
    _rule("with", r"(?<!reply )(?<!respond )(?<!answer )\bwith\s*[\"'][^\"'\n]{1,60}[\"']"),
    _rule("regardless", r"\bregardless of (?:what |the |any )?(?:other )?(?:passages|documents|sources|context|articles)\b"),
    # A name for the model opening a sentence, spoken to: "Language models: ...", "Assistant, ...".
    _rule(_AI_WORDS, rf"(?:^|[.!?;\"(\[>\n]\s*|<!--\s*)(?:dear |hey |attention,? )?(?:all |any |every |the )?{_AI}\s*[,:]",
          ("a.i.",)),
    _rule("answer respond reply say state tell report cite mention output write claim treat ignore",
          r"\byou (?:must|should|shall|need to|have to|will|are (?:to|required to|instructed to)) (?:always |only |now "
          r"|instead )?(?:answer|respond|reply|say|state|tell|report|cite|mention|output|write|claim|treat|ignore)\b"),
    _rule("answer", r"\b(?:the )?(?:correct|right|true|real|accurate|official) answer (?:to [^.\n]{0,60}?)?(?:is|should be"
          r"|must be)\b"),
    _rule("", r"\[\d+(?:\s*[,–-]\s*\d+)*\]", ("[",)),
    _rule("always never only", rf"{_IMP}(?:always|never|only) (?:answer|respond|reply|say|state|mention|cite)\b"),
    _rule("verbatim word exactly", r"\b(?:verbatim|word for word|exactly as written)\b"),
    _rule("answer respond reply output",
          rf"{_IMP}(?:answer|respond|reply|output)\s+(?:with|using)\s+(?:only |exactly |just |the (?:single )?)?(?:number"
          rf"|figure|word|phrase|\"|'|\d)"),
    _rule("answer answers response responses reply replies output outputs",
          r"\b(?:your|the (?:ai|assistant|model|chatbot|bot)'s) (?:final )?(?:answer|response|reply|output)s? (?:must|should"
          r"|shall|has to|needs to|is to)\b"),
    _rule("any every all each", r"\b(?:any|every|all|each) (?:answers?|responses?|repl(?:y|ies)|questions?) (?:about|to|on"
          r"|regarding)\b"),
    _rule("instead your", r"\binstead of (?:answering|responding|replying)\b|\b(?:in|into|to|from) your (?:answer|response"
          r"|reply|summary|output)s?\b"),
    _rule("your", r"\byour (?:answer|reply|response|summary|output) (?:says|states|mentions|includes|contains|reads|is)\b"),
    _rule("you circumstances", r"\b(?:should|must|shall|will|may|can) you (?:ever )?(?:mention|say|cite|reveal|answer|state"
          r"|repeat|report|disclose)\b|\bunder no circumstances\b"),
    _rule("summarise summarize", r"\b(?:do not|don't|never) summari[sz]e (?:this|the) (?:article|text|passage|page|story)\b"),
    _rule("ignore disregard forget", rf"{_IMP}(?:ignore|disregard|forget) (?:the|this|that|any|the user's) (?:question|query"
          rf"|prompt)\b"),
]
# Words without which the special cases below cannot match.
_OVERRIDE_WORDS = frozenset(
    """ignore ignoring disregard disregarding forget forgetting override overriding bypass discard set abandon neglect drop
    pay follow obey following obeying instructions prompt prompts rules directives ignorez ignores ignora ignorar ignori
    ignoriere ignorieren olvida olvide olvidad olvidar oubliez oublie vergiss vergessen descarta dimentica esqueca
    esquece""".split()
)
_AI_WORD_SET = frozenset(_AI_WORDS.split())
_ALERT_WORDS = frozenset("important urgent attention critical priority mandatory override".split())
_WORD = re.compile(r"[a-z]+")
# Matched with case: "IMPORTANT ... instruction".
_CAPS_ALERT = re.compile(r"\b(?:IMPORTANT|URGENT|ATTENTION|CRITICAL|PRIORITY|MANDATORY|OVERRIDE)\b(?![^.\n]{0,40}\bSAFETY\b)"
                         r"[^.\n]{0,40}\b(?:INSTRUCTIONS?|[Ii]nstructions?|DIRECTIVES?)\b")
# Overrides spelt with one space between every letter close up into one word when folded.
_SQUASHED = re.compile(r"(?:ignore|disregard|forget)(?:all|any|the|your)*(?:previous|prior|above|earlier)(?:instruction|rule|prompt)")


def _normalize(text: str) -> tuple[str, str]:
    """(folded text with its case, folded lower-cased text) with straight quotes and single spaces."""
    folded = re.sub(r"[ \t\u00a0]+", " ", fold_lookalikes(text).translate(_QUOTES))
    return folded, folded.lower()


def _spelt_out_override(words: set[str]) -> bool:
    """True for "i g n o r e a l l p r e v i o u s i n s t r u c t i o n s", which folding closed up into one word."""
    return any(_SQUASHED.search(word) for word in words if len(word) >= 20)


def _sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    left = max(text.rfind(". ", 0, start), text.rfind("\n", 0, start), text.rfind("? ", 0, start)) + 1
    right = min((i for i in (text.find(". ", end), text.find("\n", end)) if i != -1), default=len(text))
    return left, right


def _reported_override(match: re.Match[str], text: str) -> bool:
    """True for an override written about, not given: prompts like 'ignore previous instructions' in a
    report on jailbreaks (a short quote), or "residents were told to disregard previous instructions"."""
    left, right = _sentence_around(text, match.start(), match.end())
    before = text[left : match.start("verb") if match["verb"] else match.start()]
    if _REPORTED_ORDER.search(before) and not re.search(rf"\byou\b|\b{_AI}\b", before):
        return True
    for quoted in _QUOTED.finditer(text, left, right):
        if quoted.start() <= match.start() and match.end() <= quoted.end() and len(quoted.group(0).split()) <= 8:
            return bool(_REPORTING.search(text[left : quoted.start()] + text[quoted.end() : right]))
    return False


def _ordered_to_answer(text: str) -> bool:
    """True for "AI assistants must answer that ...", unless the sentence reports a law or a rule."""
    for match in _AI_MUST.finditer(text):
        if not _LEGAL_FRAME.search(text, *_sentence_around(text, match.start(), match.end())):
            return True
    return False


def _is_strong(folded: str, lower: str, words: set[str]) -> bool:
    if not _ALERT_WORDS.isdisjoint(words) and _CAPS_ALERT.search(folded):
        return True
    if _spelt_out_override(words):
        return True
    overrides = _OVERRIDE.finditer(lower) if not _OVERRIDE_WORDS.isdisjoint(words) else ()
    if any(not _reported_override(match, lower) for match in overrides):
        return True
    if (not _AI_WORD_SET.isdisjoint(words) or "a.i." in lower) and _ordered_to_answer(lower):
        return True
    return any(rule.may_match(lower, words) and rule.pattern.search(lower) for rule in _STRONG)


def _weak_count(lower: str, words: set[str]) -> int:
    """The most weak signals found in any one sentence of `lower` (cut cheaply at . ! ? and newlines)."""
    candidates = [rule.pattern for rule in _WEAK if rule.may_match(lower, words)]
    if not candidates:
        return 0
    pieces = re.split(r"(?<=[.!?])\s+|\n", lower)
    return max(sum(1 for pattern in candidates if pattern.search(piece)) for piece in pieces)


def signals(text: str) -> tuple[bool, int]:
    """(whether a strong signal is present, the most weak signals in one sentence)."""
    folded, lower = _normalize(text)
    words = set(_WORD.findall(lower))
    return _is_strong(folded, lower, words), _weak_count(lower, words)


def is_instruction_like(text: str) -> bool:
    """True when `text` (a sentence or a chunk) addresses the answering model or tries to take over the chat."""
    strong, weak = signals(text)
    return strong or weak >= 2
