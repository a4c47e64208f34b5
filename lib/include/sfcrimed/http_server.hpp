#pragma once
// sfcrimed's HTTP endpoint: a small read-only HTTP/1.1 server (Boost.Beast) on the
// service's Asio loop, answering GET (and HEAD) for a fixed set of paths: /metrics for
// Prometheus, /healthz and /readyz for supervisors and load balancers. Handlers run on
// the loop's thread, so they must be quick; they read the state the other threads publish
// (atomics, Prometheus metrics).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace sfcrimed::http {

struct Response {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using Handler = std::function<Response()>;

class Server {
 public:
  // Listens on `listen` ("host:port"; port 0 picks a free one) at once, so that a taken
  // port is an error at start-up; throws std::runtime_error naming the address.
  Server(boost::asio::io_context& io, const std::string& listen);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Adds a path before start(); any other path answers 404 with the list of paths.
  void route(const std::string& path, Handler handler);
  // Starts accepting connections on the loop.
  void start();
  // Stops accepting; connections already open finish their current request.
  void stop();

  [[nodiscard]] boost::asio::ip::tcp::endpoint endpoint() const;

 private:
  using Routes = std::map<std::string, Handler, std::less<>>;
  void accept();

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer accept_retry_;  // after a failed accept (out of descriptors, say)
  std::shared_ptr<Routes> routes_;
};

// "127.0.0.1:9464", "[::1]:9464", "localhost:9464", ":9464" (every address) to an
// endpoint; throws std::invalid_argument saying what is wrong.
boost::asio::ip::tcp::endpoint parse_listen_address(const std::string& listen);

}  // namespace sfcrimed::http
