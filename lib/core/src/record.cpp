#include "sfcrimed/record.hpp"

#include <chrono>

namespace sfcrimed {
namespace {

// Reads exactly `width` decimal digits at `pos`; -1 when they are not all digits.
int digits(std::string_view text, std::size_t pos, std::size_t width) {
  if (pos + width > text.size()) {
    return -1;
  }
  int value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') {
      return -1;
    }
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

std::optional<WallSeconds> parse_wall_time(std::string_view text) {
  // YYYY-MM-DDTHH:MM is the shortest form: 16 characters.
  if (text.size() < 16 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':') {
    return std::nullopt;
  }
  const int year = digits(text, 0, 4);
  const int month = digits(text, 5, 2);
  const int day = digits(text, 8, 2);
  const int hour = digits(text, 11, 2);
  const int minute = digits(text, 14, 2);
  int second = 0;
  std::size_t end = 16;
  if (text.size() > end) {
    if (text[end] != ':') {
      return std::nullopt;
    }
    second = digits(text, end + 1, 2);
    end += 3;
    if (text.size() > end) {
      const std::size_t fraction = text.size() - end - 1;
      if (text[end] != '.' || fraction < 1 || fraction > 9 || digits(text, end + 1, fraction) < 0) {
        return std::nullopt;
      }
    }
  }
  if (year < 0 || month < 1 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 ||
      second > 59) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) {
    return std::nullopt;
  }
  const auto days = std::chrono::sys_days{date}.time_since_epoch().count();
  return static_cast<WallSeconds>(days) * 86400 + WallSeconds{hour} * 3600 + WallSeconds{minute} * 60 + second;
}

std::string format_wall_time(WallSeconds seconds) {
  const std::chrono::sys_seconds instant{std::chrono::seconds{seconds}};
  const auto day = std::chrono::floor<std::chrono::days>(instant);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss time{instant - day};
  // By hand rather than snprintf: the pipeline writes two of these per stats message.
  std::string text = "0000-00-00T00:00:00";
  const auto put = [&text](std::size_t end, long value, std::size_t width) {
    for (std::size_t i = 0; i < width; ++i, value /= 10) {
      text[end - i] = static_cast<char>('0' + value % 10);
    }
  };
  put(6, static_cast<long>(static_cast<unsigned>(date.month())), 2);
  put(9, static_cast<long>(static_cast<unsigned>(date.day())), 2);
  put(12, static_cast<long>(time.hours().count()), 2);
  put(15, static_cast<long>(time.minutes().count()), 2);
  put(18, static_cast<long>(time.seconds().count()), 2);
  const int year = static_cast<int>(date.year());
  if (year < 0 || year > 9999) {
    return std::to_string(year) + text.substr(4);  // outside the format, but still readable
  }
  put(3, year, 4);
  return text;
}

}  // namespace sfcrimed
