"""The README.md model card of a zoo repository: YAML front matter (license, base model, tags), then text."""

from __future__ import annotations


def model_card(
    title: str,
    *,
    license: str | None,
    tags: list[str],
    base_model: str | None,
    body: str,
) -> str:
    """A card as the Hub writes one; `license` and `base_model` are left out of the front matter when None."""
    front = [f"license: {license}"] if license else []
    if base_model:
        front.append(f"base_model: {base_model}")
    front.append("tags:")
    front += [f"- {tag}" for tag in tags]
    front.append("pipeline_tag: text-generation")
    return "---\n" + "\n".join(front) + f"\n---\n\n# {title}\n\n{body}\n"
