#pragma once
// The address a server of sfcrimed listens on, as the configuration writes it; read here,
// below the HTTP layer, so that the configuration can check it without depending on it.

#include <boost/asio/ip/tcp.hpp>
#include <string>

namespace sfcrimed {

// "127.0.0.1:9464", "[::1]:9464", "localhost:9464", ":9464" (every address) to an
// endpoint; throws std::invalid_argument saying what is wrong.
boost::asio::ip::tcp::endpoint parse_listen_address(const std::string& listen);

}  // namespace sfcrimed
