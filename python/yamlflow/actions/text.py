"""``text.render``: the rendered ``template`` as a string, a single expression's value spelled as text
(contract §2.2). Mirrors ``engine/src/actions/text.rs``."""

from __future__ import annotations

from typing import Any

from ..pyrepr import json_text
from .params import Params


def render(params: Params) -> Any:
    # `with` is already rendered: a text template arrives as a string, a single expression as its value.
    return json_text(params.required("template"))
