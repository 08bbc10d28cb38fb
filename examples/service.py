"""A tiny BentoML service to try bentoclient against.

Serve it with BentoML (in an environment that has ``bentoml`` installed):

    cd examples && bentoml serve service:Demo --port 3000

Then call it from anywhere, with nothing but bentoclient installed:

    from bentoclient import SyncHTTPClient

    with SyncHTTPClient("http://127.0.0.1:3000") as client:
        client.classify([[1, 2, 3, 4]])              # [0]
        client.summarize("BentoML serves models. It is fast.")
        for piece in client.stream("hello", n=3):
            print(piece, end="")
"""

from __future__ import annotations

from collections.abc import Iterator

import bentoml


@bentoml.service
class Demo:
    """A small demo service: a toy classifier, a summarizer, a background task and a token stream."""

    #: ``classify`` labels a row 1 when its mean is above this value.
    threshold = 5.0

    @bentoml.api
    def classify(self, input_series: list[list[float]]) -> list[int]:
        """Label each row: 1 if the mean of its values is above 5.0, else 0.

        An empty row is labelled 0. ``[[1, 2, 3, 4]]`` gives ``[0]``,
        ``[[6, 7, 8, 9]]`` gives ``[1]``.
        """
        return [int(bool(row) and sum(row) / len(row) > self.threshold) for row in input_series]

    @bentoml.api
    def summarize(self, text: str, max_length: int = 50) -> str:
        """Return the first sentence of ``text``, cut to ``max_length`` characters.

        Whitespace runs are collapsed to one space, and the first sentence ends
        at the first ``.``, ``!`` or ``?`` (the whole text if there is none).
        """
        text = " ".join(text.split())
        ends = [i for i in map(text.find, ".!?") if i >= 0]
        sentence = text[: min(ends) + 1] if ends else text
        return sentence[:max_length]

    @bentoml.task
    def long_job(self, prompt: str) -> str:
        """A background task (``client.long_job.submit(prompt=...)``): the prompt in capitals."""
        return prompt.upper()

    @bentoml.api
    def stream(self, prompt: str, n: int = 3) -> Iterator[str]:
        """Yield ``n`` pieces of text, one per chunk: ``"<prompt> 0\\n"``, ``"<prompt> 1\\n"``, ..."""
        for i in range(n):
            yield f"{prompt} {i}\n"
