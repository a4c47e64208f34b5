#pragma once
// The TLS of the HTTP endpoint (metrics.tls_certificate, metrics.tls_key): an OpenSSL
// server context through Boost.Asio, loaded once at start-up.

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <stdexcept>
#include <string>

namespace sfcrimed::http {

// The certificate or the key cannot be used (missing, not PEM, not matching): the
// configuration's fault, not the network's.
class TlsFilesError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A server context with the certificate chain `certificate_file` (PEM: the server's
// certificate first, then any intermediates) and its private key `key_file` (PEM,
// unencrypted), TLS 1.2 at least and only ciphers with forward secrecy. Throws
// TlsFilesError naming the file and OpenSSL's reason. The context is immutable once
// made, and the connections of one server share it (on its loop's thread).
std::shared_ptr<boost::asio::ssl::context> server_tls_context(const std::string& certificate_file,
                                                              const std::string& key_file);

}  // namespace sfcrimed::http
