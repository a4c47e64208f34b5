#pragma once
// What the connections of one HTTP server share (its routes, options, users and count of
// open connections), and what a request gets from them. Everything here lives on the
// server's loop thread; the connections hold the state by shared_ptr, so that one still
// finishing its request after the Server is gone finds it.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "sfcrimed/basic_auth.hpp"
#include "sfcrimed/http_server.hpp"

namespace sfcrimed::http::detail {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

// A request's body, which nothing here reads (GET and HEAD have none), up to this; a
// larger one is answered 413.
inline constexpr std::uint64_t kBodyLimit = std::uint64_t{64} * 1024;

struct ServerState {
  ServerOptions options;  // its users are in `auth`
  std::map<std::string, Handler, std::less<>> handlers;
  std::map<std::string, std::shared_ptr<EventStream>, std::less<>> events;
  std::optional<BasicAuth> auth;                    // none: every request is let in
  std::set<std::string, std::less<>> public_paths;  // let in without authentication
  std::size_t open_connections = 0;
  // Connections refused over the cap since the last line about them, and when that was.
  std::size_t refused_unlogged = 0;
  std::optional<std::chrono::steady_clock::time_point> refusal_logged_at;
};

// One open connection, counted against options.max_connections while it lives. Moves
// with the connection (a request's, then an event stream's).
class ConnectionSlot {
 public:
  explicit ConnectionSlot(std::shared_ptr<ServerState> state);
  ~ConnectionSlot();
  ConnectionSlot(ConnectionSlot&& other) noexcept = default;
  ConnectionSlot& operator=(ConnectionSlot&& other) noexcept = delete;
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;

  [[nodiscard]] ServerState& state() const { return *state_; }

 private:
  std::shared_ptr<ServerState> state_;  // null once moved from
};

// One client of an event stream, whatever its connection's stream (plain or TLS: the
// subclasses in http_session.hpp).
class EventClient {
 public:
  EventClient() = default;
  virtual ~EventClient() = default;
  EventClient(const EventClient&) = delete;
  EventClient& operator=(const EventClient&) = delete;
  EventClient(EventClient&&) = delete;
  EventClient& operator=(EventClient&&) = delete;

  // At most one write in flight and one waiting: a newer event replaces the waiting one.
  virtual void send(std::string event) = 0;
  virtual void close() = 0;
  [[nodiscard]] virtual bool closed() const = 0;

 protected:
  // Makes `client` one of `events`' clients, and sends it the stream's header and latest event.
  static void join(EventStream& events, const std::shared_ptr<EventClient>& client);
};

// What a request gets: an answer, or the event stream to hand its connection to.
struct Answer {
  HttpResponse response;
  EventStream* events = nullptr;
};
Answer answer(ServerState& state, const Request& request);

// The answer to a request that could not be read whole (431 too large a header, 413 too
// large a body, 400 not HTTP), after which the connection closes; nothing for an error
// that leaves nobody to answer (a timeout, the client gone).
std::optional<HttpResponse> answer_unreadable(const ServerState& state, const boost::system::error_code& error);

// The header of an event stream's answer, and its first event: how soon to reconnect.
std::string_view event_stream_header();

}  // namespace sfcrimed::http::detail
