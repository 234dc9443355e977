"""The offline suite's items: one generator per task, each a function of a seeded ``random.Random``.

A generator takes ``(rng, label)`` and returns a doc whose answer is ``label``: the index of the right
choice for multiple choice (labels are balanced over the choices, so a model that always picks the same
choice scores the baseline), ignored for generation tasks. Word lists and templates are data at the top.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from core.offline_suite import OfflineTask

Doc = dict
Maker = Callable[[random.Random, int], Doc]

NAMES = ("Alice", "Bruno", "Chloe", "Daniel", "Emma", "Farid", "Grace", "Hugo", "Irene", "Jonas",
         "Kara", "Liam", "Maya", "Nora", "Oscar", "Priya")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SORT_WORDS = ("apple", "bridge", "candle", "dolphin", "engine", "forest", "garden", "harbor", "island",
              "jacket")
OPENERS, CLOSERS = ("(", "[", "{", "<"), (")", "]", "}", ">")
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
COUNTABLE = {
    "animals": ("cat", "dog", "goat", "rabbit", "frog", "duck", "horse", "pig"),
    "fruits": ("apple", "banana", "plum", "grape", "pear", "lemon", "melon", "orange"),
    "instruments": ("piano", "guitar", "violin", "drum", "flute", "trumpet", "harp", "cello"),
}
CATEGORIES = {
    "an animal": ("dog", "cat", "horse", "rabbit", "tiger", "sheep", "lion", "mouse"),
    "a fruit": ("apple", "banana", "cherry", "grape", "lemon", "mango", "peach", "pear"),
    "a color": ("red", "green", "blue", "yellow", "purple", "brown", "pink", "black"),
    "a vehicle": ("car", "bus", "truck", "train", "bicycle", "boat", "plane", "tractor"),
    "a musical instrument": ("piano", "guitar", "violin", "drum", "flute", "trumpet", "harp", "cello"),
    "a tool": ("hammer", "saw", "wrench", "drill", "shovel", "chisel", "pliers", "screwdriver"),
    "a part of the body": ("hand", "knee", "elbow", "nose", "ear", "shoulder", "ankle", "finger"),
}
CAPITALS = (("France", "Paris"), ("Japan", "Tokyo"), ("Italy", "Rome"), ("Spain", "Madrid"),
            ("Germany", "Berlin"), ("Egypt", "Cairo"), ("Russia", "Moscow"), ("China", "Beijing"),
            ("Greece", "Athens"), ("England", "London"), ("Portugal", "Lisbon"), ("Austria", "Vienna"),
            ("Ireland", "Dublin"), ("Norway", "Oslo"), ("Poland", "Warsaw"), ("Peru", "Lima"))
ANTONYMS = (("hot", "cold"), ("big", "small"), ("fast", "slow"), ("happy", "sad"), ("up", "down"),
            ("day", "night"), ("open", "closed"), ("early", "late"), ("full", "empty"), ("light", "dark"),
            ("wet", "dry"), ("strong", "weak"), ("young", "old"), ("rich", "poor"), ("hard", "soft"),
            ("loud", "quiet"), ("clean", "dirty"), ("high", "low"), ("long", "short"), ("win", "lose"))
PAST_TENSES = (("go", "went"), ("eat", "ate"), ("see", "saw"), ("take", "took"), ("write", "wrote"),
               ("run", "ran"), ("swim", "swam"), ("drink", "drank"), ("sing", "sang"), ("give", "gave"),
               ("speak", "spoke"), ("drive", "drove"), ("fly", "flew"), ("know", "knew"), ("grow", "grew"),
               ("throw", "threw"), ("buy", "bought"), ("think", "thought"), ("bring", "brought"),
               ("teach", "taught"), ("catch", "caught"), ("sleep", "slept"), ("keep", "kept"), ("feel", "felt"),
               ("leave", "left"), ("find", "found"), ("tell", "told"), ("sell", "sold"), ("stand", "stood"),
               ("win", "won"), ("sit", "sat"), ("begin", "began"), ("break", "broke"), ("choose", "chose"))
LOCATIONS = ("drawer", "shelf", "basket", "cupboard", "desk", "bag", "closet", "box")
THINGS = ("key", "book", "phone", "ring", "wallet", "letter", "scarf", "watch")
WEAPONS = ("knife", "rope", "candlestick", "hammer", "poison")
ROOMS = ("library", "kitchen", "garden", "cellar", "study")
JOBS = ("cooking", "repairs", "gardening", "the accounts", "driving", "cleaning", "shopping")
TOPICS = ("the sea", "a rainy day", "your favourite food", "a trip to the mountains", "friendship",
          "a busy city", "learning to cook", "the moon", "a lost cat", "spring flowers", "a school library",
          "an old bicycle")
FORMS = ("short poem", "short story", "short paragraph", "short letter to a friend")
KEYWORDS = ("river", "bread", "window", "music", "garden", "candle", "morning", "bridge", "lantern")
END_PHRASES = ("Is there anything else I can help with?", "Any other questions?")


@dataclass(frozen=True)
class Recipe:
    make: Maker
    prompt: str  # lm-eval doc_to_text (a field name or a Jinja template)
    shots: int = 0  # few-shot examples, taken in order from the task's fewshot file
    choices: tuple[str, ...] = ()  # a fixed choice list; empty: each doc carries its own "choices"
    description: str = ""
    until: tuple[str, ...] = ()
    max_gen_toks: int = 0


def generate(task: OfflineTask, seed: int) -> tuple[list[Doc], list[Doc]]:
    """The task's test items and few-shot examples for ``seed`` (deterministic)."""
    recipe = RECIPES[task.name]
    k = task.choices or 1
    items = _draw(recipe.make, random.Random(f"{seed}:{task.name}"), task.items, k)
    shots = _draw(recipe.make, random.Random(f"{seed}:{task.name}:fewshot"), recipe.shots, k)
    return items, shots


