#include "harness/perf/prometheus.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <utility>

#include <fmt/format.h>

namespace lmmbench::harness::perf {

PromParseError::PromParseError(std::size_t line, const std::string& message)
    : std::runtime_error(fmt::format("line {}: {}", line, message)), line_(line) {}

namespace {

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

/// One line being read.
struct Cursor {
  std::string_view s;
  std::size_t line = 0;
  std::size_t i = 0;

  [[nodiscard]] bool done() const { return i >= s.size(); }
  [[nodiscard]] char peek() const { return s[i]; }
  void skip_blanks() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
      ++i;
  }
  [[noreturn]] void fail(const std::string& message) const { throw PromParseError(line, message); }

  /// Metric names may hold ':' (vllm:...); label names may not.
  std::string name(bool metric) {
    const std::size_t start = i;
    while (i < s.size() && (is_alpha(s[i]) || s[i] == '_' || (metric && s[i] == ':') ||
                            (i > start && is_digit(s[i]))))
      ++i;
    if (i == start) {
      fail(done() ? fmt::format("a {} name is missing", metric ? "metric" : "label")
                  : fmt::format("'{}' cannot start a {} name", s[i], metric ? "metric" : "label"));
    }
    return std::string(s.substr(start, i - start));
  }

  /// A blank-separated token (a value or a timestamp).
  std::string_view token() {
    const std::size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t')
      ++i;
    return s.substr(start, i - start);
  }

  /// A label value after its opening quote: `\\`, `\"` and `\n` are the only escapes.
  std::string quoted() {
    std::string out;
    for (; i < s.size(); ++i) {
      const char c = s[i];
      if (c == '"') {
        ++i;
        return out;
      }
      if (c != '\\') {
        out += c;
        continue;
      }
      if (++i == s.size()) break;
      switch (s[i]) {
        case '\\':
          out += '\\';
          break;
        case '"':
          out += '"';
          break;
        case 'n':
          out += '\n';
          break;
        default:
          fail(fmt::format("invalid escape sequence '\\{}' in a label value", s[i]));
      }
    }
    fail("a label value is not closed with '\"'");
  }
};

/// Go's strconv.ParseFloat, as Prometheus reads values: decimal or exponent notation, and NaN,
/// Inf, +Inf, -Inf (any case).
double parse_value(std::string_view t, const Cursor& c) {
  if (t.empty()) c.fail("a sample value is missing");
  std::string_view body = t;
  bool negative = false;
  if (body.front() == '+' || body.front() == '-') {
    negative = body.front() == '-';
    body.remove_prefix(1);
  }
  std::string lower;
  for (const char ch : body)
    lower += static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
  if (lower == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (lower == "inf" || lower == "infinity") {
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  double v = 0;
  const auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
  if (ec != std::errc{} || end != body.data() + body.size() || body.empty() ||
      !(is_digit(body.front()) || body.front() == '.')) {
    c.fail(fmt::format("'{}' is not a number", t));
  }
  return negative ? -v : v;
}

void read_comment(Cursor& c, PromExposition& out) {
  ++c.i;  // '#'
  c.skip_blanks();
  const std::string_view keyword = c.token();
  if (keyword != "HELP" && keyword != "TYPE") return;  // a comment
  c.skip_blanks();
  const std::string name = c.name(true);
  c.skip_blanks();
  if (keyword == "TYPE") {
    const std::string type(c.token());
    static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary",
                                                 "untyped"};
    if (!kTypes.contains(type)) c.fail(fmt::format("TYPE of {}: '{}' is not a type", name, type));
    c.skip_blanks();
    if (!c.done()) c.fail(fmt::format("TYPE of {}: text after the type", name));
    if (!out.types.emplace(name, type).second) {
      c.fail(fmt::format("a second TYPE line for {}", name));
    }
    return;
  }
  // HELP: the rest of the line, with `\\` and `\n` escaped (other escapes are kept as written).
  std::string help;
  for (; !c.done(); ++c.i) {
    const char ch = c.peek();
    if (ch == '\\' && c.i + 1 < c.s.size() && (c.s[c.i + 1] == '\\' || c.s[c.i + 1] == 'n')) {
      help += c.s[++c.i] == 'n' ? '\n' : '\\';
    } else {
      help += ch;
    }
  }
  out.help[name] = std::move(help);
}

void read_sample(Cursor& c, PromExposition& out) {
  PromSample sample;
  sample.name = c.name(true);
  c.skip_blanks();
  if (!c.done() && c.peek() == '{') {
    ++c.i;
    for (;;) {
      c.skip_blanks();
      if (c.done()) c.fail("labels are not closed with '}'");
      if (c.peek() == '}') {
        ++c.i;
        break;
      }
      std::string label = c.name(false);
      c.skip_blanks();
      if (c.done() || c.peek() != '=') c.fail(fmt::format("'=' expected after label {}", label));
      ++c.i;
      c.skip_blanks();
      if (c.done() || c.peek() != '"') c.fail(fmt::format("a quoted value expected for {}", label));
      ++c.i;
      std::string value = c.quoted();
      if (!sample.labels.emplace(label, std::move(value)).second) {
        c.fail(fmt::format("label {} given twice", label));
      }
      c.skip_blanks();
      if (!c.done() && c.peek() == ',') {
        ++c.i;
      } else if (c.done() || c.peek() != '}') {
        c.fail("',' or '}' expected after a label value");
      }
    }
    c.skip_blanks();
  }
  sample.value = parse_value(c.token(), c);
  c.skip_blanks();
  if (!c.done()) {
    const std::string_view t = c.token();
    std::int64_t ts = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), ts);
    if (ec != std::errc{} || end != t.data() + t.size()) {
      c.fail(fmt::format("'{}' is not a timestamp in milliseconds", t));
    }
    sample.timestamp_ms = ts;
    c.skip_blanks();
    if (!c.done()) c.fail("text after the timestamp");
  }
  out.samples.push_back(std::move(sample));
}

