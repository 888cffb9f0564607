"""The evaluation harness: scoring rules, resume, reports, and `qa eval` end to end on the tiny corpus."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from qa.cli.main import main
from qa.errors import QAError
from qa.evaluation.evaluate import read_results, rescore_run, run_eval
from qa.evaluation.questions import Question
from qa.evaluation.scoring import is_citation_correct, score_question
from qa.index.build import ingest_corpus
from qa.retrieval.retrieve import Retriever
from qa.types import Answer, Citation, CitedClaim, Hit, Quote

UNANSWERABLE = "unanswerable"  # the fake answerer abstains on questions holding this word
TIMINGS = {"retrieve_ms": 1.0, "first_token_ms": 2.0, "first_claim_ms": 2.5, "total_ms": 3.0}


def hit(chunk_id: int, text: str, url: str = "", article_id: str = "a") -> Hit:
    return Hit(chunk_id, article_id, 0, 0, len(text), text, 1.0 / (chunk_id + 1), title=f"t{chunk_id}", url=url)


class RecordingRetriever:
    """Returns the same passages for every query and records the queries it was asked."""

    def __init__(self, hits: list[Hit]) -> None:
        self.hits = hits
        self.queries: list[str] = []

    def search(self, query: str, k: int = 10) -> list[Hit]:
        self.queries.append(query)
        return self.hits[:k]


def top_hit_answerer(retriever):  # noqa: ANN001, ANN201
    """A deterministic fake: short answer = the top hit's first three words, one citation of its first sentence."""

    def answer(question: str) -> Answer:
        hits = retriever.search(question, k=4)
        if UNANSWERABLE in question.lower() or not hits:
            return Answer(question, "Insufficient information.", True, [], "fake", TIMINGS, hits, "")
        top = hits[0]
        sentence = re.split(r"(?<=[.!?])\s+", top.text.strip(), maxsplit=1)[0]
        start = top.start + top.text.index(sentence)
        citation = Citation(1, top.article_id, top.title, top.source, top.url, top.published_at, sentence,
                            start, start + len(sentence), top.score, True, top.chunk_id)
        short = " ".join(top.text.split()[:3])
        return Answer(question, f"{short} [1]", False, [citation], "fake", TIMINGS, hits, short)

    return answer


def question(qid: str, text: str = "What happened?", **fields) -> Question:  # noqa: ANN003
    values = {"answers": ["x"], "evidence": ["Fact one."], "gold_articles": ["https://gold"], "answerable": True,
              "question_type": "t"}
    return Question(qid, text, **{**values, **fields})


def citation(quote: str, supported: bool, url: str = "", article_id: str = "other") -> Citation:
    return Citation(1, article_id, "t", "s", url, "", quote, 0, len(quote), 1.0, supported)


def test_citation_is_correct_by_quoted_gold_fact_or_supported_gold_article() -> None:
    q = question("c", evidence=["The survey found meltwater lakes."], gold_articles=["https://gold", "gold-id"])
    assert is_citation_correct(citation("Then:  The survey found\nmeltwater lakes. More.", False), q)
    assert is_citation_correct(citation("Another sentence.", True, url="https://gold"), q)
    assert is_citation_correct(citation("Another sentence.", True, article_id="gold-id"), q)
    assert not is_citation_correct(citation("Another sentence.", False, url="https://gold"), q)
    assert not is_citation_correct(citation("Another sentence.", True, url="https://elsewhere"), q)
    assert not is_citation_correct(citation("The survey found", True), q)


