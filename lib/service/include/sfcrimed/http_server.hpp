#pragma once
// sfcrimed's HTTP endpoint: a small read-only HTTP/1.1 server (Boost.Beast) on the
// service's Asio loop, answering GET (and HEAD) for a fixed set of paths: /metrics for
// Prometheus, /healthz and /readyz for supervisors and load balancers, the live page and
// its data, and streams of server-sent events (the live page's updates). Handlers run on
// the loop's thread, so they must be quick; they read the state the other threads publish
// (atomics, Prometheus metrics).
//
// Made to face a network it does not trust (docs/security-http.md): optionally TLS
// (sfcrimed/tls_context.hpp) and basic authentication against bcrypt hashes
// (sfcrimed/basic_auth.hpp), and always the limits of ServerOptions, so that a client
// cannot hold connections, memory or the loop for longer than they say.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sfcrimed/users_file.hpp"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace sfcrimed::http {

namespace detail {
class EventClient;   // one connection of an event stream (lib/service/src/detail/http_state.hpp)
struct ServerState;  // the routes, the options and the open connections of one server
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
  friend class detail::EventClient;
  std::string latest_;  // the last event, framed
  std::vector<std::weak_ptr<detail::EventClient>> clients_;
};

// What a server takes from its clients, and whom it serves. The defaults are what a port
// open to a network needs; tests make them small.
struct ServerOptions {
  // A request must arrive whole (its header and any body) this soon after the connection
  // opens (the TLS handshake included) or, on a kept-alive connection, after the first
  // byte of it arrives; else the connection is closed without an answer. A client that
  // sends half a request and waits holds a connection this long, no longer.
  std::chrono::milliseconds header_timeout{std::chrono::seconds(5)};
  // A kept-alive connection on which no byte of a next request arrives for this long is
  // closed (Prometheus keeps its connection open between scrapes, and reconnects when
  // it must).
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
  // Connections open at once, event streams' included. One more is closed as soon as it
  // is accepted, unanswered; the refusals are logged at most once a minute.
  std::size_t max_connections = 256;
  // A request whose header (request line and fields) is larger is answered 431.
  std::uint32_t header_limit = 8 * 1024;
  // Every connection speaks TLS with this context (server_tls_context()); nullptr: plain
  // HTTP.
  std::shared_ptr<boost::asio::ssl::context> tls;
  // Basic authentication: a request of any path but `public_paths` without the name and
  // password of one of these users is answered 401; empty: no authentication.
  std::vector<UserEntry> users;
  std::vector<std::string> public_paths;
};

class Server {
 public:
  // Listens on `listen` ("host:port"; port 0 picks a free one) at once, so that a taken
  // port is an error at start-up; throws std::runtime_error naming the address (and
  // std::invalid_argument for users that are not bcrypt hashes).
  Server(boost::asio::io_context& io, const std::string& listen, ServerOptions options = {});
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
  // "https://127.0.0.1:9464" (TLS) or "http://...": where the server answers.
  [[nodiscard]] std::string url() const;

 private:
  void accept();
  void admit(boost::asio::ip::tcp::socket socket);

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer accept_retry_;  // after a failed accept (out of descriptors, say)
  std::shared_ptr<detail::ServerState> state_;
};

}  // namespace sfcrimed::http
