#include "sfcrimed/http_server.hpp"

#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <stdexcept>
#include <utility>

#include "detail/http_session.hpp"
#include "detail/http_state.hpp"
#include "sfcrimed/listen_address.hpp"
#include "sfcrimed/log.hpp"

namespace sfcrimed::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace detail {

ConnectionSlot::ConnectionSlot(std::shared_ptr<ServerState> state) : state_(std::move(state)) {
  ++state_->open_connections;
}

ConnectionSlot::~ConnectionSlot() {
  if (state_) {
    --state_->open_connections;
  }
}

void EventClient::join(EventStream& events, const std::shared_ptr<EventClient>& client) {
  events.clients_.push_back(client);
  client->send(std::string(event_stream_header()) + events.latest_);
}

}  // namespace detail

namespace {

// Logs a connection refused over the cap: the first at once, then at most a line a
// minute with how many were refused since, so that a flood does not flood the log too.
void log_refusal(detail::ServerState& state, const tcp::endpoint& from) {
  constexpr std::chrono::minutes kLogInterval{1};
  ++state.refused_unlogged;
  const auto now = std::chrono::steady_clock::now();
  if (state.refusal_logged_at && now - *state.refusal_logged_at < kLogInterval) {
    return;
  }
  log::warning("http", "refused " + std::to_string(state.refused_unlogged) + " connection(s), the latest from " +
                           from.address().to_string() + ": " + std::to_string(state.options.max_connections) +
                           " are open, the most this endpoint takes (said at most once a minute)");
  state.refused_unlogged = 0;
  state.refusal_logged_at = now;
}

}  // namespace

Server::Server(asio::io_context& io, const std::string& listen, ServerOptions options)
    : acceptor_(io), accept_retry_(io), state_(std::make_shared<detail::ServerState>()) {
  if (!options.users.empty()) {
    state_->auth.emplace(std::move(options.users));
  }
  state_->public_paths.insert(options.public_paths.begin(), options.public_paths.end());
  state_->options = std::move(options);
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

void Server::route(const std::string& path, Handler handler) { state_->handlers[path] = std::move(handler); }

std::shared_ptr<EventStream> Server::events(const std::string& path) {
  auto& stream = state_->events[path];
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
  for (const auto& [path, stream] : state_->events) {
    stream->close_all();
  }
}

tcp::endpoint Server::endpoint() const {
  beast::error_code ignored;
  return acceptor_.local_endpoint(ignored);
}

std::string Server::url() const {
  const auto at = endpoint();
  const std::string host = at.address().is_v6() ? "[" + at.address().to_string() + "]" : at.address().to_string();
  return (state_->options.tls ? "https://" : "http://") + host + ":" + std::to_string(at.port());
}

void Server::accept() {
  acceptor_.async_accept([this](beast::error_code error, tcp::socket socket) {
    if (error == asio::error::operation_aborted || !acceptor_.is_open()) {
      return;
    }
    if (!error) {
      admit(std::move(socket));
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

void Server::admit(tcp::socket socket) {
  if (state_->open_connections >= state_->options.max_connections) {
    beast::error_code ignored;
    log_refusal(*state_, socket.remote_endpoint(ignored));
    socket.close(ignored);
    return;
  }
  detail::ConnectionSlot slot(state_);
  if (const auto& tls = state_->options.tls) {
    using Session = detail::Session<detail::TlsStream>;
    std::make_shared<Session>(detail::TlsStream(std::move(socket), *tls), std::move(slot))->start();
  } else {
    using Session = detail::Session<detail::PlainStream>;
    std::make_shared<Session>(detail::PlainStream(std::move(socket)), std::move(slot))->start();
  }
}

}  // namespace sfcrimed::http