def test_accuracy_is_scored_on_the_short_answer_only() -> None:
    q = question("a", answers=["Paris"], gold_articles=[], evidence=[])
    short = Answer("q", "The capital moved from Paris to Lyon [1].", False, [], "m", {}, [], "Lyon")
    assert score_question(q, [], short, 1.0)["correct"] == {"accuracy": False, "exact_match": 0.0, "f1": 0.0}
    right = Answer("q", "Paris [1].", False, [], "m", {}, [], "Paris")
    assert score_question(q, [], right, 1.0)["correct"] == {"accuracy": True, "exact_match": 1.0, "f1": 1.0}
    # The full answer shares "Paris" with the gold answer; the old rule fell back to it and scored it right.
    full = Answer("q", "Paris is where it moved [1].", False, [], "m", {}, [], " ")
    assert score_question(q, [], full, 1.0)["correct"] == {"accuracy": False, "exact_match": 0.0, "f1": 0.0}
    # A question that asks for a longer answer is judged by key facts and claims, not accuracy.
    summary = question("s", answers=["Paris"], gold_articles=[], evidence=[], shape="summary")
    assert score_question(summary, [], full, 1.0)["correct"] is None


def test_an_abstention_is_never_correct() -> None:
    q = question("a", answers=["The Independent"], gold_articles=[], evidence=[])
    # The old rule scored the abstention's full text, which shares "the" with the gold answer.
    declined = Answer("q", "Insufficient information: the articles in the corpus do not answer this question.", True,
                      [], "m", {}, [], "")
    assert score_question(q, [], declined, 1.0)["correct"] == {"accuracy": False, "exact_match": 0.0, "f1": 0.0}
    abstained_with_a_short_answer = Answer("q", "The Independent.", True, [], "m", {}, [], "The Independent")
    assert score_question(q, [], abstained_with_a_short_answer, 1.0)["correct"]["accuracy"] is False


def test_key_fact_credit_never_comes_from_the_questions_own_words() -> None:
    q = question("k", "Who won the runoff in Argentina?", key_facts=[["Argentina runoff"], ["Milei"]], gold_articles=[],
                 evidence=[])
    echo = Answer(q.question, "The runoff in Argentina was won by Milei [1].", False, [], "m", {}, [], "Milei")
    assert score_question(q, [], echo, 1.0)["coverage"]["key_fact_recall"] == 0.5  # the old, lenient rule gave 1.0
    declined = Answer(q.question, "Insufficient information: Milei, runoff, Argentina.", True, [], "m", {}, [], "")
    assert score_question(q, [], declined, 1.0)["coverage"]["key_fact_recall"] == 0.0


def claim(text: str, *quotes: str, supported: bool = True, verbatim: bool = False) -> CitedClaim:
    return CitedClaim(text, (1,), tuple(Quote(1, "a", q, 0, len(q), 1.0) for q in quotes), supported, verbatim=verbatim)


def test_claims_are_judged_apart_from_article_sentences_and_dropped_claims_are_counted() -> None:
    q = question("v", "Who won the runoff?", gold_articles=[], evidence=[])
    sentence = "Javier Milei won Argentina's presidential runoff on Sunday with 56% of the vote."
    claims = [
        claim("Milei won the presidential runoff with 56% of the vote.", sentence),
        claim("Sergio Massa won the presidential runoff.", sentence),
        claim(sentence, sentence, verbatim=True),
        claim("Milei [1].", sentence),
    ]
    answer = Answer(q.question, "…", False, [], "m", TIMINGS, [], "Milei", claims, claims_written=5)
    record = score_question(q, [], answer, 1.0)
    verdicts = [(c["judged_supported"], c["verbatim"]) for c in record["answer"]["claims"]]
    assert verdicts == [(True, False), (False, False), (None, True), (None, False)]
    assert record["answer"]["claims"][1]["judge"] == "not in the quotes that say it: Sergio, Massa"
    coverage = record["coverage"]
    # The old judge counted the article's own sentence as a supported claim: 2 of 3.
    assert (coverage["claims"], coverage["claims_supported"], coverage["claim_support"]) == (2, 1, 0.5)
    assert (coverage["claims_written"], coverage["claims_shown"], coverage["claims_verbatim"]) == (5, 4, 1)
    words = [len(c.text.split()) for c in claims]
    assert coverage["verbatim_share"] == pytest.approx(words[2] / sum(words))
    from qa.evaluation.summary import summarize

    totals = summarize([record, record])["coverage"]
    assert (totals["claim_support"], totals["claims_written"], totals["claims_shown"]) == (0.5, 10, 8)
    assert totals["verbatim_share"] == pytest.approx(words[2] / sum(words))