enum class Role { counter, gauge, sum, count, ignored };

struct Classified {
  Role role = Role::ignored;
  std::string family;  ///< Histograms and summaries: the name without _sum / _count.
};

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() > suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Classified classify(const std::string& name, const std::map<std::string, std::string>& types) {
  const auto type_of = [&](const std::string& n) -> std::string {
    const auto it = types.find(n);
    return it == types.end() ? "" : it->second;
  };
  const auto is_family = [](const std::string& t) {
    return t == "counter" || t == "histogram" || t == "summary";
  };
  if (const std::string type = type_of(name); !type.empty()) {
    if (type == "counter") return {Role::counter, name};
    if (type == "histogram" || type == "summary") return {};  // quantile samples
    // prometheus_client exposes a family's creation time as a gauge named x_created.
    if (ends_with(name, "_created")) {
      const std::string base = name.substr(0, name.size() - 8);
      if (is_family(type_of(base)) || type_of(base + "_total") == "counter") return {};
    }
    return {Role::gauge, name};
  }
  for (const std::string_view suffix : {"_sum", "_count", "_bucket", "_total", "_created"}) {
    if (!ends_with(name, suffix)) continue;
    const std::string base = name.substr(0, name.size() - suffix.size());
    const std::string type = type_of(base);
    if (type == "histogram" || type == "summary") {
      if (suffix == "_sum") return {Role::sum, base};
      if (suffix == "_count") return {Role::count, base};
      return {};
    }
    if (type == "counter") {
      if (suffix == "_total") return {Role::counter, name};
      return {};
    }
  }
  return {Role::gauge, name};  // untyped
}

std::string series_key(const std::string& name, const std::map<std::string, std::string>& labels) {
  std::string key = name;
  for (const auto& [k, v] : labels) {
    key += '\x1f';
    key += k;
    key += '\x1e';
    key += v;
  }
  return key;
}

