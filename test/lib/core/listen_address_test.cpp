#include "sfcrimed/listen_address.hpp"

#include <boost/asio/ip/address.hpp>
#include <catch2/catch.hpp>

using sfcrimed::parse_listen_address;
using tcp = boost::asio::ip::tcp;

TEST_CASE("listen addresses: IPv4, IPv6, localhost, every address, and clear errors", "[http]") {
  CHECK(parse_listen_address("127.0.0.1:9464") == tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 9464));
  CHECK(parse_listen_address("[::1]:80") == tcp::endpoint(boost::asio::ip::make_address("::1"), 80));
  CHECK(parse_listen_address("localhost:1").address().to_string() == "127.0.0.1");
  CHECK(parse_listen_address(":9464").address().to_string() == "0.0.0.0");
  CHECK_THROWS_WITH(parse_listen_address("9464"), Catch::Contains("is not host:port"));
  CHECK_THROWS_WITH(parse_listen_address("127.0.0.1:http"),
                    Catch::Contains("'http' in '127.0.0.1:http' is not a port"));
  CHECK_THROWS_WITH(parse_listen_address("127.0.0.1:65536"), Catch::Contains("is not a port"));
  CHECK_THROWS_WITH(parse_listen_address("example.org:80"), Catch::Contains("is not an IP address"));
}
