#include "benchmarks/vqa_records.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <random>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace lmmbench::bench {

namespace {

constexpr std::array<std::string_view, 11> kNumberWords = {
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"};

constexpr std::array<std::string_view, 60> kOtherAnswers = {
    "red",          "blue",        "white",
    "black",        "green",       "yellow",
    "brown",        "gray",        "black and white",
    "dog",          "cat",         "man",
    "woman",        "kite",        "frisbee",
    "pizza",        "umbrella",    "giraffe",
    "zebra",        "bus",         "train",
    "skateboard",   "tennis",      "baseball",
    "skiing",       "surfing",     "kitchen",
    "bathroom",     "living room", "table",
    "grass",        "water",       "snow",
    "street",       "beach",       "tennis racket",
    "fire hydrant", "stop sign",   "teddy bear",
    "hot dog",      "cell phone",  "t-shirt",
    "left",         "right",       "nothing",
    "sitting",      "standing",    "wood",
    "metal",        "nike",        "man's",
    "dont know",    "can't tell",  "on table",
    "sunny",        "10:30",       "1,000",
    "2.5",          "mr. smith",   "u.s."};

struct QuestionKind {
  std::string_view answer_type;
  std::vector<std::string_view> question_types;
};

const std::array<QuestionKind, 3> kKinds = {{
    {"yes/no", {"is the", "are the", "is this", "does the", "is there a", "are there", "is it"}},
    {"number", {"how many", "how many people are", "what number is"}},
    {"other",
     {"what color is the", "what is the", "what", "what kind of", "what type of", "where is the",
      "what is the man", "what sport is", "who is", "what room is", "which", "why"}},
}};

class Generator {
 public:
  explicit Generator(std::uint32_t seed) : rng_(seed) {}

  nlohmann::json record(std::size_t index) {
    const double kind_draw = uniform();
    const QuestionKind& kind = kKinds[kind_draw < 0.38 ? 0 : kind_draw < 0.50 ? 1 : 2];
    const std::string base = answer(kind);
    std::vector<std::string> answers;
    const double mode = uniform();
    if (mode < 0.45) {
      answers.assign(10, base);
    } else if (mode < 0.80) {
      const std::size_t agree = 6 + below(4);
      answers.assign(agree, base);
      while (answers.size() < 10)
        answers.push_back(uniform() < 0.5 ? variant(base) : answer(kind));
    } else {
      std::vector<std::string> choices = {base};
      for (std::size_t k = 1 + below(3); k > 0; --k)
        choices.push_back(answer(kind));
      for (int k = 0; k < 10; ++k) {
        const std::string& chosen = choices[below(choices.size())];
        answers.push_back(uniform() < 0.3 ? variant(chosen) : chosen);
      }
    }
    std::shuffle(answers.begin(), answers.end(), rng_);

    nlohmann::json prediction;  // null: a failed request
    const double p = uniform();
    if (p >= 0.003) {
      if (p < 0.55) {
        prediction = base;
      } else if (p < 0.75) {
        prediction = variant(base);
      } else if (p < 0.80) {
        prediction = "It looks like " + base + ", I think. The answer is " + base + ".";
      } else if (p < 0.88) {
        prediction = answers[below(answers.size())];
      } else {
        prediction = answer(kind);
      }
    }
    return {{"id", (index / 3 + 9) * 1000 + index % 3},
            {"prediction", std::move(prediction)},
            {"answers", std::move(answers)},
            {"question_type", kind.question_types[below(kind.question_types.size())]},
            {"answer_type", kind.answer_type}};
  }

 private:
  double uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }
  std::size_t below(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }

  std::string answer(const QuestionKind& kind) {
    if (kind.answer_type == "yes/no") return uniform() < 0.55 ? "yes" : "no";
    if (kind.answer_type == "number") {
      const double x = std::exponential_distribution<double>(0.35)(rng_);
      return std::to_string(std::min(static_cast<int>(x), 40));
    }
    return std::string(kOtherAnswers[below(kOtherAnswers.size())]);
  }

  /// The same answer typed differently; the official normalisation maps most forms back.
  std::string variant(const std::string& a) {
    const double r = uniform();
    const bool digits = !a.empty() && a.find_first_not_of("0123456789") == std::string::npos;
    if (r < 0.25) {
      std::string s = a;
      if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
      return s;
    }
    if (r < 0.40) return a + ".";
    if (r < 0.50 && digits && std::stoi(a) <= 10) {
      return std::string(kNumberWords[static_cast<std::size_t>(std::stoi(a))]);
    }
    if (r < 0.60 && !digits) return (uniform() < 0.5 ? "a " : "the ") + a;
    if (r < 0.70) return a + "!";
    if (r < 0.80) return " " + a + " ";
    return a;
  }

  std::mt19937 rng_;
};

}  // namespace

std::string make_vqa_jsonl(std::size_t records, std::uint32_t seed) {
  Generator generator(seed);
  std::string text;
  for (std::size_t i = 0; i < records; ++i) {
    text += generator.record(i).dump();
    text += '\n';
  }
  return text;
}

}  // namespace lmmbench::bench
