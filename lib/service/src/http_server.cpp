#include "sfcrimed/http_server.hpp"

#include "sfcrimed/listen_address.hpp"

#include <array>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <utility>

namespace sfcrimed::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace detail {

struct Routes {
  std::map<std::string, Handler, std::less<>> handlers;
  std::map<std::string, std::shared_ptr<EventStream>, std::less<>> events;
};

// One client of an event stream. The answer has no length and ends when the connection
// does (HTTP/1.1 allows it; EventSource reconnects by itself). The client sends nothing
// more, so a read kept pending tells when it leaves.
class EventClient : public std::enable_shared_from_this<EventClient> {
 public:
  explicit EventClient(beast::tcp_stream stream) : stream_(std::move(stream)) {}

  // Makes the connection `stream` a client of `events`.
  static void join(EventStream& events, beast::tcp_stream stream) {
    auto client = std::make_shared<EventClient>(std::move(stream));
    events.clients_.push_back(client);
    client->start(events.latest_);
  }

  void start(const std::string& first_event) {
    stream_.expires_never();  // the idle timeout of requests does not apply
    watch();
    // A reconnect after 2 s when the connection drops (the daemon restarting, say).
    send(
        "HTTP/1.1 200 OK\r\nServer: sfcrimed\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
        "Connection: close\r\n\r\nretry: 2000\n\n" +
        first_event);
  }

  // At most one write in flight and one waiting: a newer event replaces the waiting one.
  void send(std::string event) {
    if (closed_) {
      return;
    }
    if (writing_) {
      waiting_ = std::move(event);
      return;
    }
    in_flight_ = std::move(event);
    writing_ = true;
    // A client that takes nothing for this long is dropped (the read is pending, so this
    // times the write alone).
    stream_.expires_after(std::chrono::seconds(10));
    asio::async_write(stream_, asio::buffer(in_flight_),
                      [self = shared_from_this()](beast::error_code error, std::size_t) {
                        self->writing_ = false;
                        if (error) {
                          self->close();
                        } else if (self->waiting_) {
                          self->send(*std::exchange(self->waiting_, std::nullopt));
                        }
                      });
  }

  void close() {
    if (std::exchange(closed_, true)) {
      return;
    }
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  [[nodiscard]] bool closed() const { return closed_; }

 private:
  void watch() {
    stream_.async_read_some(asio::buffer(sink_), [self = shared_from_this()](beast::error_code error, std::size_t) {
      if (error) {
        self->close();
      } else {
        self->watch();
      }
    });
  }

  beast::tcp_stream stream_;
  std::string in_flight_;
  std::optional<std::string> waiting_;
  bool writing_ = false;
  bool closed_ = false;
  std::array<char, 512> sink_{};
};

}  // namespace detail

namespace {

// A client that sends nothing for this long is dropped (Prometheus keeps its connection
// open between scrapes and reconnects when it must).
constexpr std::chrono::seconds kIdleTimeout{60};
// Each browser tab holds one event stream; more than this is not a page being watched.
constexpr std::size_t kMaxEventClients = 32;

// One connection: read a request, answer it, and again while the client keeps it alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<const detail::Routes> routes)
      : stream_(std::move(socket)), routes_(std::move(routes)) {}

  void read() {
    request_ = {};
    stream_.expires_after(kIdleTimeout);
    beast::http::async_read(stream_, buffer_, request_,
                            [self = shared_from_this()](beast::error_code error, std::size_t) {
                              if (!error) {
                                self->answer();
                              }
                            });
  }

