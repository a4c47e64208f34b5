#include "sfcrimed/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace sfcrimed::http {

namespace ssl = boost::asio::ssl;

std::shared_ptr<ssl::context> server_tls_context(const std::string& certificate_file, const std::string& key_file) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  // TLS 1.0 and 1.1 are deprecated (RFC 8996); Prometheus, curl and browsers speak 1.2
  // and 1.3. Forward secrecy only (ECDHE, DHE) for 1.2; 1.3's suites all have it.
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  SSL_CTX_set_cipher_list(context->native_handle(), "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20");
  boost::system::error_code error;
  context->use_certificate_chain_file(certificate_file, error);
  if (error) {
    throw TlsFilesError("cannot use '" + certificate_file + "' as a PEM certificate chain (" + error.message() + ")");
  }
  // An encrypted key would make OpenSSL ask for its pass phrase on the terminal; a
  // service has none to give, so an empty one fails it instead.
  context->set_password_callback([](std::size_t, ssl::context::password_purpose) { return std::string(); });
  context->use_private_key_file(key_file, ssl::context::pem, error);
  if (error && ERR_GET_REASON(static_cast<unsigned long>(error.value())) == X509_R_KEY_VALUES_MISMATCH) {
    throw TlsFilesError("the private key '" + key_file + "' is not the key of the certificate '" + certificate_file +
                        "'");
  }
  if (error) {
    throw TlsFilesError("cannot use '" + key_file + "' as a PEM private key (" + error.message() + ")");
  }
  return context;
}

}  // namespace sfcrimed::http