def _draw(make: Maker, rng: random.Random, n: int, k: int) -> list[Doc]:
    labels = [i % k for i in range(n)]
    rng.shuffle(labels)
    return [make(rng, label) for label in labels]


def _place(rng: random.Random, answer: str, wrong: list[str], label: int) -> Doc:
    """Choices with ``answer`` at position ``label`` and the wrong ones, shuffled, around it."""
    rng.shuffle(wrong)
    return {"choices": wrong[:label] + [answer] + wrong[label:], "label": label}


# --- BBH-like: fixed choice lists ---------------------------------------------------------------

def boolean_expression(rng: random.Random, label: int) -> Doc:
    while True:
        terms = [("not " if rng.random() < 0.3 else "") + rng.choice(("True", "False"))
                 for _ in range(rng.randint(1, 2))]
        expr = terms[0]
        for term in terms[1:]:
            expr += f" {rng.choice(('and', 'or'))} {term}"
        if eval(expr) == bool(label):  # built from the literals above only
            return {"input": f"{expr} is", "label": label}


def object_counting(rng: random.Random, label: int) -> Doc:
    count = label + 1
    kind = rng.choice(sorted(COUNTABLE))
    nouns = rng.sample(COUNTABLE[kind], min(count, rng.randint(1, 4)))
    split = sorted(rng.sample(range(1, count), len(nouns) - 1))
    parts = [b - a for a, b in zip([0, *split], [*split, count], strict=True)]
    said = [_a(n) if c == 1 else f"{NUMBER_WORDS[c]} {n}s" for n, c in zip(nouns, parts, strict=True)]
    listed = said[0] if len(said) == 1 else ", ".join(said[:-1]) + f" and {said[-1]}"
    return {"input": f"I have {listed}. How many {kind} do I have?", "label": label}


