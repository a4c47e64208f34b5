#pragma once
// The users of the HTTP endpoint's basic authentication (metrics.users), as the file
// writes them: one `name:hash` a line, what `htpasswd -nbB name password` and
// `sfcrimed hash-password --user name` print, with bcrypt hashes only. Read here, below
// the HTTP layer and without libcrypt, so that the configuration can check the file
// without depending on either; checking a password against a hash is the service's
// (sfcrimed/basic_auth.hpp). Pure functions: safe from any thread.

#include <string>
#include <string_view>
#include <vector>

namespace sfcrimed {

struct UserEntry {
  std::string name;
  std::string hash;  // bcrypt: $2a$, $2b$ or $2y$, a cost of 04 to 31, 22 characters of salt, 31 of hash
};

// Whether `hash` is written as a bcrypt hash (its form only: the salt and hash characters
// of bcrypt's base-64 alphabet, 60 characters in all).
bool is_bcrypt_hash(std::string_view hash);

// The users in `text`, in the file's order. Blank lines and lines whose first character
// other than a space is '#' are skipped; a line ending in "\r\n" is read as one ending in
// "\n". Throws std::invalid_argument "SOURCE:LINE: what is wrong" for a line that is not
// name:hash, a name given twice or a hash that is not bcrypt (the message never shows the
// hash), and "SOURCE: no users" for a text without any.
std::vector<UserEntry> parse_users(std::string_view text, const std::string& source);

// parse_users() of the file `path` (named by its path in the messages); throws
// std::invalid_argument too when the file cannot be read, saying why.
std::vector<UserEntry> read_users_file(const std::string& path);

}  // namespace sfcrimed
