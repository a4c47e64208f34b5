#include "sfcrimed/basic_auth.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>

namespace sfcrimed::http {
namespace {

// RFC 4648's alphabet; -1 for a character outside it.
int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  return c == '+' ? 62 : c == '/' ? 63 : -1;
}

// The bytes `text` encodes in base 64 (padded, as RFC 7617 sends them), or nothing for
// text that is not base 64.
std::optional<std::string> decode_base64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) {
    return std::nullopt;
  }
  std::string bytes;
  std::uint32_t bits = 0;
  int pending = 0;  // bits in `bits` not yet written out
  std::size_t padding = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '=') {
      if (i + 2 < text.size()) {
        return std::nullopt;  // padding only in the last two places
      }
      ++padding;
      continue;
    }
    const int value = base64_value(text[i]);
    if (value < 0 || padding > 0) {
      return std::nullopt;
    }
    bits = (bits << 6U) | static_cast<std::uint32_t>(value);
    pending += 6;
    if (pending >= 8) {
      pending -= 8;
      bytes.push_back(static_cast<char>((bits >> static_cast<unsigned>(pending)) & 0xFFU));
    }
  }
  return bytes;
}

// "Basic <token>" (the scheme in any case, spaces around the token) to its token.
std::optional<std::string_view> basic_token(std::string_view authorization) {
  constexpr std::string_view kScheme = "basic ";
  if (authorization.size() <= kScheme.size() ||
      !std::equal(kScheme.begin(), kScheme.end(), authorization.begin(), [](char scheme, char given) {
        return scheme == (given >= 'A' && given <= 'Z' ? given + 32 : given);
      })) {
    return std::nullopt;
  }
  std::string_view token = authorization.substr(kScheme.size());
  token.remove_prefix(std::min(token.find_first_not_of(' '), token.size()));
  token = token.substr(0, token.find_last_not_of(' ') + 1);
  return token;
}

// A bcrypt hash's cost: the two digits after "$2b$".
int cost_of(const std::string& hash) { return (hash[4] - '0') * 10 + (hash[5] - '0'); }

}  // namespace

std::string bcrypt_hash(std::string_view password, int cost) {
  if (password.empty() || password.size() > kBcryptMaxPassword || password.find('\0') != std::string_view::npos) {
    throw std::invalid_argument("a password for bcrypt must have 1 to " + std::to_string(kBcryptMaxPassword) +
                                " bytes and no NUL byte (it reads no more than that)");
  }
  std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> setting{};
  // No random bytes given: libcrypt takes them from the system (getrandom).
  if (crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, setting.data(),
                       static_cast<int>(setting.size())) == nullptr) {
    throw std::runtime_error("libcrypt cannot make a bcrypt salt of cost " + std::to_string(cost) +
                             " (the cost must be 4 to 31)");
  }
  // crypt_data is 32 KiB: on the heap, not on a coroutine's or a test thread's stack.
  const auto data = std::make_unique<crypt_data>();
  const std::string phrase(password);
  const char* hash = crypt_rn(phrase.c_str(), setting.data(), data.get(), sizeof(crypt_data));
  if (hash == nullptr) {
    throw std::runtime_error("libcrypt made no bcrypt hash; does this libcrypt support bcrypt ($2b$)?");
  }
  return hash;
}

bool bcrypt_matches(std::string_view password, const std::string& hash) {
  if (password.find('\0') != std::string_view::npos) {
    return false;
  }
  const auto data = std::make_unique<crypt_data>();
  const std::string phrase(password);
  const char* computed = crypt_rn(phrase.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  if (computed == nullptr) {
    return false;
  }
  const std::string_view result(computed);
  return result.size() == hash.size() && CRYPTO_memcmp(result.data(), hash.data(), hash.size()) == 0;
}

BasicAuth::BasicAuth(std::vector<UserEntry> users, std::size_t remembered)
    : users_(std::move(users)), capacity_(std::max<std::size_t>(remembered, 1)) {
  if (users_.empty()) {
    throw std::invalid_argument("basic authentication needs at least one user");
  }
  for (const auto& user : users_) {
    if (!is_bcrypt_hash(user.hash)) {
      throw std::invalid_argument("the hash of user '" + user.name + "' is not a bcrypt hash");
    }
  }
  unknown_user_hash_ = bcrypt_hash("no such user", cost_of(users_.front().hash));
  remembered_.reserve(capacity_);
}

bool BasicAuth::allows(std::string_view authorization) {
  const auto token = basic_token(authorization);
  if (!token) {
    return false;
  }
  Digest digest{};
  unsigned int size = 0;
  EVP_Digest(authorization.data(), authorization.size(), digest.data(), &size, EVP_sha256(), nullptr);
  if (remembers(digest)) {
    return true;
  }
  const auto credentials = decode_base64(*token);
  if (!credentials || !checks(*credentials)) {
    return false;
  }
  remember(digest);
  return true;
}

bool BasicAuth::checks(std::string_view credentials) const {
  const auto colon = credentials.find(':');
  if (colon == std::string_view::npos) {
    return false;
  }
  const std::string_view name = credentials.substr(0, colon);
  const std::string_view password = credentials.substr(colon + 1);
  const auto user = std::ranges::find(users_, name, &UserEntry::name);
  if (user == users_.end()) {
    (void)bcrypt_matches(password, unknown_user_hash_);  // the same time as a known name's check
    return false;
  }
  return bcrypt_matches(password, user->hash);
}

bool BasicAuth::remembers(const Digest& digest) const {
  return std::ranges::any_of(
      remembered_, [&](const Digest& known) { return CRYPTO_memcmp(known.data(), digest.data(), digest.size()) == 0; });
}

void BasicAuth::remember(const Digest& digest) {
  if (remembered_.size() < capacity_) {
    remembered_.push_back(digest);
    return;
  }
  remembered_[next_] = digest;  // the oldest goes
  next_ = (next_ + 1) % capacity_;
}

}  // namespace sfcrimed::http
