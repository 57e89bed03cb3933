"""Prompt text for models without a chat template, and stop-string handling of a token stream.

Pure functions and a small stateful scanner; no model library is imported here.
"""

from __future__ import annotations

from collections.abc import Sequence

from pytest_chimera.backends.base import Message

START, END = "<start_of_turn>", "<end_of_turn>"
ROLES = ("system", "user", "assistant")


def render_gemma3(messages: Sequence[Message]) -> str:
    """Render chat messages in gemma3's turn format, ending with an open model turn.

    ``<start_of_turn>user\\n...<end_of_turn>\\n<start_of_turn>model\\n``: gemma3 has no system role, so
    system messages are folded into the first user turn (their text, a blank line, then the user's), as
    gemma3's chat template does. A final assistant message is left open, so the model continues it.
    The BOS token is not part of the text: the tokenizer adds it.
    """
    if not messages:
        raise ValueError("messages is empty: give at least one {'role': 'user', 'content': ...} message")
    system: list[str] = []
    turns: list[tuple[str, str]] = []
    for i, message in enumerate(messages):
        role, content = message.get("role"), message.get("content")
        if role not in ROLES:
            raise ValueError(f"messages[{i}]: role must be one of {', '.join(ROLES)}, got {role!r}")
        if not isinstance(content, str):
            raise ValueError(f"messages[{i}]: content must be a string, got {type(content).__name__}")
        if role == "system":
            system.append(content)
        else:
            turns.append(("user" if role == "user" else "model", content))
    if system:
        prefix = "\n\n".join(system) + "\n\n"
        first_user = next((j for j, (who, _) in enumerate(turns) if who == "user"), None)
        if first_user is None:
            turns.insert(0, ("user", prefix.rstrip("\n")))
        else:
            turns[first_user] = ("user", prefix + turns[first_user][1])
    parts = []
    for j, (who, text) in enumerate(turns):
        last = j == len(turns) - 1
        if last and who == "model":
            parts.append(f"{START}model\n{text}")  # open: the model continues its own turn
        else:
            parts.append(f"{START}{who}\n{text}{END}\n")
    if turns[-1][0] == "user":
        parts.append(f"{START}model\n")
    return "".join(parts)


class StopScanner:
    """Cut a streamed text at the first stop string, releasing only text that cannot start one.

    ``feed(piece)`` returns the text safe to emit now; once a stop string is seen, ``stopped`` is True
    and nothing after it is ever emitted. ``flush()`` releases the held-back tail at the end of the stream.
    The concatenation of everything returned equals the full text cut before its first stop string.
    """

    def __init__(self, stops: Sequence[str]) -> None:
        self.stops = [s for s in stops if s]
        self.stopped = False
        self._held = ""

    def feed(self, piece: str) -> str:
        if self.stopped:
            return ""
        text = self._held + piece
        cut = min((i for i in (text.find(s) for s in self.stops) if i >= 0), default=-1)
        if cut >= 0:
            self.stopped = True
            self._held = ""
            return text[:cut]
        keep = self._partial_len(text)
        self._held = text[len(text) - keep :] if keep else ""
        return text[: len(text) - keep]

    def flush(self) -> str:
        out, self._held = ("" if self.stopped else self._held), ""
        return out

    def _partial_len(self, text: str) -> int:
        """Length of the longest suffix of ``text`` that is a proper prefix of some stop string."""
        best = 0
        for stop in self.stops:
            for n in range(min(len(stop) - 1, len(text)), best, -1):
                if text.endswith(stop[:n]):
                    best = n
                    break
        return best
