#pragma once

#include <string>
#include <string_view>

namespace lmmbench::metrics {

/// The caption tokenisation of pycocoevalcap (PyPI pycocoevalcap 1.2, tokenizer/ptbtokenizer.py):
/// Stanford CoreNLP 3.4.1's PTBTokenizer run with `-preserveLines -lowerCase`, then every token in
/// its PUNCTUATIONS list (`'' ' `` ` -LRB- -RRB- -LCB- -RCB- . ? ! , : - -- ... ;`) dropped and the
/// rest joined by one space. Because the tokenizer lower-cases first, `-lrb-` and the other
/// bracket tokens are *kept* (the list spells them in upper case), as in the reference.
///
/// This is a C++ reproduction of the lexer for the text captions contain, not the whole JFlex
/// grammar: words, numbers (3,000 / 2.5 / 5:30 / 1/2), hyphenated words, acronyms and the
/// abbreviations that keep their period, contractions (n't, 's, 'm, 'd, 're, 've, 'll, cannot,
/// gonna, gotta, wanna, lemme, gimme, 'tis, y'all, 'n'), quotes (straight, curly, LaTeX), brackets,
/// dashes, ellipses, currency signs (£ -> #, € -> $), the symbols it splits off (% & + * =) and
/// Unicode lower-casing (Java's String.toLowerCase, which equals Python's str.lower() here).
/// Where it differs from the Java tokenizer is listed in docs/metrics.md ("PTB tokenisation"),
/// measured on tests/metrics/fixtures/caption/ptb_tokenizer.json. A caption's '\n' is a space, as
/// pycocoevalcap replaces it before tokenising.
///
/// Thread-safe; `out` is replaced.
void ptb_tokenize(std::string_view caption, std::string& out);
[[nodiscard]] std::string ptb_tokenize(std::string_view caption);

}  // namespace lmmbench::metrics
