#pragma once
// sfcrimed's HTTP endpoint: a small read-only HTTP/1.1 server (Boost.Beast) on the
// service's Asio loop, answering GET (and HEAD) for a fixed set of paths: /metrics for
// Prometheus, /healthz and /readyz for supervisors and load balancers, the live page and
// its data, and streams of server-sent events (the live page's updates). Handlers run on
// the loop's thread, so they must be quick; they read the state the other threads publish
// (atomics, Prometheus metrics).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace sfcrimed::http {

namespace detail {
class EventClient;  // one connection of an event stream (lib/service/src/http_server.cpp)
struct Routes;      // the paths served
}  // namespace detail

struct Response {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using Handler = std::function<Response()>;

// A stream of server-sent events (text/event-stream, the browser's EventSource) on one
// path. Each client gets every event published while it is connected, and the latest
// one at once when it connects. Events are whole states, so a client too slow to take
// each one gets the latest instead of a growing queue. Loop thread only.
class EventStream {
 public:
  // Sends `data` (one line: JSON, say) as one event to every client.
  void publish(const std::string& data);
  [[nodiscard]] std::size_t clients();
  // Disconnects every client (the server stops).
  void close_all();

 private:
  friend class Server;
  friend class detail::EventClient;
  std::string latest_;  // the last event, framed
  std::vector<std::weak_ptr<detail::EventClient>> clients_;
};

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
  // Adds a path serving an event stream before start(), and returns the stream to publish on.
  std::shared_ptr<EventStream> events(const std::string& path);
  // Starts accepting connections on the loop.
  void start();
  // Stops accepting and disconnects the event streams' clients; other connections
  // already open finish their current request.
  void stop();

  [[nodiscard]] boost::asio::ip::tcp::endpoint endpoint() const;

 private:
  void accept();

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer accept_retry_;  // after a failed accept (out of descriptors, say)
  std::shared_ptr<detail::Routes> routes_;
};

}  // namespace sfcrimed::http