def _a(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


def word_sorting(rng: random.Random, label: int) -> Doc:
    ways = [w for w, ok in (("first", label <= len(SORT_WORDS) - 3), ("last", label >= 2)) if ok]
    way = rng.choice(ways)
    others = SORT_WORDS[label + 1:] if way == "first" else SORT_WORDS[:label]
    words = [SORT_WORDS[label], *rng.sample(others, 2)]
    rng.shuffle(words)
    return {"input": f"Which of these words comes {way} in alphabetical order: {', '.join(words)}?",
            "label": label}


def dyck_language(rng: random.Random, label: int) -> Doc:
    def balanced(depth: int) -> list[str]:
        out: list[str] = []
        for _ in range(rng.randint(0, 2 if depth else 1)):
            i = rng.randrange(4)
            out += [OPENERS[i], *(balanced(depth - 1) if depth else []), CLOSERS[i]]
        return out

    outer = [rng.choice(OPENERS) for _ in range(rng.randint(0, 2))]
    seq = outer + balanced(1) + [OPENERS[label]] + balanced(1)
    return {"input": f"What is the next closing bracket of the sequence {' '.join(seq)}", "label": label}


def date_arithmetic(rng: random.Random, label: int) -> Doc:
    offset = rng.choice((1, 1, 2, 3, -1, -2))
    today = DAYS[(label - offset) % 7]
    if offset == 1:
        question = "What day of the week is it tomorrow?"
    elif offset == -1:
        question = "What day of the week was it yesterday?"
    elif offset > 0:
        question = f"What day of the week will it be in {offset} days?"
    else:
        question = f"What day of the week was it {-offset} days ago?"
    return {"input": f"Today is {today}. {question}", "label": label}


# --- MATH-like: exact integer answers -----------------------------------------------------------

def addition(rng: random.Random, label: int) -> Doc:
    a, b = rng.randint(10, 99), rng.randint(10, 99)
    return {"question": f"What is {a} + {b}?", "answer": a + b}


def subtraction(rng: random.Random, label: int) -> Doc:
    a = rng.randint(20, 99)
    b = rng.randint(10, a)
    return {"question": f"What is {a} - {b}?", "answer": a - b}


def multiplication(rng: random.Random, label: int) -> Doc:
    a, b = rng.randint(2, 9), rng.randint(2, 9)
    return {"question": f"What is {a} times {b}?", "answer": a * b}


def _sequence(rng: random.Random) -> tuple[list[int], int, int]:
    start, step = rng.randint(1, 30), rng.randint(2, 10)
    terms = [start + i * step for i in range(5)]
    return terms[:4], terms[4], step


def next_number(rng: random.Random, label: int) -> Doc:
    shown, answer, _ = _sequence(rng)
    return {"question": f"What number comes next in the sequence {', '.join(map(str, shown))}?",
            "answer": answer}


# --- GPQA-like: four choices per item -----------------------------------------------------------

def _window(rng: random.Random, answer: int, step: int) -> list[int]:
    """Three wrong numbers on the answer's grid, so the answer's rank among the four is uniform."""
    low = answer - step * rng.randrange(4)
    while low <= 0:
        low += step
    return [low + i * step for i in range(4) if low + i * step != answer][:3]


def sequence_choice(rng: random.Random, label: int) -> Doc:
    shown, answer, step = _sequence(rng)
    wrong = _window(rng, answer, rng.choice((1, step)))
    question = f"What number comes next in the sequence {', '.join(map(str, shown))}?"
    return {"question": question, **_place(rng, str(answer), [str(w) for w in wrong], label)}


def antonym_choice(rng: random.Random, label: int) -> Doc:
    pairs = rng.sample(ANTONYMS, 4)
    word, answer = pairs[0] if rng.random() < 0.5 else pairs[0][::-1]
    wrong = [rng.choice(p) for p in pairs[1:]]
    return {"question": f'What is the opposite of "{word}"?', **_place(rng, answer, wrong, label)}


def past_tense_choice(rng: random.Random, label: int) -> Doc:
    verb, answer = rng.choice(PAST_TENSES)
    stem = verb[:-1] if verb.endswith("e") else verb
    wrong = [stem + "ed", stem + "ing", verb + "s"]
    return {"question": f'What is the past tense of "{verb}"?', **_place(rng, answer, wrong, label)}


# --- MMLU-Pro-like: ten choices -----------------------------------------------------------------

def ten_choice(rng: random.Random, label: int) -> Doc:
    if rng.random() < 0.5:
        country, answer = rng.choice(CAPITALS)
        wrong = [c for _, c in rng.sample([p for p in CAPITALS if p[1] != answer], 9)]
        return {"question": f"What is the capital of {country}?", **_place(rng, answer, wrong, label)}
    category = rng.choice(sorted(CATEGORIES))
    answer = rng.choice(CATEGORIES[category])
    pool = [w for c, words in sorted(CATEGORIES.items()) if c != category for w in words]
    return {"question": f"Which of the following is {category}?", **_place(rng, answer, rng.sample(pool, 9), label)}


# --- MuSR-like: narratives ----------------------------------------------------------------------

def murder_mystery(rng: random.Random, label: int) -> Doc:
    victim, a, b = rng.sample(NAMES, 3)
    weapon, room, other_room = rng.choice(WEAPONS), *rng.sample(ROOMS, 2)
    guilty, innocent = (a, b) if label == 0 else (b, a)
    clues = [
        f"{guilty} had argued loudly with {victim} that morning about an unpaid debt.",
        f"The police found {guilty}'s fingerprints on the {weapon}.",
        f"{innocent} spent the whole evening in the {other_room} with five friends who vouch for {innocent}.",
        f"A maid saw {guilty} leaving the {room} just after the scream.",
    ]
    rng.shuffle(clues)
    narrative = f"{victim} was found dead in the {room}, killed with a {weapon}. " + " ".join(clues)
    return {"narrative": narrative, "question": "Who is the most likely murderer?", "choices": [a, b],
            "label": label}


def object_placement(rng: random.Random, label: int) -> Doc:
    places = rng.sample(LOCATIONS, 5)
    thing, (p, q, r) = rng.choice(THINGS), rng.sample(NAMES, 3)
    moves = rng.randint(1, 2)
    path = [rng.choice([x for x in places if x != places[label]]) for _ in range(moves)] + [places[label]]
    path = [x for i, x in enumerate(path) if i == 0 or x != path[i - 1]]
    text = [f"{r} read the newspaper.", f"{p} put the {thing} in the {path[0]}."]
    text += [f"Later, {rng.choice((p, q))} moved the {thing} to the {after}." for after in path[1:]]
    return {"narrative": " ".join(text), "question": f"Where is the {thing} now?", "choices": places,
            "label": label}


def team_allocation(rng: random.Random, label: int) -> Doc:
    people = rng.sample(NAMES, 3)
    jobs = rng.sample(JOBS, 3)
    lines = [f"{person} is very good at {job} and enjoys it." for person, job in zip(people, jobs, strict=True)]
    rng.shuffle(lines)
    job = jobs[label]
    return {"narrative": "Three friends are sharing the work at a summer camp. " + " ".join(lines),
            "question": f"Who should be put in charge of {job}?", "choices": people, "label": label}


# --- IFEval-like: prompts in IFEval's format, checked by lm-eval's own instruction registry -------

KWARG_KEYS = ("end_phrase", "frequency", "keyword", "keywords", "num_bullets", "num_highlights",
              "num_placeholders", "postscript_marker", "prompt_to_repeat", "relation")

# (instruction id, description template, kwargs maker); descriptions follow IFEval's wording.
INSTRUCTIONS: tuple[tuple[str, str, Callable[[random.Random], dict]], ...] = (
    ("keywords:existence", 'Include the keywords "{keywords[0]}" and "{keywords[1]}" in the response.',
     lambda rng: {"keywords": rng.sample(KEYWORDS, 2)}),
    ("keywords:frequency", 'In your response, the word "{keyword}" should appear at least {frequency} times.',
     lambda rng: {"keyword": rng.choice(KEYWORDS), "frequency": 2, "relation": "at least"}),
    ("detectable_format:title",
     "Your answer must contain a title, wrapped in double angular brackets, such as <<poem of joy>>.",
     lambda rng: {}),
    ("detectable_content:postscript",
     "At the end of your response, please explicitly add a postscript starting with {postscript_marker}",
     lambda rng: {"postscript_marker": "P.S."}),
    ("detectable_content:number_placeholders",
     "The response must contain at least {num_placeholders} placeholders represented by square brackets,"
     " such as [address].", lambda rng: {"num_placeholders": rng.randint(1, 2)}),
    ("detectable_format:number_highlighted_sections",
     "Highlight at least {num_highlights} sections in your answer with markdown, i.e. *highlighted section*.",
     lambda rng: {"num_highlights": rng.randint(1, 2)}),
    ("startend:end_checker",
     'Finish your response with this exact phrase: "{end_phrase}". No other words should follow this phrase.',
     lambda rng: {"end_phrase": rng.choice(END_PHRASES)}),
    ("detectable_format:number_bullet_lists",
     "Your answer must contain exactly {num_bullets} bullet points. Use the markdown bullet points such as:"
     "\n* This is point 1.\n* This is point 2", lambda rng: {"num_bullets": rng.randint(2, 4)}),
    ("startend:quotation", "Wrap your entire response with double quotation marks.", lambda rng: {}),
    ("detectable_format:json_format",
     "Entire output should be wrapped in JSON format. You can use markdown ticks such as ```.", lambda rng: {}),
)
# These shape the whole response, so they come alone; the first six can follow any instruction.
ALONE = {"startend:quotation", "detectable_format:json_format", "detectable_format:number_bullet_lists"}
COMBINABLE = INSTRUCTIONS[:6]


def ifeval_prompt(rng: random.Random, label: int) -> Doc:
    first = rng.choice(INSTRUCTIONS)
    chosen = [first]
    if first[0] not in ALONE and rng.random() < 0.4:
        chosen.append(rng.choice([i for i in COMBINABLE if i[0] != first[0]]))
    request = f"Write a {rng.choice(FORMS)} about {rng.choice(TOPICS)}."
    kwargs = [make(rng) for _, _, make in chosen]
    descriptions = [text.format(**kw) for (_, text, _), kw in zip(chosen, kwargs, strict=True)]
    return {
        "key": rng.randrange(10**6),
        "prompt": " ".join([request, *descriptions]),
        "instruction_id_list": [iid for iid, _, _ in chosen],
        "kwargs": [{key: kw.get(key) for key in KWARG_KEYS} for kw in kwargs],
    }


MC_PROMPT = "Question: {{question}}\nAnswer:"
MUSR_PROMPT = "{{narrative}}\nQuestion: {{question}}\nAnswer:"
BBH_PROMPT = "Q: {{input}}\nA:"
MATH_PROMPT = "Problem: {{question}}\nAnswer:"
MATH = {"prompt": MATH_PROMPT, "shots": 3, "until": ("\n", "Problem:"), "max_gen_toks": 16}

RECIPES: dict[str, Recipe] = {
    "llmb_ifeval": Recipe(ifeval_prompt, "prompt", until=(), max_gen_toks=192),
    "llmb_bbh_boolean_expressions": Recipe(boolean_expression, BBH_PROMPT, 3, ("False", "True"),
                                           "Evaluate the result of a Boolean expression."),
    "llmb_bbh_object_counting": Recipe(object_counting, BBH_PROMPT, 3, tuple(str(n) for n in range(1, 10)),
                                       "Count the objects of a kind in a list."),
    "llmb_bbh_word_sorting": Recipe(word_sorting, BBH_PROMPT, 3, SORT_WORDS,
                                    "Find the first or last word of a list in alphabetical order."),
    "llmb_bbh_dyck_languages": Recipe(dyck_language, BBH_PROMPT, 3, CLOSERS,
                                      "Find the bracket that closes the innermost open bracket."),
    "llmb_bbh_date_arithmetic": Recipe(date_arithmetic, BBH_PROMPT, 3, DAYS,
                                       "Work out the day of the week."),
    "llmb_math_addition": Recipe(addition, **MATH),
    "llmb_math_subtraction": Recipe(subtraction, **MATH),
    "llmb_math_multiplication": Recipe(multiplication, **MATH),
    "llmb_math_sequences": Recipe(next_number, **MATH),
    "llmb_gpqa_sequences": Recipe(sequence_choice, MC_PROMPT, 3),
    "llmb_gpqa_antonyms": Recipe(antonym_choice, MC_PROMPT, 3),
    "llmb_gpqa_past_tense": Recipe(past_tense_choice, MC_PROMPT, 3),
    "llmb_mmlu_pro": Recipe(ten_choice, MC_PROMPT, 3),
    "llmb_musr_murder_mysteries": Recipe(murder_mystery, MUSR_PROMPT, 2),
    "llmb_musr_object_placements": Recipe(object_placement, MUSR_PROMPT, 2),
    "llmb_musr_team_allocation": Recipe(team_allocation, MUSR_PROMPT, 2),
}
