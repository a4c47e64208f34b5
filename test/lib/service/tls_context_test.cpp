#include "sfcrimed/tls_context.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "temp_files.hpp"
#include "test_certificate.hpp"

TEST_CASE("TLS: files that cannot be used name the file and why", "[http][tls]") {
  const sfcrimed::test::TempDir dir;
  const auto certificate = sfcrimed::test::make_test_certificate(dir);
  const auto other = sfcrimed::test::make_test_certificate(dir, "other");
  using sfcrimed::http::server_tls_context;
  using sfcrimed::http::TlsFilesError;
  CHECK_THROWS_MATCHES(server_tls_context(dir.file("none.crt"), certificate.key), TlsFilesError,
                       Catch::Message("cannot use '" + dir.file("none.crt") +
                                      "' as a PEM certificate chain (No such file or directory)"));
  CHECK_THROWS_WITH(server_tls_context(certificate.key, certificate.key),
                    Catch::StartsWith("cannot use '" + certificate.key + "' as a PEM certificate chain ("));
  CHECK_THROWS_WITH(server_tls_context(certificate.certificate, certificate.certificate),
                    Catch::StartsWith("cannot use '" + certificate.certificate + "' as a PEM private key ("));
  CHECK_THROWS_WITH(
      server_tls_context(certificate.certificate, other.key),
      "the private key '" + other.key + "' is not the key of the certificate '" + certificate.certificate + "'");
  // An encrypted key fails at once, never waiting for a pass phrase on a terminal.
  const std::string encrypted = dir.file("encrypted.key");
  sfcrimed::test::openssl("pkey -in '" + certificate.key + "' -aes256 -passout pass:secret -out '" + encrypted + "'");
  CHECK_THROWS_WITH(server_tls_context(certificate.certificate, encrypted),
                    Catch::StartsWith("cannot use '" + encrypted + "' as a PEM private key ("));
  CHECK(server_tls_context(certificate.certificate, certificate.key) != nullptr);
}
