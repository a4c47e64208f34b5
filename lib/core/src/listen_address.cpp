#include "sfcrimed/listen_address.hpp"

#include <boost/asio/ip/address.hpp>
#include <stdexcept>

namespace sfcrimed {

boost::asio::ip::tcp::endpoint parse_listen_address(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size()) {
    throw std::invalid_argument("'" + listen + "' is not host:port (e.g. 127.0.0.1:9464, or :9464 for every address)");
  }
  std::string host = listen.substr(0, colon);
  const std::string port_text = listen.substr(colon + 1);
  unsigned long port = 0;
  std::size_t used = 0;
  try {
    port = std::stoul(port_text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != port_text.size() || port > 65535) {
    throw std::invalid_argument("'" + port_text + "' in '" + listen + "' is not a port (0-65535)");
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty() || host == "*") {
    host = "0.0.0.0";
  } else if (host == "localhost") {
    host = "127.0.0.1";
  }
  boost::system::error_code error;
  const auto address = boost::asio::ip::make_address(host, error);
  if (error) {
    throw std::invalid_argument("'" + host + "' in '" + listen +
                                "' is not an IP address (use 127.0.0.1, ::1, 0.0.0.0 or localhost)");
  }
  return {address, static_cast<unsigned short>(port)};
}

}  // namespace sfcrimed
