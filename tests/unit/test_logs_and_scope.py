"""Log lines are JSON with the trace id; tenant scope keeps universities apart."""

from __future__ import annotations

import json
import logging

import pytest

from plumbing.errors import Forbidden
from plumbing.ops.logs import JsonFormatter
from plumbing.ops.tracing import TraceContext, current_trace
from plumbing.web.auth import Principal, Role, TokenCodec
from plumbing.web.auth_deps import require_tenant


def test_log_lines_are_json_with_fields_and_the_current_trace() -> None:
    record = logging.LogRecord("settlement.escrow", logging.INFO, __file__, 1, "escrow held", None, None)
    record.fields = {"order_id": "O-1", "amount_minor": 12_345}
    trace = TraceContext.new()
    token = current_trace.set(trace)
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        current_trace.reset(token)
    assert line["msg"] == "escrow held" and line["level"] == "info"
    assert line["order_id"] == "O-1" and line["amount_minor"] == 12_345
    assert line["trace_id"] == trace.trace_id


def test_log_lines_never_carry_a_token_or_an_account_number() -> None:
    token = TokenCodec("x" * 32).issue(Principal("alice", Role.RESEARCHER, "tsinghua"))
    record = logging.LogRecord(
        "suppliers.bank", logging.WARNING, __file__, 1, "bank refused 6228480402564890018", None, None
    )
    record.fields = {
        "authorization": f"Bearer {token}",
        "detail": {"account": "6222000011112222333", "amount_minor": 123_456_789, "order_id": "O-20260001"},
        "event_id": "707fadcd-14b6-5f48-b9fd-881fb6c24e4a",
    }
    text = JsonFormatter().format(record)
    line = json.loads(text)
    assert token not in text and line["authorization"] == "Bearer [token]"
    assert "6228480402564890018" not in text and line["msg"] == "bank refused ****0018"
    assert line["detail"] == {"account": "****2333", "amount_minor": 123_456_789, "order_id": "O-20260001"}
    assert line["event_id"] == "707fadcd-14b6-5f48-b9fd-881fb6c24e4a"


def test_the_trace_is_never_mistaken_for_an_account_number() -> None:
    record = logging.LogRecord("orders", logging.INFO, __file__, 1, "order placed", None, None)
    trace = TraceContext("12345678901234567890123456789012", "1234567890123456")
    token = current_trace.set(trace)
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        current_trace.reset(token)
    assert (line["trace_id"], line["span_id"]) == (trace.trace_id, trace.span_id)
    assert line["msg"] == "order placed" and line["service"]


def test_one_university_cannot_reach_anothers_data_but_platform_ops_can() -> None:
    finance_a = Principal(subject="f", role=Role.UNIVERSITY_FINANCE, tenant_id="tsinghua")
    require_tenant(finance_a, "tsinghua")
    with pytest.raises(Forbidden) as caught:
        require_tenant(finance_a, "pku")
    assert caught.value.code == "other_tenant"
    require_tenant(Principal(subject="ops", role=Role.PLATFORM_OPS, tenant_id="platform"), "pku")
