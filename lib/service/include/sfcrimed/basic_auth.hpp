#pragma once
// HTTP basic authentication (RFC 7617) of the endpoint's users (metrics.users) against
// their bcrypt hashes, as Prometheus' exporters check theirs, with libxcrypt's crypt_rn;
// and the bcrypt hashes `sfcrimed hash-password` makes. The users file itself is read
// by sfcrimed/users_file.hpp (core), so that the configuration can check it.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sfcrimed/users_file.hpp"

namespace sfcrimed::http {

// The cost `sfcrimed hash-password` hashes with: 2^10 rounds of bcrypt's key schedule,
// tens of milliseconds of one core (docs/security-http.md has the figure).
inline constexpr int kBcryptCost = 10;
// bcrypt reads no more than this of a password; the rest would be ignored.
inline constexpr std::size_t kBcryptMaxPassword = 72;

// A new bcrypt hash ($2b$, `cost` from 4 to 31, a salt of random bytes from the system)
// of `password`. Throws std::invalid_argument for a password bcrypt cannot take whole
// (empty, over kBcryptMaxPassword bytes, or with a NUL byte) and std::runtime_error when
// libcrypt makes no hash. Thread-safe (crypt_gensalt_rn and crypt_rn, own buffers).
std::string bcrypt_hash(std::string_view password, int cost = kBcryptCost);

// Whether `password` hashes to `hash` (any bcrypt hash: $2a$, $2b$, $2y$), comparing in
// constant time; false for a hash libcrypt cannot use. Costs one bcrypt of the hash's
// cost. Thread-safe.
bool bcrypt_matches(std::string_view password, const std::string& hash);

// The users allowed in, and the answers already given. Not thread-safe: the HTTP server
// calls it on its loop's thread alone.
class BasicAuth {
 public:
  // What a 401 asks for (its WWW-Authenticate header).
  static constexpr std::string_view kChallenge = R"(Basic realm="sfcrimed", charset="UTF-8")";

  // `users` must not be empty. Makes one bcrypt hash (see allows()), so it takes as long
  // as one check of a password.
  explicit BasicAuth(std::vector<UserEntry> users, std::size_t remembered = 64);

  // Whether `authorization`, the value of a request's Authorization header, is "Basic "
  // and the base-64 of "name:password" for one of the users and its password.
  //
  // What it costs, on the calling (the loop's) thread: a header that is missing or not
  // Basic, nothing; a successful check, one bcrypt (tens of milliseconds at cost 10), and
  // then nothing for as long as it is remembered (the last `remembered` successful
  // headers, kept as SHA-256 digests, never as passwords), so that a scrape every few
  // seconds pays it once; a failed attempt, one bcrypt every time, since failures are not
  // remembered: an unknown name is checked against a hash of the first user's cost, so
  // that how long the answer takes does not tell which names exist. Nothing limits the
  // rate of attempts (docs/security-http.md).
  bool allows(std::string_view authorization);

  [[nodiscard]] std::size_t users() const { return users_.size(); }
  // How many successful headers are remembered now (at most `remembered`).
  [[nodiscard]] std::size_t remembered() const { return remembered_.size(); }

 private:
  using Digest = std::array<unsigned char, 32>;

  [[nodiscard]] bool checks(std::string_view credentials) const;
  [[nodiscard]] bool remembers(const Digest& digest) const;
  void remember(const Digest& digest);

  std::vector<UserEntry> users_;
  std::string unknown_user_hash_;   // what an unknown name is checked against
  std::vector<Digest> remembered_;  // a ring of the last successful headers' digests
  std::size_t capacity_;
  std::size_t next_ = 0;  // where the next one goes, once the ring is full
};

}  // namespace sfcrimed::http