def test_closest_sentences_instead_of_an_answer_are_counted_apart() -> None:
    from qa.answering.answer import EVIDENCE_LEAD
    from qa.evaluation.summary import summarize

    sentence = "Javier Milei won Argentina's presidential runoff on Sunday."
    records = []
    for n, (answerable, text) in enumerate([(True, f"{EVIDENCE_LEAD}\n- Reuters: “{sentence}” [1]"), (True, "Milei [1]."),
                                             (False, f"{EVIDENCE_LEAD}\n- Reuters: “{sentence}” [1]")]):
        q = question(f"e{n}", "Who won the runoff?", answerable=answerable)
        answer = Answer(q.question, text, False, [], "m", TIMINGS, [], "", [claim(sentence, sentence, verbatim=True)])
        records.append(score_question(q, [], answer, 1.0))
    abstention = summarize(records)["abstention"]
    assert (abstention["answerable_abstained"], abstention["answerable_evidence_only"]) == (0.0, 0.5)
    assert abstention["unanswerable_evidence_only"] == 1.0


def test_unanswerable_questions_get_no_retrieval_scores() -> None:
    record = score_question(question("n", answerable=False), [hit(0, "Fact one.")], None, 1.0)
    assert record["retrieval"] is None and record["answer"] is None
    record = score_question(question("e", evidence=[]), [hit(0, "x", url="https://gold")], None, 1.0)
    assert record["retrieval"]["hits@10"] is None and record["retrieval"]["recall@4"] == 1.0


def test_resume_only_retrieves_new_questions(tmp_path: Path) -> None:
    questions = [question(f"q{i}", f"Question {i}?") for i in range(5)]
    retriever = RecordingRetriever([hit(0, "Nothing here."), hit(1, "It says Fact one. indeed", url="https://gold")])
    asked: list[str] = []
    answer_from_top = top_hit_answerer(RecordingRetriever(retriever.hits))

    def answerer(text: str) -> Answer:
        asked.append(text)
        return answer_from_top(text)

    out = tmp_path / "run"
    run_eval(questions[:3], retriever, answerer, out, question_set=questions, progress=False)
    assert retriever.queries == asked == ["Question 0?", "Question 1?", "Question 2?"]
    metrics = run_eval(questions, retriever, answerer, out, question_set=questions, progress=False)
    assert retriever.queries[3:] == asked[3:] == ["Question 3?", "Question 4?"]
    assert [r["id"] for r in read_results(out / "results.jsonl")] == ["q0", "q1", "q2", "q3", "q4"]
    assert metrics["counts"]["evaluated"] == 5 and metrics["config"]["reused_results"] == 3
    assert metrics["retrieval"]["hits@4"] == 1.0 and metrics["retrieval"]["mrr@10"] == 0.5


def test_resume_drops_a_half_written_line(tmp_path: Path) -> None:
    questions = [question(f"q{i}") for i in range(3)]
    retriever = RecordingRetriever([hit(0, "Fact one.")])
    out = tmp_path / "run"
    run_eval(questions[:2], retriever, None, out, question_set=questions, progress=False)
    with (out / "results.jsonl").open("a") as results:
        results.write('{"id": "q2", "question": "cut sh')
    metrics = run_eval(questions, retriever, None, out, question_set=questions, progress=False)
    assert len(retriever.queries) == 3 and metrics["counts"]["evaluated"] == 3


def test_resume_refuses_a_folder_of_another_run(tmp_path: Path) -> None:
    questions = [question("q0"), question("q1")]
    retriever = RecordingRetriever([hit(0, "Fact one.")])
    out = tmp_path / "run"
    run_eval(questions, retriever, None, out, settings={"embed_model": "a"}, progress=False)
    with pytest.raises(QAError, match=r"different settings \(embed_model, k\).*another --out"):
        run_eval(questions, retriever, None, out, k=20, settings={"embed_model": "b"}, progress=False)
    with pytest.raises(QAError, match="different question set"):
        run_eval(questions[:1], retriever, None, out, settings={"embed_model": "a"}, progress=False)
    with pytest.raises(QAError, match="different settings \\(retrieval_only\\)"):
        run_eval(questions, retriever, top_hit_answerer(retriever), out, settings={"embed_model": "a"}, progress=False)
    assert len(retriever.queries) == 2


