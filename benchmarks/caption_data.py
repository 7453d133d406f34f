"""Deterministic synthetic image captions in the style of COCO's (a determiner, subjects with
adjectives, a verb phrase, places and objects; 8-16 words on average), for the caption benchmark
(score_caption_vs_reference.py) and the caption fixtures (tests/metrics/reference/run_caption.py).
"""

SUBJECTS = ["man", "woman", "person", "boy", "girl", "child", "dog", "cat", "horse", "giraffe",
            "zebra", "elephant", "bird", "group of people", "couple", "skier", "surfer",
            "baseball player", "tennis player", "bus", "train", "truck", "car", "motorcycle",
            "bicycle", "plate of food", "pizza", "sandwich", "kitchen", "bathroom", "bedroom",
            "living room", "clock tower", "street sign", "fire hydrant", "laptop", "teddy bear"]
ADJECTIVES = ["young", "old", "small", "large", "big", "little", "red", "white", "black", "brown",
              "yellow", "blue", "green", "tall", "wooden", "empty", "busy", "crowded", "happy",
              "double-decker", "close-up", "black-and-white", "old-fashioned", "shiny"]
VERBS = ["riding", "holding", "sitting on", "standing next to", "walking down", "eating",
         "playing with", "looking at", "parked on", "flying over", "lying on", "jumping over",
         "driving down", "carrying", "throwing", "catching", "cutting", "swinging", "waiting for",
         "covered with", "filled with", "hanging from", "grazing in", "resting on"]
OBJECTS = ["a surfboard", "a wave", "a frisbee", "a kite", "the street", "a table", "a bench",
           "a tree", "the grass", "a field", "the beach", "the snow", "a tennis racket", "a bat",
           "a ball", "an umbrella", "a skateboard", "the road", "a fence", "the water", "a bed",
           "a couch", "a sink", "a stove", "a refrigerator", "a window", "a desk", "a plate",
           "broccoli", "some vegetables", "the sidewalk", "a building", "the sky", "a train track"]
PLACES = ["in a park", "on the beach", "in the snow", "on a city street", "in a kitchen",
          "at the airport", "near the ocean", "in a field", "on a sunny day", "at night",
          "in front of a building", "next to a river", "on top of a hill", "in the rain",
          "during a game", "in the background", "under a blue sky", "in a small room"]
DETERMINERS = ["a", "a", "a", "the", "two", "three", "several", "an old", "some"]
NUMBERS = ["2", "3", "10", "3,000", "2.5", "5:30", "1990s"]
EXTRAS = ["'s", "n't"]


def random_caption(rng, punctuate=True):
    """One caption from `rng` (a random.Random); with `punctuate`, commas, a final period and
    now and then a contraction, parentheses, quotes or a number, as human captions have them."""
    words = [rng.choice(DETERMINERS)]
    if rng.random() < 0.5:
        words.append(rng.choice(ADJECTIVES))
    subject = rng.choice(SUBJECTS)
    if words[0] in ("two", "three", "several", "some") and not subject.endswith("s"):
        subject += "s"
    words.append(subject)
    if words[0] == "a" and words[1][0] in "aeiou":
        words[0] = "an"
    words.append(rng.choice(VERBS))
    words.append(rng.choice(OBJECTS))
    if rng.random() < 0.7:
        if punctuate and rng.random() < 0.3:
            words[-1] += ","
        words.append(rng.choice(PLACES))
    if rng.random() < 0.2:
        words.append("with " + rng.choice(OBJECTS))
    if punctuate:
        r = rng.random()
        if r < 0.05:
            words.insert(1, "(" + rng.choice(ADJECTIVES) + ")")
        elif r < 0.10:
            words.append('"' + rng.choice(ADJECTIVES) + '"')
        elif r < 0.15:
            words.append("at " + rng.choice(NUMBERS))
        elif r < 0.20:
            words.append("that is" + rng.choice(EXTRAS) + " " + rng.choice(ADJECTIVES))
    text = " ".join(words)
    if rng.random() < 0.5:
        text = text[0].upper() + text[1:]
    if punctuate and rng.random() < 0.8:
        text += "."
    return text