 private:
  void answer() {
    const auto& request = request_;
    beast::http::response<beast::http::string_body> response;
    response.version(request.version());
    response.keep_alive(request.keep_alive());
    response.set(beast::http::field::server, "sfcrimed");
    // Everything here is the state of the moment: never cache it.
    response.set(beast::http::field::cache_control, "no-store");
    const std::string_view target(request.target().data(), request.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    Response reply;
    if (request.method() != beast::http::verb::get && request.method() != beast::http::verb::head) {
      reply = {405, "text/plain; charset=utf-8", "only GET and HEAD are served here\n"};
      response.set(beast::http::field::allow, "GET, HEAD");
    } else if (const auto stream = routes_->events.find(path);
               stream != routes_->events.end() && request.method() == beast::http::verb::get) {
      if (stream->second->clients() < kMaxEventClients) {
        detail::EventClient::join(*stream->second, std::move(stream_));
        return;  // the connection is the event stream's now
      }
      reply = {503, "text/plain; charset=utf-8", "too many clients of " + std::string(path) + "; try later\n"};
    } else if (const auto route = routes_->handlers.find(path); route != routes_->handlers.end()) {
      try {
        reply = route->second();
      } catch (const std::exception& e) {
        reply = {500, "text/plain; charset=utf-8", std::string("error: ") + e.what() + "\n"};
      }
    } else {
      reply = {404, "text/plain; charset=utf-8", "not found; the paths served here are:"};
      for (const auto& [known, handler] : routes_->handlers) {
        reply.body += " " + known;
      }
      for (const auto& [known, events] : routes_->events) {
        reply.body += " " + known;
      }
      reply.body += "\n";
    }
    response.result(reply.status);
    response.set(beast::http::field::content_type, reply.content_type);
    response.body() = std::move(reply.body);
    response.prepare_payload();
    if (request.method() == beast::http::verb::head) {
      response.body().clear();  // Content-Length stays that of the GET answer
    }
    response_ = std::move(response);
    beast::http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code error, std::size_t) {
      if (error) {
        return;
      }
      if (self->response_.keep_alive()) {
        self->read();
      } else {
        beast::error_code ignored;
        self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      }
    });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  beast::http::request<beast::http::string_body> request_;  // a body, if any, is ignored
  beast::http::response<beast::http::string_body> response_;
  std::shared_ptr<const detail::Routes> routes_;
};

}  // namespace

Server::Server(asio::io_context& io, const std::string& listen)
    : acceptor_(io), accept_retry_(io), routes_(std::make_shared<detail::Routes>()) {
  tcp::endpoint endpoint;
  try {
    endpoint = sfcrimed::parse_listen_address(listen);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("cannot serve HTTP on ") + e.what());
  }
  beast::error_code error;
  acceptor_.open(endpoint.protocol(), error);
  if (!error) {
    acceptor_.set_option(asio::socket_base::reuse_address(true), error);
  }
  if (!error) {
    acceptor_.bind(endpoint, error);
  }
  if (!error) {
    acceptor_.listen(asio::socket_base::max_listen_connections, error);
  }
  if (error) {
    throw std::runtime_error("cannot serve HTTP on " + listen + " (" + error.message() +
                             "); is the port taken? set metrics.listen to another address, or empty for none");
  }
}

Server::~Server() = default;

void Server::route(const std::string& path, Handler handler) { routes_->handlers[path] = std::move(handler); }

std::shared_ptr<EventStream> Server::events(const std::string& path) {
  auto& stream = routes_->events[path];
  stream = std::make_shared<EventStream>();
  return stream;
}

void EventStream::publish(const std::string& data) {
  latest_ = "data: " + data + "\n\n";
  for (const auto& weak : clients_) {
    if (const auto client = weak.lock()) {
      client->send(latest_);
    }
  }
}

std::size_t EventStream::clients() {
  std::erase_if(clients_, [](const std::weak_ptr<detail::EventClient>& weak) {
    const auto client = weak.lock();
    return !client || client->closed();
  });
  return clients_.size();
}

void EventStream::close_all() {
  for (const auto& weak : clients_) {
    if (const auto client = weak.lock()) {
      client->close();
    }
  }
  clients_.clear();
}

void Server::start() { accept(); }

void Server::stop() {
  beast::error_code ignored;
  acceptor_.close(ignored);
  accept_retry_.cancel();
  for (const auto& [path, stream] : routes_->events) {
    stream->close_all();
  }
}

tcp::endpoint Server::endpoint() const {
  beast::error_code ignored;
  return acceptor_.local_endpoint(ignored);
}

void Server::accept() {
  acceptor_.async_accept([this](beast::error_code error, tcp::socket socket) {
    if (error == asio::error::operation_aborted || !acceptor_.is_open()) {
      return;
    }
    if (!error) {
      std::make_shared<Session>(std::move(socket), routes_)->read();
      accept();
      return;
    }
    // Accepting again at once would spin the loop while the error lasts (EMFILE lasts
    // until descriptors are freed): the next try in 100 ms, the loop free meanwhile.
    accept_retry_.expires_after(std::chrono::milliseconds(100));
    accept_retry_.async_wait([this](beast::error_code waited) {
      if (!waited && acceptor_.is_open()) {
        accept();
      }
    });
  });
}

}  // namespace sfcrimed::http
