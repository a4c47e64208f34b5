#include "sfcrimed/users_file.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "temp_files.hpp"

using sfcrimed::is_bcrypt_hash;
using sfcrimed::parse_users;
using sfcrimed::read_users_file;

namespace {

// The form of bcrypt hashes (the salt and hash need not be any password's here).
std::string hash_b() { return "$2b$10$" + std::string(53, 'a'); }
std::string hash_y() { return "$2y$05$abcdefghijklmnopqrstuv./ABCDEFGHIJKLMNOPQRSTUVWXYZ012"; }

std::string error_of(const std::string& text) {
  try {
    (void)parse_users(text, "users");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("bcrypt hashes by their form: $2a$, $2b$, $2y$, a cost of 4 to 31, 53 characters", "[users]") {
  CHECK(is_bcrypt_hash(hash_b()));
  CHECK(is_bcrypt_hash(hash_y()));
  CHECK(is_bcrypt_hash("$2a$31$" + std::string(53, '.')));
  CHECK_FALSE(is_bcrypt_hash("$2x$10$" + std::string(53, 'a')));  // crypt_blowfish's buggy-8-bit variant
  CHECK_FALSE(is_bcrypt_hash("$2b$03$" + std::string(53, 'a')));  // below bcrypt's least cost
  CHECK_FALSE(is_bcrypt_hash("$2b$32$" + std::string(53, 'a')));
  CHECK_FALSE(is_bcrypt_hash("$2b$1a$" + std::string(53, 'a')));
  CHECK_FALSE(is_bcrypt_hash("$2b$10$" + std::string(52, 'a')));
  CHECK_FALSE(is_bcrypt_hash("$2b$10$" + std::string(52, 'a') + "+"));   // not bcrypt's alphabet
  CHECK_FALSE(is_bcrypt_hash("$apr1$oJlOcRVH$R4p7xjVv5dg0tr4WyJJzg."));  // htpasswd -m (MD5)
  CHECK_FALSE(is_bcrypt_hash("{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="));      // htpasswd -s
  CHECK_FALSE(is_bcrypt_hash(""));
}

TEST_CASE("a users file: name:hash lines, comments, blank lines and CRLF", "[users]") {
  const auto users = parse_users(
      "# sfcrimed's users\n\nprometheus:" + hash_b() + "\r\n  # the team\n  alice:" + hash_y() + "  \n", "users");
  REQUIRE(users.size() == 2);
  CHECK(users[0].name == "prometheus");
  CHECK(users[0].hash == hash_b());
  CHECK(users[1].name == "alice");
  CHECK(users[1].hash == hash_y());
  // No newline at the end, as an editor may leave it.
  CHECK(parse_users("bob:" + hash_b(), "users").size() == 1);
}

TEST_CASE("a users file that is not name:bcrypt-hash lines: the source and line, never the hash", "[users]") {
  CHECK(error_of("# one\nprometheus " + hash_b() + "\n") ==
        "users:2: not name:hash (htpasswd -nbB NAME PASSWORD, or "
        "sfcrimed hash-password --user NAME, writes one)");
  CHECK(error_of(":" + hash_b()) == "users:1: no user name before ':'");
  CHECK(error_of("a:" + hash_b() + "\nb:" + hash_b() + "\na:" + hash_y()) == "users:3: user 'a' is given twice");
  const std::string md5 = error_of("alice:$apr1$oJlOcRVH$R4p7xjVv5dg0tr4WyJJzg.\n");
  CHECK_THAT(md5, Catch::StartsWith("users:1: the hash of user 'alice' is not a bcrypt hash") &&
                      Catch::Contains("htpasswd needs -B"));
  CHECK_THAT(md5, !Catch::Contains("oJlOcRVH"));
  CHECK_THAT(error_of("alice:plain text password\n"), !Catch::Contains("plain text password"));
  CHECK(error_of("# nobody yet\n\n") == "users: no users (one name:hash a line), so nobody could log in");
  CHECK(error_of("") == "users: no users (one name:hash a line), so nobody could log in");
}

TEST_CASE("a users file read from disk, named in its errors", "[users]") {
  const sfcrimed::test::TempDir dir;
  const std::string good = dir.write("users", "prometheus:" + hash_b() + "\n");
  CHECK(read_users_file(good).at(0).name == "prometheus");
  const std::string bad = dir.write("bad", "prometheus:" + hash_b() + "\nalice:secret\n");
  CHECK_THROWS_WITH(read_users_file(bad), Catch::StartsWith(bad + ":2: the hash of user 'alice'"));
  CHECK_THROWS_WITH(read_users_file(dir.file("none")),
                    "cannot read '" + dir.file("none") + "' (No such file or directory)");
}
