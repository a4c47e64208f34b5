#include "sfcrimed/basic_auth.hpp"

#include <catch2/catch.hpp>
#include <string>

using sfcrimed::UserEntry;
using sfcrimed::http::BasicAuth;
using sfcrimed::http::bcrypt_hash;
using sfcrimed::http::bcrypt_matches;

namespace {

// Authorization headers: "Basic " and the base-64 of "name:password".
constexpr const char* kRight = "Basic cHJvbWV0aGV1czpyaWdodCBwYXNzd29yZA==";  // prometheus:right password
constexpr const char* kWrong = "Basic cHJvbWV0aGV1czp3cm9uZyBwYXNzd29yZA==";  // prometheus:wrong password
constexpr const char* kUnknown = "Basic bm9ib2R5OnJpZ2h0IHBhc3N3b3Jk";        // nobody:right password

}  // namespace

TEST_CASE("bcrypt hashes: $2b$ of cost 10, salted anew each time, matching their password only", "[auth]") {
  const std::string hash = bcrypt_hash("right password");
  CHECK(sfcrimed::is_bcrypt_hash(hash));
  CHECK_THAT(hash, Catch::StartsWith("$2b$10$"));
  CHECK(bcrypt_hash("right password") != hash);
  CHECK(bcrypt_matches("right password", hash));
  CHECK_FALSE(bcrypt_matches("wrong password", hash));
  CHECK_FALSE(bcrypt_matches("right passwor", hash));
  CHECK_FALSE(bcrypt_matches("right password", "not a hash"));
  CHECK_THAT(bcrypt_hash("x", 4), Catch::StartsWith("$2b$04$"));
  // $2a$ and $2y$ (htpasswd writes $2y$) are the same function for such a password.
  for (const char* prefix : {"$2a$", "$2y$"}) {
    INFO(prefix);
    CHECK(bcrypt_matches("right password", prefix + hash.substr(4)));
  }
  // A published test vector of bcrypt (OpenBSD's and crypt_blowfish's).
  CHECK(bcrypt_matches("U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"));
  CHECK_THROWS_AS(bcrypt_hash(""), std::invalid_argument);
  CHECK_THROWS_AS(bcrypt_hash(std::string(73, 'x')), std::invalid_argument);
  CHECK_THROWS_AS(bcrypt_hash(std::string("a\0b", 3)), std::invalid_argument);
  CHECK_THROWS_AS(bcrypt_hash("x", 3), std::runtime_error);
}

TEST_CASE("basic authentication: the right name and password only, successes remembered", "[auth]") {
  BasicAuth auth({UserEntry{"prometheus", bcrypt_hash("right password", 4)}}, 2);
  CHECK_FALSE(auth.allows(""));
  CHECK_FALSE(auth.allows("Bearer cHJvbWV0aGV1czpyaWdodCBwYXNzd29yZA=="));
  CHECK_FALSE(auth.allows(kWrong));
  CHECK_FALSE(auth.allows(kUnknown));
  CHECK_FALSE(auth.allows("Basic"));
  CHECK_FALSE(auth.allows("Basic !!!!"));
  CHECK_FALSE(auth.allows("Basic cHJvbWV0aGV1cw=="));  // "prometheus": no password at all
  CHECK(auth.remembered() == 0);                       // failures are never remembered

  CHECK(auth.allows(kRight));
  CHECK(auth.remembered() == 1);
  CHECK(auth.allows(kRight));  // from memory: the same header
  CHECK(auth.remembered() == 1);
  // The scheme in any case and spaces around the credentials, as RFC 7617 allows.
  CHECK(auth.allows("basic  cHJvbWV0aGV1czpyaWdodCBwYXNzd29yZA== "));
  CHECK(auth.allows("BASIC cHJvbWV0aGV1czpyaWdodCBwYXNzd29yZA=="));
  CHECK(auth.remembered() == 2);  // bounded: the oldest went
  CHECK(auth.allows(kRight));     // checked again
  CHECK_FALSE(auth.allows(kWrong));
}

TEST_CASE("basic authentication needs users with bcrypt hashes", "[auth]") {
  CHECK_THROWS_AS(BasicAuth({}), std::invalid_argument);
  CHECK_THROWS_WITH(BasicAuth({UserEntry{"alice", "secret"}}), "the hash of user 'alice' is not a bcrypt hash");
}
