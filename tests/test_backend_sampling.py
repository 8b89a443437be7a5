"""MCP sampling: the connected client's own model writes, through the SDK's in-memory Client.

A tiny MCPServer defined here stands in for pm-agent's: one tool reaches the client's model by
``Resolve`` + ``Sample`` (both protocol eras), one by push sampling (``initialize``-era sessions).
"""

from __future__ import annotations

import json
from typing import Annotated

import pytest
from mcp import Client
from mcp.server.mcpserver import Context, MCPServer, Resolve
from mcp.types import CreateMessageResult, TextContent

from pm_agent.assisted import BlamelessText, rewrite_request
from pm_agent.backends import generate_or_fallback, select_backend
from pm_agent.backends.sampling import SamplingBackend, answers_from, client_offers_sampling, sample_for
from pm_agent.models import BlamelessReport
from pm_agent.settings import Settings

pytestmark = [pytest.mark.anyio, pytest.mark.filterwarnings("ignore::mcp.MCPDeprecationWarning")]

TEXT = "Dana forgot the migration at 14:05."
ANSWER = BlamelessText(rewritten="The deploy at 14:05 ran without the migration; no step checks for it.")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def request():
    return rewrite_request(TEXT, BlamelessReport(original=TEXT, rewritten=TEXT))


def sample_rewrite(ctx: Context):
    """Resolver: ask the client's model when it offers sampling, else nothing."""
    return sample_for(request()) if client_offers_sampling(ctx.client_capabilities) else None


def backend_for(sampled: CreateMessageResult | None):
    sampling = SamplingBackend(answers_from(sampled)) if sampled is not None else None
    return select_backend(Settings(backend="auto", anthropic_api_key=None), sampling=sampling)


server = MCPServer("sampling-test")


@server.tool()
def rewrite_resolved(sampled: Annotated[CreateMessageResult | None, Resolve(sample_rewrite)]) -> str:
    """Rewrite with the client's model, sampled before the tool body runs."""
    generation = generate_or_fallback(backend_for(sampled), request())
    return json.dumps({"by": generation.generated_by, "rewritten": generation.value.rewritten})


@server.tool()
def rewrite_pushed(ctx: Context) -> str:
    """Rewrite with the client's model, asked from inside the (sync, worker-thread) tool body."""
    if not client_offers_sampling(ctx.client_capabilities):
        backend = select_backend(Settings(backend="auto", anthropic_api_key=None))
    else:
        backend = SamplingBackend(ctx.session.create_message)
    generation = generate_or_fallback(backend, request())
    return json.dumps(
        {"by": generation.generated_by, "rewritten": generation.value.rewritten, "notes": generation.notes}
    )


class ClientModel:
    """The client's sampling callback: scripted JSON texts, and the requests it saw."""

    def __init__(self, *texts: str) -> None:
        self.texts = list(texts)
        self.seen = []

    async def __call__(self, context, params) -> CreateMessageResult:
        self.seen.append(params)
        return CreateMessageResult(
            role="assistant", model="client-model-7", content=TextContent(type="text", text=self.texts.pop(0))
        )


async def call(tool: str, *, mode: str, model: ClientModel | None = None) -> dict:
    async with Client(server, mode=mode, sampling_callback=model) as client:
        result = await client.call_tool(tool, {})
    assert not result.is_error, result.content[0].text
    return json.loads(result.content[0].text)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_client_offering_sampling_writes_the_answer_as_json_parsed_into_the_model(mode):
    model = ClientModel("```json\n" + ANSWER.model_dump_json() + "\n```")

    answer = await call("rewrite_resolved", mode=mode, model=model)

    assert answer == {"by": "sampling client-model-7", "rewritten": ANSWER.rewritten}
    [params] = model.seen
    assert params.system_prompt.startswith("You are a senior site reliability engineer")
    assert '"rewritten"' in params.system_prompt.rsplit("must match this JSON schema:", 1)[1]
    assert params.messages[0].content.text.startswith(f'<data name="text">\n{TEXT}\n</data>')


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_without_sampling_auto_mode_works_offline(mode):
    answer = await call("rewrite_resolved", mode=mode)

    assert answer == {"by": "offline", "rewritten": TEXT}


async def test_an_invalid_sampled_answer_falls_back_to_offline_with_a_note():
    answer = await call("rewrite_resolved", mode="auto", model=ClientModel('{"text": "wrong"}'))

    assert answer == {"by": "offline (fallback: sampling answer invalid)", "rewritten": TEXT}


async def test_push_sampling_repairs_an_invalid_answer_once_with_the_error():
    model = ClientModel("Sure! Here is the rewrite.", ANSWER.model_dump_json())

    answer = await call("rewrite_pushed", mode="legacy", model=model)

    assert answer == {"by": "sampling client-model-7", "rewritten": ANSWER.rewritten, "notes": []}
    _first, repair = model.seen
    assert [m.content.text for m in repair.messages[1:]] == [
        "Sure! Here is the rewrite.",
        "The answer contains no JSON object. Reply with only the record_blameless_text JSON object.",
    ]


async def test_push_sampling_on_a_2026_session_falls_back_saying_why():
    answer = await call("rewrite_pushed", mode="auto", model=ClientModel(ANSWER.model_dump_json()))

    assert answer["by"] == "offline (fallback: sampling failed)"
    assert answer["notes"][0].startswith(
        "The sampling backend failed, so this is the offline result: "
        "the MCP client's model could not answer 'blameless_rewrite': NoBackChannelError"
    )


async def test_without_sampling_a_push_tool_works_offline():
    answer = await call("rewrite_pushed", mode="legacy")

    assert answer == {"by": "offline", "rewritten": TEXT, "notes": []}