std::string series_text(const std::string& name, const std::map<std::string, std::string>& labels) {
  std::string out = name;
  if (labels.empty()) return out;
  out += '{';
  bool first = true;
  for (const auto& [k, v] : labels) {
    out += fmt::format("{}{}=\"{}\"", first ? "" : ",", k, v);
    first = false;
  }
  return out + '}';
}

std::optional<double> finite(double v) {
  return std::isfinite(v) ? std::optional<double>(v) : std::nullopt;
}

/// after - before of a counter-like value: absent before counts from 0; a decrease is a reset.
double increase(const std::optional<double>& before, double after, const std::string& what,
                std::vector<std::string>& notes) {
  if (!before) return after;
  if (after < *before) {
    notes.push_back(
        fmt::format("{} went down from {:g} to {:g} during the level (the server "
                    "restarted?): its value after the level is used",
                    what, *before, after));
    return after;
  }
  return after - *before;
}

}  // namespace

PromExposition parse_prometheus_text(std::string_view text) {
  PromExposition out;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    Cursor c{line, line_no};
    c.skip_blanks();
    if (c.done()) continue;
    if (c.peek() == '#') {
      read_comment(c, out);
    } else {
      read_sample(c, out);
    }
  }
  return out;
}

reports::PerfServerMetrics prometheus_delta(const PromExposition& before,
                                            const PromExposition& after) {
  reports::PerfServerMetrics m;
  std::map<std::string, double> old;
  for (const auto& s : before.samples)
    old[series_key(s.name, s.labels)] = s.value;
  const auto old_value = [&](const PromSample& s) -> std::optional<double> {
    const auto it = old.find(series_key(s.name, s.labels));
    return it == old.end() ? std::nullopt : std::optional<double>(it->second);
  };
  std::map<std::string, std::size_t> histogram_index;
  for (const auto& s : after.samples) {
    const auto [role, family] = classify(s.name, after.types);
    if (role == Role::ignored) continue;
    if (role == Role::gauge) {
      m.gauges.push_back({s.name, s.labels, finite(s.value)});
      continue;
    }
    const double delta = increase(old_value(s), s.value, series_text(s.name, s.labels), m.notes);
    if (role == Role::counter) {
      m.counters.push_back({s.name, s.labels, finite(delta)});
      continue;
    }
    const std::string key = series_key(family, s.labels);
    auto [it, added] = histogram_index.emplace(key, m.histograms.size());
    if (added) m.histograms.push_back({family, s.labels, std::nullopt, std::nullopt, std::nullopt});
    auto& h = m.histograms[it->second];
    (role == Role::sum ? h.sum : h.count) = finite(delta);
  }
  for (auto& h : m.histograms) {
    if (h.sum && h.count && *h.count > 0) h.mean = *h.sum / *h.count;
  }
  return m;
}

PrometheusObserver::PrometheusObserver(std::string url, std::function<std::string()> fetch)
    : url_(std::move(url)), fetch_(std::move(fetch)) {}

std::optional<PromExposition> PrometheusObserver::scrape(std::string& error) {
  try {
    return parse_prometheus_text(fetch_());
  } catch (const PromParseError& e) {
    error = fmt::format("{} is not Prometheus text: {}", url_, e.what());
  } catch (const std::exception& e) {
    error = fmt::format("{}: {}", url_, e.what());
  }
  return std::nullopt;
}

void PrometheusObserver::before_level(std::size_t /*index*/) {
  before_error_.clear();
  before_ = scrape(before_error_);
}

void PrometheusObserver::after_level(std::size_t /*index*/, reports::PerfLevel& level) {
  std::string error;
  const auto after = scrape(error);
  reports::PerfServerMetrics m;
  if (before_ && after) {
    m = prometheus_delta(*before_, *after);
    m.scraped = true;
  }
  m.url = url_;
  if (!before_) m.notes.push_back("scrape before the level failed: " + before_error_);
  if (!after) m.notes.push_back("scrape after the level failed: " + error);
  level.server_metrics = std::move(m);
  before_.reset();
}

}  // namespace lmmbench::harness::perf
