// What the HTTP server answers: authentication first, then the method, the routes and
// the event streams; and the answers to requests that could not be read.

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <variant>

#include "detail/http_state.hpp"

namespace sfcrimed::http::detail {
namespace {

namespace beast = boost::beast;

// Each browser tab holds one event stream; more than this is not a page being watched.
constexpr std::size_t kMaxEventClients = 32;

constexpr const char* kText = "text/plain; charset=utf-8";

// Whether `request` may have `path`: no users, a public path, or a user's credentials.
bool authorized(ServerState& state, const Request& request, std::string_view path) {
  if (!state.auth || state.public_paths.contains(path)) {
    return true;
  }
  const auto header = request.find(beast::http::field::authorization);
  return header != request.end() &&
         state.auth->allows(std::string_view(header->value().data(), header->value().size()));
}

Response not_found(const ServerState& state) {
  Response reply{404, kText, "not found; the paths served here are:"};
  for (const auto& [known, handler] : state.handlers) {
    reply.body += " " + known;
  }
  for (const auto& [known, events] : state.events) {
    reply.body += " " + known;
  }
  reply.body += "\n";
  return reply;
}

// The answer to an authorized request of `path`, or the event stream it joins.
std::variant<Response, EventStream*> route(const ServerState& state, const Request& request, std::string_view path,
                                           HttpResponse& response) {
  const bool get = request.method() == beast::http::verb::get;
  if (!get && request.method() != beast::http::verb::head) {
    response.set(beast::http::field::allow, "GET, HEAD");
    return Response{405, kText, "only GET and HEAD are served here\n"};
  }
  if (const auto stream = state.events.find(path); stream != state.events.end() && get) {
    if (stream->second->clients() < kMaxEventClients) {
      return stream->second.get();
    }
    return Response{503, kText, "too many clients of " + std::string(path) + "; try later\n"};
  }
  if (const auto handler = state.handlers.find(path); handler != state.handlers.end()) {
    try {
      return handler->second();
    } catch (const std::exception& e) {
      return Response{500, kText, std::string("error: ") + e.what() + "\n"};
    }
  }
  return not_found(state);
}

void fill(HttpResponse& response, Response reply, bool head) {
  response.result(reply.status);
  response.set(beast::http::field::content_type, reply.content_type);
  response.body() = std::move(reply.body);
  response.prepare_payload();
  if (head) {
    response.body().clear();  // Content-Length stays that of the GET answer
  }
}

HttpResponse closing(unsigned status, std::string body) {
  HttpResponse response;
  response.version(11);
  response.keep_alive(false);
  response.set(beast::http::field::server, "sfcrimed");
  fill(response, Response{status, kText, std::move(body)}, false);
  return response;
}

}  // namespace

Answer answer(ServerState& state, const Request& request) {
  Answer answer;
  HttpResponse& response = answer.response;
  response.version(request.version());
  response.keep_alive(request.keep_alive());
  response.set(beast::http::field::server, "sfcrimed");
  // Everything here is the state of the moment: never cache it.
  response.set(beast::http::field::cache_control, "no-store");
  const std::string_view target(request.target().data(), request.target().size());
  const std::string_view path = target.substr(0, target.find('?'));
  const bool head = request.method() == beast::http::verb::head;
  if (!authorized(state, request, path)) {
    // No data, nor the list of paths: only how to authenticate.
    response.set(beast::http::field::www_authenticate, BasicAuth::kChallenge);
    fill(response, Response{401, kText, "authentication required\n"}, head);
    return answer;
  }
  auto routed = route(state, request, path, response);
  if (auto* const* events = std::get_if<EventStream*>(&routed)) {
    answer.events = *events;
    return answer;
  }
  fill(response, std::get<Response>(std::move(routed)), head);
  return answer;
}

std::optional<HttpResponse> answer_unreadable(const ServerState& state, const boost::system::error_code& error) {
  if (error.category() != beast::http::make_error_code(beast::http::error::end_of_stream).category()) {
    return std::nullopt;  // a timeout, a reset, TLS: nobody to answer, or nothing to say
  }
  switch (static_cast<beast::http::error>(error.value())) {
    case beast::http::error::end_of_stream:    // closed between requests
    case beast::http::error::partial_message:  // closed in the middle of one
      return std::nullopt;
    case beast::http::error::header_limit:
      return closing(
          431, "request header too large: at most " + std::to_string(state.options.header_limit) + " bytes are read\n");
    case beast::http::error::body_limit:
      return closing(413, "request body too large: at most " + std::to_string(kBodyLimit) + " bytes\n");
    default:
      return closing(400, "bad request: " + error.message() + "\n");
  }
}

std::string_view event_stream_header() {
  // A reconnect after 2 s when the connection drops (the daemon restarting, say).
  return "HTTP/1.1 200 OK\r\nServer: sfcrimed\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
         "Connection: close\r\n\r\nretry: 2000\n\n";
}

}  // namespace sfcrimed::http::detail