def test_compare_adds_a_table_and_a_chart(tmp_path: Path) -> None:
    questions = [question("q0")]
    run_eval(questions, RecordingRetriever([hit(0, "Fact one.")]), None, tmp_path / "a", progress=False)
    metrics = run_eval(questions, RecordingRetriever([hit(0, "No."), hit(1, "Fact one.")]), None, tmp_path / "b",
                       compare_to=tmp_path / "a", progress=False)
    assert metrics["retrieval"]["mrr@10"] == 0.5
    report = (tmp_path / "b" / "report.md").read_text()
    assert "## Comparison with the run of" in report
    assert "| retrieval.mrr@10 | 0.500 | 1.000 | -0.500 |" in report
    assert (tmp_path / "b" / "compare.png").read_bytes().startswith(b"\x89PNG")
    with pytest.raises(QAError, match="No metrics.json"):
        run_eval(questions, RecordingRetriever([]), None, tmp_path / "c", compare_to=tmp_path / "nowhere")


@pytest.fixture
def tiny_index(tiny_corpus: Path, index_dir: Path, embedder) -> Path:  # noqa: ANN001
    ingest_corpus(tiny_corpus, index_dir, embedder)
    return index_dir


def tiny_questions(path: Path, markets_id: str) -> Path:
    """Questions over tests/data/tiny_corpus whose evidence sentences are verbatim corpus sentences."""
    records = [
        {"id": "glacier", "question": "What did the survey find at the edge of the Zorblax glacier?",
         "answers": ["meltwater lakes"], "evidence": ["The survey found meltwater lakes forming at the glacier's edge."],
         "gold_articles": ["https://example.org/polar/zorblax-glacier"], "type": "inference_query"},
        {"id": "bank", "question": "How much did Quimperle Bank shares rise after the merger talk?",
         "answers": ["Quimperle"], "gold_articles": [markets_id], "type": "inference_query",
         "evidence": ["Shares in Quimperle Bank rose 12 percent on Tuesday after reports that it was in merger talks with a regional rival."]},
        {"id": "chess", "question": "Who won the unanswerable chess marathon on the Zorblax glacier in 1850?",
         "answers": ["Insufficient information."], "answerable": False, "type": "null_query"},
        {"id": "script", "question": "<script>alert(1)</script> What floated over the river at the Brindlemoor festival?",
         "answers": ["paper lanterns"], "type": "inference_query",
         "evidence": ["Thousands of paper lanterns floated over the river on Sunday as the Brindlemoor festival opened its tenth edition."],
         "gold_articles": ["https://example.org/culture/brindlemoor-lanterns"]},
        {"id": "moon", "question": "Is the moon made of green cheese according to the Selenite survey?",
         "answers": ["cheese"], "evidence": ["The moon is made of green cheese."],
         "gold_articles": ["https://example.org/selenite/moon"], "type": "comparison_query"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_end_to_end_on_the_tiny_corpus(tiny_index: Path, embedder, tmp_path: Path) -> None:  # noqa: ANN001
    retriever = Retriever(tiny_index, embedder)
    markets_id = next(a.id for a in retriever.store.articles() if "quimperle" in a.url)
    from qa.evaluation.questions import load_questions

    questions = load_questions(tiny_questions(tmp_path / "tiny.jsonl", markets_id))
    out = tmp_path / "run"
    metrics = run_eval(questions, retriever, top_hit_answerer(retriever), out, settings={"embed_model": embedder.name},
                       progress=False)
    assert metrics == json.loads((out / "metrics.json").read_text())
    records = {r["id"]: r for r in read_results(out / "results.jsonl")}
    assert records["glacier"]["retrieval"]["hits@10"] == 1.0 and records["glacier"]["retrieval"]["mrr@10"] == 1.0
    assert records["glacier"]["retrieved"][0]["url"] == "https://example.org/polar/zorblax-glacier"
    assert records["bank"]["retrieval"]["recall@4"] == 1.0  # gold article given by id
    assert records["chess"]["retrieval"] is None and records["chess"]["answer"]["abstained"] is True
    assert records["moon"]["retrieval"] == {"hits@4": 0.0, "hits@10": 0.0, "map@10": 0.0, "mrr@10": 0.0,
                                            "recall@4": 0.0, "recall@10": 0.0}
    # Four answerable questions; the moon's fact is in no article, the other three rank first.
    retrieval = metrics["retrieval"]
    assert {name: retrieval[name] for name in ("hits@4", "hits@10", "map@10", "mrr@10", "recall@10")} == dict.fromkeys(
        ("hits@4", "hits@10", "map@10", "mrr@10", "recall@10"), 0.75)
    assert retrieval["by_type"]["inference_query"]["hits@10"] == 1.0
    assert retrieval["by_type"]["comparison_query"]["hits@10"] == 0.0 and "null_query" not in retrieval["by_type"]
    # Short answers: "Researchers said on" (wrong), "Shares in Quimperle" (right, F1 0.5),
    # "Lanterns light up" (right, F1 0.4), "Researchers said on" (wrong).
    answers = metrics["answers"]
    assert (answers["accuracy"], answers["exact_match"]) == (0.5, 0.0) and answers["f1"] == pytest.approx(0.225)
    assert answers["by_type"]["inference_query"]["accuracy"] == pytest.approx(2 / 3)
    assert metrics["latency_ms"]["first_claim"] == {"p50": 2.5, "p95": 2.5, "n": 5}  # first verified sentence
    assert metrics["latency_by_shape_ms"] == {"fact": {"first_token_p50": 2.0, "first_claim_p50": 2.5, "n": 5}}
    assert metrics["abstention"] == {
        "unanswerable_abstained": 1.0, "answerable_abstained": 0.0,
        "unanswerable_evidence_only": 0.0, "answerable_evidence_only": 0.0,
    }
    # Glacier: supported, gold article; bank and lanterns: quote holds the fact; moon: cites the glacier.
    assert metrics["citations"] == {"precision": 0.75, "recall": 0.75}
    assert metrics["latency_ms"]["total"] == {"p50": 3.0, "p95": 3.0, "n": 5}
    assert metrics["latency_ms"]["retrieval"]["n"] == 5 and metrics["latency_ms"]["retrieval"]["p50"] > 0
    assert metrics["counts"] == {"evaluated": 5, "answerable": 4, "retrieval_scored": 4, "answers_scored": 4, "questions": 5}
    assert metrics["config"]["index"]["articles"] == 5 and metrics["config"]["k"] == 10
    assert metrics["config"]["answer_models"] == ["fake"] and metrics["config"]["version"]

    for name in ("report.md", "report.html", "by_type.png", "latency.png", "run.json"):
        assert (out / name).stat().st_size > 0, name
    page = (out / "report.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; What floated" in page
    assert "<script" not in page and page.count('src="data:image/png;base64,') == 2
    assert "<script>" not in (out / "report.md").read_text()


def test_fail_under_sets_the_exit_code(tiny_index: Path, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    questions = tiny_questions(tmp_path / "tiny.jsonl", "no-such-id")
    out = tmp_path / "run"
    argv = ["--index", str(tiny_index), "eval", str(questions), "--retrieval-only", "--out", str(out)]
    assert main([*argv, "--fail-under", "hits@10=0.75", "retrieval.mrr@10=0.7"]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"hits@10\s+0\.750", printed) and f"Report: {out / 'report.html'}" in printed

    assert main([*argv, "--fail-under", "hits@10=0.8", "recall@4=0.5"]) == 1
    assert "FAIL: retrieval.hits@10 = 0.750 is below 0.8" in capsys.readouterr().err

    assert main([*argv, "--fail-under", "accuracy=0.1"]) == 1
    assert "FAIL: answers.accuracy was not measured" in capsys.readouterr().err

    assert main([*argv, "--fail-under", "hitz@10=0.8"]) == 2
    error = capsys.readouterr().err
    assert "Unknown metric for --fail-under: hitz@10" in error and "hits@10" in error and "accuracy" in error
    assert main([*argv, "--fail-under", "hits@10"]) == 2
    assert "METRIC=VALUE" in capsys.readouterr().err


def test_cli_index_flag_after_the_subcommand_and_sample(tiny_index: Path, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    questions = tiny_questions(tmp_path / "tiny.jsonl", "no-such-id")
    out = tmp_path / "run"
    argv = ["eval", str(questions), "--index", str(tiny_index), "--retrieval-only", "--out", str(out)]
    assert main([*argv, "--sample", "2", "--seed", "3"]) == 0
    assert len(read_results(out / "results.jsonl")) == 2
    assert main([*argv, "--k", "5"]) == 2
    assert "at least 10" in capsys.readouterr().err


def test_cli_eval_with_answers_from_the_fake_llm(tiny_index: Path, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("QA_LLM", "fake")
    questions = tiny_questions(tmp_path / "tiny.jsonl", "no-such-id")
    out = tmp_path / "run"
    assert main(["eval", str(questions), "--index", str(tiny_index), "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["answers"]["accuracy"] is not None
    assert metrics["latency_ms"]["total"]["p50"] > 0
    records = read_results(out / "results.jsonl")
    assert all(r["answer"] for r in records)
    assert all(isinstance(r["answer"]["claims_written"], int) for r in records)  # the answer loop counts them
    assert metrics["coverage"]["claims_written"] == sum(r["coverage"]["claims_written"] for r in records)


def test_two_question_sets_run_into_their_own_folders_and_print_side_by_side(tiny_index: Path, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    dev = tiny_questions(tmp_path / "dev.jsonl", "no-such-id")
    test = tiny_questions(tmp_path / "test.jsonl", "no-such-id")
    out = tmp_path / "run"
    assert main(["eval", str(dev), str(test), "--index", str(tiny_index), "--retrieval-only", "--out", str(out)]) == 0
    assert (out / "dev" / "metrics.json").is_file() and (out / "test" / "metrics.json").is_file()
    printed = capsys.readouterr().out
    assert re.search(r"metric\s+dev\s+test", printed) and re.search(r"retrieval\.hits@10\s+0\.750\s+0\.750", printed)


def test_the_answer_read_shape_and_unfounded_names_are_scored() -> None:
    from qa.evaluation.summary import understanding_metrics
    from qa.types import CitedClaim, Quote

    q = question("q1", "who won argentinas presidential runoff", shape="fact", gold_articles=["https://gold"])
    quote = Quote(1, "a", "Analysts said Donald Trump could end support for Ukraine.", 0, 10, 1.0)
    trump = Answer(q.question, "Donald Trump [1].", False, [], "fake", TIMINGS, [hit(0, "x", url="https://gold")],
                   "Donald Trump", [CitedClaim("Donald Trump.", (1,), (quote,), True)], shape="fact")
    record = score_question(q, [], trump, 1.0)
    assert record["read"] == {"recall@4": 1.0, "shape_correct": True, "unfounded_name_or_number": True}
    summary = understanding_metrics([record, {**record, "follow_up": True, "read": {**record["read"], "shape_correct": False}}])
    assert summary["shape_accuracy"] == 0.5 and summary["unfounded_names_or_numbers"] == 2
    assert summary["shape_accuracy_by_shape"]["fact"] == {"accuracy": 0.5, "n": 2}


def test_resume_refuses_another_draw_from_the_same_question_file(tiny_index: Path, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    questions = tiny_questions(tmp_path / "tiny.jsonl", "no-such-id")
    out = tmp_path / "run"
    argv = ["eval", str(questions), "--index", str(tiny_index), "--retrieval-only", "--out", str(out)]
    assert main([*argv, "--sample", "2", "--seed", "3"]) == 0
    assert main([*argv, "--sample", "2", "--seed", "3"]) == 0  # the same draw resumes
    # Under the old fingerprint (the whole file and the settings) these resumed and mixed two draws.
    assert main([*argv, "--sample", "2", "--seed", "4"]) == 2
    assert "a different selection of questions" in capsys.readouterr().err
    assert main([*argv, "--limit", "3"]) == 2
    assert main([*argv, "--sample", "2", "--seed", "3", "--limit", "1"]) == 2
    (tmp_path / "other.jsonl").write_text(questions.read_text())
    assert main(["eval", str(tmp_path / "other.jsonl"), *argv[2:], "--sample", "2", "--seed", "3"]) == 2
    assert len(read_results(out / "results.jsonl")) == 2


def test_a_run_folder_from_before_the_selection_was_recorded_resumes_only_its_own_questions(tmp_path: Path) -> None:
    questions = [question(f"q{i}") for i in range(4)]
    retriever = RecordingRetriever([hit(0, "Fact one.")])
    out = tmp_path / "run"
    run_eval(questions[:2], retriever, None, out, question_set=questions, progress=False)
    run_file = out / "run.json"
    old = json.loads(run_file.read_text())
    run_file.write_text(json.dumps({"fingerprint": "older", "questions": old["questions"], "settings": old["settings"]}))
    with pytest.raises(QAError, match="different selection"):
        run_eval(questions[2:], retriever, None, out, question_set=questions, selection={"limit": 2}, progress=False)
    run_eval(questions, retriever, None, out, question_set=questions, selection={"limit": None}, progress=False)
    assert json.loads(run_file.read_text())["selection"] == {"limit": None}


SENTENCE = "The survey found meltwater lakes forming at the Zorblax glacier's edge on Tuesday."


def scripted_answerer(answers: dict[str, Answer]):  # noqa: ANN201
    """Answers each question with the answer given for its text."""
    return lambda text: answers[text]


def chat_run(tmp_path: Path, targets: dict[str, float] | None = None) -> Path:
    """A chat set's run: one question answered well, one declined, one with a claim its quote does not hold."""
    facts = [["meltwater lakes"], ["glacier edge"]]
    questions = [
        question("good", "What did the survey find?", key_facts=facts, evidence=[], shape="summary"),
        question("declined", "What did the survey find at the glacier?", key_facts=facts, evidence=[], shape="summary"),
        question("unsupported", "What happened at the Zorblax glacier?", key_facts=facts, evidence=[], shape="summary"),
    ]
    answers = {
        "What did the survey find?": Answer("q", f"{SENTENCE} [1]", False, [], "m", TIMINGS, [], "",
                                            [claim("The survey found meltwater lakes at the Zorblax glacier's edge.", SENTENCE)],
                                            shape="summary", claims_written=2),
        "What did the survey find at the glacier?": Answer("q", "Insufficient information.", True, [], "m", TIMINGS, [], "",
                                                           shape="summary", claims_written=0),
        "What happened at the Zorblax glacier?": Answer("q", "Surveyors from Brindlemoor found meltwater lakes [1].", False, [],
                                                        "m", TIMINGS, [], "",
                                                        [claim("Surveyors from Brindlemoor found meltwater lakes there.", SENTENCE)],
                                                        shape="summary", claims_written=1),
    }
    out = tmp_path / "chat"
    run_eval(questions, RecordingRetriever([hit(0, SENTENCE, url="https://gold")]), scripted_answerer(answers), out,
             targets=targets, progress=False)
    return out


def test_a_chat_sets_report_opens_with_its_metrics_and_its_failed_questions_worst_first(tmp_path: Path) -> None:
    out = chat_run(tmp_path, {"coverage.key_fact_recall": 0.45, "coverage.claim_support": 0.9})
    report = (out / "report.md").read_text()
    headings = [line for line in report.splitlines() if line.startswith("## ")]
    assert headings[:3] == ["## Summary", "## Failed questions, worst first (2 of 3)", "## Counts"]
    assert report.index("### 1. declined") < report.index("### 2. unsupported") and "### 3." not in report
    assert "| key-fact recall | 0.500 | ≥ 0.45 — met |" in report  # 1, 0 (declined), 0.5
    assert "| claims the judge supports | 0.500 | ≥ 0.9 — MISSED |" in report
    assert "| claims the model wrote | 3 |" in report and "| claims shown | 2 |" in report
    # A chat set has no gold evidence sentences and no short gold answers: no Hits@k, MRR, exact match.
    assert not re.search(r"hits@|mrr@|map@|exact.match|\| f1", report, re.IGNORECASE)
    assert "| id | type | question | recall@10 |" in report
    assert ("judge: not supported: not in the quotes that say it: Surveyors, Brindlemoor; answerer: supported" in report
            and f"“{SENTENCE}” (holds 0.60 of its words)" in report)
    assert "Key facts not stated:** glacier edge" in report
    page = (out / "report.html").read_text()
    assert page.index("<h2>Summary</h2>") < page.index("<h2>Failed questions") < page.index("<h2>Counts</h2>")
    assert "Hits@10" not in page and "exact_match" not in page


def test_a_benchmark_report_shows_its_own_metrics_and_compare_lists_the_changed_questions(tmp_path: Path) -> None:
    questions = [question("q0", "Which glacier?", answers=["Zorblax"]), question("q1", "Which survey?", answers=["Polar"])]
    retriever = RecordingRetriever([hit(0, "Fact one.", url="https://gold")])

    def run(folder: str, first: str, compare: Path | None = None) -> Path:
        answers = {"Which glacier?": Answer("q", f"{first} [1].", False, [], "m", TIMINGS, [], first,
                                            [claim(f"{first}.", f"The {first} glacier is melting.")]),
                   "Which survey?": Answer("q", "Polar [1].", False, [], "m", TIMINGS, [], "Polar",
                                           [claim("Polar.", "The Polar survey ran.")])}
        run_eval(questions, retriever, scripted_answerer(answers), tmp_path / folder, compare_to=compare, progress=False)
        return tmp_path / folder

    before = run("before", "Brindlemoor")
    after = run("after", "Zorblax", compare=before)
    report = (after / "report.md").read_text()
    assert "| Hits@10 | 1.000 |" in report and "exact match" in report and "key-fact" not in report
    changed = report[report.index("## Questions whose outcome changed (1 of the 2 in both runs)"):]
    assert "| q0 | Which glacier? | failed: wrong short answer 'Brindlemoor' (gold: 'Zorblax') | passed |" in changed
    assert "| q1 |" not in changed.split("\n## ")[0]
    assert "### 1. q0" in (before / "report.md").read_text()


def test_rescore_scores_an_earlier_run_again_under_the_current_rules(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    out = chat_run(tmp_path)
    lines = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    for record in lines:  # as the earlier rules wrote them: every claim judged, no verbatim flag
        for c in record["answer"]["claims"]:
            c.pop("verbatim"), c.update(judged_supported=True)
        record["coverage"]["claim_support"] = 1.0
    (out / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    again = tmp_path / "again"
    assert main(["rescore", str(out), "--out", str(again), "--fail-under", "claim_support=0.9"]) == 1
    assert "FAIL: coverage.claim_support = 0.500 is below 0.9" in capsys.readouterr().err
    metrics = json.loads((again / "metrics.json").read_text())
    assert metrics["coverage"]["claim_support"] == 0.5 and metrics["config"]["rescored"]["version"]
    assert (again / "run.json").is_file() and len(read_results(again / "results.jsonl")) == 3
    assert (out / "results.jsonl").read_text() == "".join(json.dumps(r) + "\n" for r in lines)  # left as written
    assert rescore_run(out)["coverage"]["claim_support"] == 0.5
