#include "sfcrimed/users_file.hpp"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace sfcrimed {
namespace {

// bcrypt's own base-64 alphabet (not RFC 4648's): "./", then A-Z, a-z, 0-9.
bool is_bcrypt_character(char c) { return (c >= '.' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// What is wrong with `name:hash` (`line`, trimmed), or "" when nothing is.
std::string line_problem(std::string_view line, std::string_view name, std::string_view hash,
                         const std::vector<UserEntry>& earlier) {
  if (line.find(':') == std::string_view::npos) {
    return "not name:hash (htpasswd -nbB NAME PASSWORD, or sfcrimed hash-password --user NAME, writes one)";
  }
  if (name.empty()) {
    return "no user name before ':'";
  }
  if (std::ranges::any_of(earlier, [&](const UserEntry& user) { return user.name == name; })) {
    return "user '" + std::string(name) + "' is given twice";
  }
  if (!is_bcrypt_hash(hash)) {
    return "the hash of user '" + std::string(name) +
           "' is not a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters; htpasswd needs -B for one)";
  }
  return "";
}

}  // namespace

bool is_bcrypt_hash(std::string_view hash) {
  // $2b$10$ then 53 characters: 22 of salt, 31 of hash.
  constexpr std::size_t kLength = 60;
  constexpr std::size_t kPrefix = 7;
  if (hash.size() != kLength || hash[0] != '$' || hash[1] != '2' || hash[3] != '$' || hash[6] != '$') {
    return false;
  }
  if (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') {
    return false;
  }
  const int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
  const bool digits = hash[4] >= '0' && hash[4] <= '9' && hash[5] >= '0' && hash[5] <= '9';
  return digits && cost >= 4 && cost <= 31 && std::all_of(hash.begin() + kPrefix, hash.end(), is_bcrypt_character);
}

std::vector<UserEntry> parse_users(std::string_view text, const std::string& source) {
  std::vector<UserEntry> users;
  std::size_t number = 0;
  while (!text.empty()) {
    ++number;
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    line = trimmed(line);
    if (line.empty() || line.front() == '#') {
      continue;
    }
    const auto colon = line.find(':');
    const std::string_view name = line.substr(0, colon);
    const std::string_view hash = colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
    if (const std::string problem = line_problem(line, name, hash, users); !problem.empty()) {
      throw std::invalid_argument(source + ":" + std::to_string(number) + ": " + problem);
    }
    users.push_back({std::string(name), std::string(hash)});
  }
  if (users.empty()) {
    throw std::invalid_argument(source + ": no users (one name:hash a line), so nobody could log in");
  }
  return users;
}

std::vector<UserEntry> read_users_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw std::invalid_argument("cannot read '" + path + "' (" + std::generic_category().message(errno) + ")");
  }
  // Read no more than a users file could need: a path to a device or a log by mistake
  // must not hang the start or fill the memory.
  constexpr std::streamsize kMaxSize = 1 << 20;
  std::string text(kMaxSize + 1, '\0');
  file.read(text.data(), kMaxSize + 1);
  text.resize(static_cast<std::size_t>(file.gcount()));
  if (text.size() > static_cast<std::size_t>(kMaxSize)) {
    throw std::invalid_argument(path + ": larger than 1 MiB, so not a users file (name:hash lines)");
  }
  return parse_users(text, path);
}

}  // namespace sfcrimed
