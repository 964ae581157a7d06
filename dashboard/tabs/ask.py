"""The Ask tab: a question answered from the marts by the same engine as `jobmetrics ask`."""

from __future__ import annotations

import os

import streamlit as st

from jobmetrics.views import display
from page_kit import (
    warehouse_file,
)


def ask() -> None:
    from jobmetrics.ask import engine  # the same engine as ai_ask.py

    offline = not os.environ.get("ANTHROPIC_API_KEY")
    if offline:
        st.caption(
            "Offline (no ANTHROPIC_API_KEY on the server): answers about MRR, churn, ARPU, net MRR retention, "
            "conversion, CAC and LTV:CAC, cohorts, match rates and who may leave, from the marts; any other question "
            "needs the key."
        )
    question = st.text_input(
        "Ask a question about the business",
        placeholder="What's our churn rate?" if offline else "What's driving our churn?",
        key="question",
    )
    if question:
        try:
            answer = engine.answer(engine.Request(db=warehouse_file(), question=question))
        except engine.AskFailed as error:
            message = str(error)
            st.error(message[:1].upper() + message[1:])
            return
        st.markdown(display.answer_markdown(answer.text))
        if answer.queries:
            st.caption("Queries run")
        for number, query in enumerate(answer.queries, start=1):
            st.code(f"-- Q{number}\n{query.sql}", language="sql")


if __name__ == "__main__":  # the page, as dashboard/app.py's navigation runs it
    ask()
